package invite

import (
	"context"
	"errors"

	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/storage"
)

// AllScope is the suppression scope of a platform-wide opt-out.
const AllScope = "*"

// Unsubscribe records the unsubscribe carried by token and cancels the
// customer's queued invitations from that business unit. It returns the
// business unit. An invalid token is ErrNotFound.
func (s *Service) Unsubscribe(ctx context.Context, token string) (string, error) {
	bu, h, ok := s.parseUnsubscribeToken(token)
	if !ok {
		return "", ErrNotFound
	}

	now := s.clock.Now().UTC()
	err := s.store.Update(ctx, func(tx storage.WriteTx) error {
		if err := tx.PutSuppression(h, storage.Suppression{Scope: bu, CreateTime: now}); err != nil {
			return err
		}
		return cancelQueued(tx, bu, h, "customer unsubscribed")
	})
	return bu, err
}

// cancelQueued cancels every queued invitation of a customer in bu.
func cancelQueued(tx storage.WriteTx, bu string, h storage.Hash, reason string) error {
	var ids []storage.ID
	if err := tx.CustomerInvitations(bu, h, storage.ID{}, func(id storage.ID) bool {
		ids = append(ids, id)
		return true
	}); err != nil {
		return err
	}
	for _, id := range ids {
		// The state is read without decrypting; only what is cancelled is
		// opened.
		f, err := tx.InvitationFields(bu, id)
		if errors.Is(err, storage.ErrNotFound) || err == nil && f.State != storage.StateQueued {
			continue
		}
		if err != nil {
			return err
		}
		inv, err := tx.Invitation(bu, id)
		if err != nil {
			return err
		}
		inv.State, inv.StateReason = storage.StateCancelled, reason
		if err := tx.UpdateInvitation(&inv); err != nil {
			return err
		}
	}
	return nil
}

// Resubscribe lifts an unsubscribe of email in scope (a business unit or
// AllScope). It returns ErrNotFound when there was none.
func (s *Service) Resubscribe(ctx context.Context, scope, email string) error {
	norm, err := address.Normalize(email)
	if err != nil {
		return fieldErr("email_address", "must be a valid e-mail address")
	}
	h := s.hasher.Hash(norm)

	return s.store.Update(ctx, func(tx storage.WriteTx) error {
		ok, err := tx.DeleteSuppression(h, scope)
		if err == nil && !ok {
			return ErrNotFound
		}
		return err
	})
}
