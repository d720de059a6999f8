// Command invitationd serves the review-invitation data service over gRPC.
//
//	invitationd [-config file.json] [-listen host:port] [-data dir]
//
// Without a configuration file it keeps its data in ./data, listens on
// 127.0.0.1:50051 and runs without auth.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // time zones must not depend on the host

	"github.com/reviewdata/invitations/server/app"
	"github.com/reviewdata/invitations/server/config"
	"github.com/reviewdata/invitations/storage"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "invitationd:", err)
		os.Exit(1)
	}
}

func run() error {
	path := flag.String("config", "", "JSON configuration file (default: none, auth off)")
	listen := flag.String("listen", "", "host:port to listen on (overrides the configuration)")
	data := flag.String("data", "", "data directory (overrides the configuration)")
	flag.Parse()

	cfg := config.Default()
	if *path != "" {
		var err error
		if cfg, err = config.Load(*path); err != nil {
			return err
		}
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *data != "" {
		cfg.DataDir = *data
	}
	if err := cfg.Check(); err != nil {
		return err
	}

	app.TuneRuntime()
	a, err := app.New(cfg, app.Options{})
	if errors.Is(err, storage.ErrLocked) {
		return fmt.Errorf("data directory %s is in use by another process", cfg.DataDir)
	}
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		a.Store.Close()
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := a.Start(ctx); err != nil {
		a.Store.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(lis) }()

	select {
	case <-ctx.Done():
	case err := <-served:
		a.Stop(time.Duration(cfg.ShutdownGrace))
		return err
	}
	return a.Stop(time.Duration(cfg.ShutdownGrace))
}
