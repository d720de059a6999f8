package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxIDLen is the longest Message.ID accepted.
const maxIDLen = 64

// foldAt is the line length past which header values are folded at spaces.
const foldAt = 78

// Address is a mailbox: an optional display name and an e-mail address.
// Email must be a bare ASCII addr-spec such as "ann@example.com", with no
// angle brackets, comments or display name.
type Address struct {
	Name  string
	Email string
}

// Message is one rendered e-mail ready to deliver. The zero value is not
// valid: ID, From, To, Subject, Text, HTML, UnsubscribeURL and Date are
// required.
type Message struct {
	// ID is chosen by the caller, unique per message: 1 to 64 characters
	// of A-Z, a-z, 0-9, '_' and '-'. It makes the Message-ID header
	// <ID@domain>, with the domain of From, and the outbox file name.
	ID      string
	From    Address
	To      Address
	ReplyTo string // optional; an address, with or without display name
	Subject string
	Text    string // text/plain body
	HTML    string // text/html body
	// UnsubscribeURL is an absolute http or https URL (RFC 8058 wants
	// https). It is also sent as the List-Unsubscribe header, with
	// List-Unsubscribe-Post: List-Unsubscribe=One-Click.
	UnsubscribeURL string
	Date           time.Time
}

// Bytes renders the message as RFC 5322 bytes with CRLF line endings: a
// MIME multipart/alternative body with the text and HTML parts in UTF-8
// quoted-printable, display names and subject RFC 2047-encoded when not
// plain ASCII, and Date, Message-ID, MIME-Version and List-Unsubscribe
// headers. Bytes is deterministic: the same Message gives the same bytes.
//
// Bytes returns an error wrapping ErrInvalidMessage if a required field is
// missing, an address does not parse with net/mail, or any header value
// holds CR, LF or another control character, so header injection is
// impossible. The error never quotes the offending value.
func (m *Message) Bytes() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrInvalidMessage)
	}
	if err := validID(m.ID); err != nil {
		return nil, fmt.Errorf("%w: ID must be 1 to %d characters of A-Z a-z 0-9 _ -", ErrInvalidMessage, maxIDLen)
	}

	from, err := formatAddress("From", m.From)
	if err != nil {
		return nil, err
	}
	to, err := formatAddress("To", m.To)
	if err != nil {
		return nil, err
	}
	replyTo, err := formatReplyTo(m.ReplyTo)
	if err != nil {
		return nil, err
	}
	subject, err := formatSubject(m.Subject)
	if err != nil {
		return nil, err
	}
	unsubscribe, err := formatUnsubscribe(m.UnsubscribeURL)
	if err != nil {
		return nil, err
	}
	if m.Date.IsZero() {
		return nil, fmt.Errorf("%w: Date is required", ErrInvalidMessage)
	}
	if err := checkBody("Text", m.Text); err != nil {
		return nil, err
	}
	if err := checkBody("HTML", m.HTML); err != nil {
		return nil, err
	}

	domain := m.From.Email[strings.LastIndexByte(m.From.Email, '@')+1:]
	boundary := boundaryFor(m)
	var b bytes.Buffer
	h := headerWriter{b: &b}
	h.add("Date", m.Date.Format(time.RFC1123Z))
	h.add("From", from)
	if replyTo != "" {
		h.add("Reply-To", replyTo)
	}
	h.add("To", to)
	h.add("Subject", subject)
	h.add("Message-ID", "<"+m.ID+"@"+domain+">")
	h.add("List-Unsubscribe", unsubscribe)
	h.add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	h.add("MIME-Version", "1.0")
	h.add("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
	if h.err != nil {
		return nil, h.err
	}
	b.WriteString("\r\n")

	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, fmt.Errorf("mail: multipart boundary: %w", err)
	}
	if err := writePart(mw, "text/plain", m.Text); err != nil {
		return nil, err
	}
	if err := writePart(mw, "text/html", m.HTML); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("mail: close multipart: %w", err)
	}
	return b.Bytes(), nil
}

// validID returns ErrInvalidID unless id is 1 to 64 characters of
// A-Z, a-z, 0-9, '_' and '-'.
func validID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return ErrInvalidID
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
		if !ok {
			return ErrInvalidID
		}
	}
	return nil
}

// formatAddress checks a and renders it for the header named field.
func formatAddress(field string, a Address) (string, error) {
	if err := checkHeaderText(field+" name", a.Name); err != nil {
		return "", err
	}
	if err := checkEmail(field+" address", a.Email); err != nil {
		return "", err
	}
	return (&mail.Address{Name: a.Name, Address: a.Email}).String(), nil
}

// formatReplyTo checks an optional Reply-To value and renders it.
func formatReplyTo(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if err := checkHeaderText("ReplyTo", s); err != nil {
		return "", err
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		// net/mail errors quote the input, so they are not wrapped.
		return "", fmt.Errorf("%w: ReplyTo does not parse as an address", ErrInvalidMessage)
	}
	if err := checkEmail("ReplyTo address", a.Address); err != nil {
		return "", err
	}
	return a.String(), nil
}

// checkEmail accepts a bare ASCII addr-spec that net/mail parses back to
// itself.
func checkEmail(field, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalidMessage, field)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Errorf("%w: %s must be printable ASCII without spaces", ErrInvalidMessage, field)
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s, "@") {
		return fmt.Errorf("%w: %s does not parse as a bare address", ErrInvalidMessage, field)
	}
	return nil
}

// formatSubject checks the subject and encodes it if it is not ASCII.
func formatSubject(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%w: Subject is required", ErrInvalidMessage)
	}
	if err := checkHeaderText("Subject", s); err != nil {
		return "", err
	}
	return mime.QEncoding.Encode("utf-8", s), nil
}

// formatUnsubscribe checks the unsubscribe URL and renders it for
// List-Unsubscribe.
func formatUnsubscribe(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: UnsubscribeURL is required", ErrInvalidMessage)
	}
	if !validURL(s) {
		return "", fmt.Errorf("%w: UnsubscribeURL must be an absolute http or https URL of printable ASCII", ErrInvalidMessage)
	}
	return "<" + s + ">", nil
}

// validURL reports whether s is an absolute http or https URL made of
// printable ASCII without spaces, quotes or angle brackets, so that it is
// safe in a header and in an href.
func validURL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// checkHeaderText rejects invalid UTF-8 and control characters (CR and LF
// above all); tab is allowed.
func checkHeaderText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidMessage, field)
	}
	for _, r := range s {
		if r != '\t' && unicode.IsControl(r) {
			return fmt.Errorf("%w: %s contains CR, LF or another control character", ErrInvalidMessage, field)
		}
	}
	return nil
}

// checkBody requires a non-empty UTF-8 body.
func checkBody(field, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalidMessage, field)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidMessage, field)
	}
	return nil
}

// boundaryFor derives the multipart boundary from the message. It starts
// with "=_", which quoted-printable output can never contain, so it cannot
// collide with the body.
func boundaryFor(m *Message) string {
	h := sha256.New()
	for _, s := range []string{m.ID, m.Text, m.HTML} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "=_alt_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// writePart writes body as one quoted-printable UTF-8 part of type ctype.
func writePart(mw *multipart.Writer, ctype, body string) error {
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Type", ctype+"; charset=utf-8")
	hdr.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := mw.CreatePart(hdr)
	if err != nil {
		return fmt.Errorf("mail: create %s part: %w", ctype, err)
	}

	// Normalise line endings so that the encoder emits CRLF and never a
	// lone CR.
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	qw := quotedprintable.NewWriter(pw)
	if _, err := qw.Write([]byte(body)); err != nil {
		return fmt.Errorf("mail: encode %s part: %w", ctype, err)
	}
	if err := qw.Close(); err != nil {
		return fmt.Errorf("mail: encode %s part: %w", ctype, err)
	}
	return nil
}

// headerWriter writes folded header fields and keeps the first error.
type headerWriter struct {
	b   *bytes.Buffer
	err error
}

// add writes "name: value" followed by CRLF, folding at spaces so that
// lines stay near 78 characters. The name must be a field name of
// printable ASCII without colon and the value free of CR and LF.
func (h *headerWriter) add(name, value string) {
	if h.err != nil {
		return
	}
	if name == "" || strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == ':' }) >= 0 {
		h.err = fmt.Errorf("%w: header name is not printable ASCII", ErrInvalidMessage)
		return
	}
	if strings.ContainsAny(value, "\r\n") {
		h.err = fmt.Errorf("%w: header %s contains CR or LF", ErrInvalidMessage, name)
		return
	}

	line := name + ":"
	for i, w := range strings.Split(value, " ") {
		if i > 0 && w != "" && len(line)+1+len(w) > foldAt && strings.TrimSpace(line) != "" {
			h.b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + w
	}
	h.b.WriteString(line + "\r\n")
}
