package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want *pb.CalendarDate
	}{
		{"a real day", "2026-03-05", &pb.CalendarDate{Year: 2026, Month: 3, Day: 5}},
		{"30 February goes to the server", "2026-02-30", &pb.CalendarDate{Year: 2026, Month: 2, Day: 30}},
		{"month 13 goes to the server", "2026-13-01", &pb.CalendarDate{Year: 2026, Month: 13, Day: 1}},
		{"year 0 goes to the server", "0000-01-01", &pb.CalendarDate{Year: 0, Month: 1, Day: 1}},
		{"empty", "", nil},
		{"no padding", "2026-3-5", nil},
		{"two parts", "2026-03", nil},
		{"four parts", "2026-03-05-01", nil},
		{"signed", "2026-+3-05", nil},
		{"letters", "2026-MR-05", nil},
		{"slashes", "2026/03/05", nil},
		{"time attached", "2026-03-05T00:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDate(tt.in)
			if tt.want == nil {
				if !errors.Is(err, errDate) {
					t.Errorf("parseDate(%q) = %v, %v, want errDate", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDate(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("parseDate(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseTimeOfDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    *pb.LocalTime
		wantErr bool
	}{
		{"09:30", &pb.LocalTime{Hours: 9, Minutes: 30}, false},
		{"00:00", &pb.LocalTime{}, false},
		{"25:61", &pb.LocalTime{Hours: 25, Minutes: 61}, false}, // the server judges the range
		{"none", nil, false},
		{"9:30", nil, true},
		{"09.30", nil, true},
		{"+9:30", nil, true},
		{"", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTimeOfDay(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseTimeOfDay(%q) = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("parseTimeOfDay(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
		shown   string
	}{
		{"7d", 7 * 24 * time.Hour, false, "7d"},
		{"0", 0, false, "0s"},
		{"36h", 36 * time.Hour, false, "36h0m0s"},
		{"48h", 48 * time.Hour, false, "2d"},
		{"90m", 90 * time.Minute, false, "1h30m0s"},
		{"1.5d", 0, true, ""},
		{"999999999d", 0, true, ""},
		{"a week", 0, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseDuration(%q) = %v, %v, want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				if shown := formatDuration(durationpb.New(got)); shown != tt.shown {
					t.Errorf("formatDuration(%v) = %q, want %q", got, shown, tt.shown)
				}
			}
		})
	}
}

// TestParseArguments checks flags before, between and after positional
// arguments, and "--".
func TestParseArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantID   string
		wantArgs []string
		wantErr  bool
	}{
		{"flag first", []string{"-review-id", "r1", "tok"}, "r1", []string{"tok"}, false},
		{"flag last", []string{"tok", "-review-id", "r1"}, "r1", []string{"tok"}, false},
		{"dash is an argument", []string{"-review-id", "r1", "-"}, "r1", []string{"-"}, false},
		{"after --", []string{"-review-id", "r1", "--", "-tok"}, "r1", []string{"-tok"}, false},
		{"missing", []string{"-review-id", "r1"}, "", nil, true},
		{"too many", []string{"a", "b"}, "", nil, true},
		{"unknown flag after argument", []string{"tok", "-nope"}, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlags("review", "TOKEN", "test")
			id := f.String("review-id", "", "")
			err := f.parse(tt.args, "TOKEN")
			if tt.wantErr {
				var bad *usageError
				if !errors.As(err, &bad) {
					t.Errorf("parse(%q) = %v, want a usage error", tt.args, err)
				}
				return
			}
			if err != nil || *id != tt.wantID || !slices.Equal(f.Args(), tt.wantArgs) {
				t.Errorf("parse(%q) = %v, -review-id %q, args %q, want %q, %q", tt.args, err, *id, f.Args(), tt.wantID, tt.wantArgs)
			}
		})
	}
}

func TestProgressText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		e    *pb.Erasure
		want string
	}{
		{"pending", &pb.Erasure{State: pb.Erasure_STATE_PENDING}, "0/0 (0%)"},
		{"running", &pb.Erasure{State: pb.Erasure_STATE_RUNNING, RecordsDone: 1, RecordsTotal: 3}, "1/3 (33%)"},
		{"more done than estimated", &pb.Erasure{State: pb.Erasure_STATE_RUNNING, RecordsDone: 5, RecordsTotal: 4}, "5/4 (100%)"},
		{"nothing in scope", &pb.Erasure{State: pb.Erasure_STATE_SUCCEEDED}, "0/0 (100%)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressText(tt.e); got != tt.want {
				t.Errorf("progressText(%v) = %q, want %q", tt.e, got, tt.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Ann Lind", "Ann Lind"},
		{"Åsa Öberg", "Åsa Öberg"},
		{"tab\there", `"tab\there"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{"line\nbreak", `"line\nbreak"`},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestProgressLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		terminal bool
		want     string
	}{
		{"pipe: a line per change", false, "0/0 (0%)\n1/20 (5%)\n20/20 (100%)\n"},
		{"terminal: one line rewritten", true, "\r0/0 (0%)\r1/20 (5%)\r20/20 (100%)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			p := &progress{w: &b, terminal: tt.terminal}
			for _, text := range []string{"0/0 (0%)", "0/0 (0%)", "1/20 (5%)", "20/20 (100%)", "20/20 (100%)"} {
				p.show(text)
			}
			p.end()
			if b.String() != tt.want {
				t.Errorf("progress wrote %q, want %q", b.String(), tt.want)
			}
		})
	}
}
