package bcc

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxAddressBytes is the longest usable address, the limit of RFC 5321.
const maxAddressBytes = 254

// address is one entry of an address list; email may be unusable.
type address struct {
	name  string
	email string
}

// addressParser parses address lists with the package's charset support.
var addressParser = mail.AddressParser{WordDecoder: wordDecoder}

// parseAddressList parses an address-list header value, strictly when it
// can and tolerantly otherwise. Entries keep their order; group names are
// dropped.
func parseAddressList(v string) []address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}

	list, err := addressParser.ParseList(v)
	if err != nil {
		return tolerantList(v)
	}

	out := make([]address, 0, len(list))
	for _, a := range list {
		out = append(out, address{name: cleanName(a.Name), email: strings.TrimSpace(a.Address)})
	}
	return out
}

// tolerantList parses what net/mail rejects. It splits v at commas outside
// quotes, comments and angle brackets, and joins a piece that holds no
// address to the piece after it, so that an unquoted name may hold commas.
func tolerantList(v string) []address {
	var out []address
	pending := -1 // start of pieces waiting for an address, or -1
	end := 0

	for _, r := range splitList(v) {
		end = r[1]
		start := r[0]
		if pending >= 0 {
			start = pending
		}
		if !holdsAddress(v[r[0]:r[1]]) {
			pending = start
			continue
		}

		pending = -1
		out = append(out, tolerantAddress(v[start:end]))
	}

	if pending >= 0 {
		out = append(out, tolerantAddress(v[pending:end]))
	}
	return out
}

// splitList returns the byte ranges of the non-blank pieces of v between
// commas that are outside quotes, comments and angle brackets.
func splitList(v string) [][2]int {
	var out [][2]int
	var inQuote, inAngle bool
	comment := 0
	start := 0

	add := func(end int) {
		if strings.TrimSpace(v[start:end]) != "" {
			out = append(out, [2]int{start, end})
		}
		start = end + 1
	}

	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inQuote:
			switch c {
			case '\\':
				i++
			case '"':
				inQuote = false
			}
		case comment > 0:
			switch c {
			case '\\':
				i++
			case '(':
				comment++
			case ')':
				comment--
			}
		case inAngle:
			inAngle = c != '>'
		case c == '"':
			inQuote = true
		case c == '(':
			comment = 1
		case c == '<':
			inAngle = true
		case c == ',':
			add(i)
		}
	}

	add(len(v))
	return out
}

// holdsAddress reports whether piece has an @ or < outside quotes.
func holdsAddress(piece string) bool {
	inQuote := false
	for i := 0; i < len(piece); i++ {
		switch c := piece[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == '@' || c == '<'):
			return true
		}
	}
	return false
}

// tolerantAddress splits one list entry into display name and address. The
// address is the text in the last angle brackets outside quotes, or else
// the entry without comments, whose first comment is then the name.
func tolerantAddress(entry string) address {
	entry = strings.TrimSpace(entry)

	if lt := lastAngle(entry); lt >= 0 {
		email := entry[lt+1:]
		if gt := strings.IndexByte(email, '>'); gt >= 0 {
			email = email[:gt]
		}
		return address{name: cleanName(entry[:lt]), email: strings.TrimSpace(email)}
	}

	email, comment := stripComments(entry)
	return address{name: cleanName(comment), email: strings.TrimSpace(email)}
}

// lastAngle returns the index of the last < outside quotes, or -1.
func lastAngle(s string) int {
	last := -1
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '<':
			last = i
		}
	}
	return last
}

// stripComments returns s without its parenthesised comments, and the text
// of the first comment.
func stripComments(s string) (rest, first string) {
	var b, cb strings.Builder
	depth, seen := 0, 0

	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(':
			depth++
			if depth == 1 {
				seen++
				continue
			}
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				continue
			}
		case c == '\\' && depth > 0 && i+1 < len(s):
			i++
			c = s[i]
		}

		switch {
		case depth == 0:
			b.WriteByte(c)
		case seen == 1:
			cb.WriteByte(c)
		}
	}
	return b.String(), cb.String()
}

// cleanName trims a display name, removes its quotes and decodes encoded
// words, also those that a mailer wrongly put inside quotes.
func cleanName(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = unquote(s[1 : len(s)-1])
	}
	return decodeWords(s)
}

// unquote removes the backslashes of quoted pairs.
func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}

	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// validAddress reports whether s is usable as an address by the rule in the
// package documentation.
func validAddress(s string) bool {
	if s == "" || len(s) > maxAddressBytes || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>()[],;:"\`, r) {
			return false
		}
	}

	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}

	// A fully qualified domain may end in the root's dot: berit@example.se.
	// is berit@example.se, and normalizing drops the dot.
	domain := strings.TrimSuffix(s[at+1:], ".")
	return strings.Contains(domain, ".") &&
		!strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".") &&
		!strings.Contains(domain, "..")
}
