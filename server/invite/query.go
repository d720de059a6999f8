package invite

import (
	"context"
	"errors"
	"time"

	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/storage"
)

// Get returns one invitation.
func (s *Service) Get(ctx context.Context, bu string, id storage.ID) (storage.Invitation, error) {
	var inv storage.Invitation
	err := s.store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		inv, err = tx.Invitation(bu, id)
		return err
	})
	return inv, notFound(err)
}

func notFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	Email string
	State storage.State
	// From is inclusive, To exclusive.
	From, To time.Time
}

// scanBudget bounds how many stored invitations one List call reads, so
// that a filter matching little returns a short page and a token to go
// on rather than reading the whole business unit at once.
const scanBudget = 20000

// List returns up to limit invitations matching f with IDs after after,
// oldest first, and the ID to continue after (zero at the end).
func (s *Service) List(ctx context.Context, bu string, f Filter, after storage.ID, limit int) ([]storage.Invitation, storage.ID, error) {
	var h storage.Hash
	if f.Email != "" {
		norm, err := address.Normalize(f.Email)
		if err != nil {
			return nil, storage.ID{}, fieldErr("recipient_email", "must be a valid e-mail address")
		}
		h = s.hasher.Hash(norm)
	}
	if !f.From.IsZero() && after.Time().Before(f.From) {
		after = storage.FirstID(f.From)
	}

	var out []storage.Invitation
	var next storage.ID
	err := s.store.View(ctx, func(tx storage.ReadTx) error {
		scanned := 0
		visit := func(inv *storage.Invitation) bool {
			scanned++
			next = inv.ID
			switch {
			case !f.To.IsZero() && !inv.CreateTime().Before(f.To):
				next = storage.ID{}
				return false
			case f.State != 0 && inv.State != f.State:
			case !f.From.IsZero() && inv.CreateTime().Before(f.From):
			default:
				out = append(out, *inv)
			}
			return len(out) < limit && scanned < scanBudget
		}

		if f.Email == "" {
			return tx.EachInvitation(bu, after, visit)
		}
		var ids []storage.ID
		err := tx.CustomerInvitations(bu, h, after, func(id storage.ID) bool {
			ids = append(ids, id)
			return len(ids) < scanBudget
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			inv, err := tx.Invitation(bu, id)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !visit(&inv) {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, storage.ID{}, err
	}
	if len(out) < limit && len(out) < scanBudget && next == (storage.ID{}) {
		return out, storage.ID{}, nil
	}
	return out, s.moreAfter(ctx, bu, f, h, next), nil
}

// moreAfter returns after if any invitation may follow it, else zero, so
// that the last page has no token.
func (s *Service) moreAfter(ctx context.Context, bu string, f Filter, h storage.Hash, after storage.ID) storage.ID {
	if after.IsZero() {
		return after
	}
	more := false
	s.store.View(ctx, func(tx storage.ReadTx) error {
		if f.Email != "" {
			return tx.CustomerInvitations(bu, h, after, func(storage.ID) bool { more = true; return false })
		}
		return tx.EachInvitationID(bu, after, farFuture, func(storage.ID, storage.IndexFields) bool { more = true; return false })
	})
	if !more {
		return storage.ID{}
	}
	return after
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Cancel cancels a queued invitation.
func (s *Service) Cancel(ctx context.Context, bu string, id storage.ID) (storage.Invitation, error) {
	var inv storage.Invitation
	err := s.store.Update(ctx, func(tx storage.WriteTx) error {
		var err error
		inv, err = tx.Invitation(bu, id)
		if err != nil {
			return err
		}
		if inv.State != storage.StateQueued {
			return ErrNotQueued
		}
		inv.State = storage.StateCancelled
		inv.StateReason = "cancelled on request"
		return tx.UpdateInvitation(&inv)
	})
	return inv, notFound(err)
}
