package send

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/server/mail"
	"github.com/reviewdata/invitations/storage"
)

// gatedMailer records what it is asked to send; the first Send waits for
// the gate, so a test can act while a delivery is under way.
type gatedMailer struct {
	started chan struct{}
	gate    chan struct{}
	once    sync.Once

	mu   sync.Mutex // guards sent
	sent []string
}

func (m *gatedMailer) Send(ctx context.Context, msg *mail.Message) error {
	m.once.Do(func() {
		close(m.started)
		<-m.gate
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg.To.Email)
	return nil
}

// TestErasedWhileClaimedIsNotSent claims two due invitations, erases the
// second while the first is being handed to the mailer, and checks that
// the second is never sent and that Forget waited for its delivery slot.
func TestErasedWhileClaimedIsNotSent(t *testing.T) {
	db, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := clock.NewFake(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	inv := invite.New(invite.Config{Store: db, Clock: clk, Hasher: address.NewHasher(db.DeriveKey("test")),
		Links: invite.Links{ReviewBase: "https://r.example/r/", UnsubscribeBase: "https://r.example/u/"}})
	m := &gatedMailer{started: make(chan struct{}), gate: make(chan struct{})}
	s := New(Config{Store: db, Clock: clk, Mailer: m, Invites: inv, From: "inv@r.example",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Workers: 1})

	res, err := inv.Create(t.Context(), invite.CreateRequest{BusinessUnit: "a", Items: []invite.Input{{Email: "first@example.se"}, {Email: "second@example.se"}}})
	if err != nil {
		t.Fatal(err)
	}
	second := res[1].Invitation.ID
	clk.Advance(time.Second) // both due

	round := make(chan error, 1)
	go func() { _, err := s.RunOnce(context.Background()); round <- err }()
	<-m.started

	err = db.Update(t.Context(), func(tx storage.WriteTx) error {
		_, err := tx.DeleteInvitation("a", second)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	forgot := make(chan error, 1)
	go func() { forgot <- s.Forget(context.Background(), []storage.ID{second}) }()
	select {
	case <-forgot:
		t.Fatal("Forget returned while the erased invitation was still claimed for delivery")
	case <-time.After(50 * time.Millisecond):
	}

	close(m.gate)
	if err := <-round; err != nil {
		t.Fatal(err)
	}
	if err := <-forgot; err != nil {
		t.Fatal(err)
	}
	if len(m.sent) != 1 || m.sent[0] != "first@example.se" {
		t.Errorf("mailer sent %v, want only the invitation that was not erased", m.sent)
	}
}
