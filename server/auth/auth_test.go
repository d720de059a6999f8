package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

func TestAuthenticate(t *testing.T) {
	sum := sha256.Sum256([]byte("review-site-secret-token"))
	a, err := New([]Token{
		{Name: "portal-a", Token: "portal-a-secret-token", Role: RoleBusiness, BusinessUnits: []string{"a"}},
		{Name: "site", TokenSHA256: hex.EncodeToString(sum[:]), Role: RoleReviewSite},
		{Name: "admin", Token: "admin-secret-token-x", Role: RolePlatformAdmin},
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		token   string
		want    string
		actsFor map[string]bool
		err     error
	}{
		{"business", "portal-a-secret-token", "portal-a", map[string]bool{"a": true, "b": false}, nil},
		{"hashed token", "review-site-secret-token", "site", map[string]bool{"a": true, "b": true}, nil},
		{"admin", "admin-secret-token-x", "admin", map[string]bool{"a": true, "zz": true}, nil},
		{"unknown", "nope-nope-nope-nope", "", nil, ErrUnauthenticated},
		{"empty", "", "", nil, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := a.Authenticate(tt.token)
			if !errors.Is(err, tt.err) || id.Name != tt.want {
				t.Fatalf("Authenticate(%q) = %q, %v, want %q, %v", tt.token, id.Name, err, tt.want, tt.err)
			}
			for bu, want := range tt.actsFor {
				if got := id.ActsFor(bu); got != want {
					t.Errorf("ActsFor(%q) = %v, want %v", bu, got, want)
				}
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name   string
		tokens []Token
	}{
		{"no name", []Token{{Token: "0123456789abcdef", Role: RoleBusiness, BusinessUnits: []string{"a"}}}},
		{"no secret", []Token{{Name: "x", Role: RolePlatformAdmin}}},
		{"short secret", []Token{{Name: "x", Token: "short", Role: RolePlatformAdmin}}},
		{"both secrets", []Token{{Name: "x", Token: "0123456789abcdef", TokenSHA256: "00", Role: RolePlatformAdmin}}},
		{"bad role", []Token{{Name: "x", Token: "0123456789abcdef", Role: "root"}}},
		{"business without units", []Token{{Name: "x", Token: "0123456789abcdef", Role: RoleBusiness}}},
		{"business with all units", []Token{{Name: "x", Token: "0123456789abcdef", Role: RoleBusiness, BusinessUnits: []string{"*"}}}},
		{"duplicate token", []Token{
			{Name: "x", Token: "0123456789abcdef", Role: RolePlatformAdmin},
			{Name: "y", Token: "0123456789abcdef", Role: RolePlatformAdmin},
		}},
		{"duplicate name", []Token{
			{Name: "x", Token: "0123456789abcdef", Role: RolePlatformAdmin},
			{Name: "x", Token: "0123456789abcdeg", Role: RolePlatformAdmin},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.tokens); !errors.Is(err, ErrConfig) {
				t.Errorf("New(%s) = %v, want ErrConfig", tt.name, err)
			}
		})
	}
}
