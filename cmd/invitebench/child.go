package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/reviewdata/invitations/server/app"
	"github.com/reviewdata/invitations/server/config"
)

// The harness starts itself again as a child process for each server it
// measures, so that the server has its own memory and CPU accounting.

// ready is the line a child prints on standard output when it serves.
type ready struct {
	GRPC  string `json:"grpc"`
	Stats string `json:"stats,omitempty"`
}

// offsetClock is the system clock moved by a fixed offset, so that a
// child can live years ahead and retention can expire real data.
type offsetClock struct{ offset time.Duration }

func (c offsetClock) Now() time.Time { return time.Now().Add(c.offset) }

// serveService runs the real service on dataDir until SIGTERM.
// The sender and sweeper do not run on their own: nothing the harness
// creates is due, and the sweep is started on request (sweep) so that it
// can be timed.
func serveService(dataDir string, offset time.Duration, chunk int, cpuProfile string, sweep bool) error {
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.Listen = "127.0.0.1:0"
	cfg.LogLevel = "warn"
	if chunk > 0 {
		cfg.ErasureChunk = chunk
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	app.TuneRuntime()
	a, err := app.New(cfg, app.Options{Clock: offsetClock{offset}, Logger: logger, Manual: true})
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	statsLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := a.Start(ctx); err != nil {
		return err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		s := a.Store.Stats()
		json.NewEncoder(w).Encode(storeStats{Commits: s.Commits, Writes: s.Writes, MaxHoldMS: float64(s.MaxHold) / 1e6, SizeBytes: a.Store.Size()})
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, _ *http.Request) { a.Store.ResetStats() })
	go http.Serve(statsLis, mux)
	go a.Serve(lis)
	if sweep {
		go a.Erasures.Sweep(ctx)
	}

	announce(ready{GRPC: lis.Addr().String(), Stats: statsLis.Addr().String()})
	<-ctx.Done()
	return a.Stop(10 * time.Second)
}

// storeStats is what a service child reports about its write path.
type storeStats struct {
	Commits   int64   `json:"commits"`
	Writes    int64   `json:"writes"`
	MaxHoldMS float64 `json:"max_hold_ms"`
	SizeBytes int64   `json:"size_bytes"`
}

// serveBare runs a grpc-go server with nothing but the health service: the
// cheapest unary call the machine can serve.
func serveBare() error {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s := grpc.NewServer()
	h := health.NewServer()
	healthpb.RegisterHealthServer(s, h)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go s.Serve(lis)
	announce(ready{GRPC: lis.Addr().String()})
	<-ctx.Done()
	s.Stop()
	return nil
}

func announce(r ready) {
	b, _ := json.Marshal(r)
	fmt.Fprintln(os.Stdout, string(b))
}
