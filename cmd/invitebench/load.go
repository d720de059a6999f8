package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// run calls fn from clients goroutines until d has passed and returns the
// calls that succeeded, their latencies and the first error.
func run(ctx context.Context, clients int, d time.Duration, fn func(ctx context.Context, client, i int) error) (int64, []time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var mine []time.Duration
			for i := 0; ctx.Err() == nil; i++ {
				t := time.Now()
				err := fn(ctx, c, i)
				// The phase's deadline travels with each call, and the
				// server may see it pass a moment before this process does.
				if code := status.Code(err); ctx.Err() != nil || code == codes.DeadlineExceeded || code == codes.Canceled {
					break
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
					break
				}
				mine = append(mine, time.Since(t))
				ok.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return ok.Load(), lat, first
}

// percentile returns the p-th percentile (0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// terminal says whether standard error is a terminal, where progress
// lines rewrite themselves.
var terminal = func() bool {
	fi, err := os.Stderr.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}()

// progress prints a line that rewrites itself while a data set loads.
type progress struct {
	what  string
	total int64
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(what string, total int64) *progress {
	p := &progress{what: what, total: total, start: time.Now(), stop: make(chan struct{})}
	p.wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.print("\n")
				return
			case <-t.C:
				p.print("")
			}
		}
	})
	return p
}

func (p *progress) print(end string) {
	d := p.done.Load()
	rate := float64(d) / time.Since(p.start).Seconds()
	if end == "" && !terminal {
		return // a log file gets the last line only
	}
	fmt.Fprintf(os.Stderr, "\r  %s: %d of %d (%.0f%%), %.0f/s   %s", p.what, d, p.total, 100*float64(d)/float64(max(p.total, 1)), rate, end)
}

func (p *progress) finish() {
	close(p.stop)
	p.wg.Wait()
}
