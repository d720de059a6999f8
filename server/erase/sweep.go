package erase

import (
	"context"
	"time"

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
// past their own retention. It walks the expiry index, so its cost grows
// with what expires, and works in chunks so other writes keep flowing. A
// run that removed invitation data leaves a receipt and an event.
func (s *Service) Sweep(ctx context.Context) (storage.Counts, error) {
	start := s.cfg.Clock.Now().UTC()
	ret := s.cfg.Retention
	invCut, bccCut := start.Add(-ret.Invitation), start.Add(-ret.BCC)

	var total storage.Counts
	var files []storage.ID
	step := func(kind storage.RecordKind, before time.Time, remove func(storage.WriteTx, *removal, string, storage.ID) error) error {
		// Most runs find nothing: look before taking the write path.
		var expired bool
		err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
			return tx.EachExpired(kind, before, func(string, storage.ID) bool { expired = true; return false })
		})
		if err != nil || !expired {
			return err
		}
		for {
			var r removal
			var n int
			err := s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error {
				r = removal{}
				type ref struct {
					bu string
					id storage.ID
				}
				var refs []ref
				err := tx.EachExpired(kind, before, func(bu string, id storage.ID) bool {
					refs = append(refs, ref{bu, id})
					return len(refs) < s.cfg.ChunkSize
				})
				if err != nil {
					return err
				}
				n = len(refs)
				for _, rf := range refs {
					if err := remove(tx, &r, rf.bu, rf.id); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			total.Add(r.counts)
			files = append(files, r.files...)
			if n < s.cfg.ChunkSize {
				return nil
			}
		}
	}

	err := step(storage.KindInvitation, invCut, func(tx storage.WriteTx, r *removal, bu string, id storage.ID) error {
		return r.invitation(tx, bu, id, invCut, protection{})
	})
	if err == nil {
		err = step(storage.KindBCC, bccCut, func(tx storage.WriteTx, r *removal, bu string, id storage.ID) error {
			return r.bcc(tx, bu, id)
		})
	}
	if err == nil {
		err = step(storage.KindRequest, start.Add(-ret.Requests), func(tx storage.WriteTx, _ *removal, bu string, id storage.ID) error {
			return tx.DeleteRequest(bu, id)
		})
	}
	if err == nil {
		err = step(storage.KindErasure, start.Add(-ret.Receipts), func(tx storage.WriteTx, _ *removal, bu string, id storage.ID) error {
			e, err := tx.Erasure(bu, id)
			if err != nil || e.State != storage.ErasureSucceeded {
				return err
			}
			return tx.DeleteErasure(bu, id)
		})
	}
	if err == nil {
		err = s.prune(ctx, start)
	}
	if err == nil && len(files) > 0 {
		var n int
		n, err = s.cfg.Files.RemoveFiles(ctx, files)
		total.OutboxMessages += int64(n)
		if err == nil {
			err = s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error { return tx.ClearScrubs(files) })
		}
	}
	if err == nil && total.Records() > 0 {
		err = s.sweepReceipt(ctx, start, invCut, bccCut, total)
	}

	end := s.cfg.Clock.Now().UTC()
	s.mu.Lock()
	s.sweep.LastRun, s.sweep.LastDuration, s.sweep.Last = end, end.Sub(start), total
	s.sweep.Total.Add(total)
	s.mu.Unlock()
	if total.Records() > 0 {
		s.cfg.Logger.Info("retention sweep removed expired data",
			"invitations", total.Invitations, "bcc_messages", total.BCCMessages,
			"last_invited_records", total.LastInvited, "took_ms", end.Sub(start).Milliseconds())
	}
	return total, err
}

// prune drops old receipts and events, a chunk at a time.
func (s *Service) prune(ctx context.Context, now time.Time) error {
	for {
		var n int
		err := s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error {
			r, err := tx.PruneReceipts(now.Add(-s.cfg.Retention.Receipts), s.cfg.ChunkSize)
			if err != nil {
				return err
			}
			e, err := tx.PruneEvents(now.Add(-s.cfg.Retention.Events), s.cfg.ChunkSize)
			n = max(r, e)
			return err
		})
		if err != nil || n < s.cfg.ChunkSize {
			return err
		}
	}
}

func (s *Service) sweepReceipt(ctx context.Context, start, invCut, bccCut time.Time, c storage.Counts) error {
	err := s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error {
		now := s.cfg.Clock.Now().UTC()
		r := storage.Receipt{
			Kind:        storage.ErasureRetention,
			RequestedBy: "retention",
			CutOff:      invCut,
			Counts:      c,
			StartTime:   start,
			EndTime:     now,
		}
		if err := tx.AppendReceipt(&r); err != nil {
			return err
		}
		return tx.AppendEvent(&storage.Event{Kind: storage.ErasureRetention, CutOff: invCut, BCCCutOff: bccCut, CreateTime: now})
	})
	if err == nil {
		s.events.publish()
	}
	return err
}
