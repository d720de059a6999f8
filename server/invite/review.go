package invite

import (
	"context"
	"regexp"

	"github.com/reviewdata/invitations/storage"
)

var reviewIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// ResolveLink returns the invitation behind a review link token. An
// unknown, erased or expired link is ErrNotFound; a cancelled invitation's
// link is ErrCancelled.
func (s *Service) ResolveLink(ctx context.Context, token string) (storage.Invitation, error) {
	var inv storage.Invitation
	err := s.store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		inv, err = linkedInvitation(tx, token)
		return err
	})
	return inv, notFound(err)
}

func linkedInvitation(tx storage.ReadTx, token string) (storage.Invitation, error) {
	id, secret, ok := parseLinkToken(token)
	if !ok {
		return storage.Invitation{}, ErrNotFound
	}
	link, err := tx.Link(id)
	if err != nil {
		return storage.Invitation{}, err
	}
	if !secretMatches(secret, link.SecretHash) {
		return storage.Invitation{}, ErrNotFound
	}
	inv, err := tx.Invitation(link.BusinessUnit, id)
	if err != nil {
		return storage.Invitation{}, err
	}
	if inv.State == storage.StateCancelled {
		return storage.Invitation{}, ErrCancelled
	}
	return inv, nil
}

// RecordReview marks the invitation behind token as reviewed. Repeating it
// with the same review id succeeds; another review id is ErrReviewRecorded.
func (s *Service) RecordReview(ctx context.Context, token, reviewID string) (storage.Invitation, error) {
	if !reviewIDPattern.MatchString(reviewID) {
		return storage.Invitation{}, fieldErr("review_id", "must be 1 to 128 letters, digits, '_', '-' or '.'")
	}

	var inv storage.Invitation
	err := s.store.Update(ctx, func(tx storage.WriteTx) error {
		var err error
		inv, err = linkedInvitation(tx, token)
		if err != nil {
			return err
		}
		if inv.State == storage.StateReviewed {
			if inv.ReviewID != reviewID {
				return ErrReviewRecorded
			}
			return nil
		}
		inv.State = storage.StateReviewed
		inv.ReviewID = reviewID
		inv.ReviewTime = s.clock.Now().UTC()
		return tx.UpdateInvitation(&inv)
	})
	return inv, notFound(err)
}
