// Package config reads the server's JSON configuration file and fills in
// defaults. It only reads and checks values; it starts nothing.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/reviewdata/invitations/server/auth"
	"github.com/reviewdata/invitations/server/clock"
)

// ErrInvalid means the configuration cannot be used; the message says which
// setting and why.
var ErrInvalid = errors.New("config: invalid")

// Config is the server configuration. Every field has a default.
type Config struct {
	// Listen is the host:port to serve gRPC on. Default 127.0.0.1:50051.
	Listen string `json:"listen"`
	// DataDir holds the database, the key file and the outbox. Default
	// "data".
	DataDir string `json:"data_dir"`
	// PublicBaseURL is where review and unsubscribe links point; links are
	// {PublicBaseURL}/r/{token} and {PublicBaseURL}/unsubscribe/{token}.
	// Default https://reviews.example.com.
	PublicBaseURL string `json:"public_base_url"`
	// MailFrom is the address invitations are sent from. Default
	// invitations@reviews.example.com.
	MailFrom string `json:"mail_from"`
	// SMTP, when set, sends through a relay instead of the outbox folder.
	SMTP *SMTP `json:"smtp,omitempty"`
	// Tokens are the callers. With none, auth is off and Listen must be a
	// loopback address.
	Tokens []auth.Token `json:"tokens,omitempty"`
	// EventKeyFile holds the hex key for the e-mail hashes in erasure
	// events, shared with downstream consumers. Default: a key derived
	// from the store, written to {DataDir}/event-hash.key.
	EventKeyFile string    `json:"event_key_file,omitempty"`
	Retention    Retention `json:"retention"`
	// SendPollInterval is how often the sender looks at the queue when not
	// woken. Default 1s.
	SendPollInterval Duration `json:"send_poll_interval"`
	// SweepInterval is how often retention runs. Default 1m.
	SweepInterval Duration `json:"sweep_interval"`
	// ShutdownGrace bounds how long calls in flight may run after SIGTERM.
	// Default 10s.
	ShutdownGrace Duration `json:"shutdown_grace"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `json:"log_level"`
	// ErasureChunk bounds the records one erasure or sweep transaction
	// removes; each also stops after about 8 ms of work. Default 5000.
	ErasureChunk int `json:"erasure_chunk,omitempty"`
}

// SMTP configures the relay.
type SMTP struct {
	Addr     string   `json:"addr"`
	HeloName string   `json:"helo_name,omitempty"`
	Username string   `json:"username,omitempty"`
	Password string   `json:"password,omitempty"`
	StartTLS string   `json:"starttls,omitempty"`
	Timeout  Duration `json:"timeout,omitempty"`
}

// Retention periods, written like "3y", "30d" or "1y6m": a record expires
// at its creation time plus its period on the UTC calendar.
type Retention struct {
	// Invitations keeps invitations, link tokens and last-invited records.
	// Default 3y.
	Invitations string `json:"invitations"`
	// BCCMessages keeps raw BCC e-mails. Default 30d.
	BCCMessages string `json:"bcc_messages"`
	// Receipts keeps erasure receipts and finished erasure jobs. Default 6y.
	Receipts string `json:"receipts"`
	// Events keeps erasure events for downstream consumers. Default 90d.
	Events string `json:"events"`
}

// Periods parses the retention periods; Check has validated them.
func (r Retention) Periods() (inv, bcc, receipts, events clock.Period) {
	inv, _ = clock.ParsePeriod(r.Invitations)
	bcc, _ = clock.ParsePeriod(r.BCCMessages)
	receipts, _ = clock.ParsePeriod(r.Receipts)
	events, _ = clock.ParsePeriod(r.Events)
	return inv, bcc, receipts, events
}

// Duration is a time.Duration written as a string such as "1m30s".
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"30s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("a duration must be a string such as \"30s\"")
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Default returns the configuration used without a file.
func Default() Config {
	c := Config{}
	c.fill()
	return c
}

// Load reads path, fills in defaults and checks the result. Unknown keys
// are errors, so a misspelt setting is not silently ignored.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: reading: %w", err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
	}
	c.fill()
	return c, c.Check()
}

func (c *Config) fill() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Listen, "127.0.0.1:50051")
	def(&c.DataDir, "data")
	def(&c.PublicBaseURL, "https://reviews.example.com")
	def(&c.MailFrom, "invitations@reviews.example.com")
	def(&c.LogLevel, "info")
	c.PublicBaseURL = strings.TrimSuffix(c.PublicBaseURL, "/")
	def(&c.Retention.Invitations, "3y")
	def(&c.Retention.BCCMessages, "30d")
	def(&c.Retention.Receipts, "6y")
	def(&c.Retention.Events, "90d")
	dur := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	if c.ErasureChunk == 0 {
		c.ErasureChunk = 5000
	}
	dur(&c.SendPollInterval, time.Second)
	dur(&c.SweepInterval, time.Minute)
	dur(&c.ShutdownGrace, 10*time.Second)
}

// AuthOff reports whether no tokens are configured.
func (c *Config) AuthOff() bool { return len(c.Tokens) == 0 }

// Check reports the first unusable setting.
func (c *Config) Check() error {
	bad := func(field, why string) error { return fmt.Errorf("%w: %s: %s", ErrInvalid, field, why) }

	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return bad("listen", "must be host:port")
	}
	if c.AuthOff() && !isLoopback(host) {
		return bad("listen", "without tokens auth is off, so the server may listen on loopback only")
	}
	u, err := url.Parse(c.PublicBaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return bad("public_base_url", "must be an absolute http or https URL")
	}
	if !strings.Contains(c.MailFrom, "@") {
		return bad("mail_from", "must be an e-mail address")
	}
	if c.SMTP != nil && c.SMTP.Addr == "" {
		return bad("smtp.addr", "is required when smtp is set")
	}
	r := c.Retention
	for name, v := range map[string]string{"invitations": r.Invitations, "bcc_messages": r.BCCMessages, "receipts": r.Receipts, "events": r.Events} {
		if _, err := clock.ParsePeriod(v); err != nil {
			return bad("retention."+name, "must be a period such as 3y, 30d or 1y6m")
		}
	}
	if c.ErasureChunk < 1 || c.ErasureChunk > 100000 {
		return bad("erasure_chunk", "must be between 1 and 100000")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("log_level", "must be debug, info, warn or error")
	}
	if _, err := auth.New(c.Tokens); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
