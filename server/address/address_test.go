package address

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		err  error
	}{
		{"already normal", "sven.svensson@example.se", "sven.svensson@example.se", nil},
		{"mixed case", "Sven.Svensson@Example.SE", "sven.svensson@example.se", nil},
		{"surrounding spaces", "  sven@example.se \t", "sven@example.se", nil},
		{"unicode domain", "anna@Exämple.se", "anna@xn--exmple-cua.se", nil},
		{"punycode domain", "anna@XN--EXMPLE-CUA.se", "anna@xn--exmple-cua.se", nil},
		{"trailing dot", "anna@example.se.", "anna@example.se", nil},
		{"unicode local part", "Åsa@example.se", "åsa@example.se", nil},
		{"decomposed local part", "A\u030asa@example.se", "åsa@example.se", nil},
		{"plus tag kept", "Anna+shop@example.se", "anna+shop@example.se", nil},
		{"final sigma", "ΣΟΦΙΑΣ@example.gr", "σοφιασ@example.gr", nil},
		{"final sigma written small", "σοφιας@example.gr", "σοφιασ@example.gr", nil},
		{"dotted capital I", "İlker@example.com.tr", "i\u0307lker@example.com.tr", nil},
		{"i with combining dot", "i\u0307lker@example.com.tr", "i\u0307lker@example.com.tr", nil},
		{"sharp s", "Straße@example.de", "strasse@example.de", nil},
		{"empty", "   ", "", ErrEmpty},
		{"no at", "example.se", "", ErrInvalid},
		{"no domain dot", "anna@localhost", "", ErrInvalid},
		{"display name", "Anna <anna@example.se>", "", ErrInvalid},
		{"two addresses", "a@example.se,b@example.se", "", ErrInvalid},
		{"inner space", "an na@example.se", "", ErrInvalid},
		{"control character", "anna\x00@example.se", "", ErrInvalid},
		{"too long", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 200) + ".se", "", ErrTooLong},
		{"local part too long", strings.Repeat("a", 65) + "@example.se", "", ErrTooLong},
		{"empty local part", "@example.se", "", ErrInvalid},
		{"invalid utf-8", "an\xffna@example.se", "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("Normalize(%q) = %q, %v, want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
			if v := strings.TrimSpace(tt.in); err != nil && v != "" && strings.Contains(err.Error(), v) {
				t.Errorf("Normalize(%q) error %q echoes the input", tt.in, err)
			}
		})
	}
}

func TestDelivery(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"Sven.Svensson@Example.SE", "Sven.Svensson@example.se", nil},
		{" anna@Exämple.se ", "anna@xn--exmple-cua.se", nil},
		{"anna@example.se.", "anna@example.se", nil},
		{"Åsa@example.se", "", ErrNotASCII},
		{"Anna <anna@example.se>", "", ErrInvalid},
		{"", "", ErrEmpty},
	}
	for _, tt := range tests {
		got, err := Delivery(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Delivery(%q) = %q, %v, want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestHashMatchesSpellings(t *testing.T) {
	h := NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	a, _ := Normalize("Sven.Svensson@Exämple.se")
	b, _ := Normalize(" sven.svensson@xn--exmple-cua.SE ")
	if h.Hash(a) != h.Hash(b) {
		t.Errorf("Hash differs for spellings of one address: %q vs %q", a, b)
	}
	other := NewHasher([]byte("fedcba9876543210fedcba9876543210"))
	if h.Hash(a) == other.Hash(a) {
		t.Errorf("Hash is the same under two keys")
	}
}
