// Package send delivers queued invitations when they fall due: it claims
// them from the send queue, renders their e-mail and hands it to a mailer,
// then records the outcome. It also removes delivered e-mail files from the
// outbox when their invitation is erased, never while a delivery of the
// same invitation is under way. It never logs personal data.
package send

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/server/mail"
	"github.com/reviewdata/invitations/storage"
)

// Config holds what a Sender needs.
type Config struct {
	Store  storage.Store
	Clock  clock.Clock
	Mailer mail.Mailer
	// Outbox is the outbox the Mailer writes to, or nil when mail goes to
	// a relay and nothing stays on disk.
	Outbox  *mail.Outbox
	Invites *invite.Service
	// From is the platform's sending address; the business's sender name
	// is its display name.
	From   string
	Logger *slog.Logger
	// Lease is how long a claimed invitation stays claimed before another
	// attempt may take it (covers a crash mid-delivery). Default 5 minutes.
	Lease time.Duration
	// MaxAttempts is how many transient failures end in NOT_DELIVERED.
	// Default 8.
	MaxAttempts int32
	// Workers is how many deliveries run at once. Default 4.
	Workers int
	// BatchSize is how many due invitations one round claims. Default 100.
	BatchSize int
}

// Sender delivers invitations. It is safe for concurrent use.
type Sender struct {
	cfg  Config
	wake chan struct{}

	mu sync.Mutex // guards inflight
	// inflight holds a channel per invitation whose delivery is under way;
	// it is closed when the delivery's outcome is recorded.
	inflight map[storage.ID]chan struct{}
}

// New returns a Sender.
func New(cfg Config) *Sender {
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	return &Sender{cfg: cfg, wake: make(chan struct{}, 1), inflight: map[storage.ID]chan struct{}{}}
}

// Wake makes a running Run look at the queue now.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers due invitations until ctx ends, looking at the queue every
// poll interval and whenever Wake is called.
func (s *Sender) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for {
			n, err := s.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				s.cfg.Logger.Error("send round failed", "err", err)
			}
			if n < s.cfg.BatchSize || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// RunOnce claims up to BatchSize due invitations, delivers them and
// records the outcomes. It returns how many it claimed.
func (s *Sender) RunOnce(ctx context.Context) (int, error) {
	now := s.cfg.Clock.Now().UTC()
	claimed, err := s.claim(ctx, now)
	if err != nil || len(claimed) == 0 {
		return 0, err
	}

	work := make(chan storage.Invitation)
	var wg sync.WaitGroup
	for range min(s.cfg.Workers, len(claimed)) {
		wg.Go(func() {
			for inv := range work {
				s.deliver(ctx, inv)
			}
		})
	}
	for _, inv := range claimed {
		work <- inv
	}
	close(work)
	wg.Wait()
	return len(claimed), nil
}

// claim moves due invitations to SENDING and pushes their queue entry a
// lease ahead, so that a crash mid-delivery leads to another attempt.
func (s *Sender) claim(ctx context.Context, now time.Time) ([]storage.Invitation, error) {
	var claimed []storage.Invitation
	err := s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error {
		claimed = claimed[:0]
		due, err := tx.Due(now, s.cfg.BatchSize)
		if err != nil {
			return err
		}
		for _, d := range due {
			inv, err := tx.Invitation(d.BusinessUnit, d.Invitation)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			inv.State = storage.StateSending
			inv.Attempts++
			inv.ScheduledTime = now.Add(s.cfg.Lease)
			if err := tx.UpdateInvitation(&inv); err != nil {
				return err
			}
			claimed = append(claimed, inv)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	for _, inv := range claimed {
		s.inflight[inv.ID] = make(chan struct{})
	}
	s.mu.Unlock()
	return claimed, nil
}

func (s *Sender) deliver(ctx context.Context, inv storage.Invitation) {
	defer s.release(inv.ID)
	log := s.cfg.Logger.With("business_unit", inv.BusinessUnit, "invitation", inv.ID.String(), "attempt", inv.Attempts)

	// The invitation may have been erased since it was claimed; an erasure
	// waits for this delivery, so a check here keeps erased invitations
	// from being sent.
	var exists bool
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		exists = tx.Has(inv.BusinessUnit, storage.CustomerRef{Kind: storage.RefInvitation, ID: inv.ID})
		return nil
	})
	if err == nil && !exists {
		return
	}

	msg, err := s.render(&inv)
	if err == nil {
		err = s.cfg.Mailer.Send(ctx, msg)
	}
	now := s.cfg.Clock.Now().UTC()
	switch {
	case err == nil:
		inv.State, inv.StateReason, inv.SendTime = storage.StateDelivered, "", now
	case ctx.Err() != nil:
		return // shutting down: the lease brings it back
	case mail.IsPermanent(err) || errors.Is(err, errUndeliverable) || inv.Attempts >= s.cfg.MaxAttempts:
		inv.State, inv.StateReason = storage.StateNotDelivered, reason(err)
		log.Warn("invitation not delivered", "err", err)
	default:
		inv.ScheduledTime = now.Add(backoff(inv.Attempts))
		log.Info("delivery failed, will retry", "err", err, "retry_in_s", int(backoff(inv.Attempts).Seconds()))
	}

	err = s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error { return tx.UpdateInvitation(&inv) })
	if errors.Is(err, storage.ErrNotFound) {
		// Erased while the e-mail was on its way: the file written for it
		// must not outlive the erasure.
		s.removeFile(inv.ID)
		return
	}
	if err != nil {
		log.Error("recording delivery outcome failed", "err", err)
	}
}

// backoff is the wait before attempt n+1: one minute doubling to at most
// four hours.
func backoff(n int32) time.Duration {
	d := time.Minute << min(n-1, 8)
	return min(d, 4*time.Hour)
}

var errUndeliverable = errors.New("send: recipient address cannot be delivered to by this mailer")

// reason describes a failure for the invitation's state_reason, without
// personal data.
func reason(err error) string {
	var de *mail.DeliveryError
	switch {
	case errors.As(err, &de) && de.Code != 0:
		return "the mail relay refused the message (SMTP " + strconv.Itoa(de.Code) + ")"
	case errors.Is(err, errUndeliverable):
		return "the recipient address needs internationalized mail, which the relay path does not support"
	case errors.Is(err, mail.ErrInvalidMessage):
		return "the message could not be built from the invitation's fields"
	}
	return "delivery kept failing"
}

// render builds the e-mail of inv.
func (s *Sender) render(inv *storage.Invitation) (*mail.Message, error) {
	to, err := address.Delivery(inv.Email)
	if err != nil {
		return nil, errUndeliverable
	}
	var replyTo string
	if inv.ReplyTo != "" {
		// Checked when the invitation was made; only a rule that changed
		// since could make it fail here.
		if replyTo, err = address.Delivery(inv.ReplyTo); err != nil {
			return nil, errUndeliverable
		}
	}
	unsub := s.cfg.Invites.UnsubscribeLink(inv.BusinessUnit, inv.Customer)
	subject, text, html, err := mail.Render(inv.TemplateID, inv.Locale, mail.TemplateData{
		RecipientName:  inv.Name,
		BusinessName:   inv.SenderName,
		ReferenceID:    inv.ReferenceID,
		ReviewURL:      s.cfg.Invites.ReviewLink(inv),
		UnsubscribeURL: unsub,
	})
	if err != nil {
		return nil, err
	}
	return &mail.Message{
		ID:             inv.ID.String(),
		From:           mail.Address{Name: inv.SenderName, Email: s.cfg.From},
		To:             mail.Address{Name: inv.Name, Email: to},
		ReplyTo:        replyTo,
		Subject:        subject,
		Text:           text,
		HTML:           html,
		UnsubscribeURL: unsub,
		Date:           s.cfg.Clock.Now(),
	}, nil
}

func (s *Sender) release(id storage.ID) {
	s.mu.Lock()
	ch := s.inflight[id]
	delete(s.inflight, id)
	s.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// Forget is called once invitations are erased: it waits until no delivery
// of them is under way (a delivery that starts after the erasure finds the
// invitation gone and sends nothing) and removes their outbox files.
func (s *Sender) Forget(ctx context.Context, ids []storage.ID) error {
	for _, id := range ids {
		s.mu.Lock()
		ch := s.inflight[id]
		s.mu.Unlock()
		if ch != nil {
			select {
			case <-ch:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if s.cfg.Outbox == nil {
		return nil
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.String()
	}
	return s.cfg.Outbox.Remove(names...)
}

// CountFiles says how many of ids have a file in the outbox.
func (s *Sender) CountFiles(ids []storage.ID) int {
	if s.cfg.Outbox == nil {
		return 0
	}
	n := 0
	for _, id := range ids {
		if fileExists(s.cfg.Outbox.Path(id.String())) {
			n++
		}
	}
	return n
}

func (s *Sender) removeFile(id storage.ID) {
	if s.cfg.Outbox == nil {
		return
	}
	if err := s.cfg.Outbox.Remove(id.String()); err != nil {
		s.cfg.Logger.Error("removing outbox file of erased invitation failed", "invitation", id.String(), "err", err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
