package erase

import (
	"context"
	"time"

	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/storage"
)

// SweepStatus tells operators what the retention sweeper did.
type SweepStatus struct {
	LastRun      time.Time
	LastDuration time.Duration
	Last         storage.Counts
	Total        storage.Counts
}

// Status returns the sweeper's status, with the creation times of the
// oldest invitation and raw e-mail still held (zero when none).
func (s *Service) Status(ctx context.Context) (SweepStatus, time.Time, time.Time, error) {
	s.mu.Lock()
	st := s.sweep
	s.mu.Unlock()

	var oldestInv, oldestBCC time.Time
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		if oldestInv, _, err = tx.Oldest(storage.KindInvitation); err != nil {
			return err
		}
		oldestBCC, _, err = tx.Oldest(storage.KindBCC)
		return err
	})
	return st, oldestInv, oldestBCC, err
}

// Retention returns the retention periods in force.
func (s *Service) Retention() Retention { return s.cfg.Retention }

// RunSweeper sweeps once every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("retention sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep removes everything whose retention has run out: invitations with
// their links, queue entries and last-invited records, raw BCC e-mails,
// idempotency records, old events, and receipts and finished erasure jobs
// past their own retention. A record expires at its creation time plus its
// period, never earlier. Sweep walks the expiry index in creation order and
// stops at the first record still in date, so its cost grows with what
// expires; it works in chunks so other writes keep flowing. A run that
// removed anything leaves one receipt and one event, covering also any run
// cut short before it.
func (s *Service) Sweep(ctx context.Context) (storage.Counts, error) {
	now := s.cfg.Clock.Now().UTC()
	ret := s.cfg.Retention
	goneI, goneM := expiredAt(ret.Invitation, now), expiredAt(ret.BCC, now)

	walking, err := s.planWalks(ctx, now, goneI, goneM)
	if err != nil {
		return storage.Counts{}, err
	}
	var total storage.Counts
	step := func(kind storage.RecordKind, gone func(time.Time) bool, remove func(storage.WriteTx, *removal, string, storage.ID) error) error {
		for {
			var r removal
			var n int
			err := s.cfg.Store.Bulk(ctx, func(tx storage.WriteTx) error {
				r = removal{}
				pc := newPace()
				refs, err := expiredRefs(tx, kind, gone, s.cfg.ChunkSize)
				n = len(refs)
				for i, rf := range refs {
					if pc.over(i) {
						n = s.cfg.ChunkSize // more to do: come back
						break
					}
					if err == nil {
						err = remove(tx, &r, rf.bu, rf.id)
					}
				}
				r.counts.OutboxMessages = int64(s.cfg.Files.CountFiles(r.files))
				if err != nil {
					return err
				}
				return tx.AddSweepTally(now, r.counts)
			})
			if err != nil {
				return err
			}
			total.Add(r.counts)
			if n < s.cfg.ChunkSize {
				return nil
			}
		}
	}
	// Most runs find nothing: look before taking the write path.
	anyExpired := func(kind storage.RecordKind, gone func(time.Time) bool) (bool, error) {
		var refs []ref
		err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
			var err error
			refs, err = expiredRefs(tx, kind, gone, 1)
			return err
		})
		return len(refs) > 0, err
	}

	scopeOf := func(bu string) scope { return scope{targeted: !walking[bu], gone: goneI} }
	steps := []struct {
		kind   storage.RecordKind
		gone   func(time.Time) bool
		remove func(storage.WriteTx, *removal, string, storage.ID) error
	}{
		{storage.KindInvitation, goneI, func(tx storage.WriteTx, r *removal, bu string, id storage.ID) error {
			return r.invitation(tx, bu, id, scopeOf(bu))
		}},
		{storage.KindBCC, goneM, func(tx storage.WriteTx, r *removal, bu string, id storage.ID) error {
			return r.bcc(tx, bu, id, scopeOf(bu))
		}},
		{storage.KindRequest, expiredAt(ret.Requests, now), func(tx storage.WriteTx, _ *removal, bu string, id storage.ID) error {
			return tx.DeleteRequest(bu, id)
		}},
		{storage.KindErasure, expiredAt(ret.Receipts, now), func(tx storage.WriteTx, _ *removal, bu string, id storage.ID) error {
			e, err := tx.Erasure(bu, id)
			if err != nil || e.State != storage.ErasureSucceeded {
				return err
			}
			return tx.DeleteErasure(bu, id)
		}},
	}
	for _, st := range steps {
		var found bool
		if found, err = anyExpired(st.kind, st.gone); err != nil {
			break
		}
		if found {
			if err = step(st.kind, st.gone, st.remove); err != nil {
				break
			}
		}
	}
	if err == nil {
		var c storage.Counts
		c, err = s.walkCleanups(ctx)
		total.Add(c)
	}
	if err == nil {
		err = s.prune(ctx, expiredAt(ret.Receipts, now), expiredAt(ret.Events, now))
	}
	if err == nil {
		// The outbox files of what this run removed, and of any run cut
		// short before it.
		err = s.finishScrubs(ctx)
	}
	if err == nil {
		err = s.sweepReceipt(ctx, now)
	}

	end := s.cfg.Clock.Now().UTC()
	s.mu.Lock()
	s.sweep.LastRun, s.sweep.LastDuration, s.sweep.Last = end, end.Sub(now), total
	s.sweep.Total.Add(total)
	s.mu.Unlock()
	if total.Records() > 0 {
		s.cfg.Logger.Info("retention sweep removed expired data",
			"invitations", total.Invitations, "bcc_messages", total.BCCMessages,
			"last_invited_records", total.LastInvited, "took_ms", end.Sub(now).Milliseconds())
	}
	return total, err
}

// expiredAt says whether a record created at t has expired at now under p.
func expiredAt(p clock.Period, now time.Time) func(time.Time) bool {
	return func(t time.Time) bool { return !p.After(t).After(now) }
}

// planWalks counts what expires in each business unit and, for those where
// it is a good part of their customers, records durably that their
// customers must be walked after the records go. A walk recorded by a run
// that died is still pending and is done by this one.
func (s *Service) planWalks(ctx context.Context, now time.Time, goneI, goneM func(time.Time) bool) (map[string]bool, error) {
	perUnit := map[string]int64{}
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		for _, k := range []struct {
			kind storage.RecordKind
			gone func(time.Time) bool
		}{{storage.KindInvitation, goneI}, {storage.KindBCC, goneM}} {
			err := tx.EachExpired(k.kind, farFuture, func(bu string, id storage.ID) bool {
				if !k.gone(id.Time()) {
					return false
				}
				perUnit[bu]++
				return true
			})
			if err != nil {
				return err
			}
		}
		for bu, n := range perUnit {
			customers, err := tx.CustomerCount(bu)
			if err != nil {
				return err
			}
			if !walkPays(n, customers) {
				delete(perUnit, bu)
			}
		}
		return nil
	})
	if err != nil || len(perUnit) == 0 {
		return nil, err
	}

	walking := map[string]bool{}
	err = s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error {
		for bu := range perUnit {
			walking[bu] = true
			if err := tx.PutCleanup(bu, now); err != nil {
				return err
			}
		}
		return nil
	})
	return walking, err
}

// walkCleanups walks the customers of every business unit with a pending
// walk, removing the references and last-invited records that expired by
// the time of the sweep that asked for the walk.
func (s *Service) walkCleanups(ctx context.Context) (storage.Counts, error) {
	var total storage.Counts
	var pending map[string]time.Time
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		pending, err = tx.Cleanups()
		return err
	})
	if err != nil {
		return total, err
	}
	ret := s.cfg.Retention
	for bu, at := range pending {
		goneI, goneM := expiredAt(ret.Invitation, at), expiredAt(ret.BCC, at)
		var cursor *storage.Hash
		for done := false; !done; {
			var r removal
			start := cursor
			err := s.cfg.Store.Bulk(ctx, func(tx storage.WriteTx) error {
				r = removal{}
				// A record made after the sweep began has not expired by its
				// time: whatever is in scope is gone. Only a clock stepped
				// back by a whole retention period could make one look
				// expired, and the next sweep removes such a record anyway.
				next, end, err := r.walk(tx, bu, start, s.cfg.ChunkSize, goneI, goneM, false, protection{})
				if err != nil {
					return err
				}
				cursor, done = next, end
				if err := tx.AddSweepTally(at, r.counts); err != nil {
					return err
				}
				if end {
					return tx.DeleteCleanup(bu)
				}
				return nil
			})
			if err != nil {
				return total, err
			}
			total.Add(r.counts)
		}
	}
	return total, nil
}

type ref struct {
	bu string
	id storage.ID
}

// expiredRefs lists up to limit records of kind that have expired, oldest
// first. Expiry grows with creation time, so the walk stops at the first
// record still in date.
func expiredRefs(tx storage.ReadTx, kind storage.RecordKind, expired func(time.Time) bool, limit int) ([]ref, error) {
	var refs []ref
	err := tx.EachExpired(kind, farFuture, func(bu string, id storage.ID) bool {
		if !expired(id.Time()) {
			return false
		}
		refs = append(refs, ref{bu, id})
		return len(refs) < limit
	})
	return refs, err
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// prune drops old receipts and events, a chunk at a time.
func (s *Service) prune(ctx context.Context, receiptGone, eventGone func(time.Time) bool) error {
	for {
		var n int
		err := s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error {
			r, err := tx.PruneReceipts(receiptGone, s.cfg.ChunkSize)
			if err != nil {
				return err
			}
			e, err := tx.PruneEvents(eventGone, s.cfg.ChunkSize)
			n = max(r, e)
			return err
		})
		if err != nil || n < s.cfg.ChunkSize {
			return err
		}
	}
}

// sweepReceipt records what the sweeps since the last receipt removed: this
// one and any cut short before it. Its cut-offs are the creation times
// before which data had expired at now.
func (s *Service) sweepReceipt(ctx context.Context, now time.Time) error {
	var owed bool
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		_, owed, err = tx.SweepTally()
		return err
	})
	if err != nil || !owed {
		return err
	}
	ret := s.cfg.Retention
	cutI, cutM := ret.Invitation.Before(now), ret.BCC.Before(now)
	err = s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error {
		t, ok, err := tx.SweepTally()
		if err != nil || !ok {
			return err
		}
		tx.SyncErasedKeys()
		end := s.cfg.Clock.Now().UTC()
		r := storage.Receipt{
			Kind:        storage.ErasureRetention,
			RequestedBy: "retention",
			CutOff:      cutI,
			Counts:      t.Counts,
			StartTime:   t.Start,
			EndTime:     end,
		}
		if err := tx.AppendReceipt(&r); err != nil {
			return err
		}
		if err := tx.AppendEvent(&storage.Event{Kind: storage.ErasureRetention, CutOff: cutI, BCCCutOff: cutM, CreateTime: end}); err != nil {
			return err
		}
		return tx.ClearSweepTally()
	})
	if err == nil {
		s.events.publish()
	}
	return err
}
