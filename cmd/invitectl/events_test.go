package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEventsList(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "ann@example.se")
	erased := s.mustCLI("shop-a", "erase", "customer", "-unit", "a", "-email", "ann@example.se")

	tests := []struct {
		name   string
		args   []string
		events int
		cursor string
	}{
		{"from the oldest", []string{"events"}, 1, "-after 1"},
		{"after the last", []string{"events", "-after", "1"}, 0, "-after 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := s.mustCLI("copier", tt.args...)
			if got := strings.Count(out, "sequence:"); got != tt.events {
				t.Errorf("run(%q) printed %d events, want %d:\n%s", tt.args, got, tt.events, out)
			}
			if got := field(out, "continue with"); got != tt.cursor {
				t.Errorf("run(%q) cursor = %q, want %q", tt.args, got, tt.cursor)
			}
		})
	}

	out := s.mustCLI("copier", "events")
	for key, want := range map[string]string{
		"sequence":      "1",
		"kind":          "customers",
		"erasure":       field(erased, "name"),
		"business unit": "businessUnits/a",
		"created":       "2026-03-05T09:00:00Z",
	} {
		if got := field(out, key); got != want {
			t.Errorf("events printed %s %q, want %q", key, got, want)
		}
	}
	if h := field(out, "email hash"); len(h) != 64 || strings.Contains(out, "ann@") {
		t.Errorf("events printed email hash %q; output:\n%s", h, out)
	}

	r := s.cli("shop-a", "events")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "invitectl: PermissionDenied: ") {
		t.Errorf("events as a business = %d, %q, want 1 and PermissionDenied", r.code, r.stderr)
	}
}

// TestEventsFollow follows the event stream while erasures happen and
// ends it as an interrupt would, by cancelling the run's context.
func TestEventsFollow(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "ann@example.se")
	s.mustCLI("shop-a", "erase", "customer", "-unit", "a", "-email", "ann@example.se")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	runCtx, interrupt := context.WithCancel(ctx)
	stdout := newWatchedBuffer()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runContext(runCtx, s.args("copier", []string{"events", "-follow"}), stdout, &stderr)
	}()

	if !stdout.waitFor(ctx, "sequence:       1\n") {
		t.Fatalf("events -follow did not print the first event; stdout:\n%s", stdout)
	}
	s.mustCLI("shop-a", "erase", "customer", "-unit", "a", "-email", "bo@example.se")
	if !stdout.waitFor(ctx, "sequence:       2\n") {
		t.Fatalf("events -follow did not print the event of a later erasure; stdout:\n%s", stdout)
	}

	interrupt()
	select {
	case code := <-done:
		if code != 0 || stderr.Len() != 0 {
			t.Errorf("events -follow after an interrupt = %d, stderr %q, want 0 and nothing", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("events -follow did not stop when interrupted")
	}
}

// watchedBuffer is an output buffer that a test can wait on.
type watchedBuffer struct {
	mu      sync.Mutex // guards buf and changed
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newWatchedBuffer() *watchedBuffer { return &watchedBuffer{changed: make(chan struct{})} }

func (b *watchedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *watchedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the buffer holds text or ctx ends, and reports
// whether it does.
func (b *watchedBuffer) waitFor(ctx context.Context, text string) bool {
	for {
		b.mu.Lock()
		found, changed := strings.Contains(b.buf.String(), text), b.changed
		b.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}
