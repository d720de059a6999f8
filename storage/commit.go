package storage

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// Group commit: one goroutine takes every Update queued while the previous
// commit ran and applies them all in one bbolt transaction, so concurrent
// writers share one fsync instead of queueing for one each. There is no
// waiting for a batch to fill: an idle store commits a lone write at once.

// maxBatch bounds how many Update calls share one transaction.
const maxBatch = 512

type commitReq struct {
	ctx  context.Context
	fn   func(WriteTx) error
	err  error
	done chan struct{}
}

// Update implements Store.
func (db *DB) Update(ctx context.Context, fn func(WriteTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &commitReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case db.commits <- r:
	case <-db.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}

	// Once queued the write may commit at any moment, so wait for the
	// outcome even if ctx ends: the caller must not guess.
	<-r.done
	return r.err
}

// commitStats are updated by the committer and read by Stats.
type commitStats struct {
	commits atomic.Int64 // transactions committed
	writes  atomic.Int64 // Update calls they carried
	maxHold atomic.Int64 // longest time one transaction held the write path, ns
}

// Stats describes the write path since Open or the last ResetStats.
type Stats struct {
	// Commits is how many transactions committed; Writes is how many Update
	// calls they carried, so Writes/Commits is the mean group size.
	Commits, Writes int64
	// MaxHold is the longest any one transaction held the write path, from
	// its start to its keys being erased after commit.
	MaxHold time.Duration
}

// Stats returns write-path figures. It is safe for concurrent use.
func (db *DB) Stats() Stats {
	return Stats{
		Commits: db.stats.commits.Load(),
		Writes:  db.stats.writes.Load(),
		MaxHold: time.Duration(db.stats.maxHold.Load()),
	}
}

// ResetStats zeroes the figures Stats returns.
func (db *DB) ResetStats() {
	db.stats.commits.Store(0)
	db.stats.writes.Store(0)
	db.stats.maxHold.Store(0)
}

func (db *DB) commitLoop() {
	defer close(db.stopped)
	for {
		var batch []*commitReq
		select {
		case r := <-db.commits:
			batch = append(batch, r)
		case <-db.closing:
			db.drain()
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-db.commits:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.commitBatch(batch)
	}
}

// drain commits what was queued before Close.
func (db *DB) drain() {
	for {
		select {
		case r := <-db.commits:
			db.commitBatch([]*commitReq{r})
		default:
			return
		}
	}
}

// commitBatch commits batch. A request whose fn fails gets its error and
// the rest are retried without it, so one bad write never sinks the others.
func (db *DB) commitBatch(batch []*commitReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.finish(err)
			continue
		}
		live = append(live, r)
	}
	batch = live

	start := time.Now()
	defer func() {
		hold := int64(time.Since(start))
		for {
			old := db.stats.maxHold.Load()
			if hold <= old || db.stats.maxHold.CompareAndSwap(old, hold) {
				break
			}
		}
	}()
	for len(batch) > 0 {
		failed, err := db.tryBatch(batch)
		if failed >= 0 {
			batch[failed].finish(err)
			batch = append(batch[:failed], batch[failed+1:]...)
			continue
		}
		if err == nil {
			db.stats.commits.Add(1)
			db.stats.writes.Add(int64(len(batch)))
		}
		for _, r := range batch {
			r.finish(err)
		}
		return
	}
}

func (r *commitReq) finish(err error) {
	r.err = err
	close(r.done)
}

// tryBatch runs every fn of batch in one transaction and commits it. It
// returns the index of the first fn that failed with its error, or -1 and
// the outcome of the commit.
func (db *DB) tryBatch(batch []*commitReq) (int, error) {
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return -1, fmt.Errorf("storage: starting transaction: %w", err)
	}
	w := &writeTx{readTx: readTx{tx: tx, db: db}, nextSlot: db.nextSlot}
	w.readTx.w = w

	if err := w.releaseWiped(db.wiped); err != nil {
		tx.Rollback()
		return -1, err
	}
	for i, r := range batch {
		if err := r.fn(w); err != nil {
			tx.Rollback()
			return i, err
		}
	}
	if w.nextSlot != db.nextSlot {
		if err := tx.Bucket(bucketMeta).Put(metaNextSlot, u64(w.nextSlot)); err != nil {
			tx.Rollback()
			return -1, fmt.Errorf("storage: %w", err)
		}
	}

	// Keys must be durable before the records that need them.
	if len(w.newKeys) > 0 {
		if err := db.writeKeys(w.newKeys); err != nil {
			tx.Rollback()
			return -1, err
		}
	}
	if err := tx.Commit(); err != nil {
		db.forgetKeys(w.newKeys)
		return -1, fmt.Errorf("storage: committing: %w", err)
	}
	db.nextSlot = w.nextSlot
	db.wiped = nil

	// The records are gone; now their keys go, before anyone hears "done".
	// Slots that could not be zeroed stay listed for wiping and are tried
	// again with the next commit and at the next Open.
	toWipe := append(db.unwiped, w.freed...)
	if len(toWipe) == 0 {
		return -1, nil
	}
	err = db.slots.wipe(toWipe)
	if err == nil {
		err = db.slots.sync()
	}
	if err != nil {
		db.unwiped = toWipe
		return -1, fmt.Errorf("storage: committed, but %w", err)
	}
	db.unwiped = nil
	db.wiped = toWipe
	return -1, nil
}

func (db *DB) writeKeys(ws []slotWrite) error {
	if err := db.slots.write(ws); err != nil {
		db.forgetKeys(ws)
		return err
	}
	if err := db.slots.sync(); err != nil {
		db.forgetKeys(ws)
		return err
	}
	return nil
}

// forgetKeys zeroes keys written for a transaction that did not commit. A
// failure here leaves keys for data that was never stored; the next Open
// after an unclean stop zeroes them.
func (db *DB) forgetKeys(ws []slotWrite) {
	slots := make([]uint64, len(ws))
	for i, w := range ws {
		slots[i] = w.slot
	}
	if db.slots.wipe(slots) == nil {
		db.slots.sync()
	}
}

// releaseWiped moves slots that are known to be zero from the wipe list to
// the free list, where they can be reused.
func (w *writeTx) releaseWiped(slots []uint64) error {
	if len(slots) == 0 {
		return nil
	}
	wipe, free := w.bucket(bucketSlotWipe), w.bucket(bucketSlotFree)
	for _, s := range slots {
		k := u64(s)
		if err := wipe.Delete(k); err != nil {
			return fmt.Errorf("storage: releasing key slot: %w", err)
		}
		if err := free.Put(k, nil); err != nil {
			return fmt.Errorf("storage: releasing key slot: %w", err)
		}
	}
	return nil
}

// allocSlot hands out a zeroed key slot: a free one if any, else a new one.
func (w *writeTx) allocSlot() (uint64, error) {
	c := w.bucket(bucketSlotFree).Cursor()
	if k, _ := c.First(); k != nil {
		s := beU64(k)
		if err := c.Delete(); err != nil {
			return 0, fmt.Errorf("storage: allocating key slot: %w", err)
		}
		return s, nil
	}
	s := w.nextSlot
	w.nextSlot++
	return s, nil
}

// newKey allocates a slot with a fresh key, to be written at commit.
func (w *writeTx) newKey() (uint64, *[32]byte, error) {
	slot, err := w.allocSlot()
	if err != nil {
		return 0, nil, err
	}
	w.newKeys = append(w.newKeys, slotWrite{slot: slot, key: newDataKey()})
	if w.pending == nil {
		w.pending = make(map[uint64]int)
	}
	w.pending[slot] = len(w.newKeys) - 1
	return slot, &w.newKeys[len(w.newKeys)-1].key, nil
}

// releaseSlot schedules slot to be zeroed once the transaction commits.
func (w *writeTx) releaseSlot(slot uint64) error {
	if i, ok := w.pending[slot]; ok {
		// Written in this very transaction: never let the key reach disk.
		w.newKeys[i].key = [32]byte{}
	}
	if err := w.bucket(bucketSlotWipe).Put(u64(slot), nil); err != nil {
		return fmt.Errorf("storage: releasing key slot: %w", err)
	}
	w.freed = append(w.freed, slot)
	return nil
}
