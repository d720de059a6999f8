package server_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

func TestCreateGetAndDeliver(t *testing.T) {
	e := newEnv(t)
	created := e.create("a", &pb.Invitation{
		RecipientEmail: "Sven.Svensson@Example.se",
		RecipientName:  "Sven Svensson",
		ReferenceId:    "ORD-1001",
		Locale:         "sv",
		Tags:           []string{"web", "spring-sale"},
	})

	want := &pb.Invitation{
		RecipientEmail:    "Sven.Svensson@Example.se",
		RecipientName:     "Sven Svensson",
		ReferenceId:       "ORD-1001",
		Locale:            "sv-SE",
		TemplateId:        "default",
		SenderName:        "a",
		Tags:              []string{"web", "spring-sale"},
		Source:            pb.Invitation_SOURCE_API,
		State:             pb.Invitation_STATE_QUEUED,
		CreateTime:        timestamppb.New(start),
		ScheduledSendTime: timestamppb.New(start),
		ExpireTime:        timestamppb.New(start.AddDate(3, 0, 0)), // 1,096 days: 2028 has a leap day
	}
	ignore := protocmp.IgnoreFields(&pb.Invitation{}, "name", "review_link")
	if diff := cmp.Diff(want, created, protocmp.Transform(), ignore); diff != "" {
		t.Errorf("CreateInvitation (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(created.GetName(), "businessUnits/a/invitations/") {
		t.Errorf("name = %q", created.GetName())
	}
	if !strings.HasPrefix(created.GetReviewLink(), "https://reviews.example.com/r/") || len(token(created.GetReviewLink())) != 43 {
		t.Errorf("review_link = %q", created.GetReviewLink())
	}

	if n := e.send(); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	got, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: created.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetInvitation().GetState() != pb.Invitation_STATE_DELIVERED || !got.GetInvitation().GetSendTime().AsTime().Equal(start) {
		t.Errorf("after sending: state %v send_time %v", got.GetInvitation().GetState(), got.GetInvitation().GetSendTime())
	}
	eml, err := os.ReadFile(e.outboxFile(created.GetName()))
	if err != nil {
		t.Fatalf("outbox file: %v", err)
	}
	for _, want := range []string{"To: \"Sven Svensson\" <Sven.Svensson@example.se>", "Vad tyckte du om a?", "List-Unsubscribe: <https://reviews.example.com/unsubscribe/"} {
		if !strings.Contains(string(eml), want) {
			t.Errorf("outbox message lacks %q", want)
		}
	}
	if !strings.Contains(strings.ReplaceAll(string(eml), "=\r\n", ""), created.GetReviewLink()) {
		t.Errorf("outbox message lacks the review link")
	}
}

func TestCreateRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	ok := func() *pb.Invitation { return &pb.Invitation{RecipientEmail: "ann@example.se"} }
	tests := []struct {
		name  string
		req   *pb.CreateInvitationRequest
		field string
	}{
		{"no parent", &pb.CreateInvitationRequest{Invitation: ok()}, "parent"},
		{"bad parent", &pb.CreateInvitationRequest{Parent: "units/a", Invitation: ok()}, "parent"},
		{"upper-case unit", &pb.CreateInvitationRequest{Parent: "businessUnits/A", Invitation: ok()}, "parent"},
		{"no invitation", &pb.CreateInvitationRequest{Parent: "businessUnits/a"}, "invitation"},
		{"no address", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{}}, "invitation.recipient_email"},
		{"bad address", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "secret-person at example"}}, "invitation.recipient_email"},
		{"long name", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", RecipientName: strings.Repeat("n", 201)}}, "invitation.recipient_name"},
		{"newline in sender", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", SenderName: "Shop\r\nBcc: x@example.se"}}, "invitation.sender_name"},
		{"C1 control in name", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", RecipientName: "A\u0085B"}}, "invitation.recipient_name"},
		{"unknown locale", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", Locale: "xx-YY"}}, "invitation.locale"},
		{"unknown template", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", TemplateId: "nope"}}, "invitation.template_id"},
		{"bad tag", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", Tags: []string{"ok", "no spaces"}}}, "invitation.tags[1]"},
		{"too many tags", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", Tags: strings.Split("a b c d e f g h i j k", " ")}}, "invitation.tags"},
		{"bad reply-to", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", ReplyTo: "nobody"}}, "invitation.reply_to"},
		{"reply-to needing SMTPUTF8", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", ReplyTo: "kundtjänst@example.se"}}, "invitation.reply_to"},
		{"send time too far", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", PreferredSendTime: timestamppb.New(start.AddDate(2, 0, 0))}}, "invitation.preferred_send_time"},
		{"invalid timestamp", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "a@example.se", PreferredSendTime: &timestamppb.Timestamp{Nanos: -1}}}, "invitation.preferred_send_time"},
		{"bad request id", &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: ok(), RequestId: "has space"}, "request_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.inv.CreateInvitation(e.as("portal-a"), tt.req)
			wantCode(t, "CreateInvitation", err, codes.InvalidArgument, tt.field)
			if err != nil && strings.Contains(err.Error(), "secret-person") {
				t.Errorf("error %q echoes the address", err)
			}
		})
	}

	resp, err := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
	if err != nil || len(resp.GetInvitations()) != 0 {
		t.Errorf("after refused creates ListInvitations = %d, %v, want none", len(resp.GetInvitations()), err)
	}
}

func TestBatchCreate(t *testing.T) {
	e := newEnv(t)
	e.setFrequency("a", 30)
	resp, err := e.inv.BatchCreateInvitations(e.as("portal-a"), &pb.BatchCreateInvitationsRequest{
		Parent: "businessUnits/a",
		Invitations: []*pb.Invitation{
			{RecipientEmail: "one@example.se"},
			{RecipientEmail: "not an address"},
			{RecipientEmail: "ONE@example.se"}, // same customer: the frequency rule holds within a batch
			{RecipientEmail: "two@example.se", Locale: "de"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range resp.GetOutcomes() {
		got = append(got, fmt.Sprintf("%v %s", o.GetResult(), o.GetField()))
	}
	want := []string{"RESULT_CREATED ", "RESULT_INVALID recipient_email", "RESULT_FREQUENCY_LIMITED recipient_email", "RESULT_CREATED "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BatchCreateInvitations outcomes (-want +got):\n%s", diff)
	}
	if resp.GetCreatedCount() != 2 || resp.GetRefusedCount() != 2 {
		t.Errorf("counts = %d created, %d refused, want 2, 2", resp.GetCreatedCount(), resp.GetRefusedCount())
	}

	tooMany := make([]*pb.Invitation, 1001)
	for i := range tooMany {
		tooMany[i] = &pb.Invitation{RecipientEmail: fmt.Sprintf("c%d@example.se", i)}
	}
	_, err = e.inv.BatchCreateInvitations(e.as("portal-a"), &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a", Invitations: tooMany})
	wantCode(t, "BatchCreateInvitations(1001)", err, codes.InvalidArgument, "invitations")
	_, err = e.inv.BatchCreateInvitations(e.as("portal-a"), &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a"})
	wantCode(t, "BatchCreateInvitations(0)", err, codes.InvalidArgument, "invitations")
}

func TestBatchCreateThousand(t *testing.T) {
	e := newEnv(t)
	invs := make([]*pb.Invitation, 1000)
	for i := range invs {
		invs[i] = &pb.Invitation{RecipientEmail: fmt.Sprintf("c%d@example.se", i), RecipientName: "Customer"}
	}
	resp, err := e.inv.BatchCreateInvitations(e.as("portal-a"), &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a", Invitations: invs, RequestId: "batch-1"})
	if err != nil || resp.GetCreatedCount() != 1000 {
		t.Fatalf("BatchCreateInvitations(1000) = %d created, %v", resp.GetCreatedCount(), err)
	}
	again, err := e.inv.BatchCreateInvitations(e.as("portal-a"), &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a", Invitations: invs, RequestId: "batch-1"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(resp, again, protocmp.Transform()); diff != "" {
		t.Errorf("repeated batch differs (-first +repeat):\n%s", diff)
	}
}

func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t)
	req := &pb.CreateInvitationRequest{Parent: "businessUnits/a", RequestId: "order-77", Invitation: &pb.Invitation{RecipientEmail: "ann@example.se"}}
	first, err := e.inv.CreateInvitation(e.as("portal-a"), req)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	second, err := e.inv.CreateInvitation(e.as("portal-a"), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second, protocmp.Transform()); diff != "" {
		t.Errorf("repeat of request differs (-first +second):\n%s", diff)
	}

	req.Invitation.RecipientEmail = "bo@example.se"
	_, err = e.inv.CreateInvitation(e.as("portal-a"), req)
	wantCode(t, "CreateInvitation(reused id)", err, codes.AlreadyExists, "request_id")

	// The same id in another business unit is another request.
	req.Parent = "businessUnits/b"
	if _, err := e.inv.CreateInvitation(e.as("portal-b"), req); err != nil {
		t.Errorf("same request id in unit b = %v", err)
	}

	// After an erasure a repeat says so rather than inventing an answer.
	if _, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"ann@example.se"}}); err != nil {
		t.Fatal(err)
	}
	req.Parent, req.Invitation.RecipientEmail = "businessUnits/a", "ann@example.se"
	_, err = e.inv.CreateInvitation(e.as("portal-a"), req)
	wantCode(t, "CreateInvitation(repeat after erasure)", err, codes.NotFound, "request_id")
	batch := &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a", RequestId: "batch-9", Invitations: []*pb.Invitation{{RecipientEmail: "cy@example.se"}}}
	if _, err := e.inv.BatchCreateInvitations(e.as("portal-a"), batch); err != nil {
		t.Fatal(err)
	}
	e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"cy@example.se"}})
	again, err := e.inv.BatchCreateInvitations(e.as("portal-a"), batch)
	if err != nil || again.GetOutcomes()[0].GetResult() != pb.InvitationOutcome_RESULT_ERASED || again.GetCreatedCount() != 0 || again.GetOutcomes()[0].GetInvitation() != nil {
		t.Errorf("batch repeat after erasure = %v, %v, want RESULT_ERASED and nothing created", again, err)
	}
}

func TestValidateOnlyStoresNothing(t *testing.T) {
	e := newEnv(t)
	resp, err := e.inv.CreateInvitation(e.as("portal-a"), &pb.CreateInvitationRequest{
		Parent: "businessUnits/a", ValidateOnly: true, Invitation: &pb.Invitation{RecipientEmail: "ann@example.se"},
	})
	if err != nil || resp.GetInvitation().GetState() != pb.Invitation_STATE_QUEUED {
		t.Fatalf("CreateInvitation(validate_only) = %v, %v", resp, err)
	}
	if resp.GetInvitation().GetName() != "" || resp.GetInvitation().GetReviewLink() != "" {
		t.Errorf("validate_only answer names an invitation that was not stored: %q, %q", resp.GetInvitation().GetName(), resp.GetInvitation().GetReviewLink())
	}
	list, _ := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
	if n := len(list.GetInvitations()); n != 0 {
		t.Errorf("validate_only stored %d invitations", n)
	}
}

func TestFrequencyRule(t *testing.T) {
	e := newEnv(t)
	e.setFrequency("a", 30)
	e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})

	e.clock.Advance(30*24*time.Hour - time.Nanosecond)
	_, err := e.inv.CreateInvitation(e.as("portal-a"), &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: " Ann@Example.SE"}})
	wantCode(t, "CreateInvitation(within window)", err, codes.FailedPrecondition, "invitation.recipient_email")

	// Another business unit keeps its own record.
	e.create("b", &pb.Invitation{RecipientEmail: "ann@example.se"})

	e.clock.Advance(time.Nanosecond)
	e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
}

func (e *env) setFrequency(bu string, days int32) {
	e.t.Helper()
	_, err := e.inv.UpdateInvitationSettings(e.as("portal-"+bu), &pb.UpdateInvitationSettingsRequest{
		Settings:   &pb.InvitationSettings{Name: "businessUnits/" + bu + "/invitationSettings", FrequencyDays: days},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"frequency_days"}},
	})
	if err != nil {
		e.t.Fatalf("setting frequency: %v", err)
	}
}

func TestListFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	var names []string
	for i := range 7 {
		email := fmt.Sprintf("c%d@example.se", i%3)
		names = append(names, e.create("a", &pb.Invitation{RecipientEmail: email}).GetName())
		e.clock.Advance(time.Hour)
	}
	e.create("b", &pb.Invitation{RecipientEmail: "c0@example.se"})

	list := func(req *pb.ListInvitationsRequest) []string {
		t.Helper()
		req.Parent = "businessUnits/a"
		var got []string
		for {
			resp, err := e.inv.ListInvitations(e.as("portal-a"), req)
			if err != nil {
				t.Fatalf("ListInvitations = %v", err)
			}
			for _, inv := range resp.GetInvitations() {
				got = append(got, inv.GetName())
			}
			if resp.GetNextPageToken() == "" {
				return got
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}

	tests := []struct {
		name string
		req  *pb.ListInvitationsRequest
		want []string
	}{
		{"all in pages of 2", &pb.ListInvitationsRequest{PageSize: 2}, names},
		{"by customer, any spelling", &pb.ListInvitationsRequest{RecipientEmail: "C0@EXAMPLE.SE", PageSize: 1}, []string{names[0], names[3], names[6]}},
		{"time range", &pb.ListInvitationsRequest{CreateTimeStart: timestamppb.New(start.Add(2 * time.Hour)), CreateTimeEnd: timestamppb.New(start.Add(4 * time.Hour))}, names[2:4]},
		{"state", &pb.ListInvitationsRequest{State: pb.Invitation_STATE_CANCELLED}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, list(tt.req)); diff != "" {
				t.Errorf("ListInvitations (-want +got):\n%s", diff)
			}
		})
	}

	bad := []struct {
		name  string
		req   *pb.ListInvitationsRequest
		field string
	}{
		{"negative page size", &pb.ListInvitationsRequest{PageSize: -1}, "page_size"},
		{"garbage token", &pb.ListInvitationsRequest{PageToken: "!!"}, "page_token"},
		{"bad address filter", &pb.ListInvitationsRequest{RecipientEmail: "nope"}, "recipient_email"},
		{"empty range", &pb.ListInvitationsRequest{CreateTimeStart: timestamppb.New(start), CreateTimeEnd: timestamppb.New(start)}, "create_time_end"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Parent = "businessUnits/a"
			_, err := e.inv.ListInvitations(e.as("portal-a"), tt.req)
			wantCode(t, "ListInvitations", err, codes.InvalidArgument, tt.field)
		})
	}

	first, _ := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a", PageSize: 1})
	_, err := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a", PageSize: 1, State: pb.Invitation_STATE_QUEUED, PageToken: first.GetNextPageToken()})
	wantCode(t, "ListInvitations(token of other filters)", err, codes.InvalidArgument, "page_token")

	big, err := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a", PageSize: 5000})
	if err != nil || len(big.GetInvitations()) != 7 {
		t.Errorf("ListInvitations(page_size 5000) = %d, %v, want 7 (clamped, not refused)", len(big.GetInvitations()), err)
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	inv := e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se", PreferredSendTime: timestamppb.New(start.Add(time.Hour))})
	resp, err := e.inv.CancelInvitation(e.as("portal-a"), &pb.CancelInvitationRequest{Name: inv.GetName()})
	if err != nil || resp.GetInvitation().GetState() != pb.Invitation_STATE_CANCELLED {
		t.Fatalf("CancelInvitation = %v, %v", resp.GetInvitation().GetState(), err)
	}
	e.clock.Advance(2 * time.Hour)
	if n := e.send(); n != 0 || e.outboxHas(inv.GetName()) {
		t.Errorf("cancelled invitation was sent (%d sent)", n)
	}
	_, err = e.inv.CancelInvitation(e.as("portal-a"), &pb.CancelInvitationRequest{Name: inv.GetName()})
	wantCode(t, "CancelInvitation(again)", err, codes.FailedPrecondition, "name")

	_, err = e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{Token: token(inv.GetReviewLink())})
	wantCode(t, "ResolveReviewLink(cancelled)", err, codes.FailedPrecondition, "token")

	_, err = e.inv.CancelInvitation(e.as("portal-a"), &pb.CancelInvitationRequest{Name: "businessUnits/a/invitations/00000000000000000000000000"})
	wantCode(t, "CancelInvitation(unknown)", err, codes.NotFound, "")
}

func TestSettings(t *testing.T) {
	e := newEnv(t)
	name := "businessUnits/a/invitationSettings"
	got, err := e.inv.GetInvitationSettings(e.as("portal-a"), &pb.GetInvitationSettingsRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	want := &pb.InvitationSettings{Name: name, SendDelay: durationpb.New(0), TimeZone: "UTC", DefaultLocale: "en-US", DefaultTemplateId: "default", SenderName: "a", Etag: "v0"}
	if diff := cmp.Diff(want, got.GetSettings(), protocmp.Transform()); diff != "" {
		t.Errorf("default settings (-want +got):\n%s", diff)
	}

	upd, err := e.inv.UpdateInvitationSettings(e.as("portal-a"), &pb.UpdateInvitationSettingsRequest{
		Settings: &pb.InvitationSettings{
			Name: name, SendDelay: durationpb.New(48 * time.Hour), SendTimeOfDay: &pb.LocalTime{Hours: 10},
			TimeZone: "Europe/Stockholm", SenderName: "Blom & Co", FrequencyDays: 999, Etag: "v0",
		},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"send_delay", "send_time_of_day", "time_zone", "sender_name"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := upd.GetSettings()
	if s.GetFrequencyDays() != 0 || s.GetSenderName() != "Blom & Co" || s.GetEtag() != "v1" || s.GetSendTimeOfDay().GetHours() != 10 {
		t.Errorf("UpdateInvitationSettings = %v", s)
	}

	// Created Thursday 10:00 Stockholm; two days' delay gives Saturday
	// 10:00, which is the send time of day itself.
	inv := e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
	wantSend := time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC)
	if got := inv.GetScheduledSendTime().AsTime(); !got.Equal(wantSend) {
		t.Errorf("scheduled_send_time = %v, want %v", got, wantSend)
	}

	bad := []struct {
		name  string
		s     *pb.InvitationSettings
		paths []string
		code  codes.Code
		field string
	}{
		{"stale etag", &pb.InvitationSettings{Name: name, Etag: "v0"}, []string{"frequency_days"}, codes.Aborted, "settings.etag"},
		{"unknown zone", &pb.InvitationSettings{Name: name, TimeZone: "Mars/Olympus"}, []string{"time_zone"}, codes.InvalidArgument, "settings.time_zone"},
		{"long delay", &pb.InvitationSettings{Name: name, SendDelay: durationpb.New(91 * 24 * time.Hour)}, []string{"send_delay"}, codes.InvalidArgument, "settings.send_delay"},
		{"bad hour", &pb.InvitationSettings{Name: name, SendTimeOfDay: &pb.LocalTime{Hours: 24}}, []string{"send_time_of_day"}, codes.InvalidArgument, "settings.send_time_of_day"},
		{"frequency too long", &pb.InvitationSettings{Name: name, FrequencyDays: 1096}, []string{"frequency_days"}, codes.InvalidArgument, "settings.frequency_days"},
		{"C1 control in sender name", &pb.InvitationSettings{Name: name, SenderName: "Shop\u0085B"}, []string{"sender_name"}, codes.InvalidArgument, "settings.sender_name"},
		{"unknown path", &pb.InvitationSettings{Name: name}, []string{"etag"}, codes.InvalidArgument, "update_mask"},
		{"no mask", &pb.InvitationSettings{Name: name}, nil, codes.InvalidArgument, "update_mask"},
		{"bad name", &pb.InvitationSettings{Name: "businessUnits/a"}, []string{"time_zone"}, codes.InvalidArgument, "settings.name"},
		{"other unit", &pb.InvitationSettings{Name: "businessUnits/b/invitationSettings"}, []string{"time_zone"}, codes.PermissionDenied, "settings.name"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var mask *fieldmaskpb.FieldMask
			if tt.paths != nil {
				mask = &fieldmaskpb.FieldMask{Paths: tt.paths}
			}
			_, err := e.inv.UpdateInvitationSettings(e.as("portal-a"), &pb.UpdateInvitationSettingsRequest{Settings: tt.s, UpdateMask: mask})
			wantCode(t, "UpdateInvitationSettings", err, tt.code, tt.field)
		})
	}
}

func TestListTemplates(t *testing.T) {
	e := newEnv(t)
	resp, err := e.inv.ListTemplates(e.as("portal-a"), &pb.ListTemplatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tpl := range resp.GetTemplates() {
		ids = append(ids, tpl.GetTemplateId()+": "+tpl.GetDisplayName())
		if len(tpl.GetLocales()) != 5 {
			t.Errorf("template %s has locales %v, want 5", tpl.GetTemplateId(), tpl.GetLocales())
		}
	}
	if diff := cmp.Diff([]string{"default: Review request", "order: Order review request"}, ids); diff != "" {
		t.Errorf("ListTemplates ids (-want +got):\n%s", diff)
	}

	page, err := e.inv.ListTemplates(e.as("site"), &pb.ListTemplatesRequest{PageSize: 1, Locale: "da"})
	if err != nil || len(page.GetTemplates()) != 1 || page.GetNextPageToken() == "" || page.GetTemplates()[0].GetLocales()[0] != "da-DK" {
		t.Errorf("ListTemplates(page_size 1, da) = %v, %v", page, err)
	}
	_, err = e.inv.ListTemplates(e.as("portal-a"), &pb.ListTemplatesRequest{Locale: "tlh"})
	wantCode(t, "ListTemplates(unknown locale)", err, codes.InvalidArgument, "locale")
}

func TestReviewLink(t *testing.T) {
	e := newEnv(t)
	inv := e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se", RecipientName: "Ann", ReferenceId: "R-1", Locale: "da-DK"})
	e.send()
	tok := token(inv.GetReviewLink())

	got, err := e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	want := &pb.ResolveReviewLinkResponse{Invitation: inv.GetName(), BusinessUnit: "businessUnits/a", RecipientName: "Ann", ReferenceId: "R-1", Locale: "da-DK", State: pb.Invitation_STATE_DELIVERED}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("ResolveReviewLink (-want +got):\n%s", diff)
	}

	e.clock.Advance(time.Hour)
	rec, err := e.inv.RecordReview(e.as("site"), &pb.RecordReviewRequest{Token: tok, ReviewId: "rev-1"})
	if err != nil || !rec.GetReviewTime().AsTime().Equal(start.Add(time.Hour)) {
		t.Fatalf("RecordReview = %v, %v", rec, err)
	}
	e.clock.Advance(time.Hour)
	again, err := e.inv.RecordReview(e.as("site"), &pb.RecordReviewRequest{Token: tok, ReviewId: "rev-1"})
	if err != nil || !again.GetReviewTime().AsTime().Equal(start.Add(time.Hour)) {
		t.Errorf("RecordReview(repeat) = %v, %v, want first review time", again, err)
	}
	_, err = e.inv.RecordReview(e.as("site"), &pb.RecordReviewRequest{Token: tok, ReviewId: "rev-2"})
	wantCode(t, "RecordReview(other review)", err, codes.FailedPrecondition, "token")
	_, err = e.inv.RecordReview(e.as("site"), &pb.RecordReviewRequest{Token: tok, ReviewId: "bad id!"})
	wantCode(t, "RecordReview(bad review id)", err, codes.InvalidArgument, "review_id")

	forged := tok[:len(tok)-2] + "AA"
	if forged == tok {
		forged = tok[:len(tok)-2] + "BB"
	}
	for _, bad := range []string{forged, "short", strings.Repeat("A", 43)} {
		_, err = e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{Token: bad})
		wantCode(t, "ResolveReviewLink(bad token)", err, codes.NotFound, "token")
	}
	_, err = e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{})
	wantCode(t, "ResolveReviewLink(empty)", err, codes.InvalidArgument, "token")
}

// TestDeliveredAddressForms sends to a domain written with its root dot and
// with a reply-to in a Unicode domain: both are valid when the invitation
// is made, so both must go out, in their header forms.
func TestDeliveredAddressForms(t *testing.T) {
	e := newEnv(t)
	inv := e.create("a", &pb.Invitation{RecipientEmail: "Ann@Example.se.", ReplyTo: "support@Exämple.se"})
	e.send()
	got, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: inv.GetName()})
	if err != nil || got.GetInvitation().GetState() != pb.Invitation_STATE_DELIVERED {
		t.Fatalf("invitation after sending = %v, %v, want DELIVERED", got.GetInvitation().GetState(), err)
	}
	b, err := os.ReadFile(e.outboxFile(inv.GetName()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"To: <Ann@example.se>", "Reply-To: <support@xn--exmple-cua.se>"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("e-mail lacks %q:\n%s", want, b)
		}
	}
}
