package bcc

import (
	"maps"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
)

// fromHeader fills a Message from the header section h and also returns the
// parsed To: list.
func fromHeader(h textproto.MIMEHeader) (*Message, []address) {
	m := &Message{
		MessageID: messageID(h.Get("Message-Id")),
		Subject:   decodeWords(h.Get("Subject")),
	}
	if d, err := mail.ParseDate(h.Get("Date")); err == nil {
		m.Date = d
	}

	m.SenderName, m.SenderEmail = firstAddress(h.Values("From"))
	_, m.ReplyTo = firstAddress(h.Values("Reply-To"))

	to := parseAddressList(strings.Join(h.Values("To"), ", "))
	if len(to) > 0 {
		m.IgnoredRecipients = len(to) - 1
		if validAddress(to[0].email) {
			m.RecipientEmail = to[0].email
			m.RecipientName = to[0].name
		}
	}
	for _, key := range []string{"To", "Cc", "Bcc"} {
		list := to
		if key != "To" {
			list = parseAddressList(strings.Join(h.Values(key), ", "))
		}
		for _, a := range list {
			if validAddress(a.email) {
				m.Addresses = append(m.Addresses, a.email)
			}
		}
	}
	return m, to
}

// normalizeHeader rekeys h in canonical form with surrounding white space
// removed from keys, so that an obsolete "To :" is found as To, and makes
// every value valid UTF-8.
func normalizeHeader(h mail.Header) textproto.MIMEHeader {
	out := make(textproto.MIMEHeader, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		key := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))
		for _, v := range h[k] {
			out[key] = append(out[key], toUTF8String(v))
		}
	}
	return out
}

// messageID strips white space and angle brackets from a Message-ID value.
func messageID(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "<")
	v = strings.TrimSuffix(v, ">")
	return strings.TrimSpace(v)
}

// firstAddress returns the display name and, when usable, the address of
// the first address in the values of one address-list header.
func firstAddress(values []string) (name, email string) {
	list := parseAddressList(strings.Join(values, ", "))
	if len(list) == 0 {
		return "", ""
	}

	name = list[0].name
	if validAddress(list[0].email) {
		email = list[0].email
	}
	return name, email
}
