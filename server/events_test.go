package server_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/erase"
	"github.com/reviewdata/invitations/storage"
)

func TestReceipts(t *testing.T) {
	e := newEnv(t)
	e.svenScenario()
	if _, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{sven}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	up, err := e.er.EraseUpToDate(e.as("portal-b"), &pb.EraseUpToDateRequest{Parent: "businessUnits/b", Date: &pb.CalendarDate{Year: 2026, Month: 3, Day: 5}})
	if err != nil {
		t.Fatal(err)
	}
	e.waitErasure(up.GetErasure().GetName())

	all, err := e.er.ListErasureReceipts(e.as("admin"), &pb.ListErasureReceiptsRequest{Parent: "businessUnits/-"})
	if err != nil || len(all.GetReceipts()) != 2 {
		t.Fatalf("ListErasureReceipts(all) = %d, %v, want 2", len(all.GetReceipts()), err)
	}
	// Each business unit has its own chain, so neither sees the other's.
	first, second := all.GetReceipts()[0], all.GetReceipts()[1]
	zeros := strings.Repeat("0", 64)
	if first.GetName() != "businessUnits/a/erasureReceipts/1" || first.GetKind() != pb.ErasureKind_ERASURE_KIND_CUSTOMERS ||
		first.GetRequestedBy() != "portal-a" || first.GetCounts().GetInvitations() != 2 || first.GetCustomerCount() != 1 || first.GetPreviousHash() != zeros {
		t.Errorf("first receipt = %v", first)
	}
	if second.GetName() != "businessUnits/b/erasureReceipts/1" || second.GetPreviousHash() != zeros ||
		second.GetKind() != pb.ErasureKind_ERASURE_KIND_UP_TO_DATE || second.GetCutOffDate().GetDay() != 5 {
		t.Errorf("second receipt = %v", second)
	}

	onlyB, err := e.er.ListErasureReceipts(e.as("portal-b"), &pb.ListErasureReceiptsRequest{Parent: "businessUnits/b"})
	if err != nil || len(onlyB.GetReceipts()) != 1 || onlyB.GetReceipts()[0].GetBusinessUnit() != "businessUnits/b" {
		t.Errorf("ListErasureReceipts(b) = %v, %v", onlyB, err)
	}
	paged, err := e.er.ListErasureReceipts(e.as("admin"), &pb.ListErasureReceiptsRequest{Parent: "businessUnits/-", PageSize: 1})
	if err != nil || len(paged.GetReceipts()) != 1 || paged.GetNextPageToken() == "" {
		t.Fatalf("page 1 = %v, %v", paged, err)
	}
	next, err := e.er.ListErasureReceipts(e.as("admin"), &pb.ListErasureReceiptsRequest{Parent: "businessUnits/-", PageSize: 1, PageToken: paged.GetNextPageToken()})
	if err != nil || len(next.GetReceipts()) != 1 || next.GetReceipts()[0].GetName() != second.GetName() || next.GetNextPageToken() != "" {
		t.Errorf("page 2 = %v, %v", next, err)
	}
	kindOnly, _ := e.er.ListErasureReceipts(e.as("admin"), &pb.ListErasureReceiptsRequest{Parent: "businessUnits/-", Kind: pb.ErasureKind_ERASURE_KIND_UP_TO_DATE})
	if len(kindOnly.GetReceipts()) != 1 {
		t.Errorf("kind filter returned %d receipts, want 1", len(kindOnly.GetReceipts()))
	}

	v, err := e.er.VerifyErasureReceipts(e.as("admin"), &pb.VerifyErasureReceiptsRequest{})
	if err != nil || !v.GetIntact() || v.GetReceiptsChecked() != 2 {
		t.Errorf("VerifyErasureReceipts(all) = %v, %v", v, err)
	}
	own, err := e.er.VerifyErasureReceipts(e.as("portal-b"), &pb.VerifyErasureReceiptsRequest{Parent: "businessUnits/b"})
	if err != nil || !own.GetIntact() || own.GetReceiptsChecked() != 1 || own.GetHeadHash() != second.GetHash() {
		t.Errorf("VerifyErasureReceipts(b) as b = %v, %v", own, err)
	}
	_, err = e.er.VerifyErasureReceipts(e.as("portal-b"), &pb.VerifyErasureReceiptsRequest{Parent: "businessUnits/a"})
	wantCode(t, "VerifyErasureReceipts(a) as b", err, codes.PermissionDenied, "parent")
}

// TestReceiptTampering edits and removes receipts in the database file
// behind the service's back and checks that verification notices.
func TestReceiptTampering(t *testing.T) {
	for _, tamper := range []struct {
		name    string
		edit    func(b *bolt.Bucket) error
		problem string
		at      int64
	}{
		{"edited end time", func(b *bolt.Bucket) error {
			// The content ends with the end time as a varint, followed by
			// the 32-byte hash; flipping the low bit moves the time by a
			// nanosecond and keeps the record readable.
			v := append([]byte(nil), b.Get(seqKey(2))...)
			v[len(v)-33] ^= 1
			return b.Put(seqKey(2), v)
		}, "content does not match its hash", 2},
		{"removed from the middle", func(b *bolt.Bucket) error { return b.Delete(seqKey(2)) }, "receipt missing", 2},
		{"removed from the end", func(b *bolt.Bucket) error { return b.Delete(seqKey(3)) }, "receipts after this point are missing", 3},
	} {
		t.Run(tamper.name, func(t *testing.T) {
			e := newEnv(t)
			for i := range 3 {
				email := fmt.Sprintf("c%d@example.se", i)
				e.create("a", &pb.Invitation{RecipientEmail: email})
				if _, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{email}}); err != nil {
					t.Fatal(err)
				}
			}
			e.stop()

			db, err := bolt.Open(filepath.Join(e.app.Config.DataDir, storage.DatabaseFile), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx *bolt.Tx) error { return tamper.edit(tx.Bucket([]byte("receipts"))) }); err != nil {
				t.Fatal(err)
			}
			db.Close()

			e2 := startEnv(t, e.app.Config, e.clock)
			v, err := e2.er.VerifyErasureReceipts(e2.as("admin"), &pb.VerifyErasureReceiptsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if v.GetIntact() || v.GetProblem() != tamper.problem || v.GetBrokenAtSequence() != tamper.at || v.GetBrokenChain() != "businessUnits/a" {
				t.Errorf("VerifyErasureReceipts = intact %v, %q at %d, want %q at %d", v.GetIntact(), v.GetProblem(), v.GetBrokenAtSequence(), tamper.problem, tamper.at)
			}
		})
	}
}

// seqKey is the database key of receipt n in business unit a's chain.
func seqKey(n uint64) []byte { return []byte{'a', 0, 0, 0, 0, 0, 0, 0, 0, byte(n)} }

// copyStore is a downstream service that copied invitation data: it keeps
// customers by the keyed hash of their address and erases on events.
type copyStore struct {
	mu       sync.Mutex
	byHash   map[string]string // hex hash -> business unit
	lastSeen int64
}

func (c *copyStore) apply(ev *pb.ErasureEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range ev.GetEmailHashes() {
		if bu := c.byHash[h]; bu != "" && (ev.GetBusinessUnit() == "" || ev.GetBusinessUnit() == "businessUnits/"+bu) {
			delete(c.byHash, h)
		}
	}
	c.lastSeen = ev.GetSequence()
}

func (c *copyStore) has(key []byte, email string) bool {
	h, _ := erase.EventHash(key, email)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.byHash[hex.EncodeToString(h[:])]
	return ok
}

// TestDownstreamConsumer runs a second in-process service that keeps a copy
// and erases it as events stream in, including after a reconnect.
func TestDownstreamConsumer(t *testing.T) {
	e := newEnv(t)
	key := e.app.EventKey
	people := []string{"p0@example.se", "p1@example.se", "p2@example.se", "p3@example.se"}
	c := &copyStore{byHash: map[string]string{}}
	for _, p := range people {
		e.create("a", &pb.Invitation{RecipientEmail: p})
		h, _ := erase.EventHash(key, p)
		c.byHash[hex.EncodeToString(h[:])] = "a"
	}

	follow := func(ctx context.Context, after int64, want int) {
		t.Helper()
		stream, err := e.er.StreamErasureEvents(ctx, &pb.StreamErasureEventsRequest{AfterSequence: after})
		if err != nil {
			t.Fatal(err)
		}
		for range want {
			r, err := stream.Recv()
			if err != nil {
				t.Fatalf("Recv = %v", err)
			}
			c.apply(r.GetEvent())
		}
	}
	erase := func(email string) {
		t.Helper()
		if _, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{email}}); err != nil {
			t.Fatal(err)
		}
	}

	ctx, disconnect := context.WithCancel(e.as("copier"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		follow(ctx, 0, 2)
	}()
	erase("P0@Example.se")
	erase("p1@example.se")
	<-done
	disconnect()

	// Events while the consumer is away, then a reconnect from its cursor.
	erase("p2@example.se")
	follow(e.as("copier"), c.lastSeen, 1)

	for i, p := range people {
		if got, want := c.has(key, p), i == 3; got != want {
			t.Errorf("copy holds %s = %v, want %v", p, got, want)
		}
	}

	page, err := e.er.ListErasureEvents(e.as("copier"), &pb.ListErasureEventsRequest{PageSize: 2})
	if err != nil || len(page.GetEvents()) != 2 || page.GetEvents()[0].GetSequence() != 1 {
		t.Fatalf("ListErasureEvents = %v, %v", page, err)
	}
	rest, err := e.er.ListErasureEvents(e.as("copier"), &pb.ListErasureEventsRequest{PageToken: page.GetNextPageToken()})
	if err != nil || len(rest.GetEvents()) != 1 || rest.GetEvents()[0].GetSequence() != 3 {
		t.Errorf("ListErasureEvents(page 2) = %v, %v", rest, err)
	}
	empty, err := e.er.ListErasureEvents(e.as("copier"), &pb.ListErasureEventsRequest{PageToken: rest.GetNextPageToken()})
	if err != nil || len(empty.GetEvents()) != 0 || empty.GetNextPageToken() == "" {
		t.Errorf("polling past the end = %v, %v, want no events and a cursor", empty, err)
	}
	ev := rest.GetEvents()[0]
	if ev.GetBusinessUnit() != "businessUnits/a" || ev.GetKind() != pb.ErasureKind_ERASURE_KIND_CUSTOMERS || len(ev.GetEmailHashes()) != 1 || len(ev.GetEmailHashes()[0]) != 64 {
		t.Errorf("event = %v", ev)
	}
}

func TestEventsExpire(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{fmt.Sprintf("c%d@example.se", i)}})
		e.clock.Advance(50 * 24 * time.Hour)
	}
	if _, err := e.app.Erasures.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := e.er.ListErasureEvents(e.as("copier"), &pb.ListErasureEventsRequest{AfterSequence: 1})
	wantCode(t, "ListErasureEvents(after pruned)", err, codes.OutOfRange, "after_sequence")
	all, err := e.er.ListErasureEvents(e.as("copier"), &pb.ListErasureEventsRequest{})
	if err != nil || len(all.GetEvents()) != 1 || all.GetEvents()[0].GetSequence() != 3 {
		t.Errorf("ListErasureEvents(from oldest) = %v, %v", all, err)
	}
}
