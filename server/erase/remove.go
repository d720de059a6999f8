package erase

import (
	"errors"
	"time"

	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/storage"
)

// removal accumulates what one transaction removed.
type removal struct {
	counts storage.Counts
	losing int64
	// files are invitations that may have an e-mail file in the outbox.
	files []storage.ID
}

// protection says whether removing a last-invited record takes away the
// frequency rule's protection: the rule is on and the customer would still
// be inside its window.
type protection struct {
	window time.Duration // 0 when the rule is off
	now    time.Time
}

func protectionFor(st storage.Settings, now time.Time) protection {
	return protection{window: time.Duration(st.FrequencyDays) * 24 * time.Hour, now: now}
}

func (p protection) lost(c storage.Customer) bool {
	return p.window > 0 && p.now.Before(c.LastInvited.Add(p.window))
}

// invitation removes one invitation with its link and queue entry; with
// gone set it also removes the customer's last-invited record when gone
// says its time is in scope.
func (r *removal) invitation(tx storage.WriteTx, bu string, id storage.ID, gone func(time.Time) bool, p protection) error {
	rm, err := tx.DeleteInvitation(bu, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}

	r.counts.Invitations++
	if rm.State == storage.StateQueued {
		r.counts.ScheduledCancelled++
	}
	if rm.Link {
		r.counts.LinkTokens++
	}
	if rm.State != storage.StateQueued && rm.State != storage.StateCancelled {
		if err := tx.QueueScrub(id); err != nil {
			return err
		}
		r.files = append(r.files, id)
	}
	if gone == nil {
		return nil
	}

	c, ok, err := tx.Customer(bu, rm.Customer)
	if err != nil || !ok || !gone(c.LastInvited) {
		return err
	}
	return r.customerRecord(tx, bu, rm.Customer, p)
}

func (r *removal) customerRecord(tx storage.WriteTx, bu string, h storage.Hash, p protection) error {
	c, ok, err := tx.DeleteCustomer(bu, h)
	if err != nil || !ok {
		return err
	}
	r.counts.LastInvited++
	if p.lost(c) {
		r.losing++
	}
	return nil
}

func (r *removal) bcc(tx storage.WriteTx, bu string, id storage.ID) error {
	ok, err := tx.DeleteBCCMessage(bu, id)
	if ok {
		r.counts.BCCMessages++
	}
	return err
}

// customer removes everything about one customer in one business unit.
func (r *removal) customer(tx storage.WriteTx, bu string, h storage.Hash, p protection) error {
	invs, err := collect(func(fn func(storage.ID) bool) error { return tx.CustomerInvitations(bu, h, storage.ID{}, fn) }, 0)
	if err != nil {
		return err
	}
	mails, err := collect(func(fn func(storage.ID) bool) error { return tx.CustomerBCCMessages(bu, h, fn) }, 0)
	if err != nil {
		return err
	}

	for _, id := range invs {
		if err := r.invitation(tx, bu, id, nil, p); err != nil {
			return err
		}
	}
	for _, id := range mails {
		if err := r.bcc(tx, bu, id); err != nil {
			return err
		}
	}
	return r.customerRecord(tx, bu, h, p)
}

// collect gathers up to limit IDs (0: all) from an iterator, so that
// deleting happens after iterating.
func collect(each func(func(storage.ID) bool) error, limit int) ([]storage.ID, error) {
	var ids []storage.ID
	err := each(func(id storage.ID) bool {
		ids = append(ids, id)
		return limit == 0 || len(ids) < limit
	})
	return ids, err
}

func (r *removal) apply(e *storage.Erasure) {
	e.Counts.Add(r.counts)
	e.LosingProtection += r.losing
	e.RecordsDone += r.counts.Records()
}

func settingsIn(tx storage.ReadTx, bu string) (storage.Settings, error) {
	st, ok, err := tx.Settings(bu)
	if err != nil || !ok {
		return invite.Defaults(bu), err
	}
	return st, nil
}

// customersChunk erases whole customers of one business unit until the
// chunk size is reached.
func (s *Service) customersChunk(tx storage.WriteTx, e *storage.Erasure) ([]storage.ID, bool, error) {
	st, err := settingsIn(tx, e.BusinessUnit)
	if err != nil {
		return nil, false, err
	}
	p := protectionFor(st, s.cfg.Clock.Now())

	var r removal
	for e.NextCustomer < len(e.Customers) && r.counts.Records() < int64(s.cfg.ChunkSize) {
		if err := r.customer(tx, e.BusinessUnit, e.Customers[e.NextCustomer], p); err != nil {
			return nil, false, err
		}
		e.NextCustomer++
	}
	r.apply(e)
	return r.files, e.NextCustomer >= len(e.Customers), nil
}

// consumerChunk erases the consumer in business units that still hold
// data about them, whole business units at a time.
func (s *Service) consumerChunk(tx storage.WriteTx, e *storage.Erasure) ([]storage.ID, bool, error) {
	h := e.Customers[0]
	bus, err := tx.CustomerBusinessUnits(h)
	if err != nil {
		return nil, false, err
	}

	var r removal
	for _, bu := range bus {
		if r.counts.Records() >= int64(s.cfg.ChunkSize) {
			r.apply(e)
			return r.files, false, nil
		}
		st, err := settingsIn(tx, bu)
		if err != nil {
			return nil, false, err
		}
		if err := r.customer(tx, bu, h, protectionFor(st, s.cfg.Clock.Now())); err != nil {
			return nil, false, err
		}
	}
	r.apply(e)
	return r.files, true, nil
}

// dateChunk erases up to a chunk of a business unit's invitations created
// before the cut-off, then its raw e-mails.
func (s *Service) dateChunk(tx storage.WriteTx, e *storage.Erasure) ([]storage.ID, bool, error) {
	bu, budget := e.BusinessUnit, s.cfg.ChunkSize
	st, err := settingsIn(tx, bu)
	if err != nil {
		return nil, false, err
	}
	p := protectionFor(st, s.cfg.Clock.Now())

	invs, err := collect(func(fn func(storage.ID) bool) error {
		return tx.EachInvitationID(bu, e.InvitationCursor, e.CutOff, func(id storage.ID, _ storage.IndexFields) bool { return fn(id) })
	}, budget)
	if err != nil {
		return nil, false, err
	}
	var r removal
	before := func(t time.Time) bool { return t.Before(e.CutOff) }
	for _, id := range invs {
		if err := r.invitation(tx, bu, id, before, p); err != nil {
			return nil, false, err
		}
		e.InvitationCursor = id
	}
	if len(invs) == budget {
		r.apply(e)
		return r.files, false, nil
	}

	rest := budget - len(invs)
	mails, err := collect(func(fn func(storage.ID) bool) error { return tx.EachBCCMessageID(bu, e.BCCCursor, e.CutOff, fn) }, rest)
	if err != nil {
		return nil, false, err
	}
	for _, id := range mails {
		if err := r.bcc(tx, bu, id); err != nil {
			return nil, false, err
		}
		e.BCCCursor = id
	}
	r.apply(e)
	return r.files, len(mails) < rest, nil
}
