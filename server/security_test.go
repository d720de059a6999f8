package server_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/types/known/emptypb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/server/config"
)

// TestTenancy calls every RPC as a caller that may not make it.
func TestTenancy(t *testing.T) {
	e := newEnv(t)
	invA := e.create("a", &pb.Invitation{RecipientEmail: "ann@example.se"})
	invB := e.create("b", &pb.Invitation{RecipientEmail: "bo@example.se"})
	erA, err := e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"x@example.se"}})
	if err != nil {
		t.Fatal(err)
	}
	date := &pb.CalendarDate{Year: 2026, Month: 3, Day: 1}
	settings := &pb.InvitationSettings{Name: "businessUnits/a/invitationSettings"}

	calls := []struct {
		name   string
		caller string
		call   func(context.Context) error
		code   codes.Code
	}{
		{"create in other unit", "portal-b", func(ctx context.Context) error {
			_, err := e.inv.CreateInvitation(ctx, &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "x@example.se"}})
			return err
		}, codes.PermissionDenied},
		{"batch in other unit", "portal-b", func(ctx context.Context) error {
			_, err := e.inv.BatchCreateInvitations(ctx, &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a", Invitations: []*pb.Invitation{{RecipientEmail: "x@example.se"}}})
			return err
		}, codes.PermissionDenied},
		{"get other unit's", "portal-b", func(ctx context.Context) error {
			_, err := e.inv.GetInvitation(ctx, &pb.GetInvitationRequest{Name: invA.GetName()})
			return err
		}, codes.PermissionDenied},
		{"get other unit's id under own unit", "portal-a", func(ctx context.Context) error {
			_, err := e.inv.GetInvitation(ctx, &pb.GetInvitationRequest{Name: strings.Replace(invB.GetName(), "businessUnits/b", "businessUnits/a", 1)})
			return err
		}, codes.NotFound},
		{"list other unit", "portal-b", func(ctx context.Context) error {
			_, err := e.inv.ListInvitations(ctx, &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
			return err
		}, codes.PermissionDenied},
		{"cancel other unit's", "portal-b", func(ctx context.Context) error {
			_, err := e.inv.CancelInvitation(ctx, &pb.CancelInvitationRequest{Name: invA.GetName()})
			return err
		}, codes.PermissionDenied},
		{"cancel other unit's id under own unit", "portal-a", func(ctx context.Context) error {
			_, err := e.inv.CancelInvitation(ctx, &pb.CancelInvitationRequest{Name: strings.Replace(invB.GetName(), "businessUnits/b", "businessUnits/a", 1)})
			return err
		}, codes.NotFound},
		{"get other unit's settings", "portal-b", func(ctx context.Context) error {
			_, err := e.inv.GetInvitationSettings(ctx, &pb.GetInvitationSettingsRequest{Name: settings.GetName()})
			return err
		}, codes.PermissionDenied},
		{"update other unit's settings", "portal-b", func(ctx context.Context) error {
			_, err := e.inv.UpdateInvitationSettings(ctx, &pb.UpdateInvitationSettingsRequest{Settings: settings, UpdateMask: fieldMask("time_zone")})
			return err
		}, codes.PermissionDenied},
		{"business ingests mail", "portal-a", func(ctx context.Context) error {
			_, err := e.inv.IngestBccMessage(ctx, &pb.IngestBccMessageRequest{Parent: "businessUnits/a", RawMessage: []byte("x")})
			return err
		}, codes.PermissionDenied},
		{"gateway ingests for unknown unit", "gateway", func(ctx context.Context) error {
			_, err := e.inv.IngestBccMessage(ctx, &pb.IngestBccMessageRequest{Parent: "businessUnits/c", RawMessage: []byte("x")})
			return err
		}, codes.PermissionDenied},
		{"gateway reads invitations", "gateway", func(ctx context.Context) error {
			_, err := e.inv.ListInvitations(ctx, &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
			return err
		}, codes.PermissionDenied},
		{"business resolves links", "portal-a", func(ctx context.Context) error {
			_, err := e.inv.ResolveReviewLink(ctx, &pb.ResolveReviewLinkRequest{Token: token(invA.GetReviewLink())})
			return err
		}, codes.PermissionDenied},
		{"business records reviews", "portal-a", func(ctx context.Context) error {
			_, err := e.inv.RecordReview(ctx, &pb.RecordReviewRequest{Token: token(invA.GetReviewLink()), ReviewId: "r"})
			return err
		}, codes.PermissionDenied},
		{"business unsubscribes", "portal-a", func(ctx context.Context) error {
			_, err := e.inv.Unsubscribe(ctx, &pb.UnsubscribeRequest{Token: "x"})
			return err
		}, codes.PermissionDenied},
		{"review site creates", "site", func(ctx context.Context) error {
			_, err := e.inv.CreateInvitation(ctx, &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "x@example.se"}})
			return err
		}, codes.PermissionDenied},
		{"resubscribe in other unit", "portal-b", func(ctx context.Context) error {
			_, err := e.inv.Resubscribe(ctx, &pb.ResubscribeRequest{Parent: "businessUnits/a", EmailAddress: "x@example.se"})
			return err
		}, codes.PermissionDenied},
		{"business lifts platform opt-out", "portal-a", func(ctx context.Context) error {
			_, err := e.inv.Resubscribe(ctx, &pb.ResubscribeRequest{Parent: "businessUnits/-", EmailAddress: "x@example.se"})
			return err
		}, codes.PermissionDenied},
		{"erase customers of other unit", "portal-b", func(ctx context.Context) error {
			_, err := e.er.EraseCustomers(ctx, &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{"ann@example.se"}})
			return err
		}, codes.PermissionDenied},
		{"erase other unit up to date", "portal-b", func(ctx context.Context) error {
			_, err := e.er.EraseUpToDate(ctx, &pb.EraseUpToDateRequest{Parent: "businessUnits/a", Date: date})
			return err
		}, codes.PermissionDenied},
		{"business erases consumer", "portal-a", func(ctx context.Context) error {
			_, err := e.er.EraseConsumer(ctx, &pb.EraseConsumerRequest{EmailAddress: "ann@example.se"})
			return err
		}, codes.PermissionDenied},
		{"get other unit's erasure", "portal-b", func(ctx context.Context) error {
			_, err := e.er.GetErasure(ctx, &pb.GetErasureRequest{Name: erA.GetErasure().GetName()})
			return err
		}, codes.PermissionDenied},
		{"get other unit's erasure id under own unit", "portal-b", func(ctx context.Context) error {
			_, err := e.er.GetErasure(ctx, &pb.GetErasureRequest{Name: strings.Replace(erA.GetErasure().GetName(), "businessUnits/a", "businessUnits/b", 1)})
			return err
		}, codes.NotFound},
		{"list other unit's erasures", "portal-b", func(ctx context.Context) error {
			_, err := e.er.ListErasures(ctx, &pb.ListErasuresRequest{Parent: "businessUnits/a"})
			return err
		}, codes.PermissionDenied},
		{"list all erasures", "portal-a", func(ctx context.Context) error {
			_, err := e.er.ListErasures(ctx, &pb.ListErasuresRequest{Parent: "businessUnits/-"})
			return err
		}, codes.PermissionDenied},
		{"list other unit's receipts", "portal-b", func(ctx context.Context) error {
			_, err := e.er.ListErasureReceipts(ctx, &pb.ListErasureReceiptsRequest{Parent: "businessUnits/a"})
			return err
		}, codes.PermissionDenied},
		{"business verifies chain", "portal-a", func(ctx context.Context) error {
			_, err := e.er.VerifyErasureReceipts(ctx, &pb.VerifyErasureReceiptsRequest{})
			return err
		}, codes.PermissionDenied},
		{"business reads events", "portal-a", func(ctx context.Context) error {
			_, err := e.er.ListErasureEvents(ctx, &pb.ListErasureEventsRequest{})
			return err
		}, codes.PermissionDenied},
		{"business streams events", "portal-a", func(ctx context.Context) error {
			s, err := e.er.StreamErasureEvents(ctx, &pb.StreamErasureEventsRequest{})
			if err == nil {
				_, err = s.Recv()
			}
			return err
		}, codes.PermissionDenied},
		{"event reader reads invitations", "copier", func(ctx context.Context) error {
			_, err := e.inv.ListInvitations(ctx, &pb.ListInvitationsRequest{Parent: "businessUnits/a"})
			return err
		}, codes.PermissionDenied},
		{"business reads retention status", "portal-a", func(ctx context.Context) error {
			_, err := e.er.GetRetentionStatus(ctx, &pb.GetRetentionStatusRequest{})
			return err
		}, codes.PermissionDenied},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, c.name, c.call(e.as(c.caller)), c.code, "")
		})
	}

	for name, ctx := range map[string]context.Context{
		"no token":      context.Background(),
		"unknown token": metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer nope-nope-nope-nope"),
		"wrong scheme":  metadata.AppendToOutgoingContext(context.Background(), "authorization", "Basic "+tokens[0].Token),
	} {
		_, err := e.inv.GetInvitation(ctx, &pb.GetInvitationRequest{Name: invA.GetName()})
		wantCode(t, name, err, codes.Unauthenticated, "authorization")
	}

	h, err := healthpb.NewHealthClient(e.conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health check without token = %v, %v", h, err)
	}
}

// TestNoPersonalDataInLogs runs the whole scenario, refusals included, and
// checks that no address, name or reference reached the log.
func TestNoPersonalDataInLogs(t *testing.T) {
	e := newEnv(t)
	e.svenScenario()
	e.inv.CreateInvitation(e.as("portal-a"), &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "karin.lind@example.se"}})
	e.inv.CreateInvitation(e.as("portal-a"), &pb.CreateInvitationRequest{Parent: "businessUnits/a", Invitation: &pb.Invitation{RecipientEmail: "Karin Lind <broken"}})
	e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{sven, "Olof Berg <olof"}})
	e.er.EraseCustomers(e.as("portal-a"), &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: []string{sven}})
	e.er.EraseConsumer(e.as("admin"), &pb.EraseConsumerRequest{EmailAddress: "olof.berg@example.se"})
	e.clock.Advance(4 * 365 * 24 * time.Hour)
	e.app.Erasures.Sweep(context.Background())

	logs := e.logs.String()
	if !strings.Contains(logs, "finished call") {
		t.Fatal("the log holds no call lines: the check would prove nothing")
	}
	personal := regexp.MustCompile(`(?i)sven|svensson|karin|lind@|olof|berg@|ORD-1001|example\.se`)
	if m := personal.FindAllString(logs, 5); m != nil {
		t.Errorf("log holds personal data: %q", m)
	}
}

// TestPanicBecomesInternal checks that a panic in a handler reaches the
// client as a bare Internal and its value stays out of the log.
func TestPanicBecomesInternal(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Tokens = tokens
	e := startEnvWith(t, cfg, clock.NewFake(start), func(s *grpc.Server) {
		s.RegisterService(&panicService, struct{}{})
	})

	var out emptypb.Empty
	err := e.conn.Invoke(context.Background(), "/test.Panicker/Boom", &emptypb.Empty{}, &out)
	wantCode(t, "Boom", err, codes.Internal, "internal error")
	if strings.Contains(err.Error(), "sven") || strings.Contains(e.logs.String(), "sven@example.se") {
		t.Errorf("panic value leaked: %v", err)
	}
	if !strings.Contains(e.logs.String(), "handler panicked") {
		t.Error("the panic was not logged")
	}
}

var panicService = grpc.ServiceDesc{
	ServiceName: "test.Panicker",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Boom",
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			boom := func(context.Context, any) (any, error) { panic("customer sven@example.se broke it") }
			return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/test.Panicker/Boom"}, boom)
		},
	}},
}

// TestShutdown checks that health turns NOT_SERVING and that a call that
// never ends is cut off at the grace bound.
func TestShutdown(t *testing.T) {
	e := newEnv(t)
	watch, err := healthpb.NewHealthClient(e.conn).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := watch.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first health = %v, %v", r, err)
	}
	stream, err := e.er.StreamErasureEvents(e.as("copier"), &pb.StreamErasureEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// A reflection client that keeps its stream open between requests.
	refl, err := reflectionpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := refl.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	if r, err := refl.Recv(); err != nil || len(r.GetListServicesResponse().GetService()) == 0 {
		t.Fatalf("reflection = %v, %v", r, err)
	}

	stopped := make(chan error, 1)
	go func() {
		stopped <- e.app.Stop(10 * time.Second)
	}()
	if r, err := watch.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health during shutdown = %v, %v, want NOT_SERVING", r, err)
	}
	// The open event stream ends at once, telling the consumer to
	// reconnect, rather than holding the stop for the grace period.
	_, err = stream.Recv()
	wantCode(t, "event stream during shutdown", err, codes.Unavailable, "")
	_, err = refl.Recv()
	wantCode(t, "reflection stream during shutdown", err, codes.Unavailable, "the server is shutting down")
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Stop = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop waited for the grace period although nothing was running")
	}
	e.conn.Close()
	e.conn = nil
}
