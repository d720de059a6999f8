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
	bulk bool
	err  error
	done chan struct{}
}

// Update implements Store.
func (db *DB) Update(ctx context.Context, fn func(WriteTx) error) error {
	return db.update(ctx, fn, false)
}

// Bulk implements Store.
func (db *DB) Bulk(ctx context.Context, fn func(WriteTx) error) error {
	return db.update(ctx, fn, true)
}

func (db *DB) update(ctx context.Context, fn func(WriteTx) error, bulk bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &commitReq{ctx: ctx, fn: fn, bulk: bulk, done: make(chan struct{})}
	// The read lock keeps Close from starting while a request is being
	// queued, so none lands after the committer's last look.
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case db.commits <- r:
	case <-ctx.Done():
		db.closeMu.RUnlock()
		return ctx.Err()
	}
	db.closeMu.RUnlock()

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

// commitLoop commits what is queued: ordinary writes together, then one
// bulk write alone. Ordinary writes that arrive while a bulk write runs go
// before the next bulk write, so background work never keeps a request
// waiting for more than one bulk transaction.
func (db *DB) commitLoop() {
	defer close(db.stopped)
	var bulk []*commitReq
	for {
		var batch []*commitReq
		add := func(r *commitReq) {
			if r.bulk {
				bulk = append(bulk, r)
			} else {
				batch = append(batch, r)
			}
		}
		if len(bulk) == 0 {
			select {
			case r := <-db.commits:
				add(r)
			case <-db.closing:
				db.drain()
				return
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-db.commits:
				add(r)
			default:
				break fill
			}
		}
		if len(batch) > 0 {
			db.commitBatch(batch)
			continue
		}
		if len(bulk) > 0 {
			db.commitBatch(bulk[:1])
			bulk = bulk[1:]
		}
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
	bulk := len(batch) == 1 && batch[0].bulk
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return -1, fmt.Errorf("storage: starting transaction: %w", err)
	}
	w := &writeTx{readTx: readTx{tx: tx, db: db}, nextSlot: db.nextSlot}
	w.readTx.w = w

	// Sync the keys sealed so far while the functions run; the commit waits
	// for it below.
	if t := db.keys.unsynced(); t > 0 {
		db.syncs.Go(func() { db.keys.syncTo(t) })
	}

	released := db.wiped
	if err := w.releaseWiped(released); err != nil {
		tx.Rollback()
		return -1, err
	}
	for i, r := range batch {
		if err := r.fn(w); err != nil {
			tx.Rollback()
			return i, err
		}
	}
	var ticket uint64
	for _, s := range w.sealed {
		ticket = max(ticket, s.ticket)
	}
	if err := db.keys.syncTo(ticket); err != nil {
		tx.Rollback()
		return -1, err
	}
	if err := w.writeCounts(); err != nil {
		tx.Rollback()
		return -1, err
	}
	if w.nextSlot != db.nextSlot {
		if err := tx.Bucket(bucketMeta).Put(metaNextSlot, u64(w.nextSlot)); err != nil {
			tx.Rollback()
			return -1, fmt.Errorf("storage: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return -1, fmt.Errorf("storage: committing: %w", err)
	}

	db.nextSlot = w.nextSlot
	db.wiped = nil
	db.keys.released(released)
	slots := make([]uint64, 0, len(w.sealed))
	for _, s := range w.sealed {
		s.state.Store(sealedCommitted)
		slots = append(slots, s.slot)
	}
	db.keys.committed(slots)

	// The records are gone; now their keys go, before anyone hears "done".
	// Slots that could not be zeroed stay listed for wiping and are tried
	// again with the next commit and at the next Open.
	//
	// A bulk transaction leaves the zeros unsynced, for the next ordinary
	// commit that erases keys or asks for it (SyncErasedKeys), or Close, to
	// sync along with its own: bulk work reports done through such a
	// commit. Should the process die first, the slots are listed for wiping
	// or free, and Open zeroes both.
	toWipe := append(db.unwiped, w.freed...)
	if len(toWipe) == 0 && (bulk || !db.zerosUnsynced || !w.syncErased) {
		return -1, nil
	}
	err = db.slots.wipe(toWipe)
	if err == nil && bulk {
		db.zerosUnsynced = true
	} else if err == nil {
		err = db.slots.sync()
		db.zerosUnsynced = err != nil
	}
	if err != nil {
		db.unwiped = toWipe
		return -1, fmt.Errorf("storage: committed, but %w", err)
	}
	db.unwiped = nil
	db.wiped = toWipe
	return -1, nil
}

// releaseWiped moves slots that are known to be zero from the wipe list to
// the free list, where they can be reused once this transaction commits.
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

// releaseSlot schedules slot to be zeroed once the transaction commits.
func (w *writeTx) releaseSlot(slot uint64) error {
	if err := w.bucket(bucketSlotWipe).Put(u64(slot), nil); err != nil {
		return fmt.Errorf("storage: releasing key slot: %w", err)
	}
	w.freed = append(w.freed, slot)
	return nil
}
