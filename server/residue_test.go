package server_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/config"
)

// canary is one customer's distinctive data.
type canary struct {
	email, name, ref string
}

func (c canary) values() []string { return []string{c.email, c.name, c.ref} }

func canaries(kind string, n int) []canary {
	cs := make([]canary, n)
	for i := range cs {
		cs[i] = canary{
			email: fmt.Sprintf("canary-%s-%02d@example.se", kind, i),
			name:  fmt.Sprintf("Zebulon%sname%02d", kind, i),
			ref:   fmt.Sprintf("REF%sZQ%02d", kind, i),
		}
	}
	return cs
}

// TestErasedDataLeavesNoBytes writes canaries for several customers by API
// and by BCC mail, delivers them, erases some by customer and some by date,
// then reads every byte of every file under the data directory: the erased
// customers' address, name and reference appear nowhere, in any case; the
// kept customers' still do (in their delivered e-mails), which shows the
// scan can see what it looks for.
func TestErasedDataLeavesNoBytes(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.ErasureChunk = 3 })
	byCustomer, byDate, kept := canaries("cust", 6), canaries("date", 6), canaries("kept", 6)

	put := func(c canary, viaMail bool) {
		t.Helper()
		if !viaMail {
			e.create("a", &pb.Invitation{RecipientEmail: c.email, RecipientName: c.name, ReferenceId: c.ref, TemplateId: "order"})
			return
		}
		snippet := fmt.Sprintf(`<script type="application/json+trustpilot">{"recipientName":%q,"referenceId":%q,"templateId":"order"}</script>`, c.name, c.ref)
		raw := orderMail(c.ref+"@shop.example", c.email, snippet)
		if _, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: raw}); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range byDate {
		put(c, i%2 == 0)
	}
	e.send()
	e.clock.Advance(48 * time.Hour)
	for i := range kept {
		put(byCustomer[i], i%2 == 1)
		put(kept[i], i%2 == 0)
	}
	e.send()

	var emails []string
	for _, c := range byCustomer {
		emails = append(emails, c.email)
	}
	if _, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: emails}); err != nil {
		t.Fatal(err)
	}
	date, err := e.er.EraseUpToDate(e.as("portal-a"), &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: &pb.CalendarDate{Year: 2026, Month: 3, Day: 5}})
	if err != nil {
		t.Fatal(err)
	}
	e.waitErasure(date.GetErasure().GetName())
	dir := e.app.Config.DataDir
	e.stop()

	files := readTree(t, dir)
	if len(files) < 4 {
		t.Fatalf("scanned only %d files", len(files))
	}
	for _, c := range append(byCustomer, byDate...) {
		for _, v := range c.values() {
			for name, b := range files {
				if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(v))) {
					t.Errorf("%s still holds erased %q", name, v)
				}
			}
		}
	}
	for _, c := range kept {
		for _, v := range c.values() {
			found := false
			for _, b := range files {
				found = found || bytes.Contains(b, []byte(v))
			}
			if !found {
				t.Errorf("kept %q is nowhere on disk: the scan cannot see what it looks for", v)
			}
		}
	}
	for _, c := range append(byCustomer, byDate...) {
		for _, v := range c.values() {
			if bytes.Contains([]byte(e.logs.String()), []byte(v)) {
				t.Errorf("the log holds %q", v)
			}
		}
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
