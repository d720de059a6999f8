package mail

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// testDate is the Date of every test message.
var testDate = time.Date(2026, 3, 14, 9, 26, 53, 0, time.FixedZone("CET", 3600))

// newTestMessage returns a valid message with the given ID.
func newTestMessage(id string) *Message {
	return &Message{
		ID:             id,
		From:           Address{Name: "Acme Shop", Email: "noreply@shop.example"},
		To:             Address{Name: "Sven Svensson", Email: "sven@customer.example"},
		ReplyTo:        "Acme Support <support@shop.example>",
		Subject:        "How was your order?",
		Text:           "Hi Sven,\n\nPlease review us:\nhttps://reviews.example/r/tok123\n",
		HTML:           `<p>Hi Sven,</p><p><a href="https://reviews.example/r/tok123">Review</a></p>`,
		UnsubscribeURL: "https://reviews.example/u/tok123",
		Date:           testDate,
	}
}

// parsed is a message read back from its bytes.
type parsed struct {
	header mail.Header
	text   string // decoded text part, CRLF line endings
	html   string // decoded HTML part
	ctypes []string
}

// parseMessage reads raw back with net/mail and mime/multipart.
func parseMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail.ReadMessage: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}

	p := parsed{header: msg.Header}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct := part.Header.Get("Content-Type")
		p.ctypes = append(p.ctypes, ct)
		switch ct {
		case "text/plain; charset=utf-8":
			p.text = string(body)
		case "text/html; charset=utf-8":
			p.html = string(body)
		}
	}
	return p
}

func TestMessageBytes(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m *Message)
		from    string // decoded From display name
		to      string // decoded To display name
		subject string // decoded Subject
		replyTo string // Reply-To address, "" if none
	}{
		{
			name:    "ascii",
			edit:    func(m *Message) {},
			from:    "Acme Shop",
			to:      "Sven Svensson",
			subject: "How was your order?",
			replyTo: "support@shop.example",
		},
		{
			name: "swedish",
			edit: func(m *Message) {
				m.From.Name = "Blomsterhandeln i Åre"
				m.To.Name = "Åsa Öberg"
				m.Subject = "Vad tyckte du om din beställning från Blomsterhandeln i Åre?"
				m.ReplyTo = ""
			},
			from:    "Blomsterhandeln i Åre",
			to:      "Åsa Öberg",
			subject: "Vad tyckte du om din beställning från Blomsterhandeln i Åre?",
		},
		{
			name: "german with punctuation",
			edit: func(m *Message) {
				m.From.Name = "Müller & Söhne, Köln"
				m.To.Name = "Jürgen Groß"
				m.Subject = "Wie zufrieden sind Sie mit Ihrer Bestellung 4711 bei Müller & Söhne? Eine sehr lange Betreffzeile, die gefaltet werden muss."
			},
			from:    "Müller & Söhne, Köln",
			to:      "Jürgen Groß",
			subject: "Wie zufrieden sind Sie mit Ihrer Bestellung 4711 bei Müller & Söhne? Eine sehr lange Betreffzeile, die gefaltet werden muss.",
			replyTo: "support@shop.example",
		},
		{
			name: "no display names",
			edit: func(m *Message) {
				m.From.Name = ""
				m.To.Name = ""
			},
			subject: "How was your order?",
			replyTo: "support@shop.example",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestMessage("inv-0001")
			tt.edit(m)

			raw, err := m.Bytes()
			if err != nil {
				t.Fatalf("Bytes() = %v, want nil", err)
			}
			checkWireFormat(t, raw)
			p := parseMessage(t, raw)

			from, err := p.header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != tt.from || from[0].Address != m.From.Email {
				t.Errorf("From = %v (%v), want %q <%s>", from, err, tt.from, m.From.Email)
			}
			to, err := p.header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Name != tt.to || to[0].Address != m.To.Email {
				t.Errorf("To = %v (%v), want %q <%s>", to, err, tt.to, m.To.Email)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
			if err != nil || subject != tt.subject {
				t.Errorf("Subject = %q (%v), want %q", subject, err, tt.subject)
			}
			if got := p.header.Get("Reply-To"); tt.replyTo == "" && got != "" {
				t.Errorf("Reply-To = %q, want none", got)
			}
			if tt.replyTo != "" {
				rt, err := p.header.AddressList("Reply-To")
				if err != nil || len(rt) != 1 || rt[0].Address != tt.replyTo {
					t.Errorf("Reply-To = %v (%v), want %s", rt, err, tt.replyTo)
				}
			}

			wantHeaders := map[string]string{
				"Message-ID":            "<inv-0001@shop.example>",
				"MIME-Version":          "1.0",
				"List-Unsubscribe":      "<https://reviews.example/u/tok123>",
				"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			}
			for k, want := range wantHeaders {
				if got := p.header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if d, err := p.header.Date(); err != nil || !d.Equal(testDate) {
				t.Errorf("Date = %v (%v), want %v", d, err, testDate)
			}

			if want := []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"}; strings.Join(p.ctypes, ",") != strings.Join(want, ",") {
				t.Errorf("part types = %q, want %q", p.ctypes, want)
			}
			if want := strings.ReplaceAll(m.Text, "\n", "\r\n"); p.text != want {
				t.Errorf("text part = %q, want %q", p.text, want)
			}
			if p.html != m.HTML {
				t.Errorf("html part = %q, want %q", p.html, m.HTML)
			}
		})
	}
}

// checkWireFormat checks that raw uses CRLF only, keeps lines within the
// RFC 5322 limit and is 7-bit.
func checkWireFormat(t *testing.T, raw []byte) {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("message has a bare LF")
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Errorf("message has a bare CR")
	}
	header, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes, want at most 998", i, len(line))
		}
	}
	// A header line longer than 78 characters is allowed only if it
	// holds a single word that cannot be folded.
	for _, line := range bytes.Split(header, []byte("\r\n")) {
		word := bytes.TrimLeft(line, " ")
		if _, v, ok := bytes.Cut(line, []byte(": ")); ok && line[0] != ' ' {
			word = v
		}
		if len(line) > foldAt && bytes.Contains(word, []byte(" ")) {
			t.Errorf("header line %q is %d bytes, want it folded", line, len(line))
		}
	}
	for _, c := range raw {
		if c >= 0x80 {
			t.Errorf("message has a non-ASCII byte %#x", c)
			break
		}
	}
}

func TestMessageBytesDotLines(t *testing.T) {
	m := newTestMessage("dots")
	m.Text = "line one\n.\n.leading dot\n..two\r\nlast"

	raw, err := m.Bytes()
	if err != nil {
		t.Fatalf("Bytes() = %v, want nil", err)
	}
	p := parseMessage(t, raw)
	if want := "line one\r\n.\r\n.leading dot\r\n..two\r\nlast"; p.text != want {
		t.Errorf("text part = %q, want %q", p.text, want)
	}
}

func TestMessageBytesDeterministic(t *testing.T) {
	m := newTestMessage("same")
	a, err := m.Bytes()
	if err != nil {
		t.Fatalf("Bytes() = %v, want nil", err)
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatalf("Bytes() = %v, want nil", err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("Bytes() differs between two calls on the same message")
	}
}

func TestMessageBytesRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *Message)
	}{
		{name: "nil message"},
		{name: "empty id", edit: func(m *Message) { m.ID = "" }},
		{name: "path id", edit: func(m *Message) { m.ID = "../x" }},
		{name: "long id", edit: func(m *Message) { m.ID = strings.Repeat("a", 65) }},
		{name: "id with at", edit: func(m *Message) { m.ID = "sven@customer.example" }},
		{name: "CRLF in subject", edit: func(m *Message) { m.Subject = "Hi\r\nBcc: evil@attacker.example" }},
		{name: "LF in subject", edit: func(m *Message) { m.Subject = "Hi\nBcc: evil@attacker.example" }},
		{name: "CR in subject", edit: func(m *Message) { m.Subject = "Hi\rBcc: evil@attacker.example" }},
		{name: "empty subject", edit: func(m *Message) { m.Subject = " " }},
		{name: "LF in to name", edit: func(m *Message) { m.To.Name = "Sven\nBcc: evil@attacker.example" }},
		{name: "CR in from name", edit: func(m *Message) { m.From.Name = "Acme\rBcc: evil@attacker.example" }},
		{name: "NUL in to name", edit: func(m *Message) { m.To.Name = "Sven\x00" }},
		{name: "invalid utf-8 name", edit: func(m *Message) { m.To.Name = "Sven \xff" }},
		{name: "CRLF in to email", edit: func(m *Message) { m.To.Email = "sven@customer.example\r\nBcc: evil@attacker.example" }},
		{name: "to email not an address", edit: func(m *Message) { m.To.Email = "sven at customer.example" }},
		{name: "to email with name", edit: func(m *Message) { m.To.Email = "Sven <sven@customer.example>" }},
		{name: "to email two addresses", edit: func(m *Message) { m.To.Email = "sven@customer.example,evil@attacker.example" }},
		{name: "to email missing", edit: func(m *Message) { m.To.Email = "" }},
		{name: "to email non-ascii", edit: func(m *Message) { m.To.Email = "åsa@customer.example" }},
		{name: "from email without domain", edit: func(m *Message) { m.From.Email = "noreply" }},
		{name: "CRLF in reply-to", edit: func(m *Message) { m.ReplyTo = "support@shop.example\r\nBcc: evil@attacker.example" }},
		{name: "reply-to not an address", edit: func(m *Message) { m.ReplyTo = "support" }},
		{name: "unsubscribe missing", edit: func(m *Message) { m.UnsubscribeURL = "" }},
		{name: "unsubscribe CRLF", edit: func(m *Message) { m.UnsubscribeURL = "https://reviews.example/u\r\nBcc: evil@attacker.example" }},
		{name: "unsubscribe angle bracket", edit: func(m *Message) { m.UnsubscribeURL = "https://reviews.example/u>, <mailto:evil@attacker.example" }},
		{name: "unsubscribe javascript", edit: func(m *Message) { m.UnsubscribeURL = "javascript:alert(1)" }},
		{name: "unsubscribe relative", edit: func(m *Message) { m.UnsubscribeURL = "/u/tok123" }},
		{name: "zero date", edit: func(m *Message) { m.Date = time.Time{} }},
		{name: "empty text", edit: func(m *Message) { m.Text = "" }},
		{name: "empty html", edit: func(m *Message) { m.HTML = "" }},
		{name: "invalid utf-8 text", edit: func(m *Message) { m.Text = "\xc3\x28" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m *Message
			if tt.edit != nil {
				m = newTestMessage("inv-0001")
				tt.edit(m)
			}

			raw, err := m.Bytes()
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("Bytes() = %q, %v, want %v", raw, err, ErrInvalidMessage)
			}
			for _, secret := range []string{"sven", "Sven", "evil", "support@", "tok123", "åsa"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Bytes() error %q contains %q, want no personal data", err, secret)
				}
			}
		})
	}
}

func TestHeaderWriterRejectsBadNames(t *testing.T) {
	tests := []struct {
		name   string
		header string
		value  string
	}{
		{name: "empty name", header: "", value: "x"},
		{name: "colon in name", header: "X-A:B", value: "x"},
		{name: "LF in name", header: "X-A\nBcc", value: "x"},
		{name: "space in name", header: "X A", value: "x"},
		{name: "CR in value", header: "X-A", value: "x\ry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			h := headerWriter{b: &b}
			h.add(tt.header, tt.value)
			if !errors.Is(h.err, ErrInvalidMessage) {
				t.Errorf("add(%q, %q) error = %v, want %v", tt.header, tt.value, h.err, ErrInvalidMessage)
			}
		})
	}
}
