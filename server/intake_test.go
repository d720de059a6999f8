package server_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/bcc"
)

// orderMail is an order confirmation as a shop sends it, CRLF and all, with
// a JSON snippet in the HTML part.
func orderMail(messageID, to, snippet string) []byte {
	msg := "From: Blom & Co <orders@blom.example>\r\n" +
		"To: " + to + "\r\n" +
		"Subject: Order confirmation #A-7731\r\n" +
		"Message-ID: <" + messageID + ">\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThanks for your order.\r\n" +
		"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Thanks!</p>" + snippet + "</body></html>\r\n" +
		"--b1--\r\n"
	return []byte(msg)
}

func TestIngestBCC(t *testing.T) {
	e := newEnv(t)
	snippet := `<script type="application/json+trustpilot">{"recipientEmail":"sven.svensson@example.se","recipientName":"Sven Svensson","referenceId":"ORD-9","locale":"sv-SE","tags":["bcc"]}</script>`
	raw := orderMail("abc123@blom.example", "=?UTF-8?Q?Sven_Svensson?= <sven.svensson@example.se>, Other <other@example.se>", snippet)

	resp, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: raw})
	if err != nil {
		t.Fatal(err)
	}
	inv := resp.GetInvitation()
	if inv.GetSource() != pb.Invitation_SOURCE_BCC || inv.GetReferenceId() != "ORD-9" || inv.GetRecipientName() != "Sven Svensson" ||
		inv.GetLocale() != "sv-SE" || inv.GetReplyTo() != "orders@blom.example" || resp.GetIgnoredRecipients() != 1 {
		t.Errorf("IngestBccMessage = %v", resp)
	}
	if !regexp.MustCompile(`^businessUnits/a/bccMessages/[0-9a-v]{26}$`).MatchString(resp.GetBccMessage()) || resp.GetDuplicate() {
		t.Errorf("bcc_message = %q, duplicate %v", resp.GetBccMessage(), resp.GetDuplicate())
	}

	again, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: raw})
	if err != nil || !again.GetDuplicate() || again.GetInvitation().GetName() != inv.GetName() || again.GetBccMessage() != resp.GetBccMessage() {
		t.Errorf("forwarded twice = %v, %v, want the first invitation marked duplicate", again, err)
	}
	list, _ := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
	if len(list.GetInvitations()) != 1 {
		t.Errorf("%d invitations after the same mail twice, want 1", len(list.GetInvitations()))
	}

	// The subject's reference is used when there is no snippet.
	plain := orderMail("def456@blom.example", "Svensson, Sven <sven2@example.se>", "")
	r2, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: plain})
	if err != nil || r2.GetInvitation().GetReferenceId() != "A-7731" || r2.GetInvitation().GetRecipientName() != "Svensson, Sven" {
		t.Errorf("mail without snippet = %v, %v", r2.GetInvitation(), err)
	}
}

func TestIngestBCCRefusals(t *testing.T) {
	e := newEnv(t)
	e.setFrequency("a", 30)
	e.create("a", &pb.Invitation{RecipientEmail: "limited@example.se"})

	tests := []struct {
		name  string
		raw   []byte
		code  codes.Code
		field string
	}{
		{"no recipient", orderMail("x1@shop", "undisclosed-recipients:;", ""), codes.InvalidArgument, "raw_message"},
		{"garbage", []byte("\x00\x01 not mail"), codes.InvalidArgument, "raw_message"},
		{"bad snippet", orderMail("x2@shop", "a@example.se", `<script type="application/json+trustpilot">{"recipientEmail": 5}</script>`), codes.InvalidArgument, "raw_message"},
		{"too large", append(orderMail("x3@shop", "a@example.se", ""), make([]byte, bcc.MaxMessageBytes)...), codes.ResourceExhausted, "raw_message"},
		{"frequency rule", orderMail("x4@shop", "limited@example.se", ""), codes.FailedPrecondition, "recipient_email"},
		{"empty", nil, codes.InvalidArgument, "raw_message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: tt.raw})
			wantCode(t, "IngestBccMessage", err, tt.code, tt.field)
		})
	}
	list, _ := e.inv.ListInvitations(e.as("portal-a"), &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
	if len(list.GetInvitations()) != 1 {
		t.Errorf("refused mails created invitations: %d, want 1", len(list.GetInvitations()))
	}
}

func TestErasureRemovesBCCMessages(t *testing.T) {
	e := newEnv(t)
	for i, to := range []string{"sven@example.se", "karin@example.se"} {
		_, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: orderMail(string(rune('a'+i))+"@shop", to, "")})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(24 * time.Hour)
	}

	resp, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"SVEN@example.se"}})
	if err != nil || resp.GetErasure().GetCounts().GetBccMessages() != 1 {
		t.Fatalf("EraseCustomers = %v, %v, want 1 raw message", resp.GetErasure().GetCounts(), err)
	}
	// The raw message went with the customer: the same mail makes a new
	// invitation rather than pointing at the erased one.
	again, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: orderMail("a@shop", "sven@example.se", "")})
	if err != nil || again.GetDuplicate() {
		t.Errorf("re-forward after erasure = %v, %v, want a new invitation", again, err)
	}

	date, err := e.er.EraseUpToDate(e.as("portal-a"), &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: &pb.CalendarDate{Year: 2026, Month: 3, Day: 6}})
	if err != nil {
		t.Fatal(err)
	}
	if done := e.waitErasure(date.GetErasure().GetName()); done.GetCounts().GetBccMessages() != 1 {
		t.Errorf("date erasure removed %d raw messages, want 1 (Karin's)", done.GetCounts().GetBccMessages())
	}
}

func TestUnsubscribe(t *testing.T) {
	e := newEnv(t)
	inv := e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
	queued := e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se", PreferredSendTime: timestamppb.New(start.Add(time.Hour))})
	e.send()
	link := unsubscribeLink(t, e.outboxFile(inv.GetName()))

	// Unsubscribing works even after the customer's data was erased.
	if _, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"ann@example.se"}}); err != nil {
		t.Fatal(err)
	}
	queued = e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se", PreferredSendTime: timestamppb.New(start.Add(time.Hour))})
	resp, err := e.inv.Unsubscribe(e.as("site"), &pb.UnsubscribeRequest{Token: token(link)})
	if err != nil || resp.GetBusinessUnit() != "businessUnits/a" {
		t.Fatalf("Unsubscribe = %v, %v", resp, err)
	}
	got, _ := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: queued.GetName()})
	if got.GetInvitation().GetState() != pb.Invitation_STATE_CANCELLED {
		t.Errorf("queued invitation after unsubscribe is %v, want CANCELLED", got.GetInvitation().GetState())
	}

	_, err = e.inv.CreateInvitation(e.as("portal-a"), &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "Ann@Example.se"}})
	wantCode(t, "CreateInvitation(unsubscribed)", err, codes.FailedPrecondition, "invitation.recipient_email")
	batch, _ := e.inv.BatchCreateInvitations(e.as("portal-a"), &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a", Invitations: []*pb.Invitation{{RecipientEmail: "ann@example.se"}}})
	if r := batch.GetOutcomes()[0].GetResult(); r != pb.InvitationOutcome_RESULT_UNSUBSCRIBED {
		t.Errorf("batch outcome = %v, want UNSUBSCRIBED", r)
	}
	_, err = e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: orderMail("u@shop", "ann@example.se", "")})
	wantCode(t, "IngestBccMessage(unsubscribed)", err, codes.FailedPrecondition, "recipient_email")
	e.create("b", &pb.Invitation{RecipientEmail: "ann@example.se"}) // another business is not affected

	_, err = e.inv.Unsubscribe(e.as("site"), &pb.UnsubscribeRequest{Token: token(link)[:20] + "x" + token(link)[21:]})
	wantCode(t, "Unsubscribe(forged)", err, codes.NotFound, "token")

	if _, err := e.inv.Resubscribe(e.as("portal-a"), &pb.ResubscribeRequest{Parent: "businessUnits/a", EmailAddress: "ANN@example.se"}); err != nil {
		t.Fatalf("Resubscribe = %v", err)
	}
	e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
	_, err = e.inv.Resubscribe(e.as("portal-a"), &pb.ResubscribeRequest{Parent: "businessUnits/a", EmailAddress: "ann@example.se"})
	wantCode(t, "Resubscribe(again)", err, codes.NotFound, "email_address")
}

// unsubscribeLink reads the List-Unsubscribe link from a delivered e-mail.
func unsubscribeLink(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`List-Unsubscribe: <([^>]+)>`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no List-Unsubscribe header")
	}
	return string(m[1])
}

func TestEraseConsumer(t *testing.T) {
	e := newEnv(t)
	s := e.svenScenario()
	resp, err := e.er.EraseConsumer(e.as("admin"), &pb.EraseConsumerRequest{EmailAddress: "sven.SVENSSON@example.se", RequestId: "dsr-1"})
	if err != nil {
		t.Fatal(err)
	}
	er := resp.GetErasure()
	if !strings.HasPrefix(er.GetName(), "consumerErasures/") || er.GetKind() != pb.ErasureKind_ERASURE_KIND_CONSUMER ||
		er.GetCounts().GetInvitations() != 3 || er.GetCounts().GetLastInvitedRecords() != 2 || er.GetState() != pb.Erasure_STATE_SUCCEEDED {
		t.Errorf("EraseConsumer = %v", er)
	}
	for _, inv := range []*pb.Invitation{s.delivered, s.queued, s.inB} {
		_, err := e.inv.ResolveReviewLink(e.as("site"), &pb.ResolveReviewLinkRequest{Token: token(inv.GetReviewLink())})
		wantCode(t, "ResolveReviewLink(consumer erased)", err, codes.NotFound, "token")
	}
	for _, bu := range []string{"a", "b"} {
		_, err := e.inv.CreateInvitation(e.as("portal-"+bu), &pb.CreateInvitationRequest{Parent: "businessUnits/" + bu, Invitation: &pb.Invitation{RecipientEmail: sven}})
		wantCode(t, "CreateInvitation(after consumer erasure) in "+bu, err, codes.FailedPrecondition, "invitation.recipient_email")
	}
	e.create("a", &pb.Invitation{RecipientEmail: "someone.else@example.se"})

	rec, err := e.er.ListErasureReceipts(e.as("admin"), &pb.ListErasureReceiptsRequest{Parent: "businessUnits/-", Kind: pb.ErasureKind_ERASURE_KIND_CONSUMER})
	if err != nil || len(rec.GetReceipts()) != 1 || rec.GetReceipts()[0].GetBusinessUnit() != "" || rec.GetReceipts()[0].GetRequestedBy() != "admin" {
		t.Errorf("consumer receipt = %v, %v", rec, err)
	}
	got, err := e.er.GetErasure(e.as("admin"), &pb.GetErasureRequest{Name: er.GetName()})
	if err != nil || got.GetErasure().GetName() != er.GetName() {
		t.Errorf("GetErasure(consumer) = %v, %v", got, err)
	}
	_, err = e.er.GetErasure(e.as("portal-a"), &pb.GetErasureRequest{Name: er.GetName()})
	wantCode(t, "GetErasure(consumer) as business", err, codes.PermissionDenied, "")

	if _, err := e.inv.Resubscribe(e.as("admin"), &pb.ResubscribeRequest{Parent: "businessUnits/-", EmailAddress: sven}); err != nil {
		t.Fatalf("Resubscribe(platform) = %v", err)
	}
	e.create("b", &pb.Invitation{RecipientEmail: sven})
}

func TestRetentionSweep(t *testing.T) {
	e := newEnv(t)
	// Created on a leap day: 29 February 2031 does not exist, so the data
	// expires as 1 March 2031 begins, not on 28 February.
	created := time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)
	e.clock.Set(created)
	inv := e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
	mail, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: orderMail("r@shop", "bo@example.se", "")})
	if err != nil {
		t.Fatal(err)
	}
	e.send()
	if got := inv.GetExpireTime().AsTime(); !got.Equal(time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expire_time = %v", got)
	}

	sweep := func(at time.Time) {
		t.Helper()
		e.clock.Set(at)
		if _, err := e.app.Erasures.Sweep(context.Background()); err != nil {
			t.Fatalf("Sweep = %v", err)
		}
	}
	exists := func(name string) bool {
		_, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: name})
		return err == nil
	}

	bccExpiry := created.AddDate(0, 0, 30)
	sweep(bccExpiry.Add(-time.Nanosecond))
	if st := e.retention(); st.GetOldestBccMessageTime() == nil {
		t.Error("raw message gone a nanosecond before 30 days")
	}
	sweep(bccExpiry)
	st := e.retention()
	if st.GetOldestBccMessageTime() != nil || st.GetLastRunCounts().GetBccMessages() != 1 || st.GetBccRetention() != "30d" {
		t.Errorf("after 30 days: %v", st)
	}
	if !exists(inv.GetName()) || !exists(mail.GetInvitation().GetName()) {
		t.Error("invitations went with the raw message")
	}

	sweep(time.Date(2031, 2, 28, 23, 59, 59, 999999999, time.UTC))
	if !exists(inv.GetName()) {
		t.Fatal("invitation gone before its expiry")
	}
	sweep(time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC))
	if exists(inv.GetName()) || exists(mail.GetInvitation().GetName()) {
		t.Error("invitation kept past its expiry")
	}
	st = e.retention()
	want := "invitations:2 link_tokens:2 last_invited_records:2 outbox_messages:2"
	if got := st.GetLastRunCounts().String(); normalizeSpace(got) != want {
		t.Errorf("last run counts = %q, want %q", got, want)
	}
	if e.outboxHas(inv.GetName()) {
		t.Error("expired invitation's e-mail file is still in the outbox")
	}
	// With the last-invited record gone, the customer may be invited again.
	e.setFrequency("a", 1095)
	e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})

	rec, _ := e.er.ListErasureReceipts(e.as("admin"), &pb.ListErasureReceiptsRequest{Parent: "businessUnits/-", Kind: pb.ErasureKind_ERASURE_KIND_RETENTION})
	if len(rec.GetReceipts()) != 2 || rec.GetReceipts()[1].GetRequestedBy() != "retention" {
		t.Errorf("retention receipts = %v", rec)
	}
}

func (e *env) retention() *pb.RetentionStatus {
	e.t.Helper()
	resp, err := e.er.GetRetentionStatus(e.as("admin"), &pb.GetRetentionStatusRequest{})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.GetStatus()
}

func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestErasingAnyoneNamedErasesTheRawMail erases a person the order e-mail
// names besides the customer, and checks that the raw e-mail went with
// them while the customer's invitation stayed.
func TestErasingAnyoneNamedErasesTheRawMail(t *testing.T) {
	e := newEnv(t)
	raw := []byte("From: Shop <orders@shop.example>\r\n" +
		"To: Ann Customer <ann@example.se>, Bo Partner <bo.partner@example.se>\r\n" +
		"Cc: Cy Colleague <cy.colleague@example.se>\r\n" +
		"Subject: Order #Z-9\r\nMessage-ID: <z9@shop.example>\r\n\r\nShip to Bo Partner.\r\n")
	resp, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: raw})
	if err != nil {
		t.Fatal(err)
	}

	er, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"Cy.Colleague@example.se"}})
	if err != nil || er.GetErasure().GetCounts().GetBccMessages() != 1 || er.GetErasure().GetCounts().GetInvitations() != 0 {
		t.Fatalf("erasing the Cc'd person = %v, %v, want the raw e-mail only", er.GetErasure().GetCounts(), err)
	}
	if _, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: resp.GetInvitation().GetName()}); err != nil {
		t.Errorf("the customer's invitation went too: %v", err)
	}
	dir := e.app.Config.DataDir
	e.stop()
	for name, b := range readTree(t, dir) {
		for _, v := range []string{"Colleague", "Partner"} {
			if strings.Contains(strings.ToLower(string(b)), strings.ToLower(v)) {
				t.Errorf("%s still holds %q", name, v)
			}
		}
	}
}

// TestRootDotAddressIsFound names a person with the root dot of a fully
// qualified domain and erases them as they are usually written.
func TestRootDotAddressIsFound(t *testing.T) {
	e := newEnv(t)
	raw := []byte("From: Shop <orders@shop.example>\r\nTo: ann@example.se\r\nCc: Berit <berit@example.se.>\r\n" +
		"Subject: Order\r\nMessage-ID: <rd1@shop.example>\r\n\r\nThanks.\r\n")
	if _, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: raw}); err != nil {
		t.Fatal(err)
	}
	er, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"berit@example.se"}})
	if err != nil || er.GetErasure().GetCounts().GetBccMessages() != 1 {
		t.Errorf("erasing berit@example.se = %v, %v, want the raw e-mail that names berit@example.se.", er.GetErasure().GetCounts(), err)
	}

	// The same form in a snippet is the same address.
	snippet := `<script type="application/vnd.reviewdata.invitation+json">{"recipientEmail":"cilla@example.se."}</script>`
	resp, err := e.inv.IngestBccMessage(e.as("gateway"), &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: orderMail("rd2@shop", "ann@example.se", snippet)})
	if err != nil {
		t.Fatalf("snippet naming cilla@example.se. = %v", err)
	}
	er, err = e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"cilla@example.se"}})
	if err != nil || er.GetErasure().GetCounts().GetInvitations() != 1 {
		t.Errorf("erasing cilla@example.se = %v, %v, want the invitation %s", er.GetErasure().GetCounts(), err, resp.GetInvitation().GetName())
	}
}
