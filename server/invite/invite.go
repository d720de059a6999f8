// Package invite is the invitation side of the service: creating
// invitations under the frequency rule and unsubscribes, reading and
// cancelling them, business unit settings, review links and BCC'd order
// e-mails. It works on the storage interfaces and knows nothing of gRPC;
// errors are the sentinels below and *FieldError, which the server turns
// into status codes. It never logs personal data and never puts it into an
// error.
package invite

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/storage"
)

// Errors. Compare with errors.Is.
var (
	// ErrNotFound means the invitation, link or unsubscribe does not exist
	// or no longer does (erased or expired).
	ErrNotFound = errors.New("invite: not found")
	// ErrFrequencyLimited means the customer was invited within the
	// business unit's frequency window.
	ErrFrequencyLimited = errors.New("invite: customer was invited within the frequency window")
	// ErrUnsubscribed means the customer unsubscribed from the business
	// unit or from all invitations.
	ErrUnsubscribed = errors.New("invite: customer has unsubscribed")
	// ErrNotQueued means the invitation is no longer queued.
	ErrNotQueued = errors.New("invite: invitation is no longer queued")
	// ErrCancelled means the invitation was cancelled.
	ErrCancelled = errors.New("invite: invitation was cancelled")
	// ErrReviewRecorded means another review was recorded for the link.
	ErrReviewRecorded = errors.New("invite: another review was already recorded for this link")
	// ErrRequestReused means a request id was used for a different request.
	ErrRequestReused = errors.New("invite: request id was already used for a different request")
	// ErrErased means a repeated request's invitation has since been
	// erased.
	ErrErased = errors.New("invite: the invitation this request created has since been erased")
	// ErrEtagMismatch means the settings changed since the etag was read.
	ErrEtagMismatch = errors.New("invite: settings changed since they were read")
)

// FieldError is an invalid field. Reason states the rule, never the value.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("invite: %s: %s", e.Field, e.Reason) }

func fieldErr(field, reason string) *FieldError { return &FieldError{Field: field, Reason: reason} }

// Links builds the URLs an e-mail carries. Both bases end before the token.
type Links struct {
	// ReviewBase is the review link without its token, such as
	// "https://reviews.example.com/r/".
	ReviewBase string
	// UnsubscribeBase is the unsubscribe link without its token.
	UnsubscribeBase string
}

// Config holds what a Service needs.
type Config struct {
	Store  storage.Store
	Clock  clock.Clock
	Hasher *address.Hasher
	Links  Links
	// Retention is how long invitations are kept, to report when each
	// expires.
	Retention clock.Period
	// OnQueued, if set, is called after new invitations were queued, to
	// wake the sender.
	OnQueued func()
}

// Service implements the invitation operations. It is safe for concurrent
// use.
type Service struct {
	store     storage.Store
	clock     clock.Clock
	hasher    *address.Hasher
	links     Links
	retention clock.Period
	onQueued  func()
	// unsubKey authenticates unsubscribe tokens; dedupeKey and
	// requestKey hash BCC messages and request fingerprints.
	unsubKey   []byte
	dedupeKey  []byte
	requestKey []byte

	mu sync.RWMutex // guards settings
	// settings caches each business unit's settings as last read or
	// written; only this service writes them.
	settings map[string]storage.Settings
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{
		store:      cfg.Store,
		clock:      cfg.Clock,
		hasher:     cfg.Hasher,
		links:      cfg.Links,
		retention:  cfg.Retention,
		onQueued:   cfg.OnQueued,
		unsubKey:   cfg.Store.DeriveKey("unsubscribe-token"),
		dedupeKey:  cfg.Store.DeriveKey("bcc-dedupe"),
		requestKey: cfg.Store.DeriveKey("request-fingerprint"),
		settings:   map[string]storage.Settings{},
	}
	if s.onQueued == nil {
		s.onQueued = func() {}
	}
	return s
}

// ExpireTime is when retention removes inv.
func (s *Service) ExpireTime(inv *storage.Invitation) time.Time {
	return s.retention.After(inv.CreateTime())
}

// ReviewLink returns the review link of inv.
func (s *Service) ReviewLink(inv *storage.Invitation) string {
	return s.links.ReviewBase + linkToken(inv.ID, inv.LinkSecret)
}
