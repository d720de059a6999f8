package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// limits measures bbolt and bare grpc-go on this machine.
func (b *bench) limits(ctx context.Context) error {
	dir := b.dataDir("limits")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	commits, err := boltCommitRate(dir, min(b.duration, 3*time.Second))
	if err != nil {
		return err
	}
	b.report.add("bbolt durable commits, one put each", rate(commits, "commit"), "machine limit", "", nil)

	b.bulk, err = boltBulkRate(dir, b.size)
	if err != nil {
		return err
	}
	b.report.add("bbolt bulk puts, one transaction", rate(b.bulk, "put"), "machine limit", "", nil)

	b.bareRate, err = bareRate(ctx, b.clients, b.duration)
	if err != nil {
		return err
	}
	b.report.add(fmt.Sprintf("bare grpc-go health checks, %d clients", b.clients), rate(b.bareRate, "call"), "machine limit", "", nil)
	return nil
}

// later is the send time of every invitation the harness makes: far enough
// ahead that none is delivered while it runs, so no e-mail files pile up.
func later() *timestamppb.Timestamp { return timestamppb.New(time.Now().Add(60 * 24 * time.Hour)) }

// throughput measures durable creates over gRPC: single calls from many
// clients and 1,000-invitation batches, each on a fresh store.
func (b *bench) throughput(ctx context.Context) error {
	if err := b.singles(ctx); err != nil {
		return err
	}
	return b.batches(ctx)
}

// serviceChild starts a service child on a fresh store, profiled as name
// when profiling.
func (b *bench) serviceChild(name string, extra ...string) (*child, error) {
	args := append([]string{"-child", "service", "-data", b.dataDir(name)}, extra...)
	if b.profile != "" {
		args = append(args, "-cpuprofile", filepath.Join(b.profile, name+".pprof"))
	}
	return startChild(args...)
}

func (b *bench) singles(ctx context.Context) error {
	c, err := b.serviceChild("singles")
	if err != nil {
		return err
	}
	defer c.stop()
	defer b.watch(c)

	send := later()
	single := func(ctx context.Context, client, i int) error {
		_, err := pb.NewInvitationServiceClient(c.conn(client)).CreateInvitation(ctx, &pb.CreateInvitationRequest{
			Parent: fmt.Sprintf("businessUnits/u%02d", client%100),
			Invitation: &pb.Invitation{
				RecipientEmail: fmt.Sprintf("single-%d-%d@example.se", client, i), RecipientName: "Customer Name",
				ReferenceId: "ORDER-1234567", PreferredSendTime: send,
			},
		})
		return err
	}
	run(ctx, b.clients, time.Second, single) // warm up
	c.resetStats(ctx)
	n, lat, err := run(ctx, b.clients, b.duration, single)
	if err != nil {
		return err
	}
	st, _ := c.storeStats(ctx)
	creates := float64(n) / b.duration.Seconds()
	ratio := creates / max(b.bareRate, 1)
	b.report.add(fmt.Sprintf("single creates, %d clients, fsync'd", b.clients), rate(creates, "create"),
		fmt.Sprintf("%.2fx bare gRPC", ratio), ">= 0.5x", check(ratio >= 0.5))
	b.report.add("  latency p50 / p99; writes per commit", ms(percentile(lat, 50))+" / "+ms(percentile(lat, 99)),
		fmt.Sprintf("%.1f per commit", float64(st.Writes)/float64(max(st.Commits, 1))), "", nil)
	return nil
}

func (b *bench) batches(ctx context.Context) error {
	c, err := b.serviceChild("batches")
	if err != nil {
		return err
	}
	defer c.stop()
	defer b.watch(c)
	send := later()

	batch := func(ctx context.Context, client, i int) error {
		invs := make([]*pb.Invitation, 1000)
		for k := range invs {
			invs[k] = &pb.Invitation{RecipientEmail: fmt.Sprintf("batch-%d-%d-%d@example.se", client, i, k),
				RecipientName: "Customer Name", ReferenceId: "ORDER-1234567", PreferredSendTime: send}
		}
		resp, err := pb.NewInvitationServiceClient(c.conn(client)).BatchCreateInvitations(ctx, &pb.BatchCreateInvitationsRequest{
			Parent: fmt.Sprintf("businessUnits/b%02d", client), Invitations: invs,
		})
		if err == nil && resp.GetCreatedCount() != 1000 {
			err = fmt.Errorf("batch created %d of 1000", resp.GetCreatedCount())
		}
		return err
	}
	n, lat, err := run(ctx, 4, b.duration, batch)
	if err != nil {
		return err
	}
	per := float64(n*1000) / b.duration.Seconds()
	b.report.add("batch creates, 1,000 per call, 4 clients", rate(per, "invitation"),
		fmt.Sprintf("%.2fx bbolt bulk puts", per/max(b.bulk, 1)), ">= 40,000/s", check(per >= 40000))
	b.report.add("  batch call latency p50 / p99", ms(percentile(lat, 50))+" / "+ms(percentile(lat, 99)), "", "", nil)
	return nil
}

// layout places invitation i of a store: half in one large business unit
// (for the date erasure), half spread over 99 others.
func layout(batch int) string {
	if batch%2 == 0 {
		return "bulk"
	}
	return fmt.Sprintf("u%02d", (batch/2)%99)
}

func customerEmail(i int) string { return fmt.Sprintf("c%07d@example.se", i) }

// load fills a store from invitation from up to to (exclusive), in batches
// of 1,000 placed by layout, with progress shown.
func load(ctx context.Context, c *child, from, to int, what string) error {
	p := newProgress(what, int64(to-from))
	defer p.finish()
	send := later()
	batches := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for w := range 4 {
		wg.Go(func() {
			client := pb.NewInvitationServiceClient(c.conn(w))
			for k := range batches {
				lo, hi := max(k*1000, from), min((k+1)*1000, to)
				invs := make([]*pb.Invitation, 0, hi-lo)
				for i := lo; i < hi; i++ {
					invs = append(invs, &pb.Invitation{RecipientEmail: customerEmail(i), RecipientName: "Customer Name",
						ReferenceId: fmt.Sprintf("ORDER-%07d", i), PreferredSendTime: send})
				}
				_, err := client.BatchCreateInvitations(ctx, &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/" + layout(k), Invitations: invs})
				if err != nil {
					// Keep taking batches, unsent, so the feeder never blocks.
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					continue
				}
				p.done.Add(int64(hi - lo))
			}
		})
	}
	for k := from / 1000; k*1000 < to; k++ {
		batches <- k
	}
	close(batches)
	wg.Wait()
	return first
}

// scaling grows one store through three sizes, timing single-customer
// erasures at each; at full size it times a date erasure of half the store
// under concurrent creates, and a restart.
func (b *bench) scaling(ctx context.Context) error {
	data := b.dataDir("scaling")
	c, err := b.serviceChild("scaling")
	if err != nil {
		return err
	}
	defer func() {
		if c != nil {
			c.stop()
		}
	}()

	erased := map[int]bool{}
	rnd := rand.New(rand.NewPCG(1, 2))
	sizes := []int{max(b.size/1000, 100), max(b.size/10, 500), b.size}
	var p99s []time.Duration
	loaded := 0
	for _, size := range sizes {
		if err := load(ctx, c, loaded, size, fmt.Sprintf("loading %s invitations", thousands(float64(size)))); err != nil {
			return err
		}
		loaded = size

		samples := min(200, size/8)
		lat := make([]time.Duration, 0, samples)
		er := pb.NewErasureServiceClient(c.conn(0))
		for len(lat) < samples {
			i := rnd.IntN(size)
			if erased[i] {
				continue
			}
			erased[i] = true
			t := time.Now()
			resp, err := er.EraseCustomers(ctx, &pb.EraseCustomersRequest{Parent: "businessUnits/" + layout(i/1000), EmailAddresses: []string{customerEmail(i)}})
			if err != nil {
				return err
			}
			lat = append(lat, time.Since(t))
			if n := resp.GetErasure().GetCounts().GetInvitations(); n != 1 {
				return fmt.Errorf("erasing customer %d removed %d invitations, want 1", i, n)
			}
		}
		p99 := percentile(lat, 99)
		p99s = append(p99s, p99)
		ok := p99 < 5*time.Millisecond
		b.report.add(fmt.Sprintf("erase one customer, store of %s", thousands(float64(size))),
			"p50 "+ms(percentile(lat, 50))+", p99 "+ms(p99), "", "p99 < 5 ms", &ok)
	}
	flat := p99s[len(p99s)-1] <= 2*p99s[0]+time.Millisecond
	b.report.add("  erase one customer: largest vs smallest store", fmt.Sprintf("p99 %.2fx", float64(p99s[len(p99s)-1])/float64(max(p99s[0], 1))), "", "flat (<= 2x)", &flat)

	if err := b.dateErasure(ctx, c); err != nil {
		return err
	}

	b.watch(c)
	st, _ := c.storeStats(ctx)
	err = c.stop()
	c = nil
	if err != nil {
		return err
	}
	c, err = startChild("-child", "service", "-data", data)
	if err != nil {
		return err
	}
	ok := c.readyAfter < time.Second
	b.report.add(fmt.Sprintf("start-up on the %s-invitation store (%s file)", thousands(float64(b.size)), mib(st.SizeBytes)),
		ms(c.readyAfter), "exec to serving", "< 1 s", &ok)
	b.watch(c)
	return nil
}

// dateErasure erases the large business unit up to today while eight
// clients create invitations elsewhere.
func (b *bench) dateErasure(ctx context.Context, c *child) error {
	er := pb.NewErasureServiceClient(c.conn(0))
	now := time.Now().UTC()
	c.resetStats(ctx)

	stop := make(chan struct{})
	var lat []time.Duration
	var createErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		cctx, cancel := context.WithCancel(ctx)
		go func() { <-stop; cancel() }()
		_, lat, createErr = run(cctx, 8, time.Hour, func(ctx context.Context, client, i int) error {
			_, err := pb.NewInvitationServiceClient(c.conn(client+1)).CreateInvitation(ctx, &pb.CreateInvitationRequest{
				Parent:     fmt.Sprintf("businessUnits/u%02d", client),
				Invitation: &pb.Invitation{RecipientEmail: fmt.Sprintf("during-%d-%d@example.se", client, i), PreferredSendTime: later()},
			})
			return err
		})
	})

	resp, err := er.EraseUpToDate(ctx, &pb.EraseUpToDateRequest{
		Parent:   "businessUnits/bulk",
		Date:     &pb.CalendarDate{Year: int32(now.Year()), Month: int32(now.Month()), Day: int32(now.Day())},
		TimeZone: "UTC",
	})
	if err != nil {
		close(stop)
		wg.Wait()
		return err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var done *pb.Erasure
	for ; done == nil; <-tick.C {
		got, err := er.GetErasure(ctx, &pb.GetErasureRequest{Name: resp.GetErasure().GetName()})
		if err != nil {
			close(stop)
			wg.Wait()
			return err
		}
		e := got.GetErasure()
		if terminal {
			fmt.Fprintf(os.Stderr, "\r  erasing up to today: %d of %d   ", e.GetRecordsDone(), e.GetRecordsTotal())
		}
		if e.GetState() == pb.Erasure_STATE_SUCCEEDED {
			done = e
		}
	}
	fmt.Fprintln(os.Stderr)
	close(stop)
	wg.Wait()
	if createErr != nil {
		return createErr
	}

	st, err := c.storeStats(ctx)
	if err != nil {
		return err
	}
	took := done.GetEndTime().AsTime().Sub(done.GetStartTime().AsTime())
	perSec := float64(done.GetRecordsDone()) / took.Seconds()
	ok := perSec >= 100000
	b.report.add(fmt.Sprintf("erase up to a date, %s invitations", thousands(float64(done.GetRecordsDone()))), rate(perSec, "record"), ms(took)+" in all", ">= 100,000/s", &ok)
	hold := time.Duration(st.MaxHoldMS * 1e6)
	ok = hold <= 50*time.Millisecond
	b.report.add("  longest hold of the write path", ms(hold), "", "<= 50 ms", &ok)
	p99 := percentile(lat, 99)
	ok = p99 < 25*time.Millisecond
	b.report.add(fmt.Sprintf("  creates meanwhile (8 clients, %d calls)", len(lat)), "p50 "+ms(percentile(lat, 50))+", p99 "+ms(p99), "", "p99 < 25 ms", &ok)
	return nil
}

// retention ages a store so that half of it expires and times the
// sweeper on it, at the full size and at a tenth.
func (b *bench) retention(ctx context.Context) error {
	var perSec []float64
	for _, size := range []int{b.size / 10, b.size} {
		r, err := b.sweepOnce(ctx, size)
		if err != nil {
			return err
		}
		perSec = append(perSec, r)
	}
	ratio := perSec[1] / perSec[0]
	b.report.add("  sweep rate: large vs small store", fmt.Sprintf("%.2fx", ratio), "", "flat", nil)
	return nil
}

// sweepOnce loads size invitations, half of them a year earlier than the
// rest, then starts the service three years and a day after the first
// half, so the sweeper expires exactly that half.
func (b *bench) sweepOnce(ctx context.Context, size int) (float64, error) {
	data := b.dataDir(fmt.Sprintf("retention-%d", size))
	year := 365 * 24 * time.Hour
	for i, offset := range []time.Duration{0, year} {
		c, err := startChild("-child", "service", "-data", data, "-offset", offset.String())
		if err != nil {
			return 0, err
		}
		err = load(ctx, c, i*size/2, (i+1)*size/2, fmt.Sprintf("loading %s invitations, %d year(s) on", thousands(float64(size/2)), i))
		b.watch(c)
		if stopErr := c.stop(); err == nil {
			err = stopErr
		}
		if err != nil {
			return 0, err
		}
	}

	c, err := startChild("-child", "service", "-data", data, "-offset", (3*year + 25*time.Hour).String(), "-sweep")
	if err != nil {
		return 0, err
	}
	defer c.stop()
	er := pb.NewErasureServiceClient(c.conn(0))
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var st *pb.RetentionStatus
	for ; st == nil; <-tick.C {
		resp, err := er.GetRetentionStatus(ctx, &pb.GetRetentionStatusRequest{})
		if err != nil {
			return 0, err
		}
		if resp.GetStatus().GetLastRunTime() != nil {
			st = resp.GetStatus()
		}
	}
	stats, _ := c.storeStats(ctx)
	b.watch(c)

	removed := st.GetLastRunCounts().GetInvitations()
	if removed != int64(size/2) {
		return 0, fmt.Errorf("sweep removed %d invitations, want %d", removed, size/2)
	}
	took := time.Duration(st.GetLastRunDurationMs()) * time.Millisecond
	perSec := float64(removed) / max(took.Seconds(), 0.001)
	ok := perSec >= 100000
	b.report.add(fmt.Sprintf("retention sweep, %s expired of %s", thousands(float64(removed)), thousands(float64(size))), rate(perSec, "record"), ms(took)+" in all", ">= 100,000/s", &ok)
	ok = stats.MaxHoldMS <= 50
	b.report.add("  longest hold of the write path", ms(time.Duration(stats.MaxHoldMS*1e6)), "since start-up", "<= 50 ms", &ok)
	return perSec, nil
}
