package mail

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// outboxStripes is the number of locks that serialise work on one ID.
const outboxStripes = 32

// Outbox is a Mailer that writes each message as <dir>/<ID>.eml instead of
// sending it. It is the default mailer, for development and for operators
// who hand the files to another system. Files are created with mode 0600.
// An Outbox is safe for concurrent use.
type Outbox struct {
	dir string

	// stripes serialise Send and Remove of the same ID, so that a removal
	// never races a rename and leaves bytes behind.
	stripes [outboxStripes]sync.Mutex
}

// NewOutbox returns an Outbox writing into dir, creating dir with mode
// 0700 if it is missing. An existing dir keeps its mode.
func NewOutbox(dir string) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("mail: outbox dir is required")
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: create outbox dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("mail: stat outbox dir: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("mail: outbox path %s is not a directory", dir)
	}
	return &Outbox{dir: dir}, nil
}

// Dir returns the outbox folder.
func (o *Outbox) Dir() string { return o.dir }

// Path returns the file that holds message id, or "" if id is not a valid
// message ID (so a caller can never build a path outside Dir).
func (o *Outbox) Path(id string) string {
	if validID(id) != nil {
		return ""
	}
	return filepath.Join(o.dir, id+".eml")
}

// Send writes m.Bytes() to Path(m.ID) atomically: through a temporary file
// in the same folder that is written, synced and renamed, after which the
// folder is synced. Sending the same ID again replaces the file, and the
// bytes of the replaced copy are overwritten with zeros.
//
// Errors are *DeliveryError: Permanent for an invalid message (wrapping
// ErrInvalidMessage), not permanent for file system errors and for a done
// ctx.
func (o *Outbox) Send(ctx context.Context, m *Message) error {
	if err := ctx.Err(); err != nil {
		return &DeliveryError{MessageID: safeID(m), Reason: "not written", Err: err}
	}
	data, err := m.Bytes()
	if err != nil {
		return &DeliveryError{MessageID: safeID(m), Permanent: true, Reason: "not written", Err: err}
	}

	mu := o.lock(m.ID)
	mu.Lock()
	defer mu.Unlock()

	if err := o.write(m.ID, data); err != nil {
		return &DeliveryError{MessageID: m.ID, Reason: "write outbox file", Err: err}
	}
	return nil
}

// write puts data at Path(id) through a synced temporary file, then wipes
// the copy it replaced. It expects the stripe lock for id to be held.
func (o *Outbox) write(id string, data []byte) error {
	tmp, err := os.CreateTemp(o.dir, tempPrefix(id)+"*.tmp")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}

	// Hold the previous copy open so its bytes can be zeroed after the
	// rename has unlinked it.
	path := o.Path(id)
	old, err := openForWipe(path)
	if err != nil {
		return err
	}
	if old != nil {
		defer old.Close()
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	committed = true
	if err := syncDir(o.dir); err != nil {
		return err
	}
	if old != nil {
		if err := wipe(old); err != nil {
			return fmt.Errorf("wipe replaced copy: %w", err)
		}
	}
	return nil
}

// Remove erases messages: it overwrites each file's bytes with zeros,
// syncs, unlinks it, does the same to any temporary file left for the id by
// an interrupted Send, and syncs the folder once at the end. A missing file
// is not an error. Remove returns ErrInvalidID if any id is invalid, before
// removing anything.
//
// Zeroing reaches the disk blocks on ordinary file systems; on
// copy-on-write or log-structured file systems old blocks may survive
// until the file system reuses them.
func (o *Outbox) Remove(ids ...string) error {
	for _, id := range ids {
		if err := validID(id); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}

	// One listing finds the temporary files of every id.
	entries, err := os.ReadDir(o.dir)
	if err != nil {
		return fmt.Errorf("mail: remove messages: read outbox dir: %w", err)
	}
	temps := map[string][]string{}
	for _, e := range entries {
		name := e.Name()
		if rest, ok := strings.CutPrefix(name, "."); ok && strings.HasSuffix(name, ".tmp") {
			id, _, _ := strings.Cut(rest, ".")
			temps[id] = append(temps[id], filepath.Join(o.dir, name))
		}
	}

	removed := false
	for _, id := range ids {
		ok, err := o.remove(id, temps[id])
		if err != nil {
			return fmt.Errorf("mail: remove message %s: %w", id, err)
		}
		removed = removed || ok
	}
	if !removed {
		return nil
	}
	if err := syncDir(o.dir); err != nil {
		return fmt.Errorf("mail: remove messages: sync outbox dir: %w", err)
	}
	return nil
}

// remove wipes and unlinks id's file and temporary files under its lock,
// and reports whether any existed.
func (o *Outbox) remove(id string, temps []string) (bool, error) {
	mu := o.lock(id)
	mu.Lock()
	defer mu.Unlock()

	removed := false
	for _, p := range append([]string{o.Path(id)}, temps...) {
		ok, err := wipeAndRemove(p)
		if err != nil {
			return removed, err
		}
		removed = removed || ok
	}
	return removed, nil
}

// lock returns the stripe lock for id.
func (o *Outbox) lock(id string) *sync.Mutex {
	h := fnv.New32a()
	io.WriteString(h, id)
	return &o.stripes[h.Sum32()%outboxStripes]
}

// tempPrefix is the start of every temporary file name for id. IDs hold no
// '.', so the prefix of one ID never matches another's.
func tempPrefix(id string) string { return "." + id + "." }

// safeID returns m.ID if it is a valid ID, else "" so that an invalid ID,
// which might be anything, never reaches an error message.
func safeID(m *Message) string {
	if m == nil || validID(m.ID) != nil {
		return ""
	}
	return m.ID
}

// openForWipe opens the regular file at path for writing without
// truncating it, or returns nil, nil if there is none.
func openForWipe(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

// wipeAndRemove zeroes and unlinks the file at path. It reports whether
// there was anything to remove.
func wipeAndRemove(path string) (bool, error) {
	f, err := openForWipe(path)
	if err != nil {
		return false, err
	}
	if f != nil {
		err := wipe(f)
		f.Close()
		if err != nil {
			return false, err
		}
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f != nil, nil
	}
	return err == nil, err
}

// wipe overwrites the whole of f with zeros and syncs it.
func wipe(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zeros := make([]byte, 32*1024)
	for off := int64(0); off < fi.Size(); off += int64(len(zeros)) {
		n := min(int64(len(zeros)), fi.Size()-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
	}
	return f.Sync()
}

// syncDir makes renames and unlinks in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
