package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/config"
	"github.com/reviewdata/invitations/server/mail/smtptest"
)

// TestDeliveryBySMTP sends through a relay that the test runs on loopback:
// a message arrives with its links, a temporary refusal is retried after
// the backoff, and a permanent one ends as NOT_DELIVERED with the code.
func TestDeliveryBySMTP(t *testing.T) {
	relay := smtptest.Start(t)
	e := newEnv(t, func(c *config.Config) {
		c.SMTP = &config.SMTP{Addr: relay.Addr(), StartTLS: "never"}
	})
	get := func(name string) *pb.Invitation {
		t.Helper()
		resp, err := e.inv.GetInvitation(e.as("portal-a"), &pb.GetInvitationRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetInvitation()
	}

	ok := e.create("a", &pb.Invitation{RecipientEmail: "ann@exämple.se", RecipientName: "Ann Öberg", TemplateId: "order", ReferenceId: "A-1"})
	e.send()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := relay.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	data := strings.ReplaceAll(string(msgs[0].Data), "=\r\n", "")
	if msgs[0].To[0] != "ann@xn--exmple-cua.se" || !strings.Contains(data, ok.GetReviewLink()) || !strings.Contains(data, "List-Unsubscribe: <https://reviews.example.com/unsubscribe/") {
		t.Errorf("relay got To %v and a message without the links", msgs[0].To)
	}
	if got := get(ok.GetName()); got.GetState() != pb.Invitation_STATE_DELIVERED || e.outboxHas(ok.GetName()) {
		t.Errorf("after relay delivery: %v, outbox file %v", got.GetState(), e.outboxHas(ok.GetName()))
	}

	relay.FailNext(451, "try later")
	retry := e.create("a", &pb.Invitation{RecipientEmail: "bo@example.se"})
	e.send()
	if got := get(retry.GetName()); got.GetState() != pb.Invitation_STATE_SENDING || got.GetDeliveryAttempts() != 1 {
		t.Fatalf("after a 451: %v with %d attempts, want SENDING with 1", got.GetState(), got.GetDeliveryAttempts())
	}
	e.clock.Advance(time.Minute)
	e.send()
	if got := get(retry.GetName()); got.GetState() != pb.Invitation_STATE_DELIVERED || got.GetDeliveryAttempts() != 2 {
		t.Errorf("after the retry: %v with %d attempts, want DELIVERED with 2", got.GetState(), got.GetDeliveryAttempts())
	}

	relay.FailNext(550, "no such user")
	refused := e.create("a", &pb.Invitation{RecipientEmail: "cy@example.se"})
	e.send()
	got := get(refused.GetName())
	if got.GetState() != pb.Invitation_STATE_NOT_DELIVERED || !strings.Contains(got.GetStateReason(), "SMTP 550") || strings.Contains(got.GetStateReason(), "cy@") {
		t.Errorf("after a 550: %v %q, want NOT_DELIVERED naming the code only", got.GetState(), got.GetStateReason())
	}
}
