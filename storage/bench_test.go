package storage

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkCreate measures sealing and inserting one invitation with its
// customer record per Update, from 16 writers at once, so that commits are
// shared as under load.
func BenchmarkCreate(b *testing.B) {
	db := openTest(b, b.TempDir())
	var mu sync.Mutex
	n := 0
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			inv := testInvitation(fmt.Sprintf("bu-%d", i%100), fmt.Sprintf("c%d@example.se", i), t0.Add(time.Duration(i)))
			insert(b, db, inv)
		}
	})
	st := db.Stats()
	b.ReportMetric(float64(st.Writes)/float64(max(st.Commits, 1)), "writes/commit")
}

// BenchmarkErase measures deleting invitations in bulk chunks of 1,000.
func BenchmarkErase(b *testing.B) {
	db := openTest(b, b.TempDir())
	invs := make([]*Invitation, b.N)
	for i := range invs {
		invs[i] = testInvitation("bu-a", fmt.Sprintf("c%d@example.se", i), t0.Add(time.Duration(i)))
	}
	for lo := 0; lo < len(invs); lo += 1000 {
		insert(b, db, invs[lo:min(lo+1000, len(invs))]...)
	}
	b.ResetTimer()
	for lo := 0; lo < len(invs); lo += 1000 {
		err := db.Bulk(b.Context(), func(tx WriteTx) error {
			for _, inv := range invs[lo:min(lo+1000, len(invs))] {
				if _, err := tx.DeleteInvitation(inv.BusinessUnit, inv.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
