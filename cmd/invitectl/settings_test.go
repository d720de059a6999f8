package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// TestSettingsUpdateMask checks that settings set names in update_mask
// exactly the settings given on the command line.
func TestSettingsUpdateMask(t *testing.T) {
	t.Parallel()
	const name = "businessUnits/a/invitationSettings"
	tests := []struct {
		name string
		args []string
		want *pb.UpdateInvitationSettingsRequest
	}{
		{
			"one setting",
			[]string{"-unit", "a", "-frequency-days", "30"},
			&pb.UpdateInvitationSettingsRequest{
				Settings:   &pb.InvitationSettings{Name: name, FrequencyDays: 30},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"frequency_days"}},
			},
		},
		{
			"zero is a value",
			[]string{"-unit", "a", "-frequency-days", "0", "-delay", "0"},
			&pb.UpdateInvitationSettingsRequest{
				Settings:   &pb.InvitationSettings{Name: name, SendDelay: durationpb.New(0)},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"send_delay", "frequency_days"}},
			},
		},
		{
			"empty clears",
			[]string{"-unit", "a", "-reply-to", "", "-time-of-day", "none", "-etag", "v3"},
			&pb.UpdateInvitationSettingsRequest{
				Settings:   &pb.InvitationSettings{Name: name, Etag: "v3"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"reply_to", "send_time_of_day"}},
			},
		},
		{
			"every setting",
			[]string{"-unit", "a", "-delay", "7d", "-time-of-day", "09:30", "-zone", "Europe/Stockholm", "-frequency-days", "365",
				"-locale", "sv-SE", "-template", "default", "-sender-name", "Shop A", "-reply-to", "help@shop.example"},
			&pb.UpdateInvitationSettingsRequest{
				Settings: &pb.InvitationSettings{
					Name: name, SendDelay: durationpb.New(7 * 24 * time.Hour), SendTimeOfDay: &pb.LocalTime{Hours: 9, Minutes: 30},
					TimeZone: "Europe/Stockholm", FrequencyDays: 365, DefaultLocale: "sv-SE", DefaultTemplateId: "default",
					SenderName: "Shop A", ReplyTo: "help@shop.example",
				},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"send_delay", "frequency_days", "default_locale", "reply_to",
					"sender_name", "default_template_id", "send_time_of_day", "time_zone"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settingsUpdate(tt.args)
			if err != nil {
				t.Fatalf("settingsUpdate(%q) = %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("settingsUpdate(%q) (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestSettingsSet(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	before := s.mustCLI("shop-a", "settings", "-unit", "a")
	if field(before, "send time of day") != "none" || field(before, "frequency days") != "0" || field(before, "etag") != "v0" {
		t.Errorf("default settings = %q", before)
	}

	s.mustCLI("shop-a", "settings", "set", "-unit", "a", "-sender-name", "Shop A", "-zone", "Europe/Stockholm")
	out := s.mustCLI("shop-a", "settings", "set", "-unit", "a", "-frequency-days", "30", "-time-of-day", "09:30")
	for key, want := range map[string]string{
		"frequency days":   "30",
		"send time of day": "09:30",
		"sender name":      "Shop A",
		"time zone":        "Europe/Stockholm",
		"etag":             "v2",
		"updated":          "2026-03-05T09:00:00Z",
	} {
		if got := field(out, key); got != want {
			t.Errorf("after settings set -frequency-days 30: %s = %q, want %q", key, got, want)
		}
	}
	if shown := s.mustCLI("shop-a", "settings", "-unit", "a"); shown != out {
		t.Errorf("settings after set =\n%s\nwant what set printed:\n%s", shown, out)
	}

	cleared := s.mustCLI("shop-a", "settings", "set", "-unit", "a", "-time-of-day", "none", "-etag", "v2")
	if field(cleared, "send time of day") != "none" || field(cleared, "frequency days") != "30" {
		t.Errorf("after -time-of-day none:\n%s", cleared)
	}
	r := s.cli("shop-a", "settings", "set", "-unit", "a", "-frequency-days", "7", "-etag", "v2")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "invitectl: Aborted: settings.etag: ") {
		t.Errorf("settings set with a stale etag = %d, %q, want 1 and Aborted", r.code, r.stderr)
	}
}
