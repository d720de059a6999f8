package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openTest(tb testing.TB, dir string) *DB {
	tb.Helper()
	db, err := Open(dir, Options{})
	if err != nil {
		tb.Fatalf("Open(%q) = %v", dir, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// hashOf stands in for the service's keyed hash of an address.
func hashOf(s string) Hash {
	return Hash(sha256.Sum256([]byte("test key:" + s)))
}

func testInvitation(bu, email string, created time.Time) *Invitation {
	return &Invitation{
		BusinessUnit:  bu,
		ID:            NewID(created),
		Customer:      hashOf(email),
		Email:         email,
		Name:          "Name of " + email,
		ReferenceID:   "ref-" + email,
		Locale:        "sv-SE",
		TemplateID:    "default",
		Tags:          []string{"a", "b"},
		Source:        SourceAPI,
		State:         StateQueued,
		ScheduledTime: created.Add(time.Hour),
	}
}

func sealAll(tb testing.TB, db *DB, invs ...*Invitation) []*Sealed {
	tb.Helper()
	sealed, err := db.SealInvitations(tb.Context(), invs)
	if err != nil {
		tb.Fatalf("SealInvitations = %v", err)
	}
	return sealed
}

func insert(tb testing.TB, db *DB, invs ...*Invitation) {
	tb.Helper()
	sealed := sealAll(tb, db, invs...)
	err := db.Update(tb.Context(), func(tx WriteTx) error {
		for i, inv := range invs {
			if err := tx.InsertInvitation(sealed[i]); err != nil {
				return err
			}
			if err := tx.PutCustomer(inv.BusinessUnit, inv.Customer, Customer{LastInvited: inv.CreateTime(), Latest: inv.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("inserting: %v", err)
	}
}

func TestInvitationRoundTripAndReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv := testInvitation("bu-a", "ann@example.se", t0)
	insert(t, db, inv)
	if err := db.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	db = openTest(t, dir)
	var got Invitation
	err = db.View(t.Context(), func(tx ReadTx) error {
		got, err = tx.Invitation("bu-a", inv.ID)
		return err
	})
	if err != nil {
		t.Fatalf("Invitation after reopen = %v", err)
	}
	want := *inv
	want.ScheduledTime = want.ScheduledTime.UTC()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Invitation after reopen (-want +got):\n%s", diff)
	}
}

func TestIndexes(t *testing.T) {
	db := openTest(t, t.TempDir())
	a1 := testInvitation("bu-a", "ann@example.se", t0)
	a2 := testInvitation("bu-a", "ann@example.se", t0.Add(time.Minute))
	b1 := testInvitation("bu-a", "bo@example.se", t0.Add(2*time.Minute))
	other := testInvitation("bu-b", "ann@example.se", t0.Add(3*time.Minute))
	insert(t, db, a1, a2, b1, other)

	err := db.View(t.Context(), func(tx ReadTx) error {
		var ids []ID
		tx.CustomerInvitations("bu-a", hashOf("ann@example.se"), ID{}, func(id ID) bool {
			ids = append(ids, id)
			return true
		})
		if diff := cmp.Diff([]ID{a1.ID, a2.ID}, ids); diff != "" {
			t.Errorf("CustomerInvitations (-want +got):\n%s", diff)
		}

		bus, err := tx.CustomerBusinessUnits(hashOf("ann@example.se"))
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"bu-a", "bu-b"}, bus); diff != "" {
			t.Errorf("CustomerBusinessUnits (-want +got):\n%s", diff)
		}

		due, err := tx.Due(t0.Add(time.Hour+time.Minute), 10)
		if err != nil {
			return err
		}
		if len(due) != 2 || due[0].Invitation != a1.ID || due[1].Invitation != a2.ID {
			t.Errorf("Due(t0+61m) = %v, want a1, a2", due)
		}

		ids = nil
		tx.EachInvitationID("bu-a", ID{}, t0.Add(2*time.Minute), func(id ID, _ IndexFields) bool {
			ids = append(ids, id)
			return true
		})
		if diff := cmp.Diff([]ID{a1.ID, a2.ID}, ids); diff != "" {
			t.Errorf("EachInvitationID before t0+2m (-want +got):\n%s", diff)
		}

		var expired []ID
		tx.EachExpired(KindInvitation, t0.Add(90*time.Second), func(bu string, id ID) bool {
			expired = append(expired, id)
			return true
		})
		if diff := cmp.Diff([]ID{a1.ID, a2.ID}, expired); diff != "" {
			t.Errorf("EachExpired (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpdateMovesQueueEntry(t *testing.T) {
	db := openTest(t, t.TempDir())
	inv := testInvitation("bu-a", "ann@example.se", t0)
	insert(t, db, inv)

	inv.State = StateSending
	inv.ScheduledTime = t0.Add(5 * time.Hour)
	if err := db.Update(t.Context(), func(tx WriteTx) error { return tx.UpdateInvitation(inv) }); err != nil {
		t.Fatal(err)
	}
	assertDue(t, db, t0.Add(2*time.Hour), 0)
	assertDue(t, db, t0.Add(5*time.Hour), 1)

	inv.State = StateDelivered
	if err := db.Update(t.Context(), func(tx WriteTx) error { return tx.UpdateInvitation(inv) }); err != nil {
		t.Fatal(err)
	}
	assertDue(t, db, t0.Add(10*time.Hour), 0)
}

func assertDue(t *testing.T, db *DB, at time.Time, want int) {
	t.Helper()
	db.View(t.Context(), func(tx ReadTx) error {
		due, _ := tx.Due(at, 100)
		if len(due) != want {
			t.Errorf("Due(%v) = %d entries, want %d", at, len(due), want)
		}
		return nil
	})
}

func TestDeleteRemovesEverything(t *testing.T) {
	db := openTest(t, t.TempDir())
	inv := testInvitation("bu-a", "ann@example.se", t0)
	insert(t, db, inv)

	var rm Removed
	err := db.Update(t.Context(), func(tx WriteTx) (err error) {
		rm, err = tx.DeleteInvitation("bu-a", inv.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Removed{Customer: inv.Customer, State: StateQueued}); rm != want {
		t.Errorf("DeleteInvitation = %+v, want %+v", rm, want)
	}

	db.View(t.Context(), func(tx ReadTx) error {
		if _, err := tx.Invitation("bu-a", inv.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Invitation after delete = %v, want ErrNotFound", err)
		}
		if _, err := tx.Link(inv.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Link after delete = %v, want ErrNotFound", err)
		}
		n := 0
		tx.EachExpired(KindInvitation, t0.Add(time.Hour), func(string, ID) bool { n++; return true })
		due, _ := tx.Due(t0.Add(48*time.Hour), 10)
		if n+len(due) != 0 {
			t.Errorf("index entries after delete = %d, want 0", n+len(due))
		}
		refs := 0
		tx.CustomerInvitations("bu-a", inv.Customer, ID{}, func(ID) bool { refs++; return true })
		if refs != 1 {
			t.Errorf("customer references after delete = %d, want 1 until DeleteCustomerRef", refs)
		}
		return nil
	})
}

func TestCustomerIndex(t *testing.T) {
	db := openTest(t, t.TempDir())
	var invs []*Invitation
	for i, email := range []string{"ann@example.se", "bo@example.se", "ann@example.se", "cy@example.se"} {
		invs = append(invs, testInvitation("bu-a", email, t0.Add(time.Duration(i)*time.Second)))
	}
	invs = append(invs, testInvitation("bu-b", "ann@example.se", t0))
	insert(t, db, invs...)

	db.View(t.Context(), func(tx ReadTx) error {
		if n, _ := tx.CustomerCount("bu-a"); n != 3 {
			t.Errorf("CustomerCount(bu-a) = %d, want 3", n)
		}
		got := map[Hash]int{}
		var order []Hash
		tx.EachCustomer("bu-a", nil, func(h Hash, c *Customer, refs []CustomerRef) bool {
			got[h] = len(refs)
			order = append(order, h)
			if c == nil {
				t.Errorf("customer without a record")
			}
			return true
		})
		want := map[Hash]int{hashOf("ann@example.se"): 2, hashOf("bo@example.se"): 1, hashOf("cy@example.se"): 1}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("EachCustomer (-want +got):\n%s", diff)
		}
		var rest []Hash
		tx.EachCustomer("bu-a", &order[0], func(h Hash, _ *Customer, _ []CustomerRef) bool {
			rest = append(rest, h)
			return true
		})
		if diff := cmp.Diff(order[1:], rest); diff != "" {
			t.Errorf("EachCustomer after the first (-want +got):\n%s", diff)
		}
		bus, _ := tx.CustomerBusinessUnits(hashOf("ann@example.se"))
		if diff := cmp.Diff([]string{"bu-a", "bu-b"}, bus); diff != "" {
			t.Errorf("CustomerBusinessUnits (-want +got):\n%s", diff)
		}
		return nil
	})

	err := db.Update(t.Context(), func(tx WriteTx) error {
		_, _, err := tx.DeleteCustomer("bu-a", hashOf("bo@example.se"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(t.Context(), func(tx ReadTx) error {
		if n, _ := tx.CustomerCount("bu-a"); n != 2 {
			t.Errorf("CustomerCount after delete = %d, want 2", n)
		}
		return nil
	})
}

// TestErasedBytesAreUnreadable writes distinctive values, deletes some and
// checks that no file in the data directory holds them in clear, while the
// kept ones still read back.
func TestErasedBytesAreUnreadable(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir)
	var erased, kept []*Invitation
	for i := range 50 {
		inv := testInvitation("bu-a", "canary-"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.se", t0.Add(time.Duration(i)*time.Second))
		if i%2 == 0 {
			erased = append(erased, inv)
		} else {
			kept = append(kept, inv)
		}
		insert(t, db, inv)
	}
	err := db.Update(t.Context(), func(tx WriteTx) error {
		for _, inv := range erased {
			if _, err := tx.DeleteInvitation(inv.BusinessUnit, inv.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	files := readDir(t, dir)
	for _, inv := range erased {
		for name, data := range files {
			if bytes.Contains(data, []byte(inv.Email)) || bytes.Contains(data, []byte(inv.Name)) {
				t.Errorf("%s holds erased data in clear", name)
			}
		}
		db.View(t.Context(), func(tx ReadTx) error {
			if _, err := tx.Invitation(inv.BusinessUnit, inv.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Invitation(erased) = %v, want ErrNotFound", err)
			}
			return nil
		})
	}
	for _, inv := range kept {
		db.View(t.Context(), func(tx ReadTx) error {
			got, err := tx.Invitation(inv.BusinessUnit, inv.ID)
			if err != nil || got.Email != inv.Email {
				t.Errorf("Invitation(kept) = %q, %v, want %q", got.Email, err, inv.Email)
			}
			return nil
		})
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestFailedUpdateKeepsNothing(t *testing.T) {
	db := openTest(t, t.TempDir())
	inv := testInvitation("bu-a", "ann@example.se", t0)
	boom := errors.New("boom")
	sealed := sealAll(t, db, inv)
	err := db.Update(t.Context(), func(tx WriteTx) error {
		if err := tx.InsertInvitation(sealed[0]); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	db.View(t.Context(), func(tx ReadTx) error {
		if _, err := tx.Invitation("bu-a", inv.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Invitation after failed Update = %v, want ErrNotFound", err)
		}
		return nil
	})
}

// TestGroupCommit runs many writers at once, one of them failing, and checks
// that every other write landed.
func TestGroupCommit(t *testing.T) {
	db := openTest(t, t.TempDir())
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	invs := make([]*Invitation, n)
	for i := range n {
		invs[i] = testInvitation("bu-a", "user@example.se", t0.Add(time.Duration(i)*time.Millisecond))
		wg.Go(func() {
			sealed := sealAll(t, db, invs[i])
			errs[i] = db.Update(t.Context(), func(tx WriteTx) error {
				if i == 7 {
					return errors.New("refused")
				}
				return tx.InsertInvitation(sealed[0])
			})
			sealed[0].Discard()
		})
	}
	wg.Wait()

	for i, err := range errs {
		if (i == 7) != (err != nil) {
			t.Errorf("Update #%d = %v", i, err)
		}
	}
	count := 0
	db.View(t.Context(), func(tx ReadTx) error {
		return tx.EachInvitation("bu-a", ID{}, func(*Invitation) bool { count++; return true })
	})
	if count != n-1 {
		t.Errorf("stored %d invitations, want %d", count, n-1)
	}
}

func TestOpenLockedFailsFast(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir)
	start := time.Now()
	_, err := Open(dir, Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("second Open took %v", time.Since(start))
	}
}

func TestSlotsAreReused(t *testing.T) {
	db := openTest(t, t.TempDir())
	first := testInvitation("bu-a", "ann@example.se", t0)
	insert(t, db, first)
	err := db.Update(t.Context(), func(tx WriteTx) error {
		_, err := tx.DeleteInvitation("bu-a", first.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The next commit moves the wiped slot to the free list; the one after
	// reuses it.
	insert(t, db, testInvitation("bu-a", "bo@example.se", t0.Add(time.Second)))
	insert(t, db, testInvitation("bu-a", "cy@example.se", t0.Add(2*time.Second)))
	if err := db.Update(context.Background(), func(WriteTx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if db.nextSlot != 2 {
		t.Errorf("nextSlot = %d after delete and two inserts, want 2", db.nextSlot)
	}
}

func TestUncleanStopWipesFreeSlots(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	insert(t, db, testInvitation("bu-a", "ann@example.se", t0))

	// Write a key into a slot that no committed record uses, as a commit
	// interrupted by a crash would, then stop without Close.
	if err := db.slots.write([]slotWrite{{slot: 5, key: [32]byte{9, 9, 9}}}); err != nil {
		t.Fatal(err)
	}
	close(db.closing)
	<-db.stopped
	db.slots.close()
	db.bolt.Close()

	db = openTest(t, dir)
	var k [32]byte
	if err := db.slots.read(5, &k); err != nil {
		t.Fatal(err)
	}
	if k != ([32]byte{}) {
		t.Errorf("slot 5 after unclean stop = %x, want zeros", k[:3])
	}
}

func TestIDStringRoundTrip(t *testing.T) {
	id := NewID(t0)
	got, err := ParseID(id.String())
	if err != nil || got != id {
		t.Errorf("ParseID(%q) = %v, %v, want %v", id.String(), got, err, id)
	}
	if !got.Time().Equal(t0) {
		t.Errorf("ID.Time() = %v, want %v", got.Time(), t0)
	}
	for _, bad := range []string{"", "x", id.String() + "0", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ"} {
		if _, err := ParseID(bad); !errors.Is(err, ErrInvalidID) {
			t.Errorf("ParseID(%q) = %v, want ErrInvalidID", bad, err)
		}
	}
}

// TestDeleteZeroesKey checks the mechanism behind erasure: the deleted
// record's key slot reads as zeros once Update returns, so the ciphertext
// bbolt leaves in free pages can no longer be opened.
func TestDeleteZeroesKey(t *testing.T) {
	db := openTest(t, t.TempDir())
	inv := testInvitation("bu-a", "ann@example.se", t0)
	insert(t, db, inv)

	var slot uint64
	db.View(t.Context(), func(tx ReadTx) error {
		v := tx.(*readTx).tx.Bucket(bucketInvitations).Get(buKey("bu-a", inv.ID))
		slot, _, _ = sealedSlot(v, invitationHeaderLen)
		return nil
	})
	var k [32]byte
	if err := db.slots.read(slot, &k); err != nil || k == ([32]byte{}) {
		t.Fatalf("key of a live record = %x, %v, want non-zero", k[:4], err)
	}

	err := db.Update(t.Context(), func(tx WriteTx) error {
		_, err := tx.DeleteInvitation("bu-a", inv.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.slots.read(slot, &k); err != nil || k != ([32]byte{}) {
		t.Errorf("key after delete = %x, %v, want zeros", k[:4], err)
	}
}

// TestUnusedSealsLeaveNoKeys checks that a key written for a record that
// never committed does not stay on disk: discarded at once, or zeroed at
// Close when forgotten.
func TestUnusedSealsLeaveNoKeys(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	discarded := sealAll(t, db, testInvitation("bu-a", "ann@example.se", t0))[0]
	forgotten := sealAll(t, db, testInvitation("bu-a", "bo@example.se", t0))[0]
	var k [32]byte
	db.slots.read(forgotten.slot, &k)
	if k == ([32]byte{}) {
		t.Fatal("a sealed record's key is not on disk before its commit")
	}

	discarded.Discard()
	db.slots.read(discarded.slot, &k)
	if k != ([32]byte{}) {
		t.Errorf("key after Discard = %x, want zeros", k[:4])
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, dir)
	db.slots.read(forgotten.slot, &k)
	if k != ([32]byte{}) {
		t.Errorf("key of a seal never committed survived Close: %x", k[:4])
	}
}

// TestSkippedSlotsStayAccountedFor commits a record whose slot is past one
// held by a record not yet committed, stops uncleanly, and checks that the
// skipped slot is zeroed at Open while the committed record still reads.
func TestSkippedSlotsStayAccountedFor(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := sealAll(t, db, testInvitation("bu-a", "ann@example.se", t0))[0]
	second := testInvitation("bu-a", "bo@example.se", t0.Add(time.Second))
	insert(t, db, second)
	if first.slot >= db.nextSlot {
		t.Fatalf("slot %d of the uncommitted record is not below the mark %d", first.slot, db.nextSlot)
	}

	close(db.closing) // stop without Close, as a crash would
	<-db.stopped
	db.slots.close()
	db.bolt.Close()

	db = openTest(t, dir)
	var k [32]byte
	db.slots.read(first.slot, &k)
	if k != ([32]byte{}) {
		t.Errorf("skipped slot after an unclean stop = %x, want zeros", k[:4])
	}
	err = db.View(t.Context(), func(tx ReadTx) error {
		_, err := tx.Invitation("bu-a", second.ID)
		return err
	})
	if err != nil {
		t.Errorf("committed record after an unclean stop = %v", err)
	}
}

// TestBulkZerosSyncOnRequest checks that keys a Bulk write zeroed are
// zero at once and synced by the next Update that asks for it, not by one
// that does not.
func TestBulkZerosSyncOnRequest(t *testing.T) {
	db := openTest(t, t.TempDir())
	inv := testInvitation("bu-a", "ann@example.se", t0)
	insert(t, db, inv)
	err := db.Bulk(t.Context(), func(tx WriteTx) error {
		_, err := tx.DeleteInvitation("bu-a", inv.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var k [32]byte
	db.slots.read(0, &k)
	if k != ([32]byte{}) || !db.zerosUnsynced {
		t.Fatalf("after Bulk: key %x, unsynced %v; want zeros awaiting a sync", k[:4], db.zerosUnsynced)
	}

	insert(t, db, testInvitation("bu-a", "bo@example.se", t0))
	if !db.zerosUnsynced {
		t.Error("an Update that neither erased nor asked synced the zeros")
	}
	if err := db.Update(t.Context(), func(tx WriteTx) error { tx.SyncErasedKeys(); return nil }); err != nil {
		t.Fatal(err)
	}
	if db.zerosUnsynced {
		t.Error("SyncErasedKeys left the zeros unsynced")
	}
}

// TestCloseWhileWriting closes the store while writers keep queueing and
// while a second Close runs: every write ends, committed or ErrClosed, and
// exactly one Close does the closing.
func TestCloseWhileWriting(t *testing.T) {
	for round := range 50 {
		db, err := Open(t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var bad sync.Map
		for w := range 8 {
			wg.Go(func() {
				for i := 0; ; i++ {
					err := db.Update(context.Background(), func(tx WriteTx) error {
						return tx.PutSettings(fmt.Sprintf("u%d", w), Settings{FrequencyDays: i})
					})
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						bad.Store(w, err)
						return
					}
				}
			})
		}
		closes := make(chan error, 2)
		for range 2 {
			go func() { closes <- db.Close() }()
		}
		first, second := <-closes, <-closes
		if (first == nil) == (second == nil) || !errors.Is(errors.Join(first, second), ErrClosed) {
			t.Fatalf("round %d: two Close calls = %v and %v, want one nil and one ErrClosed", round, first, second)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("round %d: a write queued during Close never returned", round)
		}
		bad.Range(func(k, v any) bool {
			t.Errorf("round %d: writer %v: %v", round, k, v)
			return true
		})
	}
}

// TestInsertRefusesTakenKey inserts a second record under the key of one
// already stored, of each kind: it must fail, or the first record's key
// slot would be lost and never zeroed.
func TestInsertRefusesTakenKey(t *testing.T) {
	db := openTest(t, t.TempDir())
	inv := testInvitation("a", "ann@example.se", t0)
	insert(t, db, inv)
	again := sealAll(t, db, inv)[0]
	err := db.Update(t.Context(), func(tx WriteTx) error { return tx.InsertInvitation(again) })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("second InsertInvitation under one key = %v, want ErrCorrupt", err)
	}

	msg := &BCCMessage{BusinessUnit: "a", ID: NewID(t0), Customer: hashOf("ann@example.se"), Raw: []byte("raw")}
	for i, want := range []error{nil, ErrCorrupt} {
		sealed, err := db.SealBCC(t.Context(), msg)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(t.Context(), func(tx WriteTx) error { return tx.InsertBCCMessage(sealed) })
		if !errors.Is(err, want) {
			t.Errorf("InsertBCCMessage #%d under one key = %v, want %v", i+1, err, want)
		}
	}
}

func TestInvitationFields(t *testing.T) {
	db := openTest(t, t.TempDir())
	inv := testInvitation("a", "ann@example.se", t0)
	insert(t, db, inv)
	db.View(t.Context(), func(tx ReadTx) error {
		f, err := tx.InvitationFields("a", inv.ID)
		if err != nil || f.Customer != inv.Customer || f.State != StateQueued || !f.ScheduledTime.Equal(inv.ScheduledTime) {
			t.Errorf("InvitationFields = %+v, %v", f, err)
		}
		if _, err := tx.InvitationFields("b", inv.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("InvitationFields in another unit = %v, want ErrNotFound", err)
		}
		return nil
	})
}
