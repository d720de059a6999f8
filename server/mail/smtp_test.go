package mail

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewdata/invitations/server/mail/smtptest"
)

// testTimeout bounds every blocking call in these tests.
const testTimeout = 10 * time.Second

// newTestSMTP returns an SMTP mailer for a relay at addr with a 10s
// timeout, after applying edit to the config.
func newTestSMTP(t *testing.T, addr string, edit func(*SMTPConfig)) *SMTP {
	t.Helper()
	cfg := SMTPConfig{Addr: addr, HeloName: "mailer.test", Timeout: testTimeout}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP() = %v, want nil", err)
	}
	return s
}

// waitOne waits for exactly one message on srv.
func waitOne(t *testing.T, srv *smtptest.Server) smtptest.Received {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	msgs, err := srv.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatalf("WaitMessages(1) = %v, want nil", err)
	}
	if len(msgs) != 1 {
		t.Fatalf("relay got %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

func TestSMTPSend(t *testing.T) {
	tests := []struct {
		name     string
		startTLS string
	}{
		{name: "starttls default", startTLS: ""},
		{name: "starttls auto", startTLS: StartTLSAuto},
		{name: "starttls never", startTLS: StartTLSNever},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			s := newTestSMTP(t, srv.Addr(), func(c *SMTPConfig) { c.StartTLS = tt.startTLS })
			m := newTestMessage("inv-0001")
			m.Text = "Hello\n.\n.leading dot\n..two dots\nend\n"
			want, err := m.Bytes()
			if err != nil {
				t.Fatalf("Bytes() = %v", err)
			}

			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			if err := s.Send(ctx, m); err != nil {
				t.Fatalf("Send() = %v, want nil", err)
			}

			got := waitOne(t, srv)
			if got.From != m.From.Email || len(got.To) != 1 || got.To[0] != m.To.Email {
				t.Errorf("envelope = %q -> %q, want %q -> [%q]", got.From, got.To, m.From.Email, m.To.Email)
			}
			if !bytes.Equal(got.Data, want) {
				t.Errorf("relay got %q, want Bytes() %q", got.Data, want)
			}
			p := parseMessage(t, got.Data)
			if want := "Hello\r\n.\r\n.leading dot\r\n..two dots\r\nend\r\n"; p.text != want {
				t.Errorf("delivered text = %q, want %q", p.text, want)
			}
		})
	}
}

func TestSMTPAuth(t *testing.T) {
	tests := []struct {
		name     string
		password string
		wantCode int
	}{
		{name: "accepted", password: "s3cret-pass"},
		{name: "refused", password: "wrong-pass", wantCode: 535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			srv.RequireAuth("relay-user", "s3cret-pass")
			s := newTestSMTP(t, srv.Addr(), func(c *SMTPConfig) {
				c.Username = "relay-user"
				c.Password = tt.password
			})

			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			err := s.Send(ctx, newTestMessage("inv-0001"))

			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("Send() = %v, want nil", err)
				}
				if got := waitOne(t, srv); got.Auth != "relay-user" {
					t.Errorf("relay saw user %q, want %q", got.Auth, "relay-user")
				}
				return
			}
			var de *DeliveryError
			if !errors.As(err, &de) || de.Code != tt.wantCode || de.Permanent {
				t.Fatalf("Send() = %v, want a temporary DeliveryError with code %d", err, tt.wantCode)
			}
			if strings.Contains(err.Error(), tt.password) {
				t.Errorf("Send() error %q holds the password", err)
			}
		})
	}
}

func TestSMTPReplyErrors(t *testing.T) {
	tests := []struct {
		name      string
		code      int
		text      string
		permanent bool
		reason    string
	}{
		{name: "mailbox busy", code: 450, text: "4.2.1 <sven@customer.example> mailbox busy", permanent: false, reason: "RCPT TO refused (4.2.1)"},
		{name: "no such user", code: 550, text: "5.1.1 <sven@customer.example>: Recipient address rejected", permanent: true, reason: "RCPT TO refused (5.1.1)"},
		{name: "no enhanced code", code: 554, text: "Sven Svensson is not welcome here", permanent: true, reason: "RCPT TO refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			srv.FailNext(tt.code, tt.text)
			s := newTestSMTP(t, srv.Addr(), nil)

			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			err := s.Send(ctx, newTestMessage("inv-0001"))

			var de *DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("Send() = %v, want a *DeliveryError", err)
			}
			if de.Code != tt.code || de.Permanent != tt.permanent || de.Reason != tt.reason || de.MessageID != "inv-0001" {
				t.Errorf("Send() = %+v, want Code %d, Permanent %v, Reason %q, MessageID inv-0001", de, tt.code, tt.permanent, tt.reason)
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), tt.permanent)
			}
			for _, secret := range []string{"sven", "Sven", "Recipient address"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Send() error %q contains %q, want no reply text", err, secret)
				}
			}
			if msgs := srv.Messages(); len(msgs) != 0 {
				t.Errorf("relay got %d messages, want 0", len(msgs))
			}
		})
	}
}

func TestSMTPStartTLSAlwaysWithoutOffer(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSMTP(t, srv.Addr(), func(c *SMTPConfig) { c.StartTLS = StartTLSAlways })

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	err := s.Send(ctx, newTestMessage("inv-0001"))

	if !errors.Is(err, ErrStartTLSUnavailable) || IsPermanent(err) {
		t.Errorf("Send() = %v, want a temporary error wrapping %v", err, ErrStartTLSUnavailable)
	}
	if msgs := srv.Messages(); len(msgs) != 0 {
		t.Errorf("relay got %d messages, want 0", len(msgs))
	}
}

// closedPort returns a 127.0.0.1 address that was listening a moment ago
// and is now closed.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// scriptedRelay returns the address of a 127.0.0.1 listener that accepts
// connections, writes greeting to each (nothing if it is empty) and then
// says nothing more.
func scriptedRelay(t *testing.T, greeting string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			c.SetWriteDeadline(time.Now().Add(testTimeout))
			c.Write([]byte(greeting))
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// silentRelay returns the address of a 127.0.0.1 listener that accepts
// connections and never says anything.
func silentRelay(t *testing.T) string { return scriptedRelay(t, "") }

func TestSMTPGreetingErrors(t *testing.T) {
	tests := []struct {
		name     string
		greeting string
		wantCode int
		wantErr  error
	}{
		{name: "refused", greeting: "554 5.7.1 sven@customer.example not welcome\r\n", wantCode: 554},
		{name: "busy", greeting: "421 4.3.2 try later\r\n", wantCode: 421},
		{name: "malformed", greeting: "hello sven@customer.example\r\n", wantErr: ErrMalformedReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSMTP(t, scriptedRelay(t, tt.greeting), nil)

			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			err := s.Send(ctx, newTestMessage("inv-0001"))

			var de *DeliveryError
			if !errors.As(err, &de) || de.Code != tt.wantCode || de.Permanent || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Send() = %v, want a temporary DeliveryError with code %d wrapping %v", err, tt.wantCode, tt.wantErr)
			}
			if strings.Contains(err.Error(), "sven") {
				t.Errorf("Send() error %q quotes the relay's text", err)
			}
		})
	}
}

func TestSMTPTransportErrors(t *testing.T) {
	tests := []struct {
		name    string
		addr    func(t *testing.T) string
		timeout time.Duration
		ctx     func(t *testing.T) context.Context
		want    error // nil: any error
	}{
		{
			name:    "relay not listening",
			addr:    closedPort,
			timeout: testTimeout,
			ctx:     func(t *testing.T) context.Context { return t.Context() },
		},
		{
			name:    "ctx cancelled",
			addr:    func(t *testing.T) string { return smtptest.Start(t).Addr() },
			timeout: testTimeout,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			want: context.Canceled,
		},
		{
			name:    "relay silent past timeout",
			addr:    silentRelay,
			timeout: 50 * time.Millisecond,
			ctx:     func(t *testing.T) context.Context { return t.Context() },
			want:    context.DeadlineExceeded,
		},
		{
			name:    "relay silent past ctx deadline",
			addr:    silentRelay,
			timeout: testTimeout,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			want: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSMTP(t, tt.addr(t), func(c *SMTPConfig) { c.Timeout = tt.timeout })

			start := time.Now()
			err := s.Send(tt.ctx(t), newTestMessage("inv-0001"))

			var de *DeliveryError
			if !errors.As(err, &de) || de.Permanent || de.Code != 0 {
				t.Fatalf("Send() = %v, want a temporary DeliveryError without code", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Send() = %v, want it to wrap %v", err, tt.want)
			}
			if took := time.Since(start); took > testTimeout/2 {
				t.Errorf("Send() took %v, want it to give up quickly", took)
			}
		})
	}
}

func TestSMTPInvalidMessage(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSMTP(t, srv.Addr(), nil)
	m := newTestMessage("inv-0001")
	m.Subject = "Hi\r\nBcc: evil@attacker.example"

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	err := s.Send(ctx, m)

	if !errors.Is(err, ErrInvalidMessage) || !IsPermanent(err) {
		t.Errorf("Send() = %v, want a permanent error wrapping %v", err, ErrInvalidMessage)
	}
	if msgs := srv.Messages(); len(msgs) != 0 {
		t.Errorf("relay got %d messages, want 0", len(msgs))
	}
}

func TestSMTPConcurrent(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSMTP(t, srv.Addr(), nil)
	const n = 6

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Send(ctx, newTestMessage("inv-"+string(rune('a'+i))))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Send() = %v, want nil", err)
		}
	}
	if msgs, err := srv.WaitMessages(ctx, n); err != nil || len(msgs) != n {
		t.Errorf("WaitMessages(%d) = %d messages, %v, want %d, nil", n, len(msgs), err, n)
	}
}

func TestNewSMTPConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     SMTPConfig
		wantErr bool
	}{
		{name: "minimal", cfg: SMTPConfig{Addr: "127.0.0.1:2525"}},
		{name: "ipv6", cfg: SMTPConfig{Addr: "[::1]:25", HeloName: "[::1]"}},
		{name: "empty addr", cfg: SMTPConfig{}, wantErr: true},
		{name: "no port", cfg: SMTPConfig{Addr: "127.0.0.1"}, wantErr: true},
		{name: "no host", cfg: SMTPConfig{Addr: ":25"}, wantErr: true},
		{name: "named port", cfg: SMTPConfig{Addr: "127.0.0.1:smtp"}, wantErr: true},
		{name: "port out of range", cfg: SMTPConfig{Addr: "127.0.0.1:70000"}, wantErr: true},
		{name: "helo with CRLF", cfg: SMTPConfig{Addr: "127.0.0.1:25", HeloName: "a\r\nMAIL FROM:<x@y>"}, wantErr: true},
		{name: "helo with space", cfg: SMTPConfig{Addr: "127.0.0.1:25", HeloName: "a b"}, wantErr: true},
		{name: "bad starttls", cfg: SMTPConfig{Addr: "127.0.0.1:25", StartTLS: "sometimes"}, wantErr: true},
		{name: "negative timeout", cfg: SMTPConfig{Addr: "127.0.0.1:25", Timeout: -time.Second}, wantErr: true},
		{name: "password without user", cfg: SMTPConfig{Addr: "127.0.0.1:25", Password: "x"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSMTP(tt.cfg)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("NewSMTP(%+v) = %v, want %v", tt.cfg, err, ErrInvalidConfig)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewSMTP(%+v) = %v, want nil", tt.cfg, err)
			}
			if s.cfg.Timeout != defaultTimeout || s.cfg.StartTLS != StartTLSAuto || s.Addr() != tt.cfg.Addr {
				t.Errorf("NewSMTP(%+v) config = %+v, want defaults filled in", tt.cfg, s.cfg)
			}
		})
	}
}

func TestDeliveryErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *DeliveryError
		want string
	}{
		{name: "reply", err: &DeliveryError{MessageID: "inv-1", Code: 550, Permanent: true, Reason: "RCPT TO refused (5.1.1)"}, want: "mail: message inv-1: smtp 550: RCPT TO refused (5.1.1)"},
		{name: "cause", err: &DeliveryError{MessageID: "inv-1", Reason: "STARTTLS", Err: ErrStartTLSUnavailable}, want: "mail: message inv-1: STARTTLS: mail: relay does not offer starttls"},
		{name: "no id", err: &DeliveryError{Reason: "not sent", Err: ErrInvalidMessage}, want: "mail: not sent: mail: invalid message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			wrapped := errors.Join(errors.New("context"), tt.err)
			if IsPermanent(wrapped) != tt.err.Permanent {
				t.Errorf("IsPermanent(wrapped) = %v, want %v", IsPermanent(wrapped), tt.err.Permanent)
			}
		})
	}
}
