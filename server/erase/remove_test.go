package erase

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/reviewdata/invitations/storage"
)

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func customer(name string) storage.Hash { return sha256.Sum256([]byte("test:" + name)) }

// seed stores one invitation per (customer, time) with its customer record
// and returns their IDs.
func seed(t *testing.T, db *storage.DB, bu string, at map[string][]time.Time) map[string][]storage.ID {
	t.Helper()
	ids := map[string][]storage.ID{}
	var invs []*storage.Invitation
	for name, times := range at {
		for _, tm := range times {
			inv := &storage.Invitation{BusinessUnit: bu, ID: storage.NewID(tm), Customer: customer(name), Email: name + "@example.se", State: storage.StateQueued, ScheduledTime: tm}
			invs = append(invs, inv)
			ids[name] = append(ids[name], inv.ID)
		}
	}
	sealed, err := db.SealInvitations(t.Context(), invs)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(tx storage.WriteTx) error {
		for i, inv := range invs {
			if err := tx.InsertInvitation(sealed[i]); err != nil {
				return err
			}
			c, ok, err := tx.Customer(bu, inv.Customer)
			if err != nil {
				return err
			}
			if !ok || c.LastInvited.Before(inv.CreateTime()) {
				if err := tx.PutCustomer(bu, inv.Customer, storage.Customer{LastInvited: inv.CreateTime(), Latest: inv.ID}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestWalkKeepsLiveRecords removes the records of a walking erasure as its
// first phase would, leaves one record in scope alive (made while the
// erasure ran), and checks that the walk removes exactly the references and
// last-invited records of what is gone.
func TestWalkKeepsLiveRecords(t *testing.T) {
	db, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cutOff := t0.Add(24 * time.Hour)
	ids := seed(t, db, "a", map[string][]time.Time{
		"gone":    {t0, t0.Add(time.Hour)},
		"mixed":   {t0, t0.Add(48 * time.Hour)},
		"late":    {t0.Add(2 * time.Hour)},
		"outside": {t0.Add(72 * time.Hour)},
	})

	// Phase one removed every record in scope but "late", made after it.
	err = db.Update(t.Context(), func(tx storage.WriteTx) error {
		for _, id := range []storage.ID{ids["gone"][0], ids["gone"][1], ids["mixed"][0]} {
			if _, err := tx.DeleteInvitation("a", id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var r removal
	before := func(tm time.Time) bool { return tm.Before(cutOff) }
	err = db.Update(t.Context(), func(tx storage.WriteTx) error {
		r = removal{}
		var cursor *storage.Hash
		for done := false; !done; {
			var err error
			cursor, done, err = r.walk(tx, "a", cursor, 1, before, before, true, protection{})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if r.counts.LastInvited != 1 {
		t.Errorf("walk removed %d last-invited records, want 1 (gone)", r.counts.LastInvited)
	}
	db.View(t.Context(), func(tx storage.ReadTx) error {
		want := map[string]struct {
			refs   int
			record bool
		}{
			"gone":    {0, false},
			"mixed":   {1, true}, // its later invitation keeps the record and its own reference
			"late":    {1, true},
			"outside": {1, true},
		}
		for name, w := range want {
			refs := 0
			tx.CustomerInvitations("a", customer(name), storage.ID{}, func(storage.ID) bool { refs++; return true })
			_, rec, _ := tx.Customer("a", customer(name))
			if refs != w.refs || rec != w.record {
				t.Errorf("customer %s after the walk: %d references, record %v; want %d, %v", name, refs, rec, w.refs, w.record)
			}
		}
		return nil
	})
}
