package main

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// boltCommitRate is how many durable single-put transactions a bare bbolt
// file commits per second, one after another.
func boltCommitRate(dir string, d time.Duration) (float64, error) {
	db, err := bolt.Open(filepath.Join(dir, "commit.db"), 0o600, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	value := make([]byte, 200)
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return b.Put(binary.BigEndian.AppendUint64(nil, uint64(n)), value)
		})
		if err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// boltBulkRate is how many 200-byte values a bare bbolt file takes per
// second in one large durable transaction with ascending keys.
func boltBulkRate(dir string, n int) (float64, error) {
	db, err := bolt.Open(filepath.Join(dir, "bulk.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	value := make([]byte, 200)
	start := time.Now()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("b"))
		if err != nil {
			return err
		}
		b.FillPercent = 0.9
		for i := range n {
			if err := b.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), value); err != nil {
				return err
			}
		}
		return nil
	})
	return float64(n) / time.Since(start).Seconds(), err
}

// bareRate is how many health checks per second a bare grpc-go server on
// loopback answers to clients concurrent callers.
func bareRate(ctx context.Context, clients int, d time.Duration) (float64, error) {
	c, err := startChild("-child", "bare")
	if err != nil {
		return 0, err
	}
	defer c.stop()
	call := func(ctx context.Context, client, _ int) error {
		_, err := healthpb.NewHealthClient(c.conn(client)).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	run(ctx, clients, time.Second, call) // warm up
	n, _, err := run(ctx, clients, d, call)
	return float64(n) / d.Seconds(), err
}
