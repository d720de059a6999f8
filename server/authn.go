package server

import (
	"context"
	"strings"

	grpcauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/reviewdata/invitations/server/auth"
)

type identityKey struct{}

// authenticator puts the caller's identity into the context of every call
// to the product's services. Health checks and reflection need no token.
type authenticator struct {
	auth *auth.Authenticator
}

func (a *authenticator) identify(ctx context.Context, method string) (context.Context, error) {
	if !strings.HasPrefix(method, "/invitations.v1.") {
		return ctx, nil
	}
	if a.auth == nil {
		return context.WithValue(ctx, identityKey{}, auth.Local()), nil
	}
	token, err := grpcauth.AuthFromMD(ctx, "bearer")
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, "authorization: a bearer token is required")
	}
	id, err := a.auth.Authenticate(token)
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, "authorization: unknown bearer token")
	}
	return context.WithValue(ctx, identityKey{}, id), nil
}

func (a *authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, err := a.identify(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (a *authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx, err := a.identify(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return h(srv, &identifiedStream{ServerStream: ss, ctx: ctx})
}

type identifiedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *identifiedStream) Context() context.Context { return s.ctx }

// caller returns the identity the interceptor found.
func caller(ctx context.Context) auth.Identity {
	id, _ := ctx.Value(identityKey{}).(auth.Identity)
	return id
}

// allow checks the caller's role. The message names the role, which is
// configuration, not personal data.
func allow(ctx context.Context, roles ...auth.Role) (auth.Identity, error) {
	id := caller(ctx)
	if id.Is(append(roles, auth.RolePlatformAdmin)...) {
		return id, nil
	}
	return id, status.Errorf(codes.PermissionDenied, "the caller's role %q may not make this call", id.Role)
}

// allowParent parses a parent of businessUnits/{bu} and checks that the
// caller has one of roles and may act for bu.
func allowParent(ctx context.Context, parent string, roles ...auth.Role) (string, auth.Identity, error) {
	bu, err := parseParent("parent", parent, false)
	if err != nil {
		return "", auth.Identity{}, err
	}
	id, err := allowUnit(ctx, "parent", bu, roles...)
	return bu, id, err
}

// allowParentOrAll parses a parent of businessUnits/{bu}, which a business
// may use for its own units, or businessUnits/-, which only platform
// admins may use.
func allowParentOrAll(ctx context.Context, parent string) (string, error) {
	bu, err := parseParent("parent", parent, true)
	if err != nil {
		return "", err
	}
	if bu == AllUnits {
		_, err = allow(ctx)
	} else {
		_, err = allowUnit(ctx, "parent", bu, auth.RoleBusiness)
	}
	return bu, err
}

// allowUnit checks the role and that the caller may act for bu. field is
// where bu came from, for the message.
func allowUnit(ctx context.Context, field, bu string, roles ...auth.Role) (auth.Identity, error) {
	id, err := allow(ctx, roles...)
	if err != nil {
		return id, err
	}
	if !id.ActsFor(bu) {
		return id, status.Errorf(codes.PermissionDenied, "%s: the caller may not act for this business unit", field)
	}
	return id, nil
}
