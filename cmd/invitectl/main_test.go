package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests name IANA zones

	"github.com/reviewdata/invitations/server/app"
	"github.com/reviewdata/invitations/server/auth"
	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/server/config"
)

// testStart is the fake clock's time when a test server starts.
var testStart = time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)

// testTokens are the callers of the test servers, by name.
var testTokens = []auth.Token{
	{Name: "shop-a", Token: "cli-test-shop-a-secret", Role: auth.RoleBusiness, BusinessUnits: []string{"a"}},
	{Name: "shop-b", Token: "cli-test-shop-b-secret", Role: auth.RoleBusiness, BusinessUnits: []string{"b"}},
	{Name: "site", Token: "cli-test-review-site-secret", Role: auth.RoleReviewSite},
	{Name: "gateway", Token: "cli-test-mail-gateway-secret", Role: auth.RoleMailGateway, BusinessUnits: []string{"a"}},
	{Name: "copier", Token: "cli-test-event-reader-secret", Role: auth.RoleEventConsumer},
	{Name: "admin", Token: "cli-test-platform-admin-secret", Role: auth.RolePlatformAdmin},
}

// testServer is the real service in-process, served on a loopback TCP
// port with its data in a temporary directory and a fake clock.
type testServer struct {
	t     *testing.T
	addr  string
	app   *app.App
	clock *clock.Fake
}

// startServer starts a service with testTokens and stops it when the test
// ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Tokens = testTokens
	return serve(t, cfg, clock.NewFake(testStart))
}

// serve starts the service with cfg and clk.
func serve(t *testing.T, cfg config.Config, clk *clock.Fake) *testServer {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(cfg, app.Options{Clock: clk, Logger: logger, Manual: true})
	if err != nil {
		t.Fatalf("app.New = %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		a.Store.Close()
		t.Fatalf("Start = %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Stop(5 * time.Second)
		t.Fatalf("net.Listen = %v", err)
	}
	go a.Serve(lis)
	t.Cleanup(func() { a.Stop(5 * time.Second) })
	return &testServer{t: t, addr: lis.Addr().String(), app: a, clock: clk}
}

// token returns the secret of the caller named name; "" for none.
func token(t testing.TB, name string) string {
	t.Helper()
	if name == "" {
		return ""
	}
	for _, tok := range testTokens {
		if tok.Name == name {
			return tok.Token
		}
	}
	t.Fatalf("no caller %q", name)
	return ""
}

// result is what one run of invitectl did.
type result struct {
	code   int
	stdout string
	stderr string
}

// cli runs invitectl against s as caller ("" for no token) through run.
// Each call it makes has a 10-second deadline.
func (s *testServer) cli(caller string, args ...string) result {
	s.t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(s.args(caller, args), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// cliContext is cli for commands that wait or stream: ctx bounds the whole
// run, not just each call.
func (s *testServer) cliContext(ctx context.Context, caller string, args ...string) result {
	s.t.Helper()
	var stdout, stderr bytes.Buffer
	code := runContext(ctx, s.args(caller, args), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func (s *testServer) args(caller string, args []string) []string {
	return append([]string{"-addr", s.addr, "-token", token(s.t, caller), "-timeout", "10s"}, args...)
}

// mustCLI is cli for steps that must succeed.
func (s *testServer) mustCLI(caller string, args ...string) string {
	s.t.Helper()
	r := s.cli(caller, args...)
	if r.code != 0 {
		s.t.Fatalf("run(%q) = %d, want 0; stderr:\n%s", args, r.code, r.stderr)
	}
	return r.stdout
}

// field returns the value of the first "key: value" line of out, or ""
// when there is none.
func field(out, key string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `:[ \t]+(.*)$`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

// rows returns the lines of a table after its header, split into cells.
func rows(out string) [][]string {
	var rs [][]string
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if i == 0 || line == "" {
			continue
		}
		if strings.HasPrefix(line, "next page:") {
			break
		}
		rs = append(rs, strings.Fields(line))
	}
	return rs
}

// TestUsage checks help, usage errors and their exit codes. None of these
// command lines reaches the server.
func TestUsage(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout string
		wantStderr string
	}{
		{"help", []string{"help"}, 0, "Commands:", ""},
		{"global -h", []string{"-h"}, 0, "Global flags:", ""},
		{"help create", []string{"help", "create"}, 0, "Usage: invitectl create [flags]", ""},
		{"help erase date", []string{"help", "erase", "date"}, 0, "Usage: invitectl erase date [flags]", ""},
		{"help settings set", []string{"help", "settings", "set"}, 0, "-frequency-days", ""},
		{"command -h", []string{"get", "-h"}, 0, "Usage: invitectl get NAME", ""},
		{"group -h", []string{"erase", "-h"}, 0, "customer", ""},
		{"no command", nil, 2, "", "no command"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help unknown command", []string{"help", "frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"bad global flag", []string{"-bogus", "health"}, 2, "", "flag provided but not defined: -bogus"},
		{"bad flag", []string{"create", "-unit", "a", "-email", "ann@example.se", "-bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{"missing required flag", []string{"create", "-email", "ann@example.se"}, 2, "", "-unit is required"},
		{"missing argument", []string{"get"}, 2, "", "missing NAME"},
		{"extra argument", []string{"get", "x", "y"}, 2, "", `unexpected argument "y"`},
		{"bad state", []string{"list", "-unit", "a", "-state", "lost"}, 2, "", "queued, sending, delivered, not-delivered, cancelled, reviewed"},
		{"bad time", []string{"list", "-unit", "a", "-from", "yesterday"}, 2, "", "RFC 3339"},
		{"bad page size", []string{"list", "-unit", "a", "-page-size", "1e9"}, 2, "", "32-bit integer"},
		{"date not three integers", []string{"erase", "date", "-unit", "a", "-date", "5 March"}, 2, "", "YYYY-MM-DD"},
		{"date without zero padding", []string{"erase", "date", "-unit", "a", "-date", "2026-3-5"}, 2, "", "YYYY-MM-DD"},
		{"wait and dry run", []string{"erase", "date", "-unit", "a", "-date", "2026-03-05", "-wait", "-dry-run"}, 2, "", "exclude each other"},
		{"erase without kind", []string{"erase"}, 2, "", "erase: missing command"},
		{"erase unknown kind", []string{"erase", "everything"}, 2, "", `unknown command "everything"`},
		{"settings set nothing", []string{"settings", "set", "-unit", "a", "-etag", "v1"}, 2, "", "name at least one setting"},
		{"bad time of day", []string{"settings", "set", "-unit", "a", "-time-of-day", "9am"}, 2, "", "HH:MM"},
		{"bad delay", []string{"settings", "set", "-unit", "a", "-delay", "a week"}, 2, "", "7d"},
		{"bad kind", []string{"receipts", "-unit", "a", "-kind", "all"}, 2, "", "customers, up-to-date, consumer, retention"},
		{"zero timeout", []string{"-timeout", "0s", "health"}, 2, "", "-timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.cli("shop-a", tt.args...)
			if r.code != tt.code {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.args, r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.wantStdout) {
				t.Errorf("run(%q) stdout = %q, want it to contain %q", tt.args, r.stdout, tt.wantStdout)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, r.stderr, tt.wantStderr)
			}
			if tt.code == 2 && !strings.Contains(r.stderr, "Usage: invitectl") {
				t.Errorf("run(%q) stderr = %q, want the usage", tt.args, r.stderr)
			}
			if tt.code == 0 && r.stderr != "" {
				t.Errorf("run(%q) stderr = %q, want nothing", tt.args, r.stderr)
			}
		})
	}
}

// TestCallErrors checks that a failed call ends with status 1 and
// "invitectl: <code>: <message>".
func TestCallErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	tests := []struct {
		name   string
		caller string
		args   []string
		want   string
	}{
		{"wrong token", "", []string{"-token", "not-a-token-anyone-has", "list", "-unit", "a"}, "invitectl: Unauthenticated: authorization: unknown bearer token\n"},
		{"no token", "", []string{"list", "-unit", "a"}, "invitectl: Unauthenticated: authorization: a bearer token is required\n"},
		{"another business unit", "shop-b", []string{"list", "-unit", "a"}, "invitectl: PermissionDenied: parent: "},
		{"impossible date", "shop-a", []string{"erase", "date", "-unit", "a", "-date", "2026-02-30"}, "invitectl: InvalidArgument: date: "},
		{"month 13", "shop-a", []string{"erase", "date", "-unit", "a", "-date", "2026-13-01"}, "invitectl: InvalidArgument: date: "},
		{"future date", "shop-a", []string{"erase", "date", "-unit", "a", "-date", "2026-03-06"}, "invitectl: InvalidArgument: date: "},
		{"unknown zone", "shop-a", []string{"erase", "date", "-unit", "a", "-date", "2026-03-01", "-zone", "Europe/Atlantis"}, "invitectl: InvalidArgument: time_zone: "},
		{"bad name", "shop-a", []string{"get", "businessUnits/a/invitations/nope"}, "invitectl: InvalidArgument: name: "},
		{"time of day out of range", "shop-a", []string{"settings", "set", "-unit", "a", "-time-of-day", "25:00"}, "invitectl: InvalidArgument: settings.send_time_of_day: "},
		{"unknown review link", "site", []string{"resolve", "no-such-token"}, "invitectl: NotFound: token: "},
		{"unknown unsubscribe link", "site", []string{"unsubscribe", "no-such-token"}, "invitectl: NotFound: token: "},
		{"no unsubscribe to lift", "shop-a", []string{"resubscribe", "-unit", "a", "-email", "ann@example.se"}, "invitectl: NotFound: email_address: "},
		{"verify as a business", "shop-a", []string{"receipts", "verify"}, "invitectl: PermissionDenied: "},
		{"missing file", "gateway", []string{"bcc", "-unit", "a", "/nonexistent/order.eml"}, "invitectl: reading message: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.cli(tt.caller, tt.args...)
			if r.code != 1 {
				t.Errorf("run(%q) = %d, want 1; stderr:\n%s", tt.args, r.code, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, tt.want) {
				t.Errorf("run(%q) stderr = %q, want it to start with %q", tt.args, r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("run(%q) stdout = %q, want nothing", tt.args, r.stdout)
			}
		})
	}
}

func TestHealthAndRetention(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	if out := s.mustCLI("", "health"); out != "SERVING\n" {
		t.Errorf("health = %q, want SERVING", out)
	}
	out := s.mustCLI("admin", "retention")
	if got := field(out, "invitation retention"); got != "3y" {
		t.Errorf("retention: invitation retention = %q, want 3y; output:\n%s", got, out)
	}
	if got := field(out, "bcc retention"); got != "30d" {
		t.Errorf("retention: bcc retention = %q, want 30d; output:\n%s", got, out)
	}
}
