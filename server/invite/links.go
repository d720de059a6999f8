package invite

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/reviewdata/invitations/storage"
)

var token64 = base64.RawURLEncoding

// A review link token is a 16-byte random secret and the invitation ID,
// base64url-encoded: 43 characters. The ID finds the link record; the
// secret, checked against its stored hash, proves the token was issued.
// The secret comes first so that tokens issued together do not share a
// visible prefix.

func newLinkSecret() [16]byte {
	var s [16]byte
	if _, err := rand.Read(s[:]); err != nil {
		panic("invite: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return s
}

func linkToken(id storage.ID, secret [16]byte) string {
	return token64.EncodeToString(append(secret[:], id[:]...))
}

func parseLinkToken(tok string) (storage.ID, [16]byte, bool) {
	var id storage.ID
	var secret [16]byte
	b, err := token64.DecodeString(tok)
	if err != nil || len(b) != 32 {
		return id, secret, false
	}
	copy(secret[:], b[:16])
	copy(id[:], b[16:])
	return id, secret, true
}

func secretMatches(secret [16]byte, hash [32]byte) bool {
	got := sha256.Sum256(secret[:])
	return subtle.ConstantTimeCompare(got[:], hash[:]) == 1
}

// An unsubscribe token names the business unit and the customer's keyed
// hash, authenticated with an HMAC, so it keeps working after the
// customer's invitation data is erased: nothing needs to be looked up.
// Layout: version (1), len(bu) (1), bu, hash (32), mac (16).

const unsubVersion = 1

func (s *Service) unsubscribeToken(bu string, h storage.Hash) string {
	b := []byte{unsubVersion, byte(len(bu))}
	b = append(b, bu...)
	b = append(b, h[:]...)
	return token64.EncodeToString(append(b, s.unsubMAC(b)...))
}

func (s *Service) parseUnsubscribeToken(tok string) (string, storage.Hash, bool) {
	var h storage.Hash
	b, err := token64.DecodeString(tok)
	if err != nil || len(b) < 2+1+32+16 || b[0] != unsubVersion || len(b) != 2+int(b[1])+32+16 {
		return "", h, false
	}
	body, mac := b[:len(b)-16], b[len(b)-16:]
	if !hmac.Equal(mac, s.unsubMAC(body)) {
		return "", h, false
	}
	n := int(b[1])
	copy(h[:], b[2+n:])
	return string(b[2 : 2+n]), h, true
}

func (s *Service) unsubMAC(body []byte) []byte {
	m := hmac.New(sha256.New, s.unsubKey)
	m.Write(body)
	return m.Sum(nil)[:16]
}

// UnsubscribeLink returns the unsubscribe link for a customer of bu.
func (s *Service) UnsubscribeLink(bu string, h storage.Hash) string {
	return s.links.UnsubscribeBase + s.unsubscribeToken(bu, h)
}
