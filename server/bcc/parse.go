package bcc

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// MaxMessageBytes is the largest raw message Parse accepts.
const MaxMessageBytes = 10 << 20

// Errors returned by Parse, possibly wrapped; test for them with errors.Is.
// None of them, wrapped or not, carries personal data from the message.
var (
	// ErrTooLarge means the raw message is over MaxMessageBytes.
	ErrTooLarge = errors.New("bcc: message too large")

	// ErrMalformed means the input has no parsable RFC 5322 header section.
	ErrMalformed = errors.New("bcc: malformed message")

	// ErrNoRecipient means neither the To: header nor the snippet gives a
	// usable recipient address.
	ErrNoRecipient = errors.New("bcc: no usable recipient address")

	// ErrBadSnippet means the snippet chosen from the HTML is not a JSON
	// object, has a field of the wrong type, an unusable address or an
	// unparsable preferredSendTime.
	ErrBadSnippet = errors.New("bcc: invalid invitation snippet")
)

// SnippetFormat says which machine-readable snippet, if any, supplied
// fields of a Message.
type SnippetFormat int

const (
	// SnippetNone means the HTML held no snippet, or there was no HTML.
	SnippetNone SnippetFormat = iota

	// SnippetNative is a script element of type
	// application/vnd.reviewdata.invitation+json.
	SnippetNative

	// SnippetTrustpilot is a script element of type
	// application/json+trustpilot.
	SnippetTrustpilot
)

// String returns a short lower-case name of the format, such as "native".
func (f SnippetFormat) String() string {
	switch f {
	case SnippetNone:
		return "none"
	case SnippetNative:
		return "native"
	case SnippetTrustpilot:
		return "trustpilot"
	}
	return fmt.Sprintf("SnippetFormat(%d)", int(f))
}

// Message holds what Parse extracted from one BCC'd e-mail. Strings are
// UTF-8 and trimmed of surrounding white space; "" means not given.
type Message struct {
	// MessageID is the Message-ID header without angle brackets.
	MessageID string

	// RecipientEmail is the invited customer's address as written, not
	// lower-cased. Parse never returns a Message where it is empty.
	RecipientEmail string

	// RecipientName is the customer's display name, decoded.
	RecipientName string

	// Addresses is every usable address in To:, Cc: and Bcc:, in that
	// order, the customer's among them. The raw message names these people,
	// so erasing any of them must remove it.
	Addresses []string
	// IgnoredRecipients is how many To: addresses after the first one were
	// present and ignored.
	IgnoredRecipients int

	// Subject is the decoded Subject header.
	Subject string

	// ReferenceID is the business's order or customer reference, from the
	// snippet or else from the subject.
	ReferenceID string

	// TemplateID names the invitation template; only the snippet sets it.
	TemplateID string

	// Locale is the invitation's locale as written; only the snippet sets it.
	Locale string

	// SenderName is the name the invitation is sent in.
	SenderName string

	// SenderEmail is the business's sender address.
	SenderEmail string

	// ReplyTo is the address replies go to.
	ReplyTo string

	// PreferredSendTime is when the business wants the invitation sent, in
	// UTC; zero when not given. Only the snippet sets it.
	PreferredSendTime time.Time

	// Tags are the snippet's tags, empty ones dropped; nil when none.
	Tags []string

	// Snippet is the format of the snippet that was used.
	Snippet SnippetFormat

	// Date is the Date header; zero when absent or unparsable.
	Date time.Time
}

// Parse extracts an invitation from raw, a complete RFC 5322 message. It
// returns ErrTooLarge, ErrMalformed, ErrNoRecipient or ErrBadSnippet,
// possibly wrapped, and never both a Message and an error. The rules it
// follows are in the package documentation. It is safe for concurrent use.
func Parse(raw []byte) (*Message, error) {
	if len(raw) > MaxMessageBytes {
		return nil, fmt.Errorf("message of %d bytes, limit %d: %w", len(raw), MaxMessageBytes, ErrTooLarge)
	}

	mm, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("header section: %w", ErrMalformed)
	}
	h := normalizeHeader(mm.Header)
	m, to := fromHeader(h)

	if sn := findSnippet(h, mm.Body); sn.format != SnippetNone {
		if err := applySnippet(m, sn); err != nil {
			return nil, err
		}
	}

	if m.ReferenceID == "" {
		m.ReferenceID = subjectReference(m.Subject)
	}
	m.sanitize()

	if m.RecipientEmail == "" {
		if len(to) == 0 {
			return nil, fmt.Errorf("no To address: %w", ErrNoRecipient)
		}
		return nil, fmt.Errorf("first of %d To addresses unusable: %w", len(to), ErrNoRecipient)
	}
	return m, nil
}

// sanitize makes every text field valid UTF-8 without control characters,
// so that no decoded value can smuggle a line break into a mail header or
// log line later, and drops tags that become empty.
func (m *Message) sanitize() {
	for _, p := range []*string{
		&m.MessageID, &m.RecipientEmail, &m.RecipientName, &m.Subject,
		&m.ReferenceID, &m.TemplateID, &m.Locale, &m.SenderName,
		&m.SenderEmail, &m.ReplyTo,
	} {
		*p = sanitizeText(*p)
	}

	tags := m.Tags[:0]
	for _, t := range m.Tags {
		if t = sanitizeText(t); t != "" {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		tags = nil
	}
	m.Tags = tags
}

// sanitizeText replaces invalid UTF-8 by U+FFFD and control characters by
// spaces, and trims the result.
func sanitizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
