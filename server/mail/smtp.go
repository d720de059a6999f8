package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults for SMTPConfig fields left zero.
const (
	defaultHeloName = "localhost"
	defaultTimeout  = 30 * time.Second
)

// StartTLS modes for SMTPConfig.StartTLS.
const (
	StartTLSAuto   = "auto"   // use STARTTLS when the relay offers it
	StartTLSAlways = "always" // fail the delivery when the relay does not offer it
	StartTLSNever  = "never"  // never use STARTTLS
)

// SMTPConfig configures delivery through an SMTP relay. There is no
// default relay: Addr is required.
type SMTPConfig struct {
	// Addr is the relay's host:port, with a numeric port.
	Addr string
	// HeloName is the name sent with EHLO; "" means "localhost".
	HeloName string
	// Username and Password enable AUTH PLAIN when Username is set. As
	// net/smtp requires, credentials are only sent over TLS or to a relay
	// whose host in Addr is localhost, 127.0.0.1 or ::1.
	Username string
	Password string
	// StartTLS is StartTLSAuto (the default for ""), StartTLSAlways or
	// StartTLSNever. In auto mode a failing TLS handshake fails the
	// delivery; it never falls back to plain text.
	StartTLS string
	// TLSConfig is used for STARTTLS; nil means the system roots. Its
	// ServerName defaults to the host in Addr.
	TLSConfig *tls.Config
	// Timeout bounds one whole delivery, dial to QUIT; 0 means 30s.
	Timeout time.Duration
}

// SMTP is a Mailer that delivers each message over a new connection to a
// relay, with net/smtp. It is safe for concurrent use.
type SMTP struct {
	cfg  SMTPConfig
	host string
}

// NewSMTP checks cfg, fills in defaults and returns an SMTP mailer. It
// returns an error wrapping ErrInvalidConfig for a malformed Addr,
// HeloName, StartTLS or negative Timeout, or a Password without Username.
// It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("%w: Addr must be host:port", ErrInvalidConfig)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("%w: Addr port must be a number from 1 to 65535", ErrInvalidConfig)
	}
	if cfg.HeloName == "" {
		cfg.HeloName = defaultHeloName
	}
	if !heloPattern.MatchString(cfg.HeloName) {
		return nil, fmt.Errorf("%w: HeloName must be a host name or address literal", ErrInvalidConfig)
	}
	switch cfg.StartTLS {
	case "":
		cfg.StartTLS = StartTLSAuto
	case StartTLSAuto, StartTLSAlways, StartTLSNever:
	default:
		return nil, fmt.Errorf("%w: StartTLS must be auto, always or never", ErrInvalidConfig)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: Timeout must not be negative", ErrInvalidConfig)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, fmt.Errorf("%w: Password is set without Username", ErrInvalidConfig)
	}
	if cfg.TLSConfig != nil {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
	}
	return &SMTP{cfg: cfg, host: host}, nil
}

// heloPattern matches a host name or an address literal such as [::1].
var heloPattern = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$`)

// Addr returns the relay's host:port.
func (s *SMTP) Addr() string { return s.cfg.Addr }

// Send delivers m over a new connection: dial, EHLO, STARTTLS (per
// config), AUTH (if configured), MAIL FROM, RCPT TO, DATA and QUIT, all
// within the config's Timeout and ctx. Once the relay has accepted the
// data, a failing QUIT is ignored.
//
// Errors are *DeliveryError. A 5xx reply to MAIL FROM, RCPT TO or DATA is
// Permanent with its Code; a 4xx reply is not. Replies at the relay level
// (greeting, EHLO, STARTTLS, AUTH) keep their Code but are not Permanent,
// since the fault is in the relay or the config, not the message. Dial and
// I/O errors, timeouts and a done ctx are not Permanent; an invalid
// message is Permanent, wrapping ErrInvalidMessage.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	data, err := m.Bytes()
	if err != nil {
		return &DeliveryError{MessageID: safeID(m), Permanent: true, Reason: "not sent", Err: err}
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return classify(ctx, m.ID, "connect to relay "+s.cfg.Addr, false, err)
	}
	defer conn.Close()

	// The deadline bounds every read and write; cancelling ctx moves it
	// to the past so that a blocked call returns at once.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	st, err := s.converse(conn, m, data)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection's deadline comes only from ctx, whose own
			// timer may fire a moment after the socket's: wait for it
			// so the error wraps the context's.
			<-ctx.Done()
		}
		return classify(ctx, m.ID, st.name, st.message, err)
	}
	return nil
}

// stage names a step of the SMTP conversation; message is true for the
// steps whose 5xx replies are about the message itself.
type stage struct {
	name    string
	message bool
}

// converse runs the SMTP conversation on conn and returns the stage that
// failed with its error.
func (s *SMTP) converse(conn net.Conn, m *Message, data []byte) (stage, error) {
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return stage{name: "relay greeting"}, err
	}
	defer c.Close()

	if err := c.Hello(s.cfg.HeloName); err != nil {
		return stage{name: "EHLO"}, err
	}
	if err := s.startTLS(c); err != nil {
		return stage{name: "STARTTLS"}, err
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
			return stage{name: "AUTH"}, err
		}
	}

	if err := c.Mail(m.From.Email); err != nil {
		return stage{name: "MAIL FROM", message: true}, err
	}
	if err := c.Rcpt(m.To.Email); err != nil {
		return stage{name: "RCPT TO", message: true}, err
	}
	w, err := c.Data()
	if err != nil {
		return stage{name: "DATA", message: true}, err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return stage{name: "sending message data", message: true}, err
	}
	if err := w.Close(); err != nil {
		return stage{name: "end of DATA", message: true}, err
	}

	// The relay has taken responsibility for the message; reporting a
	// QUIT failure would only invite a duplicate delivery.
	c.Quit()
	return stage{}, nil
}

// startTLS upgrades the connection as the config's StartTLS mode says.
func (s *SMTP) startTLS(c *smtp.Client) error {
	if s.cfg.StartTLS == StartTLSNever {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if s.cfg.StartTLS == StartTLSAlways {
			return ErrStartTLSUnavailable
		}
		return nil
	}

	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLSConfig != nil {
		tc = s.cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = s.host
	}
	return c.StartTLS(tc)
}

// classify turns an error from step st of the delivery of message id into
// a *DeliveryError without personal data. The text of SMTP replies and of
// malformed replies is dropped, because relays often quote addresses.
func classify(ctx context.Context, id, step string, message bool, err error) *DeliveryError {
	de := &DeliveryError{MessageID: id, Reason: step}

	var te *textproto.Error
	var pe textproto.ProtocolError
	switch {
	case errors.As(err, &te):
		de.Code = te.Code
		de.Reason = step + " refused"
		if es := enhancedStatus(te.Msg); es != "" {
			de.Reason += " (" + es + ")"
		}
		de.Permanent = message && te.Code >= 500 && te.Code <= 599
	case ctx.Err() != nil:
		de.Reason = step + " interrupted"
		de.Err = ctx.Err()
	case errors.As(err, &pe):
		de.Err = ErrMalformedReply
	default:
		de.Err = err
	}
	return de
}

// enhancedStatusPattern matches an RFC 3463 enhanced status code at the
// start of a reply text.
var enhancedStatusPattern = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}\b`)

// enhancedStatus returns the enhanced status code that starts msg, or "".
// Only the code is kept; the rest of the text may name the recipient.
func enhancedStatus(msg string) string {
	first, _, _ := strings.Cut(msg, "\n")
	return enhancedStatusPattern.FindString(first)
}
