package storage

import (
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"syscall"
)

// The slot file holds one random 32-byte data key per sealed record, at a
// fixed offset given by the record's slot number. Erasing a record
// overwrites its slot with zeros in place, so the ciphertext that bbolt may
// leave behind in freed pages can never be decrypted again.
const (
	slotSize       = 32
	slotHeaderSize = 64
	slotMagic      = "INVKEYS1"
)

// slotFile is the key file. Reads may run concurrently with each other and
// with writes; only the committer goroutine writes.
type slotFile struct {
	f *os.File
}

func openSlotFile(path string) (*slotFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("storage: opening key file: %w", err)
	}

	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: opening key file: %w", err)
	}
	hdr := make([]byte, slotHeaderSize)
	if fi.Size() == 0 {
		copy(hdr, slotMagic)
		if _, err := f.WriteAt(hdr, 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("storage: writing key file header: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("storage: writing key file header: %w", err)
		}
		return &slotFile{f: f}, nil
	}

	if _, err := f.ReadAt(hdr, 0); err != nil || string(hdr[:len(slotMagic)]) != slotMagic {
		f.Close()
		return nil, fmt.Errorf("storage: key file header: %w", ErrCorrupt)
	}
	return &slotFile{f: f}, nil
}

func slotOffset(slot uint64) int64 { return slotHeaderSize + int64(slot)*slotSize }

// read copies the key of slot into dst. A slot past the end of the file
// reads as zeros.
func (s *slotFile) read(slot uint64, dst *[32]byte) error {
	n, err := s.f.ReadAt(dst[:], slotOffset(slot))
	if n == slotSize {
		return nil
	}
	if n == 0 && err != nil {
		clear(dst[:])
		return nil
	}
	return fmt.Errorf("storage: reading record key: %w", err)
}

// slotWrite is one key to store.
type slotWrite struct {
	slot uint64
	key  [32]byte
}

// write stores keys, coalescing runs of adjacent slots into one write.
func (s *slotFile) write(ws []slotWrite) error {
	slices.SortFunc(ws, func(a, b slotWrite) int { return cmp.Compare(a.slot, b.slot) })

	var buf []byte
	for i := 0; i < len(ws); {
		j := i + 1
		for j < len(ws) && ws[j].slot == ws[j-1].slot+1 {
			j++
		}
		buf = buf[:0]
		for _, w := range ws[i:j] {
			buf = append(buf, w.key[:]...)
		}
		if _, err := s.f.WriteAt(buf, slotOffset(ws[i].slot)); err != nil {
			return fmt.Errorf("storage: writing record keys: %w", err)
		}
		i = j
	}
	return nil
}

// wipe overwrites the given slots with zeros, coalescing adjacent slots.
// Slots past the end of the file are left alone: they hold nothing.
func (s *slotFile) wipe(slots []uint64) error {
	if len(slots) == 0 {
		return nil
	}
	slots = slices.Clone(slots)
	slices.Sort(slots)
	fi, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("storage: erasing record keys: %w", err)
	}

	for i := 0; i < len(slots); {
		j := i + 1
		for j < len(slots) && slots[j] <= slots[j-1]+1 {
			j++
		}
		start, end := slotOffset(slots[i]), min(slotOffset(slots[j-1]+1), fi.Size())
		if err := s.zero(start, end); err != nil {
			return fmt.Errorf("storage: erasing record keys: %w", err)
		}
		i = j
	}
	return nil
}

// zeros is what zero writes; it is never written to.
var zeros [64 << 10]byte

// zero overwrites the file from start to end with zeros.
func (s *slotFile) zero(start, end int64) error {
	for off := start; off < end; {
		n := min(int64(len(zeros)), end-off)
		if _, err := s.f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// truncate drops every slot from n on.
func (s *slotFile) truncate(n uint64) error {
	fi, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("storage: trimming key file: %w", err)
	}
	if fi.Size() <= slotOffset(n) {
		return nil
	}
	// Zero the tail before cutting it off, so no key survives in blocks the
	// file system hands back.
	if err := s.zero(slotOffset(n), fi.Size()); err != nil {
		return fmt.Errorf("storage: trimming key file: %w", err)
	}
	if err := s.sync(); err != nil {
		return err
	}
	if err := s.f.Truncate(slotOffset(n)); err != nil {
		return fmt.Errorf("storage: trimming key file: %w", err)
	}
	return s.sync()
}

func (s *slotFile) sync() error {
	if err := syscall.Fdatasync(int(s.f.Fd())); err != nil {
		return fmt.Errorf("storage: syncing key file: %w", err)
	}
	return nil
}

func (s *slotFile) close() error { return s.f.Close() }

func newDataKey() [32]byte {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		panic("storage: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return k
}

// Sealed values start with a version byte, the slot number and a clear
// header of index fields, then a nonce and the AES-256-GCM ciphertext of the
// record. The additional data binds the ciphertext to its bucket key and
// clear header, so it cannot be moved or relabelled.
const sealVersion = 1

func seal(key *[32]byte, slot uint64, header, aad, plain []byte) []byte {
	gcm := newGCM(key)
	out := make([]byte, 0, 1+8+len(header)+gcm.NonceSize()+len(plain)+gcm.Overhead())
	out = append(out, sealVersion)
	out = binary.BigEndian.AppendUint64(out, slot)
	out = append(out, header...)
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("storage: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	out = append(out, nonce...)
	return gcm.Seal(out, nonce, plain, slices.Concat(aad, header))
}

// sealedSlot returns the slot number of a sealed value and its clear header
// of headerLen bytes.
func sealedSlot(v []byte, headerLen int) (uint64, []byte, error) {
	if len(v) < 1+8+headerLen || v[0] != sealVersion {
		return 0, nil, ErrCorrupt
	}
	return binary.BigEndian.Uint64(v[1:9]), v[9 : 9+headerLen], nil
}

// open decrypts a sealed value. A wiped or reused key fails authentication
// and yields ErrNotFound: the record was erased.
func open(key *[32]byte, v []byte, headerLen int, aad []byte) ([]byte, error) {
	if *key == ([32]byte{}) {
		return nil, ErrNotFound
	}
	gcm := newGCM(key)
	rest := v[9+headerLen:]
	if len(rest) < gcm.NonceSize()+gcm.Overhead() {
		return nil, ErrCorrupt
	}
	header := v[9 : 9+headerLen]
	plain, err := gcm.Open(nil, rest[:gcm.NonceSize()], rest[gcm.NonceSize():], slices.Concat(aad, header))
	if err != nil {
		return nil, ErrNotFound
	}
	return plain, nil
}

func newGCM(key *[32]byte) cipher.AEAD {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic("storage: " + err.Error()) // a 32-byte key is always valid
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic("storage: " + err.Error()) // AES always has a 16-byte block
	}
	return gcm
}
