package invite

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/server/mail"
	"github.com/reviewdata/invitations/storage"
)

// MaxBatch is the most invitations one create call takes.
const MaxBatch = 1000

// Input is an invitation as a business asks for it. Empty fields take the
// business unit's defaults.
type Input struct {
	Email             string
	Name              string
	ReferenceID       string
	Locale            string
	TemplateID        string
	SenderName        string
	ReplyTo           string
	Tags              []string
	PreferredSendTime time.Time
}

// Outcome is what happened to one requested invitation.
type Outcome byte

// Outcomes. The numbering is stored with idempotent requests.
const (
	Created          Outcome = 1
	Invalid          Outcome = 2
	FrequencyLimited Outcome = 3
	Unsubscribed     Outcome = 4
	// Erased is a repeated request whose invitation has since been erased.
	// It is never stored.
	Erased Outcome = 5
)

// Result is the outcome of one requested invitation.
type Result struct {
	Outcome Outcome
	// Invitation is set when Outcome is Created.
	Invitation storage.Invitation
	// Err says why it was not created: a *FieldError, ErrFrequencyLimited
	// or ErrUnsubscribed.
	Err error
}

// CreateRequest asks for invitations.
type CreateRequest struct {
	BusinessUnit string
	Items        []Input
	// RequestID, if set, makes the request idempotent.
	RequestID    string
	ValidateOnly bool
	// source, bcc and sealedBCC are set for invitations made from BCC
	// e-mails.
	source    storage.Source
	bcc       *storage.BCCMessage
	sealedBCC **storage.Sealed
}

var (
	tagPattern       = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// ValidRequestID reports whether id is a usable request id.
func ValidRequestID(id string) bool { return requestIDPattern.MatchString(id) }

// prepared is a validated item and, when valid, the invitation it makes.
type prepared struct {
	in         Input
	normalized string
	hash       storage.Hash
	err        error // a *FieldError when the item is invalid
	inv        storage.Invitation
	sealed     *storage.Sealed
}

// Create creates invitations. Each item gets a Result; only a problem with
// the request as a whole (bad request id, reused request id, storage
// failure) is an error.
//
// Everything that does not depend on what is stored (validation, the
// invitation's fields, its encryption) happens before the write
// transaction; inside it only the unsubscribe and frequency checks and the
// inserts remain. Settings are read just before, so a change of settings
// racing a create may apply from the next create on.
func (s *Service) Create(ctx context.Context, req CreateRequest) ([]Result, error) {
	if req.RequestID != "" && !ValidRequestID(req.RequestID) {
		return nil, fieldErr("request_id", "must be 1 to 64 letters, digits, '_' or '-'")
	}
	if req.source == 0 {
		req.source = storage.SourceAPI
	}
	st, err := s.Settings(ctx, req.BusinessUnit)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	items := make([]prepared, len(req.Items))
	for i, in := range req.Items {
		items[i] = s.prepare(in)
		if items[i].err == nil {
			items[i].inv = s.newInvitation(req, st, now.Add(time.Duration(i)), items[i])
		}
	}
	var fingerprint storage.Hash
	if req.RequestID != "" {
		fingerprint = s.fingerprint(req)
	}

	var results []Result
	if req.ValidateOnly {
		err = s.store.View(ctx, func(tx storage.ReadTx) error {
			var err error
			results, err = s.createIn(tx, nil, req, st, now, items, fingerprint)
			return err
		})
		return results, err
	}

	if err := s.seal(ctx, req, items); err != nil {
		return nil, err
	}
	defer discard(items, req.sealedBCC)
	err = s.store.Update(ctx, func(tx storage.WriteTx) error {
		var err error
		results, err = s.createIn(tx, tx, req, st, now, items, fingerprint)
		return err
	})
	if err != nil {
		return nil, err
	}

	for _, r := range results {
		if r.Outcome == Created {
			s.onQueued()
			break
		}
	}
	return results, nil
}

// seal encrypts the valid items, and the raw e-mail of a BCC request.
func (s *Service) seal(ctx context.Context, req CreateRequest, items []prepared) error {
	var invs []*storage.Invitation
	for i := range items {
		if items[i].err == nil {
			invs = append(invs, &items[i].inv)
		}
	}
	sealed, err := s.store.SealInvitations(ctx, invs)
	if err != nil {
		return err
	}
	for i := range items {
		if items[i].err == nil {
			items[i].sealed, sealed = sealed[0], sealed[1:]
		}
	}
	if req.bcc != nil && len(invs) == 1 {
		req.bcc.Customer, req.bcc.Invitation = invs[0].Customer, invs[0].ID
		*req.sealedBCC, err = s.store.SealBCC(ctx, req.bcc)
	}
	return err
}

// discard gives up sealed records that were not committed.
func discard(items []prepared, bcc **storage.Sealed) {
	for _, it := range items {
		it.sealed.Discard()
	}
	if bcc != nil {
		(*bcc).Discard()
	}
}

// createIn does the work of Create inside a transaction: it reads through
// tx and writes through w, which is nil for a validate-only request.
func (s *Service) createIn(tx storage.ReadTx, w storage.WriteTx, req CreateRequest, st storage.Settings, now time.Time, items []prepared, fingerprint storage.Hash) ([]Result, error) {
	bu := req.BusinessUnit
	if req.RequestID != "" && w != nil {
		prev, ok, err := tx.Request(bu, req.RequestID)
		if err != nil {
			return nil, err
		}
		if ok {
			if prev.Fingerprint != fingerprint {
				return nil, ErrRequestReused
			}
			return replay(tx, bu, prev)
		}
	}

	results := make([]Result, len(items))
	batch := map[storage.Hash]bool{} // customers invited by this request
	for i, it := range items {
		var err error
		results[i], err = s.createOne(tx, w, req, st, now, it, batch)
		if err != nil {
			return nil, err
		}
	}

	if req.RequestID != "" && w != nil {
		rec := storage.Request{Fingerprint: fingerprint, ID: storage.NewID(now)}
		for _, r := range results {
			rec.Results = append(rec.Results, r.Invitation.ID)
			rec.Outcomes = append(rec.Outcomes, byte(r.Outcome))
		}
		if err := w.PutRequest(bu, req.RequestID, rec); err != nil {
			return nil, err
		}
	}
	return results, nil
}

func (s *Service) createOne(tx storage.ReadTx, w storage.WriteTx, req CreateRequest, st storage.Settings, now time.Time, it prepared, batch map[storage.Hash]bool) (Result, error) {
	bu := req.BusinessUnit
	if it.err != nil {
		return Result{Outcome: Invalid, Err: it.err}, nil
	}

	for _, scope := range []string{bu, AllScope} {
		_, suppressed, err := tx.Suppression(it.hash, scope)
		if err != nil {
			return Result{}, err
		}
		if suppressed {
			return Result{Outcome: Unsubscribed, Err: ErrUnsubscribed}, nil
		}
	}
	if st.FrequencyDays > 0 {
		c, ok, err := tx.Customer(bu, it.hash)
		if err != nil {
			return Result{}, err
		}
		window := time.Duration(st.FrequencyDays) * 24 * time.Hour
		if batch[it.hash] || ok && now.Before(c.LastInvited.Add(window)) {
			return Result{Outcome: FrequencyLimited, Err: ErrFrequencyLimited}, nil
		}
	}
	batch[it.hash] = true

	if w == nil {
		return Result{Outcome: Created, Invitation: it.inv}, nil
	}
	if err := w.InsertInvitation(it.sealed); err != nil {
		return Result{}, err
	}
	if err := w.PutCustomer(bu, it.hash, storage.Customer{LastInvited: it.inv.CreateTime(), Latest: it.inv.ID}); err != nil {
		return Result{}, err
	}
	if req.sealedBCC != nil && *req.sealedBCC != nil {
		if err := w.InsertBCCMessage(*req.sealedBCC); err != nil {
			return Result{}, err
		}
	}
	return Result{Outcome: Created, Invitation: it.inv}, nil
}

// newInvitation builds the invitation an item asks for. Items of one
// request are created a nanosecond apart, so their IDs keep request order.
func (s *Service) newInvitation(req CreateRequest, st storage.Settings, now time.Time, it prepared) storage.Invitation {
	in := it.in
	inv := storage.Invitation{
		BusinessUnit:      req.BusinessUnit,
		ID:                storage.NewID(now),
		Customer:          it.hash,
		Email:             strings.TrimSpace(in.Email),
		Name:              in.Name,
		ReferenceID:       in.ReferenceID,
		Locale:            orDefault(in.Locale, st.DefaultLocale),
		TemplateID:        orDefault(in.TemplateID, st.DefaultTemplate),
		SenderName:        orDefault(in.SenderName, st.SenderName),
		ReplyTo:           orDefault(in.ReplyTo, st.ReplyTo),
		Tags:              in.Tags,
		PreferredSendTime: in.PreferredSendTime,
		Source:            req.source,
		State:             storage.StateQueued,
		ScheduledTime:     SendTime(now, st, in.PreferredSendTime),
		LinkSecret:        newLinkSecret(),
	}
	if req.bcc != nil {
		inv.BCCMessage = req.bcc.ID
	}
	return inv
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// replay answers a repeated request from what the first one produced.
// Invitations erased since are left out of the answer as not found.
func replay(tx storage.ReadTx, bu string, prev storage.Request) ([]Result, error) {
	results := make([]Result, len(prev.Results))
	for i, id := range prev.Results {
		o := Outcome(prev.Outcomes[i])
		results[i].Outcome = o
		switch o {
		case Created:
			inv, err := tx.Invitation(bu, id)
			if errors.Is(err, storage.ErrNotFound) {
				results[i].Outcome, results[i].Err = Erased, ErrErased
				continue
			}
			if err != nil {
				return nil, err
			}
			results[i].Invitation = inv
		case FrequencyLimited:
			results[i].Err = ErrFrequencyLimited
		case Unsubscribed:
			results[i].Err = ErrUnsubscribed
		default:
			results[i].Err = fieldErr("invitation", "was invalid in the first request with this request id")
		}
	}
	return results, nil
}

// prepare validates one item and computes its customer hash.
func (s *Service) prepare(in Input) prepared {
	p := prepared{in: in}
	norm, err := address.Normalize(in.Email)
	switch {
	case errors.Is(err, address.ErrEmpty):
		p.err = fieldErr("recipient_email", "is required")
		return p
	case errors.Is(err, address.ErrTooLong):
		p.err = fieldErr("recipient_email", "must be at most 254 bytes")
		return p
	case err != nil:
		p.err = fieldErr("recipient_email", "must be a valid e-mail address")
		return p
	}
	p.normalized, p.hash = norm, s.hasher.Hash(norm)

	for _, f := range []struct{ name, v string }{
		{"recipient_name", in.Name},
		{"reference_id", in.ReferenceID},
		{"sender_name", in.SenderName},
	} {
		if rule := checkText(f.v); rule != "" {
			p.err = fieldErr(f.name, rule)
			return p
		}
	}
	if in.Locale != "" {
		loc, err := mail.MatchLocale(in.Locale)
		if err != nil {
			p.err = fieldErr("locale", "must be a supported locale (see ListTemplates)")
			return p
		}
		p.in.Locale = loc
	}
	if in.TemplateID != "" && !mail.HasTemplate(in.TemplateID) {
		p.err = fieldErr("template_id", "must be a template id from ListTemplates")
		return p
	}
	if in.ReplyTo != "" && checkReplyTo(in.ReplyTo) != nil {
		p.err = fieldErr("reply_to", "must be a valid e-mail address with an ASCII local part")
		return p
	}
	if len(in.Tags) > 10 {
		p.err = fieldErr("tags", "must be at most 10")
		return p
	}
	for i, tag := range in.Tags {
		if !tagPattern.MatchString(tag) {
			p.err = fieldErr(fmt.Sprintf("tags[%d]", i), "must be 1 to 64 letters, digits, '_', '-' or '.'")
			return p
		}
	}
	if !in.PreferredSendTime.IsZero() && in.PreferredSendTime.After(s.clock.Now().AddDate(1, 0, 0)) {
		p.err = fieldErr("preferred_send_time", "must be at most one year ahead")
		return p
	}
	return p
}

// fingerprint is a keyed hash of everything that makes a request what it
// is, to tell a repeat from a different request under the same id.
func (s *Service) fingerprint(req CreateRequest) storage.Hash {
	m := hmac.New(sha256.New, s.requestKey)
	fmt.Fprintf(m, "%q %d %t\n", req.BusinessUnit, len(req.Items), req.ValidateOnly)
	for _, in := range req.Items {
		fmt.Fprintf(m, "%q %q %q %q %q %q %q %q %d\n", in.Email, in.Name, in.ReferenceID, in.Locale,
			in.TemplateID, in.SenderName, in.ReplyTo, in.Tags, in.PreferredSendTime.UnixNano())
	}
	var h storage.Hash
	m.Sum(h[:0])
	return h
}

// checkReplyTo accepts only a reply-to address that can go out in a
// header: a valid address with an ASCII local part.
func checkReplyTo(s string) error {
	_, err := address.Delivery(s)
	return err
}
