package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/app"
	"github.com/reviewdata/invitations/server/auth"
	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/server/config"
)

// start is the fake clock's starting time: a Thursday in winter time in
// Stockholm.
var start = time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)

// Callers and their tokens.
var tokens = []auth.Token{
	{Name: "portal-a", Token: "token-portal-a-000", Role: auth.RoleBusiness, BusinessUnits: []string{"a"}},
	{Name: "portal-b", Token: "token-portal-b-000", Role: auth.RoleBusiness, BusinessUnits: []string{"b"}},
	{Name: "site", Token: "token-review-site-0", Role: auth.RoleReviewSite},
	{Name: "gateway", Token: "token-mail-gateway0", Role: auth.RoleMailGateway, BusinessUnits: []string{"a", "b"}},
	{Name: "copier", Token: "token-event-reader0", Role: auth.RoleEventConsumer},
	{Name: "admin", Token: "token-platform-adm0", Role: auth.RolePlatformAdmin},
}

// env is the real service in-process: a bbolt file in a temporary
// directory, a fake clock, the outbox mailer, served over bufconn.
type env struct {
	t     testing.TB
	app   *app.App
	clock *clock.Fake
	logs  *syncBuffer
	inv   pb.InvitationServiceClient
	er    pb.ErasureServiceClient
	conn  *grpc.ClientConn
}

type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv starts the service. edit, if given, changes the configuration.
func newEnv(t testing.TB, edit ...func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Tokens = tokens
	for _, f := range edit {
		f(&cfg)
	}
	return startEnv(t, cfg, clock.NewFake(start))
}

func startEnv(t testing.TB, cfg config.Config, clk *clock.Fake) *env {
	t.Helper()
	return startEnvWith(t, cfg, clk, nil)
}

// startEnvWith starts the service; register, if set, may add services
// before serving starts.
func startEnvWith(t testing.TB, cfg config.Config, clk *clock.Fake, register func(*grpc.Server)) *env {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(cfg, app.Options{Clock: clk, Logger: logger, Manual: true})
	if err != nil {
		t.Fatalf("app.New = %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("Start = %v", err)
	}

	if register != nil {
		register(a.Server.GRPC())
	}
	lis := bufconn.Listen(1 << 20)
	go a.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient = %v", err)
	}
	e := &env{t: t, app: a, clock: clk, logs: logs, conn: conn,
		inv: pb.NewInvitationServiceClient(conn), er: pb.NewErasureServiceClient(conn)}
	t.Cleanup(e.stop)
	return e
}

func (e *env) stop() {
	if e.conn == nil {
		return
	}
	e.conn.Close()
	e.conn = nil
	if err := e.app.Stop(5 * time.Second); err != nil {
		e.t.Errorf("Stop = %v", err)
	}
}

// restart stops the service and starts it again on the same data.
func (e *env) restart() *env {
	e.t.Helper()
	e.stop()
	return startEnv(e.t, e.app.Config, e.clock)
}

// as returns a context carrying the named caller's token and a deadline.
func (e *env) as(name string) context.Context {
	e.t.Helper()
	for _, tok := range tokens {
		if tok.Name == name {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			e.t.Cleanup(cancel)
			return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok.Token)
		}
	}
	e.t.Fatalf("no caller %q", name)
	return nil
}

// create makes one invitation in bu as the business unit's portal.
func (e *env) create(bu string, inv *pb.Invitation) *pb.Invitation {
	e.t.Helper()
	resp, err := e.inv.CreateInvitation(e.as("portal-"+bu), &pb.CreateInvitationRequest{Parent: "businessUnits/" + bu, Invitation: inv})
	if err != nil {
		e.t.Fatalf("CreateInvitation(%s) = %v", inv.GetRecipientEmail(), err)
	}
	return resp.GetInvitation()
}

// send runs the sender until the queue has nothing due.
func (e *env) send() int {
	e.t.Helper()
	total := 0
	for {
		n, err := e.app.Sender.RunOnce(context.Background())
		if err != nil {
			e.t.Fatalf("RunOnce = %v", err)
		}
		total += n
		if n == 0 {
			return total
		}
	}
}

func (e *env) outboxFile(name string) string {
	return filepath.Join(e.app.Config.DataDir, app.OutboxDir, name[strings.LastIndexByte(name, '/')+1:]+".eml")
}

func (e *env) outboxHas(name string) bool {
	_, err := os.Stat(e.outboxFile(name))
	return err == nil
}

// token returns the token of a review link.
func token(link string) string { return link[strings.LastIndexByte(link, '/')+1:] }

// wantCode fails unless err has code and, if field is set, a message that
// starts with it.
func wantCode(t testing.TB, what string, err error, code codes.Code, field string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Errorf("%s = %v, want code %v", what, err, code)
		return
	}
	if field != "" && !strings.HasPrefix(st.Message(), field) {
		t.Errorf("%s message = %q, want it to name %q", what, st.Message(), field)
	}
}
