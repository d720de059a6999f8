package smtptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testTimeout bounds every blocking call in these tests.
const testTimeout = 10 * time.Second

// dial opens a net/smtp client to s with a deadline on the connection.
func dial(t testing.TB, s *Server) *smtp.Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr(), testTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Addr(), err)
	}
	conn.SetDeadline(time.Now().Add(testTimeout))
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		conn.Close()
		t.Fatalf("smtp.NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialRaw opens a textproto connection to s, reads the greeting and
// returns the connection.
func dialRaw(t testing.TB, s *Server) *textproto.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr(), testTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Addr(), err)
	}
	conn.SetDeadline(time.Now().Add(testTimeout))
	tc := textproto.NewConn(conn)
	t.Cleanup(func() { tc.Close() })
	if _, _, err := tc.ReadResponse(220); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return tc
}

// send delivers one message with net/smtp and fails the test on error.
func send(t testing.TB, s *Server, from string, to []string, body string) {
	t.Helper()
	if err := sendMail(s, from, to, body); err != nil {
		t.Fatal(err)
	}
}

// sendMail delivers one message with net/smtp; it may run on any
// goroutine.
func sendMail(s *Server, from string, to []string, body string) error {
	conn, err := net.DialTimeout("tcp", s.Addr(), testTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(testTimeout))
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if err := c.Hello("client.test"); err != nil {
		return fmt.Errorf("Hello: %w", err)
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("Mail: %w", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("Rcpt: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("Data: %w", err)
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return fmt.Errorf("write data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close data: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("Quit: %w", err)
	}
	return nil
}

func TestDeliveryAndDotUnstuffing(t *testing.T) {
	s := Start(t)
	body := "Subject: hi\r\n\r\nfirst\r\n.leading dot\r\n.\r\n..two dots\r\nlast\r\n"

	send(t, s, "sender@example.com", []string{"a@example.com", "b@example.com"}, body)

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	msgs, err := s.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatalf("WaitMessages(1) = %v, want nil", err)
	}
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "sender@example.com" {
		t.Errorf("From = %q, want %q", m.From, "sender@example.com")
	}
	if want := []string{"a@example.com", "b@example.com"}; !slices.Equal(m.To, want) {
		t.Errorf("To = %q, want %q", m.To, want)
	}
	if string(m.Data) != body {
		t.Errorf("Data = %q, want %q", m.Data, body)
	}
	if m.Auth != "" {
		t.Errorf("Auth = %q, want empty", m.Auth)
	}
}

func TestMessagesReturnsCopies(t *testing.T) {
	s := Start(t)
	send(t, s, "s@example.com", []string{"r@example.com"}, "x\r\n")

	got := s.Messages()
	got[0].Data[0] = 'y'
	got[0].To[0] = "changed"

	again := s.Messages()
	if string(again[0].Data) != "x\r\n" || again[0].To[0] != "r@example.com" {
		t.Errorf("Messages() = %+v after changing a copy, want the original", again[0])
	}
}

func TestConcurrentConnections(t *testing.T) {
	s := Start(t)
	const n = 8

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = sendMail(s, "s@example.com", []string{fmt.Sprintf("r%d@example.com", i)}, fmt.Sprintf("message %d\r\n", i))
		})
	}
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	msgs, err := s.WaitMessages(ctx, n)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("send %d: %v", i, err)
		}
	}
	if err != nil {
		t.Fatalf("WaitMessages(%d) = %v, want nil", n, err)
	}
	if len(msgs) != n {
		t.Errorf("got %d messages, want %d", len(msgs), n)
	}
}

func TestFailNext(t *testing.T) {
	tests := []struct {
		name string
		code int
	}{
		{name: "temporary", code: 450},
		{name: "permanent", code: 550},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t)
			s.FailNext(tt.code, "5.1.1 no\r\nsuch user")
			c := dial(t, s)
			if err := c.Mail("s@example.com"); err != nil {
				t.Fatalf("Mail: %v", err)
			}

			err := c.Rcpt("r@example.com")
			var te *textproto.Error
			if !errors.As(err, &te) || te.Code != tt.code {
				t.Fatalf("Rcpt after FailNext(%d) = %v, want reply %d", tt.code, err, tt.code)
			}
			if err := c.Rcpt("r@example.com"); err != nil {
				t.Errorf("second Rcpt = %v, want nil (FailNext applies once)", err)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		cmds []string // sent in order; each but the last must succeed
		want int      // reply code to the last command
	}{
		{name: "noop", cmds: []string{"NOOP"}, want: 250},
		{name: "helo", cmds: []string{"HELO client.test"}, want: 250},
		{name: "rset", cmds: []string{"EHLO client.test", "MAIL FROM:<s@example.com>", "RSET"}, want: 250},
		{name: "rset clears sender", cmds: []string{"EHLO client.test", "MAIL FROM:<s@example.com>", "RSET", "RCPT TO:<r@example.com>"}, want: 503},
		{name: "mail before ehlo", cmds: []string{"MAIL FROM:<s@example.com>"}, want: 503},
		{name: "rcpt before mail", cmds: []string{"EHLO client.test", "RCPT TO:<r@example.com>"}, want: 503},
		{name: "data before rcpt", cmds: []string{"EHLO client.test", "MAIL FROM:<s@example.com>", "DATA"}, want: 503},
		{name: "mail syntax", cmds: []string{"EHLO client.test", "MAIL FROM:s@example.com"}, want: 501},
		{name: "mail params", cmds: []string{"EHLO client.test", "MAIL FROM:<s@example.com> BODY=8BITMIME"}, want: 250},
		{name: "starttls not offered", cmds: []string{"EHLO client.test", "STARTTLS"}, want: 502},
		{name: "auth not offered", cmds: []string{"EHLO client.test", "AUTH PLAIN AHUAcA=="}, want: 504},
		{name: "unknown", cmds: []string{"WHAT"}, want: 502},
		{name: "quit", cmds: []string{"QUIT"}, want: 221},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t)
			tc := dialRaw(t, s)
			for i, cmd := range tt.cmds {
				if err := tc.PrintfLine("%s", cmd); err != nil {
					t.Fatalf("send %q: %v", cmd, err)
				}
				code, msg, err := tc.ReadResponse(0)
				if err != nil {
					t.Fatalf("reply to %q: %v", cmd, err)
				}
				if i == len(tt.cmds)-1 {
					if code != tt.want {
						t.Errorf("reply to %q = %d %s, want %d", cmd, code, msg, tt.want)
					}
				} else if code/100 != 2 {
					t.Fatalf("reply to %q = %d %s, want 2xx", cmd, code, msg)
				}
			}
		})
	}
}

func TestRequireAuth(t *testing.T) {
	tests := []struct {
		name     string
		password string
		wantErr  bool
	}{
		{name: "right password", password: "s3cret"},
		{name: "wrong password", password: "guess", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t)
			s.RequireAuth("relay-user", "s3cret")
			c := dial(t, s)
			if err := c.Hello("client.test"); err != nil {
				t.Fatalf("Hello: %v", err)
			}
			if ok, params := c.Extension("AUTH"); !ok || params != "PLAIN" {
				t.Fatalf("Extension(AUTH) = %v, %q, want true, PLAIN", ok, params)
			}
			var te *textproto.Error
			if err := c.Mail("s@example.com"); !errors.As(err, &te) || te.Code != 530 {
				t.Fatalf("Mail before AUTH = %v, want reply 530", err)
			}

			err := c.Auth(smtp.PlainAuth("", "relay-user", tt.password, "127.0.0.1"))
			if tt.wantErr {
				if !errors.As(err, &te) || te.Code != 535 {
					t.Errorf("Auth with wrong password = %v, want reply 535", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Auth = %v, want nil", err)
			}
			if err := c.Mail("s@example.com"); err != nil {
				t.Fatalf("Mail: %v", err)
			}
			if err := c.Rcpt("r@example.com"); err != nil {
				t.Fatalf("Rcpt: %v", err)
			}
			w, err := c.Data()
			if err != nil {
				t.Fatalf("Data: %v", err)
			}
			w.Write([]byte("x\r\n"))
			if err := w.Close(); err != nil {
				t.Fatalf("close data: %v", err)
			}
			if got := s.Messages()[0].Auth; got != "relay-user" {
				t.Errorf("Auth = %q, want %q", got, "relay-user")
			}
		})
	}
}

func TestLongLines(t *testing.T) {
	tests := []struct {
		name string
		cmds []string
		want []int // reply code to each command; 0 means no reply expected
	}{
		{
			name: "command",
			cmds: []string{"NOOP " + strings.Repeat("x", 3*maxLineBytes), "NOOP"},
			want: []int{500, 250},
		},
		{
			name: "data",
			cmds: []string{"EHLO client.test", "MAIL FROM:<s@example.com>", "RCPT TO:<r@example.com>", "DATA", strings.Repeat("x", 3*maxLineBytes), ".", "NOOP"},
			want: []int{250, 250, 250, 354, 0, 500, 250},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t)
			tc := dialRaw(t, s)
			for i, cmd := range tt.cmds {
				if err := tc.PrintfLine("%s", cmd); err != nil {
					t.Fatalf("send command %d: %v", i, err)
				}
				if tt.want[i] == 0 {
					continue
				}
				if code, msg, err := tc.ReadResponse(0); code != tt.want[i] {
					t.Errorf("reply to command %d = %d %s, %v, want %d", i, code, msg, err, tt.want[i])
				}
			}
			if msgs := s.Messages(); len(msgs) != 0 {
				t.Errorf("server stored %d messages, want 0", len(msgs))
			}
		})
	}
}

func TestWaitMessagesDeadline(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()

	_, err := s.WaitMessages(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitMessages(1) on an idle server = %v, want %v", err, context.DeadlineExceeded)
	}
}

func TestWaitMessagesAfterClose(t *testing.T) {
	s := Start(t)
	s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()

	if _, err := s.WaitMessages(ctx, 1); !errors.Is(err, errServerClosed) {
		t.Errorf("WaitMessages(1) after Close = %v, want %v", err, errServerClosed)
	}
	if _, err := s.WaitMessages(ctx, 0); err != nil {
		t.Errorf("WaitMessages(0) after Close = %v, want nil", err)
	}
	s.Close() // a second Close is harmless
}
