package erase

import (
	"context"
	"errors"
	"time"

	"github.com/reviewdata/invitations/storage"
)

// retryDelay is how long a job that hit an error waits before trying again.
const retryDelay = 5 * time.Second

// start runs the job in the background unless it already runs. files are
// outbox files a chunk already committed to removing.
func (s *Service) start(bu string, id storage.ID, files []storage.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.running[id]; ok {
		return
	}
	done := make(chan struct{})
	s.running[id] = done
	ctx := s.base
	if ctx == nil {
		ctx = context.Background()
	}

	go func() {
		defer func() {
			s.mu.Lock()
			delete(s.running, id)
			s.mu.Unlock()
			close(done)
		}()
		for {
			err := s.runJob(ctx, bu, id, files)
			files = nil
			if err == nil || ctx.Err() != nil {
				return
			}
			s.cfg.Logger.Error("erasure failed, will retry", "erasure", id.String(), "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(retryDelay):
			}
		}
	}()
}

// job is a running erasure: the stored record plus invitations whose
// outbox files are removed but still listed in the store.
type job struct {
	storage.Erasure
	scrubbed []storage.ID
}

// runJob runs one erasure to the end, chunk by chunk. Each chunk commits
// the job's progress together with what it removed, so a crash loses
// nothing and repeats nothing.
func (s *Service) runJob(ctx context.Context, bu string, id storage.ID, files []storage.ID) error {
	e, err := s.Get(ctx, bu, id)
	if err != nil || e.State == storage.ErasureSucceeded {
		return err
	}
	j := &job{Erasure: e}
	if err := s.removeFiles(ctx, j, files); err != nil {
		return err
	}

	if j.State == storage.ErasurePending {
		if err := s.begin(ctx, j); err != nil {
			return err
		}
	}

	for {
		done, err := s.chunk(ctx, j)
		if err != nil {
			return err
		}
		if done {
			break
		}
	}
	return s.finish(ctx, j)
}

// begin marks the job running and estimates its size.
func (s *Service) begin(ctx context.Context, j *job) error {
	total, err := s.estimate(ctx, &j.Erasure)
	if err != nil {
		return err
	}
	return s.commit(ctx, j, true, func(tx storage.WriteTx, e *storage.Erasure) error {
		e.State = storage.ErasureRunning
		e.StartTime = s.cfg.Clock.Now().UTC()
		e.RecordsTotal = total
		if e.Kind == storage.ErasureUpToDate {
			customers, err := tx.CustomerCount(e.BusinessUnit)
			if err != nil {
				return err
			}
			e.Walk = walkPays(total, customers)
		}
		return nil
	})
}

// chunk removes the next bounded piece of the job and reports whether
// nothing is left.
func (s *Service) chunk(ctx context.Context, j *job) (bool, error) {
	var done bool
	var erased []storage.ID
	err := s.commit(ctx, j, true, func(tx storage.WriteTx, e *storage.Erasure) error {
		var err error
		erased, done, err = s.kindChunk(tx, e)
		e.Counts.OutboxMessages += int64(s.cfg.Files.CountFiles(erased))
		return err
	})
	if err != nil {
		return false, err
	}
	return done, s.removeFiles(ctx, j, erased)
}

// kindChunk removes the next chunk of any kind of job.
func (s *Service) kindChunk(tx storage.WriteTx, e *storage.Erasure) ([]storage.ID, bool, error) {
	switch e.Kind {
	case storage.ErasureCustomers:
		return s.customersChunk(tx, e)
	case storage.ErasureConsumer:
		return s.consumerChunk(tx, e)
	case storage.ErasureUpToDate:
		return s.dateChunk(tx, e)
	}
	return nil, false, errors.New("erase: unknown erasure kind")
}

// firstChunk starts a new job inside the transaction that stores it and
// removes its first chunk. If that was all and no outbox file needs
// removing, it finishes the job too. It returns the outbox files to remove.
func (s *Service) firstChunk(tx storage.WriteTx, e *storage.Erasure, now time.Time) ([]storage.ID, error) {
	total, err := refs(tx, e)
	if err != nil {
		return nil, err
	}
	e.State, e.StartTime, e.RecordsTotal = storage.ErasureRunning, now, total

	files, done, err := s.kindChunk(tx, e)
	if err != nil {
		return nil, err
	}
	// Files are counted while their invitations go, so that a crash or a
	// sender removing a file itself cannot change the count.
	e.Counts.OutboxMessages += int64(s.cfg.Files.CountFiles(files))
	if !done || len(files) > 0 {
		return files, nil
	}
	return nil, s.seal(tx, e, now)
}

// commit runs fn on a copy of the job inside a transaction that also
// records outbox removals done since the last commit, then stores the job.
// The copy keeps fn safe to run more than once. Chunks commit in bulk; the
// last commit is an ordinary one, so that every key erased is synced
// before the job reports done.
func (s *Service) commit(ctx context.Context, j *job, bulk bool, fn func(storage.WriteTx, *storage.Erasure) error) error {
	update := s.cfg.Store.Update
	if bulk {
		update = s.cfg.Store.Bulk
	}
	var next storage.Erasure
	err := update(ctx, func(tx storage.WriteTx) error {
		next = j.Erasure
		if err := tx.ClearScrubs(j.scrubbed); err != nil {
			return err
		}
		if err := fn(tx, &next); err != nil {
			return err
		}
		return tx.PutErasure(&next)
	})
	if err != nil {
		return err
	}
	j.Erasure, j.scrubbed = next, nil
	return nil
}

// removeFiles deletes the outbox files of invitations a chunk erased. The
// store lists them until the next commit records their removal, so a crash
// in between leaves them to Start.
func (s *Service) removeFiles(ctx context.Context, j *job, ids []storage.ID) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.cfg.Files.Forget(ctx, ids); err != nil {
		return err
	}
	j.scrubbed = ids
	return nil
}

// finishScrubs removes outbox files that erasures committed to removing
// before a stop.
func (s *Service) finishScrubs(ctx context.Context) error {
	for {
		var ids []storage.ID
		err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
			var err error
			ids, err = tx.PendingScrubs(1000)
			return err
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		if err := s.cfg.Files.Forget(ctx, ids); err != nil {
			return err
		}
		if err := s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error { return tx.ClearScrubs(ids) }); err != nil {
			return err
		}
	}
}

// finish marks the job done, forgets the customer hashes it held, and
// leaves its receipt and event in the same transaction.
func (s *Service) finish(ctx context.Context, j *job) error {
	err := s.commit(ctx, j, false, func(tx storage.WriteTx, e *storage.Erasure) error {
		return s.seal(tx, e, s.cfg.Clock.Now().UTC())
	})
	if err != nil {
		return err
	}
	s.finished(&j.Erasure)
	return nil
}

// seal marks e done at now and appends its receipt and event. Keys its
// bulk chunks zeroed are synced with this commit.
func (s *Service) seal(tx storage.WriteTx, e *storage.Erasure, now time.Time) error {
	tx.SyncErasedKeys()
	e.State, e.EndTime = storage.ErasureSucceeded, now
	e.RecordsTotal = max(e.RecordsTotal, e.RecordsDone)

	r := storage.Receipt{
		BusinessUnit:  e.BusinessUnit,
		Erasure:       e.ID,
		Kind:          e.Kind,
		RequestedBy:   e.RequestedBy,
		CutOffDate:    e.CutOffDate,
		TimeZone:      e.TimeZone,
		CutOff:        e.CutOff,
		CustomerCount: e.CustomerCount,
		Counts:        e.Counts,
		StartTime:     e.StartTime,
		EndTime:       now,
	}
	if err := tx.AppendReceipt(&r); err != nil {
		return err
	}
	e.Receipt = r.Sequence

	ev := storage.Event{
		BusinessUnit: e.BusinessUnit,
		Erasure:      e.ID,
		Kind:         e.Kind,
		EmailHashes:  e.EventHashes,
		CutOff:       e.CutOff,
		CreateTime:   now,
	}
	if err := tx.AppendEvent(&ev); err != nil {
		return err
	}
	e.Customers, e.EventHashes = nil, nil
	return nil
}

// finished tells event streams and the log about a finished erasure.
func (s *Service) finished(e *storage.Erasure) {
	s.events.publish()
	s.cfg.Logger.Info("erasure finished",
		"erasure", e.ID.String(), "kind", int(e.Kind), "invitations", e.Counts.Invitations,
		"bcc_messages", e.Counts.BCCMessages, "took_ms", e.EndTime.Sub(e.StartTime).Milliseconds())
}

// WaitAll blocks until no erasure runs in this process or ctx ends. Jobs
// stop at their next chunk once the context given to Start ends.
func (s *Service) WaitAll(ctx context.Context) error {
	for {
		s.mu.Lock()
		var done chan struct{}
		for _, ch := range s.running {
			done = ch
			break
		}
		s.mu.Unlock()
		if done == nil {
			return nil
		}
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
