// Package auth maps bearer tokens to caller identities: a name, a role and
// the business units the caller may act for. It holds no gRPC code; the
// server reads the token from metadata and asks this package who it is.
package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Role is what kind of caller an identity is.
type Role string

// Roles.
const (
	// RoleBusiness acts for its business units: creates invitations, reads
	// them, changes settings and erases their data.
	RoleBusiness Role = "business"
	// RoleReviewSite resolves review links, records reviews and takes
	// unsubscribes, for any business unit.
	RoleReviewSite Role = "review_site"
	// RoleMailGateway hands BCC'd order e-mails to its business units.
	RoleMailGateway Role = "mail_gateway"
	// RoleEventConsumer reads erasure events to erase downstream copies.
	RoleEventConsumer Role = "event_consumer"
	// RolePlatformAdmin may do everything, including consumer erasures.
	RolePlatformAdmin Role = "platform_admin"
)

var roles = []Role{RoleBusiness, RoleReviewSite, RoleMailGateway, RoleEventConsumer, RolePlatformAdmin}

// AllUnits in a token's business units means every business unit.
const AllUnits = "*"

// Errors.
var (
	// ErrUnauthenticated means the token is missing or unknown.
	ErrUnauthenticated = errors.New("auth: missing or unknown bearer token")
	// ErrConfig means a token entry is invalid.
	ErrConfig = errors.New("auth: invalid token configuration")
)

// Identity is an authenticated caller.
type Identity struct {
	// Name identifies the caller in logs and erasure receipts. It is an
	// operator-chosen label, never a person's data.
	Name string
	Role Role
	// units are the business units the caller may act for.
	units []string
	all   bool
}

// ActsFor reports whether the identity may act for business unit bu.
func (id Identity) ActsFor(bu string) bool {
	return id.all || id.Role == RolePlatformAdmin || slices.Contains(id.units, bu)
}

// Is reports whether the identity has one of the roles.
func (id Identity) Is(rs ...Role) bool { return slices.Contains(rs, id.Role) }

// Local is the identity of every caller when auth is off: a platform admin
// reachable only from loopback.
func Local() Identity {
	return Identity{Name: "local", Role: RolePlatformAdmin, all: true}
}

// Token is one configured token. Exactly one of Token (the secret itself)
// and TokenSHA256 (its lower-case hex SHA-256) is set.
type Token struct {
	Name          string   `json:"name"`
	Token         string   `json:"token,omitempty"`
	TokenSHA256   string   `json:"token_sha256,omitempty"`
	Role          Role     `json:"role"`
	BusinessUnits []string `json:"business_units,omitempty"`
}

// Authenticator looks tokens up. It is safe for concurrent use.
type Authenticator struct {
	byHash map[[32]byte]Identity
}

// New builds an Authenticator from configured tokens. It fails with
// ErrConfig on a duplicate name or token, an unknown role, a missing
// secret, or a business role without business units.
func New(tokens []Token) (*Authenticator, error) {
	a := &Authenticator{byHash: make(map[[32]byte]Identity)}
	names := map[string]bool{}
	for i, t := range tokens {
		h, err := t.hash()
		if err != nil {
			return nil, fmt.Errorf("%w: tokens[%d]: %v", ErrConfig, i, err)
		}
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("%w: tokens[%d]: name is required", ErrConfig, i)
		case names[t.Name]:
			return nil, fmt.Errorf("%w: tokens[%d]: duplicate name %q", ErrConfig, i, t.Name)
		case !slices.Contains(roles, t.Role):
			return nil, fmt.Errorf("%w: tokens[%d]: unknown role %q", ErrConfig, i, t.Role)
		case t.Role == RoleBusiness && len(t.BusinessUnits) == 0:
			return nil, fmt.Errorf("%w: tokens[%d]: role business needs business_units", ErrConfig, i)
		case t.Role == RoleBusiness && slices.Contains(t.BusinessUnits, AllUnits):
			return nil, fmt.Errorf("%w: tokens[%d]: role business cannot have %q", ErrConfig, i, AllUnits)
		}
		if _, dup := a.byHash[h]; dup {
			return nil, fmt.Errorf("%w: tokens[%d]: the same token appears twice", ErrConfig, i)
		}
		names[t.Name] = true

		a.byHash[h] = Identity{
			Name:  t.Name,
			Role:  t.Role,
			units: slices.Clone(t.BusinessUnits),
			all:   slices.Contains(t.BusinessUnits, AllUnits) || t.Role == RoleReviewSite,
		}
	}
	return a, nil
}

func (t Token) hash() ([32]byte, error) {
	var h [32]byte
	switch {
	case t.Token != "" && t.TokenSHA256 != "":
		return h, errors.New("set token or token_sha256, not both")
	case t.Token != "":
		if len(t.Token) < 16 {
			return h, errors.New("token must be at least 16 characters")
		}
		return sha256.Sum256([]byte(t.Token)), nil
	case t.TokenSHA256 != "":
		b, err := hex.DecodeString(strings.ToLower(t.TokenSHA256))
		if err != nil || len(b) != len(h) {
			return h, errors.New("token_sha256 must be 64 hex digits")
		}
		copy(h[:], b)
		return h, nil
	}
	return h, errors.New("token or token_sha256 is required")
}

// Authenticate returns the identity of a bearer token.
func (a *Authenticator) Authenticate(token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrUnauthenticated
	}
	// Looking up the hash rather than the token keeps the comparison's
	// timing independent of how much of a guessed token is right.
	id, ok := a.byHash[sha256.Sum256([]byte(token))]
	if !ok {
		return Identity{}, ErrUnauthenticated
	}
	return id, nil
}
