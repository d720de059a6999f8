package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// emit prints a response: with -json as one line of protojson, otherwise
// through human, which writes aligned text.
func (c *cli) emit(resp proto.Message, human func(w io.Writer)) error {
	if c.json {
		return c.printJSON(resp)
	}
	tw := newTabWriter(c.stdout)
	human(tw)
	return tw.Flush()
}

// printJSON prints m as protojson on one line. protojson varies its
// spacing on purpose; compacting makes the output the same every time.
func (c *cli) printJSON(m proto.Message) error {
	b, err := protojson.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", m.ProtoReflect().Descriptor().Name(), err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return fmt.Errorf("compacting JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err = c.stdout.Write(buf.Bytes())
	return err
}

// printIfJSON prints one page of a list when -json is set; human output
// waits for the whole list.
func (c *cli) printIfJSON(page proto.Message) error {
	if !c.json {
		return nil
	}
	return c.printJSON(page)
}

// nextPage tells how to ask for the next page, if there is one.
func (c *cli) nextPage(token string) error {
	if token == "" {
		return nil
	}
	_, err := fmt.Fprintf(c.stdout, "\nnext page: -page-token %s\n", token)
	return err
}

// newTabWriter returns a writer that aligns tab-separated cells with two
// spaces between columns. It must be flushed.
func newTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// table prints a header and rows as aligned columns. Empty cells show as
// "-".
func (c *cli) table(header []string, rows [][]string) error {
	tw := newTabWriter(c.stdout)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = clean(v)
			if v == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// fields writes "key: value" lines for a tabwriter to align. Empty values
// are left out: proto3 cannot tell them from values the server did not
// send.
type fields struct {
	w io.Writer
}

func (f fields) add(key, value string) {
	if value != "" {
		fmt.Fprintf(f.w, "%s:\t%s\n", key, clean(value))
	}
}

// line writes text on a line of its own.
func (f fields) line(text string) { fmt.Fprintln(f.w, clean(text)) }

// counts writes the counts of an erasure under a heading, zeros included.
func (f fields) counts(heading string, n *pb.ErasureCounts) {
	if n == nil {
		return
	}
	// A line without a tab ends the block of aligned lines above it, and
	// leaves no padding behind the heading.
	fmt.Fprintf(f.w, "%s:\n", heading)
	f.add("  invitations", itoa(n.GetInvitations()))
	f.add("  scheduled sends cancelled", itoa(n.GetScheduledSendsCancelled()))
	f.add("  link tokens", itoa(n.GetLinkTokens()))
	f.add("  last-invited records", itoa(n.GetLastInvitedRecords()))
	f.add("  bcc messages", itoa(n.GetBccMessages()))
	f.add("  outbox messages", itoa(n.GetOutboxMessages()))
}

// clean quotes a value holding control characters, so that text from the
// server cannot break the layout or drive the terminal.
func clean(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return strconv.Quote(s)
		}
	}
	return s
}

// formatTime writes a timestamp in RFC 3339 UTC, or "" when unset.
func formatTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}

// formatDuration writes whole days as "7d", anything else as Go does,
// so that what is shown can be typed back to settings set.
func formatDuration(d *durationpb.Duration) string {
	if d == nil {
		return ""
	}
	v := d.AsDuration()
	const day = 24 * time.Hour
	if v > 0 && v%day == 0 {
		return strconv.FormatInt(int64(v/day), 10) + "d"
	}
	return v.String()
}

// formatDate writes a calendar date as YYYY-MM-DD, or "" when unset.
func formatDate(d *pb.CalendarDate) string {
	if d == nil {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// enumWord turns an enum value name into the word the flags take:
// STATE_NOT_DELIVERED with prefix STATE_ becomes not-delivered.
func enumWord(name, prefix string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, prefix), "_", "-"))
}

// Words for the enums in human output; "" for the unspecified value.

func invitationState(s pb.Invitation_State) string {
	if s == pb.Invitation_STATE_UNSPECIFIED {
		return ""
	}
	return enumWord(s.String(), "STATE_")
}

func erasureState(s pb.Erasure_State) string {
	if s == pb.Erasure_STATE_UNSPECIFIED {
		return ""
	}
	return enumWord(s.String(), "STATE_")
}

func erasureKind(k pb.ErasureKind) string {
	if k == pb.ErasureKind_ERASURE_KIND_UNSPECIFIED {
		return ""
	}
	return enumWord(k.String(), "ERASURE_KIND_")
}

func itoa[T ~int32 | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// nonZero writes n, or "" for zero, for numbers where zero means unset.
func nonZero[T ~int32 | ~int64](n T) string {
	if n == 0 {
		return ""
	}
	return itoa(n)
}
