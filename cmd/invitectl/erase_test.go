package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/reviewdata/invitations/storage"
)

// TestEraseCustomer previews and then erases a customer protected by the
// frequency rule, and checks that both say so.
func TestEraseCustomer(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.mustCLI("shop-a", "settings", "set", "-unit", "a", "-frequency-days", "365")
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "ann@example.se")
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "bo@example.se")

	preview := s.mustCLI("shop-a", "erase", "customer", "-unit", "a", "-email", "ANN@example.se", "-dry-run")
	if !strings.HasPrefix(preview, "PREVIEW: nothing was erased") {
		t.Errorf("erase customer -dry-run does not start with the preview notice:\n%s", preview)
	}
	if field(preview, "name") != "" || field(preview, "  invitations") != "1" {
		t.Errorf("erase customer -dry-run =\n%s", preview)
	}
	if !strings.Contains(preview, "\nWARNING: 1 customer would lose the frequency rule's protection") {
		t.Errorf("erase customer -dry-run has no warning:\n%s", preview)
	}
	if got := rows(s.mustCLI("shop-a", "list", "-unit", "a")); len(got) != 2 {
		t.Fatalf("after the preview %d invitations are left, want 2", len(got))
	}

	out := s.mustCLI("shop-a", "erase", "customer", "-unit", "a", "-email", "ann@example.se", "-request-id", "gdpr-1")
	if strings.Contains(out, "PREVIEW") {
		t.Errorf("erase customer says it is a preview:\n%s", out)
	}
	for key, want := range map[string]string{
		"kind":                                  "customers",
		"state":                                 "succeeded",
		"customers":                             "1",
		"requested by":                          "shop-a",
		"request id":                            "gdpr-1",
		"progress":                              "1/1 (100%)",
		"receipt":                               "businessUnits/a/erasureReceipts/1",
		"  invitations":                         "1",
		"  scheduled sends cancelled":           "1",
		"  last-invited records":                "1",
		"  bcc messages":                        "0",
		"customers losing frequency protection": "1",
	} {
		if got := field(out, key); got != want {
			t.Errorf("erase customer printed %s %q, want %q", key, got, want)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "WARNING: 1 customer loses the frequency rule's protection") {
		t.Errorf("erase customer ends with %q, want the warning", last)
	}
	left := rows(s.mustCLI("shop-a", "list", "-unit", "a"))
	if len(left) != 1 || left[0][len(left[0])-1] != "bo@example.se" {
		t.Errorf("after erasing ann, list = %q, want only bo", left)
	}

	name := field(out, "name")
	shown := s.mustCLI("shop-a", "erasure", "show", name)
	if field(shown, "name") != name || field(shown, "state") != "succeeded" {
		t.Errorf("erasure show %s =\n%s", name, shown)
	}
	list := rows(s.mustCLI("admin", "erasure", "list", "-unit", "-"))
	if len(list) != 1 || list[0][0] != name || list[0][2] != "succeeded" {
		t.Errorf("erasure list -unit - = %q, want %s", list, name)
	}
}

// TestEraseDateWait erases up to a day and waits for the job.
func TestEraseDateWait(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, email := range []string{"ann@example.se", "bo@example.se", "cai@example.se"} {
		s.mustCLI("shop-a", "create", "-unit", "a", "-email", email)
	}
	s.clock.Advance(24 * time.Hour)
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "dee@example.se")

	preview := s.mustCLI("shop-a", "erase", "date", "-unit", "a", "-date", "2026-03-05", "-dry-run")
	if !strings.HasPrefix(preview, "PREVIEW: nothing was erased") || field(preview, "  invitations") != "3" {
		t.Errorf("erase date -dry-run =\n%s", preview)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r := s.cliContext(ctx, "shop-a", "erase", "date", "-unit", "a", "-date", "2026-03-05", "-zone", "Europe/Stockholm", "-wait")
	if r.code != 0 {
		t.Fatalf("erase date -wait = %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	for key, want := range map[string]string{
		"kind":          "up-to-date",
		"state":         "succeeded",
		"cut-off date":  "2026-03-05",
		"time zone":     "Europe/Stockholm",
		"cut-off time":  "2026-03-05T23:00:00Z",
		"progress":      "3/3 (100%)",
		"  invitations": "3",
	} {
		if got := field(r.stdout, key); got != want {
			t.Errorf("erase date -wait printed %s %q, want %q", key, got, want)
		}
	}
	progress := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if last := progress[len(progress)-1]; last != "3/3 (100%)" {
		t.Errorf("erase date -wait progress ends with %q, want 3/3 (100%%); stderr:\n%s", last, r.stderr)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i] == progress[i-1] {
			t.Errorf("progress repeats %q; stderr:\n%s", progress[i], r.stderr)
		}
	}
	left := rows(s.mustCLI("shop-a", "list", "-unit", "a"))
	if len(left) != 1 || left[0][len(left[0])-1] != "dee@example.se" {
		t.Errorf("after erasing up to 5 March, list = %q, want only dee", left)
	}

	// Waiting for a finished erasure returns at once.
	name := field(r.stdout, "name")
	again := s.cliContext(ctx, "shop-a", "erasure", "show", name, "-wait")
	if again.code != 0 || field(again.stdout, "state") != "succeeded" {
		t.Errorf("erasure show -wait of a finished erasure = %d, %q", again.code, again.stdout)
	}
}

func TestEraseConsumer(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.mustCLI("shop-a", "create", "-unit", "a", "-email", "ann@example.se")
	s.mustCLI("shop-b", "create", "-unit", "b", "-email", "ann@example.se")

	r := s.cli("shop-a", "erase", "consumer", "-email", "ann@example.se")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "invitectl: PermissionDenied: ") {
		t.Errorf("erase consumer as a business = %d, %q, want 1 and PermissionDenied", r.code, r.stderr)
	}
	out := s.mustCLI("admin", "erase", "consumer", "-email", "ann@example.se")
	if field(out, "kind") != "consumer" || field(out, "state") != "succeeded" || field(out, "  invitations") != "2" ||
		!strings.HasPrefix(field(out, "name"), "consumerErasures/") {
		t.Errorf("erase consumer =\n%s", out)
	}
}

// TestReceipts lists receipts and verifies the chain, intact and broken.
func TestReceipts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, email := range []string{"ann@example.se", "bo@example.se", "cai@example.se"} {
		s.mustCLI("shop-a", "create", "-unit", "a", "-email", email)
		s.mustCLI("shop-a", "erase", "customer", "-unit", "a", "-email", email)
	}

	list := rows(s.mustCLI("shop-a", "receipts", "-unit", "a", "-kind", "customers", "-all"))
	if len(list) != 3 {
		t.Fatalf("receipts -unit a printed %d rows, want 3", len(list))
	}
	if r := list[0]; r[0] != "1" || r[1] != "customers" || r[2] != "businessUnits/a" || r[3] != "shop-a" || r[5] != "1" || len(r[6]) != 64 {
		t.Errorf("first receipt row = %q", r)
	}
	if got := rows(s.mustCLI("admin", "receipts", "-unit", "-", "-kind", "up-to-date")); len(got) != 0 {
		t.Errorf("receipts -kind up-to-date = %q, want none", got)
	}

	out := s.mustCLI("shop-a", "receipts", "verify", "-unit", "a")
	if !strings.HasPrefix(out, "receipt chain intact\n") || field(out, "receipts checked") != "3" || field(out, "head hash") != list[2][6] {
		t.Errorf("receipts verify -unit a =\n%s", out)
	}

	// Remove the middle receipt behind the service's back.
	cfg := s.app.Config
	if err := s.app.Stop(5 * time.Second); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	db, err := bolt.Open(filepath.Join(cfg.DataDir, storage.DatabaseFile), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Keys are the chain (business unit a), a 0x00, and the sequence.
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("receipts")).Delete([]byte{'a', 0, 0, 0, 0, 0, 0, 0, 0, 2})
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("removing a receipt: %v", err)
	}

	s2 := serve(t, cfg, s.clock)
	r := s2.cli("admin", "receipts", "verify")
	if r.code != 1 || r.stderr != "" {
		t.Errorf("receipts verify of a broken chain = %d, stderr %q, want 1 and nothing", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "receipt chain BROKEN in businessUnits/a at sequence 2: ") {
		t.Errorf("receipts verify of a broken chain =\n%s", r.stdout)
	}
}
