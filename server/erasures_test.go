package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/storage"
)

// svenScenario is the walkthrough of the README: business unit A invites
// Sven and two others, Sven opens and uses his link, a second invitation to
// him waits in the queue, and business unit B invites him too.
type svenScenario struct {
	delivered, queued, other1, other2, inB *pb.Invitation
}

const sven = "Sven.Svensson@Example.se"

func (e *env) svenScenario() svenScenario {
	e.t.Helper()
	e.setFrequency("a", 365)
	var s svenScenario
	s.delivered = e.create("a", &pb.Invitation{RecipientEmail: sven, RecipientName: "Sven Svensson", ReferenceId: "ORD-1001"})
	s.other1 = e.create("a", &pb.Invitation{RecipientEmail: "karin.lind@example.se", RecipientName: "Karin Lind"})
	s.other2 = e.create("a", &pb.Invitation{RecipientEmail: "olof.berg@example.se", RecipientName: "Olof Berg"})
	s.inB = e.create("b", &pb.Invitation{RecipientEmail: sven, RecipientName: "Sven Svensson"})
	e.send()

	// The frequency rule would refuse a second invitation; a request made
	// in another business unit's name shows the rule is per unit.
	e.setFrequency("a", 0)
	s.queued = e.create("a", &pb.Invitation{RecipientEmail: "sven.svensson@example.se", PreferredSendTime: timestamppb.New(start.Add(48 * time.Hour))})
	e.setFrequency("a", 365)

	tok := token(s.delivered.GetReviewLink())
	if _, err := e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{Token: tok}); err != nil {
		e.t.Fatalf("Sven opens his link: %v", err)
	}
	if _, err := e.inv.RecordReview(e.as("site"), &pb.RecordReviewRequest{Token: tok, ReviewId: "review-sven-1"}); err != nil {
		e.t.Fatalf("Sven writes a review: %v", err)
	}
	return s
}

func TestEraseCustomerEffects(t *testing.T) {
	e := newEnv(t)
	s := e.svenScenario()
	if !e.outboxHas(s.delivered.GetName()) {
		t.Fatal("Sven's delivered invitation is not in the outbox")
	}

	resp, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{
		Parent:         "businessUnits/a",
		EmailAddresses: []string{" SVEN.svensson@example.SE "},
	})
	if err != nil {
		t.Fatal(err)
	}
	er := resp.GetErasure()
	wantCounts := &pb.ErasureCounts{Invitations: 2, ScheduledSendsCancelled: 1, LinkTokens: 2, LastInvitedRecords: 1, OutboxMessages: 1}
	if diff := cmp.Diff(wantCounts, er.GetCounts(), protocmp.Transform()); diff != "" {
		t.Errorf("erasure counts (-want +got):\n%s", diff)
	}
	if er.GetState() != pb.Erasure_STATE_SUCCEEDED || er.GetCustomerCount() != 1 || er.GetRequestedBy() != "portal-a" {
		t.Errorf("erasure = %v", er)
	}
	if er.GetCustomersLosingFrequencyProtection() != 1 || !strings.Contains(er.GetWarning(), "invited again sooner") {
		t.Errorf("erasure does not warn about frequency protection: %d, %q", er.GetCustomersLosingFrequencyProtection(), er.GetWarning())
	}

	t.Run("links stop working", func(t *testing.T) {
		for _, inv := range []*pb.Invitation{s.delivered, s.queued} {
			_, err := e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{Token: token(inv.GetReviewLink())})
			wantCode(t, "ResolveReviewLink(erased)", err, codes.NotFound, "token")
		}
	})
	t.Run("queued invitation is never sent", func(t *testing.T) {
		e.clock.Advance(72 * time.Hour)
		if n := e.send(); n != 0 {
			t.Errorf("sender sent %d after erasure", n)
		}
		if e.outboxHas(s.queued.GetName()) {
			t.Error("erased queued invitation reached the outbox")
		}
		_, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: s.queued.GetName()})
		wantCode(t, "GetInvitation(erased)", err, codes.NotFound, "")
	})
	t.Run("delivered e-mail file is gone", func(t *testing.T) {
		if e.outboxHas(s.delivered.GetName()) {
			t.Error("outbox still holds Sven's e-mail")
		}
	})
	t.Run("last-invited record is gone", func(t *testing.T) {
		e.create("a", &pb.Invitation{RecipientEmail: sven})
	})
	t.Run("others untouched", func(t *testing.T) {
		for _, inv := range []*pb.Invitation{s.other1, s.other2} {
			got, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: inv.GetName()})
			if err != nil || got.GetInvitation().GetState() != pb.Invitation_STATE_DELIVERED || !e.outboxHas(inv.GetName()) {
				t.Errorf("other customer's invitation after erasure: %v, %v", got, err)
			}
		}
		got, err := e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{Token: token(s.inB.GetReviewLink())})
		if err != nil || got.GetBusinessUnit() != "businessUnits/b" {
			t.Errorf("unit B's link to Sven after A's erasure = %v, %v", got, err)
		}
		_, err = e.inv.CreateInvitation(e.as("portal-b"), &pb.CreateInvitationRequest{Parent: "businessUnits/b", Invitation: &pb.Invitation{RecipientEmail: sven}})
		if err != nil {
			t.Errorf("unit B has no frequency rule, create = %v", err)
		}
	})
}

func TestEraseCustomerWithoutDataSucceeds(t *testing.T) {
	e := newEnv(t)
	resp, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"nobody@example.se"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&pb.ErasureCounts{}, resp.GetErasure().GetCounts(), protocmp.Transform()); diff != "" || resp.GetErasure().GetState() != pb.Erasure_STATE_SUCCEEDED {
		t.Errorf("erasure of unknown customer: state %v, counts (-want +got):\n%s", resp.GetErasure().GetState(), diff)
	}
}

func TestErasePreviewChangesNothing(t *testing.T) {
	e := newEnv(t)
	s := e.svenScenario()
	resp, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{
		Parent: "businessUnits/a", EmailAddresses: []string{sven}, ValidateOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := resp.GetErasure()
	if !p.GetPreview() || p.GetName() != "" || p.GetCounts().GetInvitations() != 2 || p.GetCounts().GetOutboxMessages() != 1 ||
		p.GetCustomersLosingFrequencyProtection() != 1 || !strings.Contains(p.GetWarning(), "would lose") {
		t.Errorf("preview = %v", p)
	}
	if _, err := e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{Token: token(s.delivered.GetReviewLink())}); err != nil {
		t.Errorf("link after preview = %v", err)
	}
	list, _ := e.er.ListErasures(e.as("portal-a"), &pb.ListErasuresRequest{Parent: "businessUnits/a"})
	if len(list.GetErasures()) != 0 {
		t.Errorf("preview stored %d erasures", len(list.GetErasures()))
	}

	// The date is today: the cut-off is the moment of the request, so
	// what was made before it is in scope and nothing after it.
	e.clock.Advance(time.Minute)
	date, err := e.er.EraseUpToDate(e.as("portal-a"), &pb.EraseUpToDateRequest{
		Parent: "businessUnits/a", Date: &pb.CalendarDate{Year: 2026, Month: 3, Day: 5}, ValidateOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := date.GetErasure().GetCutOffTime().AsTime(), e.clock.Now(); !got.Equal(want) {
		t.Errorf("cut-off for today = %v, want the request time %v", got, want)
	}
	want := &pb.ErasureCounts{Invitations: 4, ScheduledSendsCancelled: 1, LinkTokens: 4, LastInvitedRecords: 3, OutboxMessages: 3}
	if diff := cmp.Diff(want, date.GetErasure().GetCounts(), protocmp.Transform()); diff != "" {
		t.Errorf("date preview counts (-want +got):\n%s", diff)
	}
}

func TestEraseIdempotent(t *testing.T) {
	e := newEnv(t)
	e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
	req := &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"ann@example.se"}, RequestId: "gdpr-42"}
	first, err := e.er.EraseCustomers(e.as("portal-a"), req)
	if err != nil {
		t.Fatal(err)
	}
	e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
	second, err := e.er.EraseCustomers(e.as("portal-a"), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second, protocmp.Transform()); diff != "" {
		t.Errorf("repeated request ran again (-first +second):\n%s", diff)
	}
	list, _ := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
	if len(list.GetInvitations()) != 1 {
		t.Errorf("the repeat erased the invitation made after the first request")
	}

	req.EmailAddresses = []string{"bo@example.se"}
	_, err = e.er.EraseCustomers(e.as("portal-a"), req)
	wantCode(t, "EraseCustomers(reused id)", err, codes.AlreadyExists, "request_id")

	// The same customers in another order and spelling are the same request.
	twice := &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"p1@example.se", "p2@example.se"}, RequestId: "gdpr-43"}
	first, err = e.er.EraseCustomers(e.as("portal-a"), twice)
	if err != nil {
		t.Fatal(err)
	}
	twice.EmailAddresses = []string{"P2@example.se", "p1@EXAMPLE.se", "p2@example.se"}
	second, err = e.er.EraseCustomers(e.as("portal-a"), twice)
	if err != nil || second.GetErasure().GetName() != first.GetErasure().GetName() {
		t.Errorf("same customers reordered = %v, %v, want the first erasure", second.GetErasure().GetName(), err)
	}
}

func TestEraseUpToDate(t *testing.T) {
	e := newEnv(t)
	e.setZone("a", "Europe/Stockholm")
	// Local dates in Stockholm (UTC+1 in March): the last minute of the
	// 5th, the first of the 6th.
	at := func(local string) time.Time {
		loc, _ := time.LoadLocation("Europe/Stockholm")
		tm, err := time.ParseInLocation("2006-01-02 15:04", local, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	made := map[string]*pb.Invitation{}
	for _, c := range []struct{ who, when string }{
		{"early", "2026-03-05 00:00"}, {"late", "2026-03-05 23:59"}, {"next", "2026-03-06 00:00"},
	} {
		e.clock.Set(at(c.when))
		made[c.who] = e.create("a", &pb.Invitation{RecipientEmail: c.who + "@example.se"})
		e.create("b", &pb.Invitation{RecipientEmail: c.who + "@example.se"})
	}
	e.clock.Set(at("2026-03-10 12:00"))

	resp, err := e.er.EraseUpToDate(e.as("portal-a"), &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: &pb.CalendarDate{Year: 2026, Month: 3, Day: 5}})
	if err != nil {
		t.Fatal(err)
	}
	er := resp.GetErasure()
	if er.GetTimeZone() != "Europe/Stockholm" || !er.GetCutOffTime().AsTime().Equal(at("2026-03-06 00:00")) {
		t.Errorf("cut-off = %v in %q", er.GetCutOffTime().AsTime(), er.GetTimeZone())
	}
	final := e.waitErasure(er.GetName())
	if final.GetCounts().GetInvitations() != 2 || final.GetCounts().GetLastInvitedRecords() != 2 || final.GetRecordsDone() != 2 || final.GetRecordsTotal() != 2 {
		t.Errorf("finished erasure = %v", final)
	}

	for who, wantCode := range map[string]codes.Code{"early": codes.NotFound, "late": codes.NotFound, "next": codes.OK} {
		_, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: made[who].GetName()})
		if got := codeOf(err); got != wantCode {
			t.Errorf("GetInvitation(%s) = %v, want %v", who, got, wantCode)
		}
	}
	list, _ := e.inv.ListInvitations(e.as("portal-b"), &pb.ListInvitationsRequest{Parent: "businessUnits/b"})
	if len(list.GetInvitations()) != 3 {
		t.Errorf("unit B lost invitations: %d left, want 3", len(list.GetInvitations()))
	}

	utc, err := e.er.EraseUpToDate(e.as("portal-b"), &pb.EraseUpToDateRequest{Parent: "businessUnits/b", Date: &pb.CalendarDate{Year: 2026, Month: 3, Day: 5}, TimeZone: "America/New_York", ValidateOnly: true})
	if err != nil || utc.GetErasure().GetCounts().GetInvitations() != 3 {
		t.Errorf("New York preview (5 March ends 05:00 UTC on the 6th) = %v, %v, want 3 invitations", utc.GetErasure().GetCounts(), err)
	}
}

func (e *env) setZone(bu, zone string) {
	e.t.Helper()
	_, err := e.inv.UpdateInvitationSettings(e.as("portal-"+bu), &pb.UpdateInvitationSettingsRequest{
		Settings:   &pb.InvitationSettings{Name: "businessUnits/" + bu + "/invitationSettings", TimeZone: zone},
		UpdateMask: fieldMask("time_zone"),
	})
	if err != nil {
		e.t.Fatalf("setting time zone: %v", err)
	}
}

// waitErasure waits for a running erasure and returns it finished.
func (e *env) waitErasure(name string) *pb.Erasure {
	e.t.Helper()
	id, err := storage.ParseID(name[strings.LastIndexByte(name, '/')+1:])
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.app.Erasures.Wait(ctx, id); err != nil {
		e.t.Fatalf("waiting for %s: %v", name, err)
	}
	resp, err := e.er.GetErasure(e.as("admin"), &pb.GetErasureRequest{Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.GetErasure().GetState() != pb.Erasure_STATE_SUCCEEDED {
		e.t.Fatalf("erasure %s ended %v", name, resp.GetErasure().GetState())
	}
	return resp.GetErasure()
}

// TestEraseHostileInput sends bad erasure requests and checks each gets the
// right code naming the field, and that nothing was erased.
func TestEraseHostileInput(t *testing.T) {
	e := newEnv(t)
	inv := e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
	many := make([]string, 10000)
	for i := range many {
		many[i] = fmt.Sprintf("c%d@example.se", i)
	}
	date := func(y, m, d int32) *pb.CalendarDate { return &pb.CalendarDate{Year: y, Month: m, Day: d} }

	customers := []struct {
		name   string
		caller string
		req    *pb.EraseCustomersRequest
		code   codes.Code
		field  string
	}{
		{"no addresses", "portal-a", &pb.EraseCustomersRequest{Parent: "businessUnits/a"}, codes.InvalidArgument, "email_addresses"},
		{"empty address", "portal-a", &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"ann@example.se", ""}}, codes.InvalidArgument, "email_addresses[1]"},
		{"malformed address", "portal-a", &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"Ann <ann@example.se>"}}, codes.InvalidArgument, "email_addresses[0]"},
		{"10,000 addresses", "portal-a", &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: many}, codes.InvalidArgument, "email_addresses"},
		{"another business", "portal-b", &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"ann@example.se"}}, codes.PermissionDenied, "parent"},
		{"bad parent", "portal-a", &pb.EraseCustomersRequest{Parent: "businessUnits/a/x", EmailAddresses: []string{"ann@example.se"}}, codes.InvalidArgument, "parent"},
		{"wildcard parent", "portal-a", &pb.EraseCustomersRequest{Parent: "businessUnits/-", EmailAddresses: []string{"ann@example.se"}}, codes.InvalidArgument, "parent"},
		{"review site", "site", &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"ann@example.se"}}, codes.PermissionDenied, ""},
	}
	for _, tt := range customers {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.er.EraseCustomers(e.as(tt.caller), tt.req)
			wantCode(t, "EraseCustomers", err, tt.code, tt.field)
		})
	}

	dates := []struct {
		name  string
		req   *pb.EraseUpToDateRequest
		code  codes.Code
		field string
	}{
		{"no date", &pb.EraseUpToDateRequest{Parent: "businessUnits/a"}, codes.InvalidArgument, "date"},
		{"tomorrow", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(2026, 3, 6)}, codes.InvalidArgument, "date"},
		{"far future", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(9999, 12, 31)}, codes.InvalidArgument, "date"},
		{"30 February", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(2026, 2, 30)}, codes.InvalidArgument, "date"},
		{"29 February, not a leap year", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(2025, 2, 29)}, codes.InvalidArgument, "date"},
		{"month 13", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(2026, 13, 1)}, codes.InvalidArgument, "date"},
		{"day 0", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(2026, 1, 0)}, codes.InvalidArgument, "date"},
		{"negative year", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(-1, 1, 1)}, codes.InvalidArgument, "date"},
		{"unknown zone", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(2026, 3, 1), TimeZone: "Europe/Atlantis"}, codes.InvalidArgument, "time_zone"},
		{"Local zone", &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(2026, 3, 1), TimeZone: "Local"}, codes.InvalidArgument, "time_zone"},
		{"another business", &pb.EraseUpToDateRequest{Parent: "businessUnits/b", Date: date(2026, 3, 1)}, codes.PermissionDenied, "parent"},
	}
	for _, tt := range dates {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.er.EraseUpToDate(e.as("portal-a"), tt.req)
			wantCode(t, "EraseUpToDate", err, tt.code, tt.field)
		})
	}

	// Tomorrow in Stockholm is already today in Kiritimati (UTC+14).
	_, err := e.er.EraseUpToDate(e.as("portal-a"), &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date(2026, 3, 5), TimeZone: "Pacific/Kiritimati", ValidateOnly: true})
	if err != nil {
		t.Errorf("today in a far-east zone = %v", err)
	}

	if _, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: inv.GetName()}); err != nil {
		t.Errorf("invitation after refused erasures = %v", err)
	}
	list, _ := e.er.ListErasures(e.as("admin"), &pb.ListErasuresRequest{Parent: "businessUnits/-"})
	if len(list.GetErasures()) != 0 {
		t.Errorf("refused requests stored %d erasures", len(list.GetErasures()))
	}
}

func codeOf(err error) codes.Code { return status.Code(err) }

func fieldMask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// TestEraseUpToDateTargeted erases a small part of a business unit, which
// removes index entries record by record rather than walking every
// customer, and checks the same effects.
func TestEraseUpToDateTargeted(t *testing.T) {
	e := newEnv(t)
	e.setFrequency("a", 30)
	old := e.create("a", &pb.Invitation{RecipientEmail: "old@example.se"})
	e.clock.Advance(72 * time.Hour)
	var kept []*pb.Invitation
	for i := range 20 {
		kept = append(kept, e.create("a", &pb.Invitation{RecipientEmail: fmt.Sprintf("new%d@example.se", i)}))
	}

	resp, err := e.er.EraseUpToDate(e.as("portal-a"), &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: &pb.CalendarDate{Year: 2026, Month: 3, Day: 5}})
	if err != nil {
		t.Fatal(err)
	}
	done := e.waitErasure(resp.GetErasure().GetName())
	if c := done.GetCounts(); c.GetInvitations() != 1 || c.GetLastInvitedRecords() != 1 {
		t.Errorf("counts = %v, want 1 invitation and 1 last-invited record", c)
	}
	if _, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: old.GetName()}); codeOf(err) != codes.NotFound {
		t.Errorf("GetInvitation(erased) = %v", err)
	}
	e.create("a", &pb.Invitation{RecipientEmail: "old@example.se"}) // its last-invited record went too

	for i, inv := range kept {
		list, err := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a", RecipientEmail: fmt.Sprintf("new%d@example.se", i)})
		if err != nil || len(list.GetInvitations()) != 1 || list.GetInvitations()[0].GetName() != inv.GetName() {
			t.Fatalf("customer %d after the erasure: %v, %v", i, list, err)
		}
	}
	_, err = e.inv.CreateInvitation(e.as("portal-a"), &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "new0@example.se"}})
	wantCode(t, "CreateInvitation(kept customer)", err, codes.FailedPrecondition, "invitation.recipient_email")
}

// TestListErasures pages through a business unit's erasures, newest first,
// and lists every unit's for a platform admin.
func TestListErasures(t *testing.T) {
	e := newEnv(t)
	var names []string
	for i := range 5 {
		resp, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{fmt.Sprintf("c%d@example.se", i)}})
		if err != nil {
			t.Fatal(err)
		}
		names = append([]string{resp.GetErasure().GetName()}, names...)
		e.clock.Advance(time.Minute)
	}
	if _, err := e.er.EraseCustomers(e.as("portal-b"), &pb.EraseCustomersRequest{Parent: "businessUnits/b", EmailAddresses: []string{"x@example.se"}}); err != nil {
		t.Fatal(err)
	}

	var got []string
	req := &pb.ListErasuresRequest{Parent: "businessUnits/a", PageSize: 2}
	for {
		resp, err := e.er.ListErasures(e.as("portal-a"), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, er := range resp.GetErasures() {
			got = append(got, er.GetName())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if diff := cmp.Diff(names, got); diff != "" {
		t.Errorf("ListErasures(a) newest first (-want +got):\n%s", diff)
	}
	all, err := e.er.ListErasures(e.as("admin"), &pb.ListErasuresRequest{Parent: "businessUnits/-"})
	if err != nil || len(all.GetErasures()) != 6 || !strings.HasPrefix(all.GetErasures()[0].GetName(), "businessUnits/b/") {
		t.Errorf("ListErasures(-) = %d erasures, newest %q, %v; want 6, unit b's first", len(all.GetErasures()), all.GetErasures()[0].GetName(), err)
	}
}
