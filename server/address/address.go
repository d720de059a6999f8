// Package address validates customer e-mail addresses, brings them to the
// one normalized form the service matches on, and hashes that form with a
// key so that indexes, events and unsubscribes never hold an address in
// clear. It never logs and never puts an address into an error.
//
// # The normalized form
//
//   - Surrounding white space is removed.
//   - The domain is lower-cased and converted to its ASCII (punycode) form,
//     so "exämple.se" and "xn--exmple-cua.se" are the same domain; one
//     trailing dot is dropped.
//   - The local part is case-folded (Unicode full case folding, so final
//     and medial sigma, or a dotted capital I and i with a combining dot,
//     match) and put in Unicode NFC. RFC 5321 lets a server treat case in
//     the local part as significant, but no mainstream provider does, and a
//     customer who asks for erasure must not be missed because an order
//     system capitalized their name.
//   - Nothing else changes: dots and "+tags" are kept, because whether they
//     matter differs between providers.
//
// The spelling a business sent is kept for display and for delivery.
package address

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/reviewdata/invitations/storage"
)

// Validation errors. They describe the rule broken, never the value.
var (
	// ErrEmpty means the address is empty or only white space.
	ErrEmpty = errors.New("address: is empty")
	// ErrTooLong means the address is longer than 254 bytes, or its local
	// part longer than 64.
	ErrTooLong = errors.New("address: is longer than 254 bytes")
	// ErrInvalid means the address is not a single plain e-mail address.
	ErrInvalid = errors.New("address: is not a valid e-mail address")
	// ErrNotASCII means the local part is beyond ASCII, which needs
	// SMTPUTF8 to deliver.
	ErrNotASCII = errors.New("address: local part is not ASCII")
)

// MaxLength is the longest address accepted, in bytes, after trimming.
const MaxLength = 254

var (
	profile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false))
	folder  = cases.Fold()
)

// Normalize validates s and returns its normalized form.
func Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmpty
	}
	if len(s) > MaxLength {
		return "", ErrTooLong
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", ErrInvalid
	}

	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", ErrInvalid
	}
	local, domain := s[:at], strings.TrimSuffix(s[at+1:], ".")
	if len(local) > 64 {
		return "", ErrTooLong
	}

	domain, err := profile.ToASCII(domain)
	if err != nil || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") {
		return "", ErrInvalid
	}
	local = norm.NFC.String(folder.String(norm.NFC.String(local)))
	out := local + "@" + strings.ToLower(domain)
	if len(out) > MaxLength {
		return "", ErrTooLong
	}

	// net/mail knows the grammar of a local part (quoting, dots, allowed
	// characters); a value with a display name or comment would parse to
	// something else and is refused.
	a, err := mail.ParseAddress(out)
	if err != nil || a.Name != "" || a.Address != out {
		return "", ErrInvalid
	}
	return out, nil
}

// Delivery returns s as it goes out in an e-mail header: the local part as
// sent, the domain in lower-case punycode without a trailing dot. s must be
// a valid address (see Normalize) with an ASCII local part.
func Delivery(s string) (string, error) {
	if _, err := Normalize(s); err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	local := s[:at]
	for i := 0; i < len(local); i++ {
		if local[i] >= 0x80 {
			return "", ErrNotASCII
		}
	}
	domain, err := profile.ToASCII(strings.TrimSuffix(s[at+1:], "."))
	if err != nil {
		return "", ErrInvalid
	}
	return local + "@" + strings.ToLower(domain), nil
}

// Hasher computes keyed hashes of normalized addresses. It is safe for
// concurrent use.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher with a secret key of at least 16 bytes.
func NewHasher(key []byte) *Hasher {
	if len(key) < 16 {
		panic("address: hash key shorter than 16 bytes")
	}
	return &Hasher{key: append([]byte(nil), key...)}
}

// Hash returns HMAC-SHA256 of a normalized address.
func (h *Hasher) Hash(normalized string) storage.Hash {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(normalized))
	var out storage.Hash
	m.Sum(out[:0])
	return out
}
