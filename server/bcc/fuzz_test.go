package bcc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// maxSeedBytes keeps very large table messages out of the seed corpus.
const maxSeedBytes = 64 << 10

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		if len(tt.raw) <= maxSeedBytes {
			f.Add([]byte(tt.raw))
		}
	}
	f.Add([]byte(crlf(deepMessage(3 * maxDepth))))

	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			if m != nil {
				t.Fatalf("Parse returned a Message and error %v", err)
			}
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) &&
				!errors.Is(err, ErrNoRecipient) && !errors.Is(err, ErrBadSnippet) {
				t.Fatalf("Parse error %v wraps no sentinel", err)
			}
			return
		}

		if m.RecipientEmail == "" || !validAddress(m.RecipientEmail) {
			t.Fatalf("Parse gave unusable RecipientEmail %q", m.RecipientEmail)
		}
		if m.IgnoredRecipients < 0 {
			t.Fatalf("Parse gave IgnoredRecipients %d", m.IgnoredRecipients)
		}
		checkText(t, m)
	})
}

// checkText fails t when a text field of m is not clean, valid UTF-8.
func checkText(t *testing.T, m *Message) {
	t.Helper()

	v := reflect.ValueOf(*m)
	for i := range v.NumField() {
		var texts []string
		switch x := v.Field(i).Interface().(type) {
		case string:
			texts = []string{x}
		case []string:
			texts = x
		}

		for _, s := range texts {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) || s != strings.TrimSpace(s) {
				t.Fatalf("Parse gave %s = %q, want clean UTF-8", v.Type().Field(i).Name, s)
			}
		}
	}
}
