package bcc

import (
	"strings"
	"unicode"
)

// Punctuation stripped from the ends of subject tokens.
const (
	tokenOpeners = `([{<"'`
	tokenClosers = `.,:;!?)]}>"'`
)

// subjectReference finds an order reference in a subject by the rule in the
// package documentation.
func subjectReference(subject string) string {
	tokens := strings.Fields(subject)
	for i, t := range tokens {
		tokens[i] = strings.TrimRight(strings.TrimLeft(t, tokenOpeners), tokenClosers)
	}

	for _, t := range tokens {
		if ref, ok := strings.CutPrefix(t, "#"); ok && strings.ContainsFunc(ref, isLetterOrDigit) {
			return ref
		}
	}

	for i := len(tokens) - 1; i >= 0; i-- {
		if strings.ContainsFunc(tokens[i], isASCIIDigit) {
			return tokens[i]
		}
	}
	return ""
}

func isLetterOrDigit(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isASCIIDigit(r rune) bool {
	return '0' <= r && r <= '9'
}
