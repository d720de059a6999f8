// Package server is the gRPC edge of the service: it authenticates callers,
// checks that they may act for the business unit they name, validates
// requests, calls the invite and erase packages and turns their answers
// and errors into protobuf messages and precise status codes. It holds no
// business rules and no storage code. Only this package speaks gRPC.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/auth"
	"github.com/reviewdata/invitations/server/bcc"
	"github.com/reviewdata/invitations/server/erase"
	"github.com/reviewdata/invitations/server/invite"
)

// Config holds what a Server needs.
type Config struct {
	Invites  *invite.Service
	Erasures *erase.Service
	// Auth checks bearer tokens. Nil switches auth off: every caller is
	// auth.Local, so the server must listen on loopback only.
	Auth   *auth.Authenticator
	Logger *slog.Logger
}

// Server serves InvitationService, ErasureService, health and reflection.
type Server struct {
	grpc   *grpc.Server
	health *health.Server
	log    *slog.Logger
	// stopping is closed when Shutdown begins, to end event streams and
	// health watches, which would otherwise run until the grace period is
	// over.
	stopping chan struct{}
	stop     sync.Once
}

// New builds a Server with its interceptors: call logging (no payloads),
// panic recovery that answers Internal without details, and auth.
func New(cfg Config) *Server {
	s := &Server{health: health.NewServer(), log: cfg.Logger, stopping: make(chan struct{})}
	a := &authenticator{auth: cfg.Auth}

	logOpts := []logging.Option{logging.WithLogOnEvents(logging.FinishCall)}
	recoverOpts := []recovery.Option{recovery.WithRecoveryHandlerContext(s.recovered)}
	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(MaxRequestBytes),
		// Long-lived workers keep their grown stacks, instead of a new
		// goroutine growing one for every call.
		grpc.NumStreamWorkers(uint32(4*runtime.GOMAXPROCS(0))),
		grpc.ChainUnaryInterceptor(
			logging.UnaryServerInterceptor(slogAdapter(cfg.Logger), logOpts...),
			recovery.UnaryServerInterceptor(recoverOpts...),
			a.unary,
		),
		grpc.ChainStreamInterceptor(
			logging.StreamServerInterceptor(slogAdapter(cfg.Logger), logOpts...),
			recovery.StreamServerInterceptor(recoverOpts...),
			a.stream,
			s.endReflection,
		),
	)

	pb.RegisterInvitationServiceServer(s.grpc, &invitationServer{inv: cfg.Invites, log: cfg.Logger})
	pb.RegisterErasureServiceServer(s.grpc, &erasureServer{er: cfg.Erasures, log: cfg.Logger, stopping: s.stopping})
	healthpb.RegisterHealthServer(s.grpc, &healthServer{Server: s.health, stopping: s.stopping})
	reflection.Register(s.grpc)

	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range []string{pb.InvitationService_ServiceDesc.ServiceName, pb.ErasureService_ServiceDesc.ServiceName} {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	return s
}

// recovered turns a panic into Internal. The panic value and stack go to
// the log, never to the client.
func (s *Server) recovered(ctx context.Context, p any) error {
	// Only the panic's type is logged: its value may quote request data.
	s.log.ErrorContext(ctx, "handler panicked", "panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()))
	return status.Error(codes.Internal, "internal error")
}

// Serve accepts connections on lis until Shutdown.
func (s *Server) Serve(lis net.Listener) error { return s.grpc.Serve(lis) }

// GRPC returns the underlying grpc.Server, for tests that register more.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Shutdown reports NOT_SERVING to health checks, stops taking calls and
// waits for calls in flight until ctx ends, then cuts the rest off.
func (s *Server) Shutdown(ctx context.Context) {
	s.stop.Do(func() {
		s.health.Shutdown()
		close(s.stopping)
	})

	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("calls still running at the shutdown deadline were cut off")
		s.grpc.Stop()
		<-done
	}
}

// healthServer ends Watch calls when shutdown begins, once they have had
// the NOT_SERVING update.
type healthServer struct {
	*health.Server
	stopping <-chan struct{}
}

// Watch implements the health service.
func (h *healthServer) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() {
		select {
		case <-h.stopping:
			// The update is sent from another goroutine; a moment lets it
			// reach the watcher before the call ends.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
			cancel()
		case <-ctx.Done():
		}
	}()
	err := h.Server.Watch(req, &watchStream{Health_WatchServer: stream, ctx: ctx})
	select {
	case <-h.stopping:
		return errShuttingDown
	default:
		return err
	}
}

// endReflection ends reflection streams when shutdown begins. grpcurl and
// other tools may hold one open between requests, and it would otherwise
// keep the stop waiting for its whole grace period.
func (s *Server) endReflection(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if !strings.HasPrefix(info.FullMethod, "/grpc.reflection.") {
		return h(srv, ss)
	}
	return h(srv, &stoppableStream{ServerStream: ss, stopping: s.stopping})
}

// stoppableStream is a stream whose wait for the next request gives way
// to shutdown.
type stoppableStream struct {
	grpc.ServerStream
	stopping <-chan struct{}
}

var errShuttingDown = status.Error(codes.Unavailable, "the server is shutting down")

func (st *stoppableStream) RecvMsg(m any) error {
	select {
	case <-st.stopping:
		return errShuttingDown
	default:
	}
	// The read goes on in its own goroutine; when the handler returns, the
	// stream ends and the read returns with it.
	got := make(chan error, 1)
	go func() { got <- st.ServerStream.RecvMsg(m) }()
	select {
	case err := <-got:
		return err
	case <-st.stopping:
		return errShuttingDown
	}
}

type watchStream struct {
	healthpb.Health_WatchServer
	ctx context.Context
}

func (w *watchStream) Context() context.Context { return w.ctx }

// slogAdapter lets the logging middleware write through slog. The
// middleware logs call metadata only (service, method, code, duration,
// peer): never a request or response payload.
func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}

// MaxRequestBytes is the largest request the server reads: room for a raw
// e-mail at bcc.MaxMessageBytes and the fields around it.
const MaxRequestBytes = bcc.MaxMessageBytes + 1<<20
