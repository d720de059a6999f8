package storage

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Sealing happens before the write transaction, in the caller's goroutine:
// the record is encrypted under a fresh key and the key is written to a
// slot reserved for it. The committer syncs the key file while it runs the
// batch's transaction functions and waits for that sync before committing,
// so the keys are durable before any record that needs them, and the sync
// costs the write path little.

// Sealed is a record encrypted and ready to insert, with its key durable on
// disk. Insert it in a WriteTx or Discard it; Discard after a commit that
// inserted it does nothing, so callers may Discard every Sealed they made
// once their Update has returned.
type Sealed struct {
	keys   *keyStore
	slot   uint64
	value  []byte
	ticket uint64       // the key write's ticket: durable once synced reaches it
	state  atomic.Int32 // sealedOpen, sealedCommitted or sealedDiscarded

	bu         string
	id         ID
	index      IndexFields // invitations
	linkHash   [32]byte    // invitations
	dedupe     Hash        // raw e-mails
	others     []Hash      // raw e-mails
	invitation bool
}

const (
	sealedOpen int32 = iota
	sealedCommitted
	sealedDiscarded
)

// ErrSealedUsed means a Sealed was inserted after it was discarded or
// committed.
var ErrSealedUsed = errors.New("storage: sealed record already used or discarded")

// Discard gives up a Sealed that was not committed: its key is zeroed and
// its slot reused.
func (s *Sealed) Discard() {
	if s == nil || !s.state.CompareAndSwap(sealedOpen, sealedDiscarded) {
		return
	}
	s.keys.discard(s.slot)
}

// SealInvitations encrypts invitations for insertion. Each must have its
// business unit, ID and final index fields set.
func (db *DB) SealInvitations(ctx context.Context, invs []*Invitation) ([]*Sealed, error) {
	out := make([]*Sealed, len(invs))
	keys := make([]slotWrite, len(invs))
	slots := db.keys.reserve(len(invs))
	for i, inv := range invs {
		if err := checkBU(inv.BusinessUnit); err != nil {
			db.keys.discardAll(slots)
			return nil, err
		}
		keys[i] = slotWrite{slot: slots[i], key: newDataKey()}
		k := buKey(inv.BusinessUnit, inv.ID)
		out[i] = &Sealed{
			keys:       db.keys,
			slot:       slots[i],
			value:      seal(&keys[i].key, slots[i], inv.header(), invitationAAD(k), inv.encode()),
			bu:         inv.BusinessUnit,
			id:         inv.ID,
			index:      IndexFields{Customer: inv.Customer, State: inv.State, ScheduledTime: inv.ScheduledTime},
			linkHash:   sha256.Sum256(inv.LinkSecret[:]),
			invitation: true,
		}
	}
	ticket, err := db.keys.write(keys)
	if err != nil {
		db.keys.discardAll(slots)
		return nil, err
	}
	for _, s := range out {
		s.ticket = ticket
	}
	return out, nil
}

// SealBCC encrypts a raw e-mail for insertion. Its business unit, ID,
// customer, dedupe hash and invitation must be set.
func (db *DB) SealBCC(ctx context.Context, m *BCCMessage) (*Sealed, error) {
	if err := checkBU(m.BusinessUnit); err != nil {
		return nil, err
	}
	slots := db.keys.reserve(1)
	kw := slotWrite{slot: slots[0], key: newDataKey()}
	s := &Sealed{
		keys:   db.keys,
		slot:   slots[0],
		value:  seal(&kw.key, slots[0], m.header(), bccAAD(buKey(m.BusinessUnit, m.ID)), m.encode()),
		bu:     m.BusinessUnit,
		id:     m.ID,
		index:  IndexFields{Customer: m.Customer},
		dedupe: m.Dedupe,
		others: m.Others,
	}
	ticket, err := db.keys.write([]slotWrite{kw})
	if err != nil {
		db.keys.discardAll(slots)
		return nil, err
	}
	s.ticket = ticket
	return s, nil
}

// keyStore hands out key slots and writes keys to them durably. Sealers
// call it concurrently; the committer tells it which slots were committed
// and which became free.
type keyStore struct {
	file *slotFile

	mu sync.Mutex // guards everything below
	// free are zeroed slots nobody holds; next is the first slot never
	// handed out by this process.
	free []uint64
	next uint64
	// held are slots handed to Sealed records not yet committed or
	// discarded.
	held map[uint64]bool
	// written counts key writes; synced is the count known durable.
	written, synced uint64
	syncing         bool
	cond            *sync.Cond // signalled when a sync ends
}

func newKeyStore(f *slotFile, free []uint64, next uint64) *keyStore {
	k := &keyStore{file: f, free: free, next: next, held: map[uint64]bool{}}
	k.cond = sync.NewCond(&k.mu)
	return k
}

// reserve hands out n slots, free ones first, preferring runs of new slots
// so that their keys go to disk in one write.
func (k *keyStore) reserve(n int) []uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	slots := make([]uint64, 0, n)
	for len(slots) < n && len(k.free) > 0 {
		s := k.free[len(k.free)-1]
		k.free = k.free[:len(k.free)-1]
		slots = append(slots, s)
	}
	for len(slots) < n {
		slots = append(slots, k.next)
		k.next++
	}
	for _, s := range slots {
		k.held[s] = true
	}
	return slots
}

// write writes keys and returns a ticket: they are durable once a sync
// has reached it.
func (k *keyStore) write(ws []slotWrite) (uint64, error) {
	if err := k.file.write(ws); err != nil {
		return 0, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.written++
	return k.written, nil
}

// unsynced returns the ticket of the latest key write if it is not yet
// known durable, else 0.
func (k *keyStore) unsynced() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.synced >= k.written {
		return 0
	}
	return k.written
}

// syncTo returns once every key write up to ticket is durable, syncing the
// key file unless a sync that covers it is under way. Concurrent callers
// share syncs.
func (k *keyStore) syncTo(ticket uint64) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for k.synced < ticket {
		if k.syncing {
			k.cond.Wait()
			continue
		}
		k.syncing = true
		target := k.written
		k.mu.Unlock()
		err := k.file.sync()
		k.mu.Lock()
		k.syncing = false
		if err == nil {
			k.synced = max(k.synced, target)
		}
		k.cond.Broadcast()
		if err != nil {
			return err
		}
	}
	return nil
}

// discard zeroes an unused slot and makes it free again. The zeros need
// no sync: a slot outside every committed record is zeroed again at Open
// after an unclean stop.
func (k *keyStore) discard(slot uint64) {
	k.discardAll([]uint64{slot})
}

func (k *keyStore) discardAll(slots []uint64) {
	k.file.wipe(slots)
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range slots {
		delete(k.held, s)
	}
	k.free = append(k.free, slots...)
}

// committed records that slots now belong to committed records.
func (k *keyStore) committed(slots []uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range slots {
		delete(k.held, s)
	}
}

// released makes slots that a commit listed as free available again.
func (k *keyStore) released(slots []uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.free = append(k.free, slots...)
}

// close zeroes the keys of slots still held, so a clean stop leaves no key
// without its record.
func (k *keyStore) close() error {
	k.mu.Lock()
	held := make([]uint64, 0, len(k.held))
	for s := range k.held {
		held = append(held, s)
	}
	k.mu.Unlock()
	slices.Sort(held)
	if len(held) == 0 {
		return nil
	}
	if err := k.file.wipe(held); err != nil {
		return fmt.Errorf("storage: zeroing unused keys: %w", err)
	}
	return k.file.sync()
}

// insertSealed claims s for the transaction. It becomes committed, or
// open again, when the transaction ends.
func (w *writeTx) insertSealed(s *Sealed, invitation bool) error {
	if s.invitation != invitation || s.state.Load() != sealedOpen {
		return ErrSealedUsed
	}
	// A second record under one key would orphan the first one's key slot,
	// which then could never be zeroed.
	records := bucketBCC
	if invitation {
		records = bucketInvitations
	}
	if w.bucket(records).Get(buKey(s.bu, s.id)) != nil {
		return wrap("inserting record", ErrCorrupt)
	}
	if err := w.useSlot(s.slot); err != nil {
		return err
	}
	w.sealed = append(w.sealed, s)
	return nil
}

// useSlot records durably that slot holds a committed record's key. A slot
// past the last one in use moves that mark up; slots skipped on the way are
// held by records not committed yet and are listed as free until they are,
// so that a crash leaves none of them unaccounted for.
func (w *writeTx) useSlot(slot uint64) error {
	free := w.bucket(bucketSlotFree)
	if slot < w.nextSlot {
		return wrap("using key slot", free.Delete(u64(slot)))
	}
	for s := w.nextSlot; s < slot; s++ {
		if err := free.Put(u64(s), nil); err != nil {
			return wrap("using key slot", err)
		}
	}
	w.nextSlot = slot + 1
	return nil
}
