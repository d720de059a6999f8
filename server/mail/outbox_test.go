package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// newTestOutbox returns an outbox in a fresh folder that does not exist
// yet.
func newTestOutbox(t *testing.T) *Outbox {
	t.Helper()
	o, err := NewOutbox(filepath.Join(t.TempDir(), "outbox"))
	if err != nil {
		t.Fatalf("NewOutbox() = %v, want nil", err)
	}
	return o
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir(%s): %v", dir, err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestNewOutbox(t *testing.T) {
	o := newTestOutbox(t)

	fi, err := os.Stat(o.Dir())
	if err != nil {
		t.Fatalf("Stat(Dir()) = %v", err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("Dir() mode = %v, want a directory with mode 0700", fi.Mode())
	}

	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := NewOutbox(file); err == nil {
		t.Errorf("NewOutbox(%q) on a file = nil, want an error", file)
	}
	if _, err := NewOutbox(""); err == nil {
		t.Errorf("NewOutbox(%q) = nil, want an error", "")
	}
}

func TestOutboxSend(t *testing.T) {
	o := newTestOutbox(t)
	m := newTestMessage("inv-0001")
	want, err := m.Bytes()
	if err != nil {
		t.Fatalf("Bytes() = %v", err)
	}

	if err := o.Send(t.Context(), m); err != nil {
		t.Fatalf("Send() = %v, want nil", err)
	}

	path := filepath.Join(o.Dir(), "inv-0001.eml")
	if o.Path("inv-0001") != path {
		t.Errorf("Path(%q) = %q, want %q", "inv-0001", o.Path("inv-0001"), path)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("file content differs from Bytes()")
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, want 0600", fi.Mode().Perm())
	}
	if names := dirNames(t, o.Dir()); len(names) != 1 {
		t.Errorf("outbox holds %q, want only the .eml file", names)
	}
}

func TestOutboxSendOverwrites(t *testing.T) {
	o := newTestOutbox(t)
	first := newTestMessage("inv-0001")
	if err := o.Send(t.Context(), first); err != nil {
		t.Fatalf("Send(first) = %v", err)
	}
	// A hard link keeps the first copy's inode reachable, so the test can
	// see that its bytes were zeroed when it was replaced.
	link := filepath.Join(t.TempDir(), "first-copy")
	if err := os.Link(o.Path("inv-0001"), link); err != nil {
		t.Fatalf("Link: %v", err)
	}

	second := newTestMessage("inv-0001")
	second.Subject = "A different subject"
	if err := o.Send(t.Context(), second); err != nil {
		t.Fatalf("Send(second) = %v", err)
	}

	want, _ := second.Bytes()
	got, err := os.ReadFile(o.Path("inv-0001"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("file after second Send = %q, %v, want the second message", got, err)
	}
	if names := dirNames(t, o.Dir()); len(names) != 1 {
		t.Errorf("outbox holds %q, want only the .eml file", names)
	}
	old, _ := os.ReadFile(link)
	if len(old) == 0 || len(bytes.Trim(old, "\x00")) != 0 {
		t.Errorf("replaced copy still holds %d non-zero bytes, want all zeros", len(bytes.Trim(old, "\x00")))
	}
}

func TestOutboxRemove(t *testing.T) {
	o := newTestOutbox(t)
	if err := o.Send(t.Context(), newTestMessage("inv-0001")); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	if err := o.Send(t.Context(), newTestMessage("inv-0002")); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	// A temporary file left by an interrupted Send, and one of another ID.
	leftover := filepath.Join(o.Dir(), ".inv-0001.123456.tmp")
	os.WriteFile(leftover, []byte("partial"), 0o600)
	other := filepath.Join(o.Dir(), ".inv-0001-b.123456.tmp")
	os.WriteFile(other, []byte("partial"), 0o600)
	link := filepath.Join(t.TempDir(), "copy")
	if err := os.Link(o.Path("inv-0001"), link); err != nil {
		t.Fatalf("Link: %v", err)
	}

	if err := o.Remove("inv-0001"); err != nil {
		t.Fatalf("Remove(%q) = %v, want nil", "inv-0001", err)
	}

	want := []string{".inv-0001-b.123456.tmp", "inv-0002.eml"}
	if got := dirNames(t, o.Dir()); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("outbox after Remove holds %q, want %q", got, want)
	}
	wiped, _ := os.ReadFile(link)
	if len(wiped) == 0 || len(bytes.Trim(wiped, "\x00")) != 0 {
		t.Errorf("removed file still holds %d non-zero bytes, want all zeros", len(bytes.Trim(wiped, "\x00")))
	}
	if err := o.Remove("inv-0001"); err != nil {
		t.Errorf("Remove(%q) again = %v, want nil", "inv-0001", err)
	}
	if err := o.Remove("never-sent"); err != nil {
		t.Errorf("Remove(%q) = %v, want nil", "never-sent", err)
	}
}

func TestOutboxRemoveMany(t *testing.T) {
	o := newTestOutbox(t)
	for _, id := range []string{"inv-a", "inv-b", "inv-c"} {
		if err := o.Send(t.Context(), newTestMessage(id)); err != nil {
			t.Fatalf("Send(%s) = %v", id, err)
		}
	}
	os.WriteFile(filepath.Join(o.Dir(), ".inv-b.99.tmp"), []byte("partial"), 0o600)

	if err := o.Remove("inv-a", "inv-b", "never-sent"); err != nil {
		t.Fatalf("Remove(three ids) = %v", err)
	}
	if got, want := dirNames(t, o.Dir()), []string{"inv-c.eml"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("outbox after Remove holds %q, want %q", got, want)
	}
	if err := o.Remove("inv-c", "a/b"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Remove with an invalid id = %v, want ErrInvalidID", err)
	}
	if got := dirNames(t, o.Dir()); len(got) != 1 {
		t.Errorf("Remove with an invalid id removed files: %q left", got)
	}
}

func TestOutboxInvalidIDs(t *testing.T) {
	tests := []struct {
		name string
		id   string
	}{
		{name: "empty", id: ""},
		{name: "parent path", id: "../x"},
		{name: "slash", id: "a/b"},
		{name: "dot", id: "a.b"},
		{name: "too long", id: strings.Repeat("a", 65)},
		{name: "space", id: "a b"},
		{name: "non-ascii", id: "å"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newTestOutbox(t)

			err := o.Send(t.Context(), newTestMessage(tt.id))
			var de *DeliveryError
			if !errors.As(err, &de) || !de.Permanent || !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Send(ID %q) = %v, want a permanent DeliveryError wrapping %v", tt.id, err, ErrInvalidMessage)
			}
			if de != nil && de.MessageID != "" {
				t.Errorf("Send(ID %q) error names message %q, want none", tt.id, de.MessageID)
			}
			if err := o.Remove(tt.id); !errors.Is(err, ErrInvalidID) {
				t.Errorf("Remove(%q) = %v, want %v", tt.id, err, ErrInvalidID)
			}
			if p := o.Path(tt.id); p != "" {
				t.Errorf("Path(%q) = %q, want empty", tt.id, p)
			}
			if names := dirNames(t, o.Dir()); len(names) != 0 {
				t.Errorf("outbox holds %q, want nothing", names)
			}
		})
	}
	if err := newTestOutbox(t).Send(t.Context(), newTestMessage(strings.Repeat("a", 64))); err != nil {
		t.Errorf("Send(ID of 64 characters) = %v, want nil", err)
	}
}

func TestOutboxSendCancelled(t *testing.T) {
	o := newTestOutbox(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	err := o.Send(ctx, newTestMessage("inv-0001"))
	if !errors.Is(err, context.Canceled) || IsPermanent(err) {
		t.Errorf("Send(cancelled ctx) = %v, want a temporary error wrapping %v", err, context.Canceled)
	}
	if names := dirNames(t, o.Dir()); len(names) != 0 {
		t.Errorf("outbox holds %q, want nothing", names)
	}
}

func TestOutboxConcurrent(t *testing.T) {
	o := newTestOutbox(t)
	const workers = 8

	var wg sync.WaitGroup
	errs := make(chan error, 3*workers)
	for i := range workers {
		wg.Go(func() {
			id := fmt.Sprintf("inv-%d", i%3)
			errs <- o.Send(t.Context(), newTestMessage(id))
			errs <- o.Send(t.Context(), newTestMessage(id))
			errs <- o.Remove(fmt.Sprintf("inv-%d", (i+1)%3))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Send or Remove = %v, want nil", err)
		}
	}
	for _, name := range dirNames(t, o.Dir()) {
		if !strings.HasSuffix(name, ".eml") {
			t.Errorf("outbox holds %q, want only .eml files", name)
		}
	}
}
