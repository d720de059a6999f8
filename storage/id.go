package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// ID identifies a stored record. Its first eight bytes are the creation time
// in Unix nanoseconds, big-endian, and the last eight are random, so IDs sort
// by creation time and keys built from them append to the end of a bucket.
type ID [16]byte

// idEncoding is base32hex: it keeps the byte order when sorted as text.
var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// NewID returns a fresh ID for a record created at t, which must not be
// before 1970.
func NewID(t time.Time) ID {
	var id ID
	binary.BigEndian.PutUint64(id[:8], uint64(t.UnixNano()))
	if _, err := rand.Read(id[8:]); err != nil {
		panic("storage: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return id
}

// FirstID returns the smallest ID of a record created at t: every ID made
// at t or later sorts at or after it.
func FirstID(t time.Time) ID {
	var id ID
	binary.BigEndian.PutUint64(id[:8], uint64(t.UnixNano()))
	return id
}

// Time returns the creation time encoded in the ID, in UTC.
func (id ID) Time() time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(id[:8]))).UTC()
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// String returns the ID as 26 lower-case base32hex characters.
func (id ID) String() string {
	return string(bytes.ToLower([]byte(idEncoding.EncodeToString(id[:]))))
}

// ParseID parses the form String returns. It returns ErrInvalidID for
// anything else.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 26 {
		return id, ErrInvalidID
	}
	b, err := idEncoding.DecodeString(string(bytes.ToUpper([]byte(s))))
	if err != nil || len(b) != len(id) {
		return id, ErrInvalidID
	}
	copy(id[:], b)
	if id.String() != s {
		return ID{}, ErrInvalidID
	}
	return id, nil
}

// Hash is a keyed SHA-256 of a normalized e-mail address. Indexes use it in
// place of the address, so no index key holds an address in clear.
type Hash [32]byte

// String returns the hash as lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }
