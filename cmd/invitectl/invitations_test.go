package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateAndList(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	out := s.mustCLI("shop-a", "create", "-unit", "a", "-email", "ann@example.se", "-name", "Ann Lind",
		"-ref", "ORD-1", "-tag", "spring", "-tag", "web", "-send-at", "2026-03-06T10:00:00Z", "-request-id", "order-1")
	first := field(out, "name")
	if !strings.HasPrefix(first, "businessUnits/a/invitations/") {
		t.Fatalf("create printed name %q; output:\n%s", first, out)
	}
	for key, want := range map[string]string{
		"state":               "queued",
		"recipient":           "ann@example.se",
		"recipient name":      "Ann Lind",
		"reference":           "ORD-1",
		"tags":                "spring,web",
		"created":             "2026-03-05T09:00:00Z",
		"scheduled send time": "2026-03-06T10:00:00Z",
	} {
		if got := field(out, key); got != want {
			t.Errorf("create printed %s %q, want %q", key, got, want)
		}
	}
	if link := field(out, "review link"); !strings.Contains(link, "/r/") {
		t.Errorf("create printed review link %q", link)
	}

	again := s.mustCLI("shop-a", "create", "-unit", "a", "-email", "ann@example.se", "-name", "Ann Lind",
		"-ref", "ORD-1", "-tag", "spring", "-tag", "web", "-send-at", "2026-03-06T10:00:00Z", "-request-id", "order-1")
	if got := field(again, "name"); got != first {
		t.Errorf("create with the same request id made %q, want the first invitation %q", got, first)
	}
	// Invitations made in the same instant have no defined order.
	s.clock.Advance(time.Minute)
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "bo@example.se")
	s.clock.Advance(time.Minute)
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "cai@example.se")

	t.Run("one page", func(t *testing.T) {
		out := s.mustCLI("shop-a", "list", "-unit", "a", "-page-size", "2")
		if !strings.HasPrefix(out, "NAME ") || !strings.Contains(out, "\nnext page: -page-token ") {
			t.Errorf("list -page-size 2 = %q, want a table and a next page token", out)
		}
		if got := rows(out); len(got) != 2 {
			t.Errorf("list -page-size 2 printed %d rows, want 2:\n%s", len(got), out)
		}
	})
	t.Run("all pages", func(t *testing.T) {
		out := s.mustCLI("shop-a", "list", "-unit", "a", "-page-size", "2", "-all")
		header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
		if want := []string{"NAME", "STATE", "CREATED", "SCHEDULED", "RECIPIENT"}; !slices.Equal(header, want) {
			t.Errorf("list header = %q, want %q", header, want)
		}
		got := rows(out)
		var emails []string
		for _, r := range got {
			emails = append(emails, r[len(r)-1])
		}
		if want := []string{"ann@example.se", "bo@example.se", "cai@example.se"}; !slices.Equal(emails, want) {
			t.Errorf("list -all recipients = %q, want %q:\n%s", emails, want, out)
		}
		if len(got) > 0 && !slices.Equal(got[0], []string{first, "queued", "2026-03-05T09:00:00Z", "2026-03-06T10:00:00Z", "ann@example.se"}) {
			t.Errorf("list -all first row = %q", got[0])
		}
		if strings.Contains(out, "next page") {
			t.Errorf("list -all printed a next page:\n%s", out)
		}
	})
	t.Run("get and cancel", func(t *testing.T) {
		if got := field(s.mustCLI("shop-a", "get", first), "state"); got != "queued" {
			t.Errorf("get state = %q, want queued", got)
		}
		out := s.mustCLI("shop-a", "cancel", first)
		if got := field(out, "state"); got != "cancelled" {
			t.Errorf("cancel state = %q, want cancelled:\n%s", got, out)
		}
		list := s.mustCLI("shop-a", "list", "-unit", "a", "-state", "cancelled")
		if got := rows(list); len(got) != 1 || got[0][0] != first {
			t.Errorf("list -state cancelled = %q, want only %s", got, first)
		}
		r := s.cli("shop-a", "cancel", first)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "invitectl: FailedPrecondition: name: ") {
			t.Errorf("cancel twice = %d, %q, want 1 and FailedPrecondition", r.code, r.stderr)
		}
	})
	t.Run("dry run stores nothing", func(t *testing.T) {
		out := s.mustCLI("shop-a", "create", "-unit", "a", "-email", "dee@example.se", "-dry-run")
		if !strings.HasPrefix(out, "DRY RUN: the invitation is valid; nothing was stored.\n") {
			t.Errorf("create -dry-run = %q, want it to say nothing was stored", out)
		}
		if got := rows(s.mustCLI("shop-a", "list", "-unit", "a", "-email", "dee@example.se")); len(got) != 0 {
			t.Errorf("dry run stored %q", got)
		}
	})
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	out := s.mustCLI("shop-a", "templates")
	if !strings.HasPrefix(out, "TEMPLATE ") || len(rows(out)) == 0 {
		t.Errorf("templates = %q, want a table", out)
	}
	if got := rows(out); !slices.ContainsFunc(got, func(r []string) bool { return r[0] == "default" }) {
		t.Errorf("templates = %q, want the default template", got)
	}
}

func TestReviewLink(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	out := s.mustCLI("shop-a", "create", "-unit", "a", "-email", "ann@example.se", "-name", "Ann", "-ref", "ORD-7")
	name, link := field(out, "name"), field(out, "review link")
	tok := link[strings.LastIndexByte(link, '/')+1:]

	out = s.mustCLI("site", "resolve", tok)
	for key, want := range map[string]string{"invitation": name, "business unit": "businessUnits/a", "state": "queued", "recipient name": "Ann", "reference": "ORD-7"} {
		if got := field(out, key); got != want {
			t.Errorf("resolve printed %s %q, want %q", key, got, want)
		}
	}
	// Flags may follow the token.
	out = s.mustCLI("site", "review", tok, "-review-id", "rev-1")
	if field(out, "invitation") != name || field(out, "reviewed") != "2026-03-05T09:00:00Z" {
		t.Errorf("review = %q", out)
	}
	if got := field(s.mustCLI("site", "resolve", tok), "state"); got != "reviewed" {
		t.Errorf("resolve after review: state %q, want reviewed", got)
	}
}

func TestBCC(t *testing.T) {
	// Not parallel: it replaces stdin.
	s := startServer(t)
	msg := "From: Shop <orders@shop.example>\r\nTo: Ann Lind <ann@example.se>\r\nSubject: Order confirmation #A-42\r\n" +
		"Message-ID: <a42@shop.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThanks!\r\n"
	file := filepath.Join(t.TempDir(), "order.eml")
	if err := os.WriteFile(file, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}

	out := s.mustCLI("gateway", "bcc", "-unit", "a", file)
	if !strings.HasPrefix(field(out, "bcc message"), "businessUnits/a/bccMessages/") || field(out, "source") != "bcc" || field(out, "recipient") != "ann@example.se" {
		t.Errorf("bcc = %q", out)
	}
	if field(out, "duplicate") != "" {
		t.Errorf("first bcc says duplicate:\n%s", out)
	}

	old := stdin
	stdin = strings.NewReader(msg)
	t.Cleanup(func() { stdin = old })
	again := s.mustCLI("gateway", "bcc", "-unit", "a", "-")
	if !strings.HasPrefix(field(again, "duplicate"), "yes") || field(again, "name") != field(out, "name") {
		t.Errorf("bcc of the same message from stdin = %q, want a duplicate of %s", again, field(out, "name"))
	}
}

// TestJSON checks that -json prints one JSON object per response.
func TestJSON(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	created := s.mustCLI("shop-a", "-json", "create", "-unit", "a", "-email", "ann@example.se")
	var resp struct {
		Invitation struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"invitation"`
	}
	if err := json.Unmarshal([]byte(created), &resp); err != nil {
		t.Fatalf("create -json = %q: %v", created, err)
	}
	if !strings.HasPrefix(resp.Invitation.Name, "businessUnits/a/invitations/") || resp.Invitation.State != "STATE_QUEUED" {
		t.Errorf("create -json = %+v", resp)
	}
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "bo@example.se")
	s.mustCLI("shop-a", "settings", "set", "-unit", "a", "-frequency-days", "30")

	tests := []struct {
		name    string
		caller  string
		args    []string
		objects int
		key     string
	}{
		{"get", "shop-a", []string{"get", resp.Invitation.Name}, 1, "invitation"},
		{"list, a page per object", "shop-a", []string{"list", "-unit", "a", "-page-size", "1", "-all"}, 2, "invitations"},
		{"settings", "shop-a", []string{"settings", "-unit", "a"}, 1, "settings"},
		{"erase customer", "shop-a", []string{"erase", "customer", "-unit", "a", "-email", "bo@example.se"}, 1, "erasure"},
		{"events", "copier", []string{"events"}, 1, "events"},
		{"receipts verify", "admin", []string{"receipts", "verify"}, 1, "intact"},
		{"health", "", []string{"health"}, 1, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := s.mustCLI(tt.caller, append([]string{"-json"}, tt.args...)...)
			dec := json.NewDecoder(bytes.NewReader([]byte(out)))
			n := 0
			for {
				var obj map[string]any
				err := dec.Decode(&obj)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("run(%q) printed %q: %v", tt.args, out, err)
				}
				if _, ok := obj[tt.key]; tt.key != "" && !ok {
					t.Errorf("run(%q) printed %v, want key %q", tt.args, obj, tt.key)
				}
				n++
			}
			if n != tt.objects || strings.Count(out, "\n") != tt.objects {
				t.Errorf("run(%q) printed %d objects on %d lines, want %d:\n%s", tt.args, n, strings.Count(out, "\n"), tt.objects, out)
			}
		})
	}
}
