package invite

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"unicode"
	"unicode/utf8"

	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/server/bcc"
	"github.com/reviewdata/invitations/server/mail"
	"github.com/reviewdata/invitations/storage"
)

// BCCResult is what IngestBCC made of a message.
type BCCResult struct {
	Invitation storage.Invitation
	// Message is the ID of the stored raw e-mail.
	Message           storage.ID
	Duplicate         bool
	IgnoredRecipients int
}

// IngestBCC turns a raw order e-mail into an invitation and keeps the raw
// message with it. A message seen before (same Message-ID, or same bytes
// when it has none) returns the first invitation. Parse errors are the bcc
// package's; refusals are ErrFrequencyLimited, ErrUnsubscribed or a
// *FieldError. Nothing is stored unless an invitation is created.
//
// Order e-mails are messy, so optional fields the service cannot use (an
// unsupported locale, an unknown template, a malformed tag) are dropped in
// favour of the business unit's defaults rather than refusing the mail.
func (s *Service) IngestBCC(ctx context.Context, bu string, raw []byte) (BCCResult, error) {
	msg, err := bcc.Parse(raw)
	if err != nil {
		return BCCResult{}, err
	}
	in := bccInput(msg)
	item := s.prepare(in)
	if item.err != nil {
		return BCCResult{}, item.err
	}
	st, err := s.Settings(ctx, bu)
	if err != nil {
		return BCCResult{}, err
	}

	now := s.clock.Now().UTC()
	m := &storage.BCCMessage{BusinessUnit: bu, ID: storage.NewID(now), Dedupe: s.dedupe(bu, msg, raw), Raw: raw,
		Others: s.others(msg.Addresses, item.hash)}
	var sealedBCC *storage.Sealed
	req := CreateRequest{BusinessUnit: bu, Items: []Input{in}, source: storage.SourceBCC, bcc: m, sealedBCC: &sealedBCC}
	item.inv = s.newInvitation(req, st, now, item)
	items := []prepared{item}
	if err := s.seal(ctx, req, items); err != nil {
		return BCCResult{}, err
	}
	defer discard(items, &sealedBCC)

	var res BCCResult
	err = s.store.Update(ctx, func(tx storage.WriteTx) error {
		res = BCCResult{Message: m.ID, IgnoredRecipients: msg.IgnoredRecipients}
		prev, ok, err := tx.BCCByDedupe(bu, m.Dedupe)
		if err != nil {
			return err
		}
		if ok {
			old, err := tx.BCCMessage(bu, prev)
			if err != nil {
				return err
			}
			res.Message, res.Duplicate = prev, true
			res.Invitation, err = tx.Invitation(bu, old.Invitation)
			return err
		}

		results, err := s.createIn(tx, tx, req, st, now, items, storage.Hash{})
		if err != nil {
			return err
		}
		if results[0].Outcome != Created {
			return results[0].Err
		}
		res.Invitation = results[0].Invitation
		return nil
	})
	if err != nil {
		return BCCResult{}, notFound(err)
	}
	if !res.Duplicate {
		s.onQueued()
	}
	return res, nil
}

// others hashes the addresses a message names, other than the customer's,
// so that erasing any of those people also erases the message.
func (s *Service) others(addresses []string, customer storage.Hash) []storage.Hash {
	seen := map[storage.Hash]bool{customer: true}
	var out []storage.Hash
	for _, a := range addresses {
		norm, err := address.Normalize(a)
		if err != nil {
			continue
		}
		if h := s.hasher.Hash(norm); !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

func bccInput(msg *bcc.Message) Input {
	in := Input{
		Email:             msg.RecipientEmail,
		Name:              clip(msg.RecipientName),
		ReferenceID:       clip(msg.ReferenceID),
		SenderName:        clip(msg.SenderName),
		ReplyTo:           msg.ReplyTo,
		PreferredSendTime: msg.PreferredSendTime,
	}
	if in.ReplyTo == "" {
		in.ReplyTo = msg.SenderEmail
	}
	if loc, err := mail.MatchLocale(msg.Locale); err == nil {
		in.Locale = loc
	}
	if mail.HasTemplate(msg.TemplateID) {
		in.TemplateID = msg.TemplateID
	}
	for _, tag := range msg.Tags {
		if tagPattern.MatchString(tag) && len(in.Tags) < 10 {
			in.Tags = append(in.Tags, tag)
		}
	}
	if in.ReplyTo != "" && checkReplyTo(in.ReplyTo) != nil {
		in.ReplyTo = ""
	}
	return in
}

// clip shortens free text to the field limit and drops control
// characters, which order e-mails sometimes carry.
func clip(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			continue
		}
		if len(out) == maxTextLen {
			break
		}
		out = append(out, r)
	}
	return string(out)
}

// dedupe identifies a message for a business unit: by its Message-ID when
// it has one, else by its bytes.
func (s *Service) dedupe(bu string, msg *bcc.Message, raw []byte) storage.Hash {
	m := hmac.New(sha256.New, s.dedupeKey)
	m.Write([]byte(bu))
	m.Write([]byte{0})
	if msg.MessageID != "" {
		m.Write([]byte("id:" + msg.MessageID))
	} else {
		m.Write([]byte("raw:"))
		m.Write(raw)
	}
	var h storage.Hash
	m.Sum(h[:0])
	return h
}
