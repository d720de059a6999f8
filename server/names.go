package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"strings"

	"github.com/reviewdata/invitations/storage"
)

// A business unit id: lower-case letters, digits and '-', 1 to 63
// characters, starting with a letter or digit.
var unitPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// AllUnits is the wildcard parent of platform-wide requests.
const AllUnits = "-"

// parseParent parses `businessUnits/{bu}`. With wildcard, `businessUnits/-`
// is accepted and returned as AllUnits.
func parseParent(field, name string, wildcard bool) (string, error) {
	bu, ok := strings.CutPrefix(name, "businessUnits/")
	if wildcard && ok && bu == AllUnits {
		return AllUnits, nil
	}
	if !ok || !unitPattern.MatchString(bu) {
		return "", invalid(field, "must be businessUnits/{business_unit} with a business unit id of lower-case letters, digits and '-'")
	}
	return bu, nil
}

// parseChild parses `businessUnits/{bu}/{collection}/{id}`.
func parseChild(field, name, collection string) (string, storage.ID, error) {
	rest, ok := strings.CutPrefix(name, "businessUnits/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 || parts[1] != collection || !unitPattern.MatchString(parts[0]) {
		return "", storage.ID{}, invalid(field, "must be businessUnits/{business_unit}/"+collection+"/{id}")
	}
	id, err := storage.ParseID(parts[2])
	if err != nil {
		return "", storage.ID{}, invalid(field, "has an invalid "+collection+" id")
	}
	return parts[0], id, nil
}

func unitName(bu string) string { return "businessUnits/" + bu }

func invitationName(bu string, id storage.ID) string {
	return "businessUnits/" + bu + "/invitations/" + id.String()
}

func erasureName(bu string, id storage.ID) string {
	if bu == "" {
		return "consumerErasures/" + id.String()
	}
	return "businessUnits/" + bu + "/erasures/" + id.String()
}

// Paging: page_size 0 means 50, above 1000 is clamped, negative is invalid.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, invalid("page_size", "must not be negative")
	case n == 0:
		return defaultPageSize, nil
	case n > maxPageSize:
		return maxPageSize, nil
	}
	return int(n), nil
}

// A page token is a cursor bound to the request it came from: base64url of
// a version byte, 8 bytes of a hash of the request's filters, and the
// cursor. A token used with other filters is refused.

const tokenVersion = 1

func filterSum(filters string) []byte {
	sum := sha256.Sum256([]byte(filters))
	return sum[:8]
}

func pageToken(filters string, cursor []byte) string {
	b := append([]byte{tokenVersion}, filterSum(filters)...)
	return base64.RawURLEncoding.EncodeToString(append(b, cursor...))
}

func parsePageToken(tok, filters string) ([]byte, error) {
	if tok == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 9 || b[0] != tokenVersion {
		return nil, invalid("page_token", "is not a token this service issued")
	}
	if string(b[1:9]) != string(filterSum(filters)) {
		return nil, invalid("page_token", "belongs to a request with other filters")
	}
	return b[9:], nil
}

func idToken(filters string, id storage.ID) string {
	if id.IsZero() {
		return ""
	}
	return pageToken(filters, id[:])
}

func parseIDToken(tok, filters string) (storage.ID, error) {
	var id storage.ID
	b, err := parsePageToken(tok, filters)
	if err != nil || b == nil {
		return id, err
	}
	if len(b) != len(id) {
		return id, invalid("page_token", "is not a token this service issued")
	}
	copy(id[:], b)
	return id, nil
}

func seqToken(filters string, seq uint64) string {
	return pageToken(filters, binary.BigEndian.AppendUint64(nil, seq))
}

func parseSeqToken(tok, filters string) (uint64, bool, error) {
	b, err := parsePageToken(tok, filters)
	if err != nil || b == nil {
		return 0, false, err
	}
	if len(b) != 8 {
		return 0, false, invalid("page_token", "is not a token this service issued")
	}
	return binary.BigEndian.Uint64(b), true, nil
}
