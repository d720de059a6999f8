// Package smtptest provides an in-memory SMTP server for tests. It listens
// on 127.0.0.1 only, speaks enough ESMTP for net/smtp (EHLO, HELO, AUTH
// PLAIN when asked for, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP,
// QUIT) and keeps every accepted message in memory.
//
// It must not be used outside tests: it offers no TLS, relays nothing and
// stores personal data in memory until the test ends.
package smtptest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Limits on what a client may send.
const (
	maxLineBytes = 4096     // one command or data line, CRLF included
	maxDataBytes = 16 << 20 // one message
)

// Errors of the server.
var (
	// errServerClosed is returned by WaitMessages once the server is closed.
	errServerClosed = errors.New("smtptest: server closed")
	// errLineTooLong means a client line exceeded maxLineBytes; the rest of
	// that line has been discarded.
	errLineTooLong = errors.New("smtptest: line too long")
)

// Received is one message the server accepted.
type Received struct {
	From string   // MAIL FROM address, without angle brackets
	To   []string // RCPT TO addresses, in order
	// Data is the message as sent after DATA, dot-unstuffed, with its CRLF
	// line endings and without the terminating ".".
	Data []byte
	// Auth is the user name the client authenticated as, "" if none.
	Auth string
}

// Server is a loopback SMTP server for tests. It serves many connections
// at once and is safe for concurrent use.
type Server struct {
	ln net.Listener
	wg sync.WaitGroup

	// mu guards msgs, changed, closed, conns, failCode, failText,
	// authUser and authPass.
	mu       sync.Mutex
	msgs     []Received
	changed  chan struct{} // closed and replaced when msgs grows or the server closes
	closed   bool
	conns    map[net.Conn]struct{}
	failCode int
	failText string
	authUser string
	authPass string
}

// Start starts a server on 127.0.0.1 with a free port. It stops the test
// if it cannot listen, and closes the server with tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{
		ln:      ln,
		changed: make(chan struct{}),
		conns:   map[net.Conn]struct{}{},
	}
	s.wg.Add(1)
	go s.serve()
	tb.Cleanup(s.Close)
	return s
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, closes open connections and waits for them to
// end. It is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	close(s.changed)
	s.mu.Unlock()

	s.ln.Close()
	s.wg.Wait()
}

// Messages returns copies of the messages accepted so far, in arrival
// order.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.copyLocked()
}

// WaitMessages blocks until at least n messages have arrived and returns
// copies of all of them, or returns ctx's error when ctx is done first, or
// an error once the server is closed.
func (s *Server) WaitMessages(ctx context.Context, n int) ([]Received, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			msgs := s.copyLocked()
			s.mu.Unlock()
			return msgs, nil
		}
		if s.closed {
			s.mu.Unlock()
			return nil, errServerClosed
		}
		changed := s.changed
		s.mu.Unlock()

		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}

// FailNext makes the next RCPT TO, on any connection, get the reply
// "code text" instead of 250, once. CR and LF in text become spaces.
func (s *Server) FailNext(code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCode = code
	s.failText = strings.NewReplacer("\r", " ", "\n", " ").Replace(text)
}

// RequireAuth makes the server offer AUTH PLAIN and refuse MAIL with 530
// until a client authenticates with username and password.
func (s *Server) RequireAuth(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authUser = username
	s.authPass = password
}

// copyLocked returns a deep copy of msgs. It expects mu to be held.
func (s *Server) copyLocked() []Received {
	out := make([]Received, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = Received{From: m.From, To: slices.Clone(m.To), Data: bytes.Clone(m.Data), Auth: m.Auth}
	}
	return out
}

// serve accepts connections until the listener closes.
func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()

		go func() {
			defer s.wg.Done()
			s.handle(c)
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// session is the state of one SMTP conversation.
type session struct {
	s    *Server
	r    *bufio.Reader
	w    *bufio.Writer
	helo bool
	auth string
	from *string
	to   []string
}

// handle runs one SMTP conversation on c.
func (s *Server) handle(c net.Conn) {
	ss := &session{s: s, r: bufio.NewReaderSize(c, maxLineBytes), w: bufio.NewWriter(c)}
	if ss.reply("220 127.0.0.1 smtptest ESMTP ready") != nil {
		return
	}
	for {
		line, err := ss.readLine()
		if errors.Is(err, errLineTooLong) {
			if ss.reply("500 5.5.2 line too long") != nil {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		quit, err := ss.command(strings.ToUpper(verb), arg)
		if err != nil || quit {
			return
		}
	}
}

// command answers one command. It reports whether the conversation ends.
func (ss *session) command(verb, arg string) (quit bool, err error) {
	switch verb {
	case "EHLO":
		ss.helo = true
		ss.resetTx()
		lines := []string{"250-127.0.0.1 greets " + arg, "250-8BITMIME"}
		if ss.authRequired() {
			lines = append(lines, "250-AUTH PLAIN")
		}
		lines = append(lines, "250 HELP")
		return false, ss.reply(lines...)
	case "HELO":
		ss.helo = true
		ss.resetTx()
		return false, ss.reply("250 127.0.0.1 greets " + arg)
	case "AUTH":
		return false, ss.authPlain(arg)
	case "MAIL":
		return false, ss.mail(arg)
	case "RCPT":
		return false, ss.rcpt(arg)
	case "DATA":
		return false, ss.data()
	case "RSET":
		ss.resetTx()
		return false, ss.reply("250 2.0.0 ok")
	case "NOOP":
		return false, ss.reply("250 2.0.0 ok")
	case "QUIT":
		ss.reply("221 2.0.0 bye")
		return true, nil
	default:
		return false, ss.reply("502 5.5.1 command not implemented")
	}
}

// authRequired reports whether RequireAuth was called.
func (ss *session) authRequired() bool {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	return ss.s.authUser != ""
}

// authPlain handles "AUTH PLAIN <base64>", the form net/smtp sends.
func (ss *session) authPlain(arg string) error {
	ss.s.mu.Lock()
	user, pass := ss.s.authUser, ss.s.authPass
	ss.s.mu.Unlock()

	mech, resp, _ := strings.Cut(arg, " ")
	switch {
	case user == "" || !strings.EqualFold(mech, "PLAIN"):
		return ss.reply("504 5.5.4 mechanism not supported")
	case ss.auth != "":
		return ss.reply("503 5.5.1 already authenticated")
	case resp == "":
		return ss.reply("501 5.5.2 initial response required")
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return ss.reply("501 5.5.2 bad base64")
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[1] != user || parts[2] != pass {
		return ss.reply("535 5.7.8 authentication failed")
	}
	ss.auth = user
	return ss.reply("235 2.7.0 authenticated")
}

// mail handles "MAIL FROM:<addr> [params]".
func (ss *session) mail(arg string) error {
	addr, ok := pathArg(arg, "FROM:")
	switch {
	case !ss.helo:
		return ss.reply("503 5.5.1 send EHLO first")
	case ss.authRequired() && ss.auth == "":
		return ss.reply("530 5.7.0 authentication required")
	case ss.from != nil:
		return ss.reply("503 5.5.1 sender already given")
	case !ok:
		return ss.reply("501 5.5.4 syntax: MAIL FROM:<address>")
	}
	ss.from = &addr
	return ss.reply("250 2.1.0 ok")
}

// rcpt handles "RCPT TO:<addr>", answering with the FailNext reply if one
// is pending.
func (ss *session) rcpt(arg string) error {
	addr, ok := pathArg(arg, "TO:")
	switch {
	case ss.from == nil:
		return ss.reply("503 5.5.1 send MAIL first")
	case !ok || addr == "":
		return ss.reply("501 5.5.4 syntax: RCPT TO:<address>")
	}

	ss.s.mu.Lock()
	code, text := ss.s.failCode, ss.s.failText
	ss.s.failCode, ss.s.failText = 0, ""
	ss.s.mu.Unlock()
	if code != 0 {
		return ss.reply(fmt.Sprintf("%03d %s", code, text))
	}

	ss.to = append(ss.to, addr)
	return ss.reply("250 2.1.5 ok")
}

// data handles DATA: it reads the dot-terminated message, removes dot
// stuffing and stores the message.
func (ss *session) data() error {
	if ss.from == nil || len(ss.to) == 0 {
		return ss.reply("503 5.5.1 send MAIL and RCPT first")
	}
	if err := ss.reply("354 end data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}

	var buf bytes.Buffer
	tooBig, tooLong := false, false
	for {
		line, err := ss.readLine()
		if errors.Is(err, errLineTooLong) {
			tooLong = true
			continue
		}
		if err != nil {
			return err
		}
		if line == ".\r\n" || line == ".\n" {
			break
		}
		line = strings.TrimPrefix(line, ".")
		if buf.Len()+len(line) > maxDataBytes {
			tooBig = true
			continue
		}
		buf.WriteString(line)
	}
	switch {
	case tooLong:
		ss.resetTx()
		return ss.reply("500 5.5.2 line too long")
	case tooBig:
		ss.resetTx()
		return ss.reply("552 5.3.4 message too big")
	}

	msg := Received{From: *ss.from, To: ss.to, Data: buf.Bytes(), Auth: ss.auth}
	ss.resetTx()
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, msg)
	if !ss.s.closed {
		close(ss.s.changed)
		ss.s.changed = make(chan struct{})
	}
	ss.s.mu.Unlock()
	return ss.reply("250 2.0.0 ok: queued")
}

// resetTx forgets the sender and recipients of the current transaction.
func (ss *session) resetTx() {
	ss.from = nil
	ss.to = nil
}

// readLine reads one line with its line ending. For a line longer than
// maxLineBytes it discards the rest of the line and returns
// errLineTooLong.
func (ss *session) readLine() (string, error) {
	b, err := ss.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = ss.r.ReadSlice('\n')
		}
		if err == nil {
			err = errLineTooLong
		}
		return "", err
	}
	if err != nil {
		if err == io.EOF && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return string(b), nil
}

// reply writes lines, each ended with CRLF, and flushes them.
func (ss *session) reply(lines ...string) error {
	for _, l := range lines {
		ss.w.WriteString(l + "\r\n")
	}
	return ss.w.Flush()
}

// pathArg parses "FROM:<addr> params" or "TO:<addr> params" and returns
// addr.
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}
