package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/config"
	"github.com/reviewdata/invitations/server/erase"
	"github.com/reviewdata/invitations/storage"
)

// cutShort is a store whose bulk writes fail after the first few, as when
// the process stops in the middle of a sweep.
type cutShort struct {
	*storage.DB
	bulks int
}

var errStopped = errors.New("stopped")

func (c *cutShort) Bulk(ctx context.Context, fn func(storage.WriteTx) error) error {
	if c.bulks == 0 {
		return errStopped
	}
	c.bulks--
	return c.DB.Bulk(ctx, fn)
}

// TestSweepCutShortStillLeavesReceipt stops a sweep after its first chunk
// and checks that the next sweep's receipt and event cover both: what a
// sweep removed is never left out of the record.
func TestSweepCutShortStillLeavesReceipt(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.ErasureChunk = 2 })
	created := time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)
	e.clock.Set(created)
	var made []*pb.Invitation
	for i := range 5 {
		made = append(made, e.create("a", &pb.Invitation{RecipientEmail: fmt.Sprintf("c%d@example.se", i)}))
	}
	e.send()

	first := time.Date(2029, 1, 10, 10, 0, 0, 0, time.UTC)
	e.clock.Set(first)
	stopped := erase.New(erase.Config{
		Store:     &cutShort{DB: e.app.Store, bulks: 1},
		Clock:     e.clock,
		EventKey:  e.app.EventKey,
		Files:     e.app.Sender,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Retention: erase.DefaultRetention,
		ChunkSize: 2,
	})
	if _, err := stopped.Sweep(t.Context()); !errors.Is(err, errStopped) {
		t.Fatalf("sweep on a store that stops = %v, want %v", err, errStopped)
	}
	list, _ := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
	if n := len(list.GetInvitations()); n != 3 {
		t.Fatalf("%d invitations left after one chunk of 2, want 3", n)
	}
	if got := e.retentionReceipts(); len(got) != 0 {
		t.Fatalf("a sweep cut short wrote receipts: %v", got)
	}

	e.clock.Set(first.Add(time.Hour))
	if _, err := e.app.Erasures.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := e.retentionReceipts()
	if len(got) != 1 {
		t.Fatalf("retention receipts = %v, want one", got)
	}
	r := got[0]
	c := r.GetCounts()
	if c.GetInvitations() != 5 || c.GetLinkTokens() != 5 || c.GetLastInvitedRecords() != 5 || c.GetOutboxMessages() != 5 {
		t.Errorf("receipt counts = %v, want all 5 invitations and their e-mails", c)
	}
	for _, inv := range made {
		if e.outboxHas(inv.GetName()) {
			t.Errorf("the outbox still holds the e-mail of %s", inv.GetName())
		}
	}
	if !r.GetStartTime().AsTime().Equal(first) || !r.GetEndTime().AsTime().Equal(first.Add(time.Hour)) {
		t.Errorf("receipt runs %v to %v, want %v to %v", r.GetStartTime().AsTime(), r.GetEndTime().AsTime(), first, first.Add(time.Hour))
	}
	// At the receipt's time everything made up to and including three
	// years earlier had expired: the first instant kept is a nanosecond
	// later.
	if want := first.Add(time.Hour).AddDate(-3, 0, 0).Add(time.Nanosecond); !r.GetCutOffTime().AsTime().Equal(want) {
		t.Errorf("receipt cut-off = %v, want %v", r.GetCutOffTime().AsTime(), want)
	}
	ev, err := e.er.ListErasureEvents(e.as("copier"), &pb.ListErasureEventsRequest{})
	if err != nil || len(ev.GetEvents()) != 1 || ev.GetEvents()[0].GetKind() != pb.ErasureKind_ERASURE_KIND_RETENTION {
		t.Errorf("events = %v, %v, want one retention event", ev, err)
	}

	// The tally was cleared with the receipt: a sweep with nothing to do
	// writes none.
	if _, err := e.app.Erasures.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := e.retentionReceipts(); len(got) != 1 {
		t.Errorf("after an empty sweep: %d receipts, want 1", len(got))
	}
}

func (e *env) retentionReceipts() []*pb.ErasureReceipt {
	e.t.Helper()
	resp, err := e.er.ListErasureReceipts(e.as("admin"), &pb.ListErasureReceiptsRequest{Parent: "businessUnits/-", Kind: pb.ErasureKind_ERASURE_KIND_RETENTION})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.GetReceipts()
}
