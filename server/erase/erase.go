// Package erase removes invitation data: on a business's request (by
// customer or up to a date), on a consumer's request to the platform
// (everywhere), and by itself when retention runs out. Every erasure is a
// job stored before it starts, so an interrupted one resumes after a
// restart; it works in bounded chunks so other writes keep flowing; it ends
// with a hash-chained receipt and an event for downstream copies, neither
// holding personal data. The package knows nothing of gRPC and never logs
// personal data.
package erase

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/storage"
)

// Errors. Invalid input is an *invite.FieldError.
var (
	// ErrNotFound means the erasure does not exist.
	ErrNotFound = errors.New("erase: erasure not found")
	// ErrRequestReused means a request id was used for a different request.
	ErrRequestReused = errors.New("erase: request id was already used for a different request")
	// ErrEventsExpired means events after the cursor were already pruned.
	ErrEventsExpired = errors.New("erase: events after the cursor have expired")
)

// MaxCustomers is the most addresses one EraseCustomers call takes.
const MaxCustomers = 1000

// Files is the sender's side of an erasure; see send.Sender.
type Files interface {
	// Forget waits until no delivery of ids is under way and removes their
	// outbox files.
	Forget(ctx context.Context, ids []storage.ID) error
	// CountFiles says how many of ids have an outbox file.
	CountFiles(ids []storage.ID) int
}

// Retention says how long each kind of data is kept. A record expires at
// its creation time plus its period on the UTC calendar, no earlier.
type Retention struct {
	Invitation clock.Period // invitations, link tokens, last-invited records
	BCC        clock.Period // raw BCC e-mails
	Requests   clock.Period // idempotency records
	Receipts   clock.Period // erasure receipts and finished erasure jobs
	Events     clock.Period // erasure events
}

// DefaultRetention is the retention the product brief fixes, with the
// bookkeeping periods chosen for it.
var DefaultRetention = Retention{
	Invitation: clock.Period{Years: 3},
	BCC:        clock.Period{Days: 30},
	Requests:   clock.Period{Days: 7},
	Receipts:   clock.Period{Years: 6},
	Events:     clock.Period{Days: 90},
}

// Config holds what a Service needs.
type Config struct {
	Store  storage.Store
	Clock  clock.Clock
	Hasher *address.Hasher
	// EventKey keys the e-mail hashes in erasure events. Downstream
	// consumers hold the same key.
	EventKey  []byte
	Files     Files
	Logger    *slog.Logger
	Retention Retention
	// ChunkSize bounds the records one transaction removes; each also
	// stops after about 8 ms of work. Default 5000.
	ChunkSize int
}

// Service runs erasures. It is safe for concurrent use.
type Service struct {
	cfg        Config
	eventHash  *address.Hasher
	requestKey []byte
	events     *broker

	mu sync.Mutex // guards base, running and sweep
	// base is the context erasure jobs run under, set by Start.
	base    context.Context
	running map[storage.ID]chan struct{}
	sweep   SweepStatus
}

// New returns a Service. Call Start before asking it to erase.
func New(cfg Config) *Service {
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = 5000
	}
	if cfg.Retention == (Retention{}) {
		cfg.Retention = DefaultRetention
	}
	return &Service{
		cfg:        cfg,
		eventHash:  address.NewHasher(cfg.EventKey),
		requestKey: cfg.Store.DeriveKey("erasure-request-fingerprint"),
		events:     newBroker(),
		running:    map[storage.ID]chan struct{}{},
	}
}

// Start resumes every erasure that had not finished and lets new ones run
// until ctx ends. It also finishes outbox removals a stop interrupted.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()

	if err := s.finishScrubs(ctx); err != nil {
		return err
	}
	var active []storage.Erasure
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		active, err = tx.ActiveErasures()
		return err
	})
	if err != nil {
		return err
	}
	for _, e := range active {
		s.cfg.Logger.Info("resuming erasure", "erasure", e.ID.String(), "records_done", e.RecordsDone)
		s.start(e.BusinessUnit, e.ID, nil)
	}
	return nil
}

// Wait blocks until the erasure finished running in this process or ctx
// ends. It returns at once if the erasure is not running.
func (s *Service) Wait(ctx context.Context, id storage.ID) error {
	s.mu.Lock()
	done := s.running[id]
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Get returns an erasure. bu is empty for consumer erasures.
func (s *Service) Get(ctx context.Context, bu string, id storage.ID) (storage.Erasure, error) {
	var e storage.Erasure
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		e, err = tx.Erasure(bu, id)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return e, ErrNotFound
	}
	return e, err
}

// List returns up to limit erasures with IDs before before, newest first,
// and the ID to continue before (zero at the end). all lists every
// business unit's and consumer erasures; otherwise bu's (empty: consumer
// erasures).
func (s *Service) List(ctx context.Context, bu string, all bool, before storage.ID, limit int) ([]storage.Erasure, storage.ID, error) {
	var out []storage.Erasure
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		visit := func(e *storage.Erasure) bool {
			out = append(out, *e)
			return len(out) <= limit
		}
		if all {
			return tx.EachErasureAll(before, visit)
		}
		return tx.EachErasure(bu, before, visit)
	})
	if err != nil || len(out) <= limit {
		return out, storage.ID{}, err
	}
	return out[:limit], out[limit-1].ID, nil
}

// Options are the common fields of an erasure request.
type Options struct {
	RequestID    string
	ValidateOnly bool
	// RequestedBy is the caller's identity name, for the receipt.
	RequestedBy string
}

// customers validates addresses and returns their distinct index and
// event hashes.
func (s *Service) customers(emails []string, field string) ([]storage.Hash, []storage.Hash, error) {
	if len(emails) == 0 {
		return nil, nil, &invite.FieldError{Field: field, Reason: "at least one address is required"}
	}
	if len(emails) > MaxCustomers {
		return nil, nil, &invite.FieldError{Field: field, Reason: fmt.Sprintf("at most %d addresses per request", MaxCustomers)}
	}
	seen := map[storage.Hash]bool{}
	var hs, ehs []storage.Hash
	for i, e := range emails {
		norm, err := address.Normalize(e)
		if err != nil {
			f := field
			if field == "email_addresses" { // the repeated field
				f = fmt.Sprintf("%s[%d]", field, i)
			}
			return nil, nil, &invite.FieldError{Field: f, Reason: "must be a valid e-mail address"}
		}
		h := s.cfg.Hasher.Hash(norm)
		if seen[h] {
			continue
		}
		seen[h] = true
		hs = append(hs, h)
		ehs = append(ehs, s.eventHash.Hash(norm))
	}
	return hs, ehs, nil
}

// EventHash returns the hash an erasure event would carry for email, as a
// downstream consumer holding the event key computes it.
func EventHash(key []byte, email string) (storage.Hash, error) {
	norm, err := address.Normalize(email)
	if err != nil {
		return storage.Hash{}, err
	}
	return address.NewHasher(key).Hash(norm), nil
}

// EraseCustomers erases all data of some customers of bu and returns the
// finished erasure, or with ValidateOnly a preview.
func (s *Service) EraseCustomers(ctx context.Context, bu string, emails []string, o Options) (storage.Erasure, error) {
	hs, ehs, err := s.customers(emails, "email_addresses")
	if err != nil {
		return storage.Erasure{}, err
	}
	e := storage.Erasure{
		BusinessUnit:  bu,
		Kind:          storage.ErasureCustomers,
		Customers:     hs,
		EventHashes:   ehs,
		CustomerCount: len(hs),
	}
	return s.submit(ctx, e, o, true)
}

// EraseConsumer erases one consumer's data in every business unit and
// unsubscribes the address from all invitations.
func (s *Service) EraseConsumer(ctx context.Context, email string, o Options) (storage.Erasure, error) {
	hs, ehs, err := s.customers([]string{email}, "email_address")
	if err != nil {
		return storage.Erasure{}, err
	}
	e := storage.Erasure{
		Kind:          storage.ErasureConsumer,
		Customers:     hs,
		EventHashes:   ehs,
		CustomerCount: 1,
	}
	return s.submit(ctx, e, o, true)
}

// EraseUpToDate erases bu's data created up to and including date in the
// time zone named by zone (empty: bu's). The returned erasure is stored
// and runs in the background.
func (s *Service) EraseUpToDate(ctx context.Context, bu string, date storage.Date, zone string, o Options) (storage.Erasure, error) {
	if zone == "" {
		st, err := s.settings(ctx, bu)
		if err != nil {
			return storage.Erasure{}, err
		}
		zone = st.TimeZone
	}
	loc, err := invite.LoadZone(zone)
	if err != nil {
		return storage.Erasure{}, &invite.FieldError{Field: "time_zone", Reason: "must be an IANA time zone name such as Europe/Stockholm"}
	}
	if err := checkDate(date, s.cfg.Clock.Now().In(loc)); err != nil {
		return storage.Erasure{}, err
	}

	// What is created after the request is new activity, not the data the
	// business asked to erase: the cut-off is never later than now. That
	// also lets the job end while invitations keep coming.
	cutOff := clock.StartOfDay(date.Year, time.Month(date.Month), date.Day+1, loc).UTC()
	e := storage.Erasure{
		BusinessUnit: bu,
		Kind:         storage.ErasureUpToDate,
		CutOffDate:   date,
		TimeZone:     zone,
		CutOff:       minTime(cutOff, s.cfg.Clock.Now().UTC()),
	}
	return s.submit(ctx, e, o, false)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func checkDate(d storage.Date, today time.Time) error {
	if d.Year < 1970 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return &invite.FieldError{Field: "date", Reason: "must be a real calendar date from 1970"}
	}
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	if t.Day() != d.Day {
		return &invite.FieldError{Field: "date", Reason: "must be a real calendar date (that month is shorter)"}
	}
	y, m, day := today.Date()
	if t.After(time.Date(y, m, day, 0, 0, 0, 0, time.UTC)) {
		return &invite.FieldError{Field: "date", Reason: "must not be after today in the time zone"}
	}
	return nil
}

func (s *Service) settings(ctx context.Context, bu string) (storage.Settings, error) {
	var st storage.Settings
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		st, err = invite.SettingsIn(tx, bu)
		return err
	})
	return st, err
}

// requestScope is the business unit key idempotency records of consumer
// erasures are kept under.
const requestScope = "-"

// submit previews e, or stores it as a new job (or finds the job an
// earlier request with the same id made) and starts it. With wait it
// returns when the job has finished.
func (s *Service) submit(ctx context.Context, e storage.Erasure, o Options, wait bool) (storage.Erasure, error) {
	if o.RequestID != "" && !invite.ValidRequestID(o.RequestID) {
		return storage.Erasure{}, &invite.FieldError{Field: "request_id", Reason: "must be 1 to 64 letters, digits, '_' or '-'"}
	}
	now := s.cfg.Clock.Now().UTC()
	if o.ValidateOnly {
		return s.preview(ctx, e, now)
	}

	e.ID = storage.NewID(now)
	e.State = storage.ErasurePending
	e.RequestedBy, e.RequestID, e.CreateTime = o.RequestedBy, o.RequestID, now
	fingerprint := s.fingerprint(&e)
	reqScope := e.BusinessUnit
	if reqScope == "" {
		reqScope = requestScope
	}

	var stored storage.Erasure
	var files []storage.ID
	err := s.cfg.Store.Update(ctx, func(tx storage.WriteTx) error {
		stored, files = e, nil
		if o.RequestID != "" {
			prev, ok, err := tx.Request(reqScope, o.RequestID)
			if err != nil {
				return err
			}
			if ok {
				if prev.Fingerprint != fingerprint || len(prev.Results) != 1 {
					return ErrRequestReused
				}
				stored, err = tx.Erasure(e.BusinessUnit, prev.Results[0])
				return err
			}
			rec := storage.Request{Fingerprint: fingerprint, ID: e.ID, Results: []storage.ID{e.ID}, Outcomes: []byte{0}}
			if err := tx.PutRequest(reqScope, o.RequestID, rec); err != nil {
				return err
			}
		}
		if e.Kind == storage.ErasureConsumer {
			// From this commit on no new invitation can reach the consumer,
			// so the business units found while running are all there are.
			s := storage.Suppression{Scope: invite.AllScope, CreateTime: now}
			if err := tx.PutSuppression(e.Customers[0], s); err != nil {
				return err
			}
		}
		if wait {
			// A small erasure is over in this one transaction; a large one
			// does its first chunk here and the rest as a job.
			var err error
			if files, err = s.firstChunk(tx, &stored, now); err != nil {
				return err
			}
		}
		return tx.PutErasure(&stored)
	})
	if err != nil {
		return storage.Erasure{}, err
	}

	if stored.State == storage.ErasureSucceeded {
		if stored.ID == e.ID {
			s.finished(&stored)
		}
		return stored, nil
	}
	s.start(stored.BusinessUnit, stored.ID, files)
	if !wait {
		return stored, nil
	}
	if err := s.Wait(ctx, stored.ID); err != nil {
		return storage.Erasure{}, err
	}
	return s.Get(ctx, stored.BusinessUnit, stored.ID)
}

// fingerprint is a keyed hash of what makes an erasure request what it is:
// the customers as a set, so their order does not matter.
func (s *Service) fingerprint(e *storage.Erasure) storage.Hash {
	m := hmac.New(sha256.New, s.requestKey)
	fmt.Fprintf(m, "%q %d %v %q\n", e.BusinessUnit, e.Kind, e.CutOffDate, e.TimeZone)
	customers := slices.Clone(e.Customers)
	slices.SortFunc(customers, func(a, b storage.Hash) int { return bytes.Compare(a[:], b[:]) })
	for _, h := range customers {
		m.Write(h[:])
	}
	var h storage.Hash
	m.Sum(h[:0])
	return h
}
