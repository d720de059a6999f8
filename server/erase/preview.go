package erase

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/storage"
)

// tally counts what an erasure would remove, reading only.
type tally struct {
	counts storage.Counts
	losing int64
	// files are invitations that may have an e-mail file in the outbox.
	files []storage.ID
}

// invitation counts one invitation with its link token.
func (t *tally) invitation(id storage.ID, f storage.IndexFields) {
	t.counts.Invitations++
	t.counts.LinkTokens++
	if f.State == storage.StateQueued {
		t.counts.ScheduledCancelled++
	}
	if f.State != storage.StateQueued && f.State != storage.StateCancelled {
		t.files = append(t.files, id)
	}
}

// customer counts one customer's data in one business unit.
func (t *tally) customer(tx storage.ReadTx, bu string, h storage.Hash, p protection) error {
	var ferr error
	err := tx.CustomerInvitations(bu, h, storage.ID{}, func(id storage.ID) bool {
		f, err := tx.InvitationFields(bu, id)
		switch {
		case err == nil:
			t.invitation(id, f)
		case !errors.Is(err, storage.ErrNotFound):
			ferr = err
			return false
		}
		return true
	})
	if err = cmp.Or(err, ferr); err != nil {
		return err
	}
	err = tx.CustomerBCCMessages(bu, h, func(storage.ID) bool {
		t.counts.BCCMessages++
		return true
	})
	if err != nil {
		return err
	}
	c, ok, err := tx.Customer(bu, h)
	if err == nil && ok {
		t.counts.LastInvited++
		if p.lost(c) {
			t.losing++
		}
	}
	return err
}

// date counts a business unit's data created before cutOff. A customer's
// last-invited record goes when it is older than cutOff; it was set by the
// customer's latest invitation, so each record is counted at that one.
func (t *tally) date(tx storage.ReadTx, bu string, cutOff time.Time, p protection) error {
	var err error
	walk := tx.EachInvitationID(bu, storage.ID{}, cutOff, func(id storage.ID, f storage.IndexFields) bool {
		t.invitation(id, f)
		var c storage.Customer
		var ok bool
		c, ok, err = tx.Customer(bu, f.Customer)
		if ok && c.Latest == id {
			t.counts.LastInvited++
			if p.lost(c) {
				t.losing++
			}
		}
		return err == nil
	})
	if err := errors.Join(walk, err); err != nil {
		return err
	}
	return tx.EachBCCMessageID(bu, storage.ID{}, cutOff, func(storage.ID) bool {
		t.counts.BCCMessages++
		return true
	})
}

// count tallies what e would remove.
func (s *Service) count(tx storage.ReadTx, e *storage.Erasure, now time.Time) (tally, error) {
	var t tally
	switch e.Kind {
	case storage.ErasureCustomers:
		st, err := invite.SettingsIn(tx, e.BusinessUnit)
		if err != nil {
			return t, err
		}
		for _, h := range e.Customers {
			if err := t.customer(tx, e.BusinessUnit, h, protectionFor(st, now)); err != nil {
				return t, err
			}
		}
	case storage.ErasureConsumer:
		bus, err := tx.CustomerBusinessUnits(e.Customers[0])
		if err != nil {
			return t, err
		}
		for _, bu := range bus {
			st, err := invite.SettingsIn(tx, bu)
			if err != nil {
				return t, err
			}
			if err := t.customer(tx, bu, e.Customers[0], protectionFor(st, now)); err != nil {
				return t, err
			}
		}
	case storage.ErasureUpToDate:
		st, err := invite.SettingsIn(tx, e.BusinessUnit)
		if err != nil {
			return t, err
		}
		return t, t.date(tx, e.BusinessUnit, e.CutOff, protectionFor(st, now))
	}
	return t, nil
}

// preview returns e as it would end, with nothing changed.
func (s *Service) preview(ctx context.Context, e storage.Erasure, now time.Time) (storage.Erasure, error) {
	var t tally
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		t, err = s.count(tx, &e, now)
		return err
	})
	e.Counts, e.LosingProtection = t.counts, t.losing
	e.Counts.OutboxMessages = int64(s.cfg.Files.CountFiles(t.files))
	e.RecordsTotal = t.counts.Records()
	e.Customers, e.EventHashes = nil, nil
	return e, err
}

// estimate returns how many primary records e has in scope.
func (s *Service) estimate(ctx context.Context, e *storage.Erasure) (int64, error) {
	var n int64
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		n, err = refs(tx, e)
		return err
	})
	return n, err
}

// refs counts the invitations and raw e-mails in e's scope from the
// indexes alone, without decrypting anything.
func refs(tx storage.ReadTx, e *storage.Erasure) (int64, error) {
	var n int64
	count := func(storage.ID) bool { n++; return true }
	customer := func(bu string, h storage.Hash) error {
		if err := tx.CustomerInvitations(bu, h, storage.ID{}, count); err != nil {
			return err
		}
		return tx.CustomerBCCMessages(bu, h, count)
	}

	switch e.Kind {
	case storage.ErasureCustomers:
		for _, h := range e.Customers {
			if err := customer(e.BusinessUnit, h); err != nil {
				return 0, err
			}
		}
	case storage.ErasureConsumer:
		bus, err := tx.CustomerBusinessUnits(e.Customers[0])
		if err != nil {
			return 0, err
		}
		for _, bu := range bus {
			if err := customer(bu, e.Customers[0]); err != nil {
				return 0, err
			}
		}
	case storage.ErasureUpToDate:
		err := tx.EachInvitationID(e.BusinessUnit, storage.ID{}, e.CutOff, func(id storage.ID, _ storage.IndexFields) bool { return count(id) })
		if err != nil {
			return 0, err
		}
		return n, tx.EachBCCMessageID(e.BusinessUnit, storage.ID{}, e.CutOff, count)
	}
	return n, nil
}
