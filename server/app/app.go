// Package app assembles the service from a configuration: it opens the
// store, builds the mailer, the invitation and erasure services, the sender
// and the gRPC server, and runs and stops them in the right order. Binaries
// and in-process tests and benchmarks share it.
package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/reviewdata/invitations/server"
	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/server/auth"
	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/server/config"
	"github.com/reviewdata/invitations/server/erase"
	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/server/mail"
	"github.com/reviewdata/invitations/server/send"
	"github.com/reviewdata/invitations/storage"
)

// App is the assembled service.
type App struct {
	Config   config.Config
	Store    *storage.DB
	Invites  *invite.Service
	Erasures *erase.Service
	Sender   *send.Sender
	Server   *server.Server
	Outbox   *mail.Outbox // nil with an SMTP relay
	EventKey []byte

	log    *slog.Logger
	manual bool
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Options are things tests and tools replace.
type Options struct {
	// Clock defaults to the system clock.
	Clock clock.Clock
	// Logger defaults to JSON on standard error at the configured level.
	Logger *slog.Logger
	// Store options.
	Store storage.Options
	// Manual leaves the sender and the retention sweeper to the caller
	// (Sender.RunOnce, Erasures.Sweep), for tests that step time.
	Manual bool
}

// OutboxDir is the outbox folder's name inside the data directory.
const OutboxDir = "outbox"

// EventKeyFile is where the derived event key is written when the
// configuration names none.
const EventKeyFile = "event-hash.key"

// New builds the service. It opens the store, so it fails fast with
// storage.ErrLocked when another process holds the data directory.
func New(cfg config.Config, opts Options) (*App, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	log := opts.Logger
	if log == nil {
		log = NewLogger(cfg.LogLevel)
	}
	var authn *auth.Authenticator
	if !cfg.AuthOff() {
		var err error
		if authn, err = auth.New(cfg.Tokens); err != nil {
			return nil, err
		}
	}

	db, err := storage.Open(cfg.DataDir, opts.Store)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: db, log: log, manual: opts.Manual}
	if err := a.build(opts.Clock, authn); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(clk clock.Clock, authn *auth.Authenticator) error {
	cfg := a.Config
	mailer, err := a.mailer()
	if err != nil {
		return err
	}
	if a.EventKey, err = a.eventKey(); err != nil {
		return err
	}

	ret := erase.Retention{Requests: erase.DefaultRetention.Requests}
	ret.Invitation, ret.BCC, ret.Receipts, ret.Events = cfg.Retention.Periods()
	hasher := address.NewHasher(a.Store.DeriveKey("customer-index"))

	var sender *send.Sender
	a.Invites = invite.New(invite.Config{
		Store:  a.Store,
		Clock:  clk,
		Hasher: hasher,
		Links: invite.Links{
			ReviewBase:      cfg.PublicBaseURL + "/r/",
			UnsubscribeBase: cfg.PublicBaseURL + "/unsubscribe/",
		},
		Retention: ret.Invitation,
		OnQueued:  func() { sender.Wake() },
	})
	sender = send.New(send.Config{
		Store:   a.Store,
		Clock:   clk,
		Mailer:  mailer,
		Outbox:  a.Outbox,
		Invites: a.Invites,
		From:    cfg.MailFrom,
		Logger:  a.log,
	})
	a.Sender = sender
	a.Erasures = erase.New(erase.Config{
		Store:     a.Store,
		Clock:     clk,
		Hasher:    hasher,
		EventKey:  a.EventKey,
		Files:     sender,
		Logger:    a.log,
		Retention: ret,
		ChunkSize: cfg.ErasureChunk,
	})
	a.Server = server.New(server.Config{Invites: a.Invites, Erasures: a.Erasures, Auth: authn, Logger: a.log})
	return nil
}

func (a *App) mailer() (mail.Mailer, error) {
	c := a.Config.SMTP
	if c == nil {
		ob, err := mail.NewOutbox(filepath.Join(a.Config.DataDir, OutboxDir))
		a.Outbox = ob
		return ob, err
	}
	return mail.NewSMTP(mail.SMTPConfig{
		Addr:     c.Addr,
		HeloName: c.HeloName,
		Username: c.Username,
		Password: c.Password,
		StartTLS: c.StartTLS,
		Timeout:  time.Duration(c.Timeout),
	})
}

// eventKey reads the configured event key, or derives one from the store
// and writes it next to the data for operators to hand to consumers.
func (a *App) eventKey() ([]byte, error) {
	if p := a.Config.EventKeyFile; p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("app: reading event key: %w", err)
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) < 16 {
			return nil, errors.New("app: event key file must hold at least 16 bytes in hex")
		}
		return key, nil
	}
	key := a.Store.DeriveKey("erasure-events")
	p := filepath.Join(a.Config.DataDir, EventKeyFile)
	if err := os.WriteFile(p, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("app: writing event key: %w", err)
	}
	return key, nil
}

// Start resumes unfinished erasures and starts the sender and the
// retention sweeper. It does not serve gRPC; see Serve.
func (a *App) Start(ctx context.Context) error {
	ctx, a.cancel = context.WithCancel(ctx)
	if err := a.Erasures.Start(ctx); err != nil {
		a.cancel()
		return err
	}
	if !a.manual {
		a.wg.Go(func() { a.Sender.Run(ctx, time.Duration(a.Config.SendPollInterval)) })
		a.wg.Go(func() { a.Erasures.RunSweeper(ctx, time.Duration(a.Config.SweepInterval)) })
	}
	if a.Config.AuthOff() {
		a.log.Warn("auth is off: no tokens configured, every caller acts as platform admin; serving on loopback only")
	}
	return nil
}

// Serve serves gRPC on lis until Stop.
func (a *App) Serve(lis net.Listener) error {
	a.log.Info("serving", "addr", lis.Addr().String(), "data_dir", a.Config.DataDir)
	return a.Server.Serve(lis)
}

// Stop shuts down in order: health goes NOT_SERVING and calls in flight
// get until grace ends to finish, then background work stops and the store
// closes.
func (a *App) Stop(grace time.Duration) error {
	a.log.Info("stopping", "grace_ms", grace.Milliseconds())
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	a.Server.Shutdown(ctx)
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	waitCtx, cancelWait := context.WithTimeout(context.Background(), grace)
	defer cancelWait()
	a.Erasures.WaitAll(waitCtx)
	if err := a.Store.Close(); err != nil {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// TuneRuntime sets the garbage collector for a server process: it collects
// when the heap has grown by twice the live data rather than once, which
// halves collection work per request, and harder as the heap nears 120
// MiB. A GOGC or GOMEMLIMIT in the environment wins.
func TuneRuntime() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(120 << 20)
	}
}

// NewLogger returns a JSON logger on standard error at level.
func NewLogger(level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
