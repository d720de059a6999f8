package bcc

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// wordDecoder decodes RFC 2047 encoded words in any charset that the WHATWG
// Encoding Standard knows. It holds no state and is safe for concurrent use.
var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// charsetReader converts input from charset to UTF-8. An RFC 2231 language
// suffix such as "*sv" is ignored.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	name, _, _ := strings.Cut(charset, "*")
	enc, err := htmlindex.Get(strings.TrimSpace(name))
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}

// decodeWords decodes the encoded words in a header value and trims it. A
// value that cannot be decoded is returned as it was.
func decodeWords(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "=?") {
		return s
	}

	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return strings.TrimSpace(strings.ToValidUTF8(d, "\uFFFD"))
}

// toUTF8String returns s with every byte that is not part of valid UTF-8
// read as windows-1252, so that both UTF-8 and raw 8-bit headers come out
// right.
func toUTF8String(s string) string {
	if utf8.ValidString(s) {
		return s
	}

	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			r = charmap.Windows1252.DecodeByte(s[0])
		}
		b.WriteRune(r)
		s = s[n:]
	}
	return b.String()
}

// toUTF8 converts text in the named charset to UTF-8. Text without a
// charset, or in one that is not known, is returned unchanged.
func toUTF8(text []byte, charset string) []byte {
	charset = strings.ToLower(strings.TrimSpace(charset))
	if charset == "" || charset == "utf-8" || charset == "utf8" {
		return text
	}

	enc, err := htmlindex.Get(charset)
	if err != nil {
		return text
	}
	out, err := enc.NewDecoder().Bytes(text)
	if err != nil {
		return text
	}
	return out
}

// readDecoded reads r to its end and undoes the named content transfer
// encoding. Damage is tolerated: what can be decoded is returned.
func readDecoded(r io.Reader, encoding string) []byte {
	data, _ := io.ReadAll(r)

	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(data)))
		return out
	case "base64":
		return decodeBase64(data)
	}
	return data
}

// decodeBase64 decodes base64 text, skipping bytes outside the alphabet
// such as line breaks, and treating padding as the end of one encoded run,
// as some mailers pad every line.
func decodeBase64(data []byte) []byte {
	enc := base64.RawStdEncoding
	out := make([]byte, 0, enc.DecodedLen(len(data)))
	run := make([]byte, 0, len(data))

	flush := func() {
		if len(run)%4 == 1 {
			run = run[:len(run)-1]
		}
		n := len(out)
		out = append(out, make([]byte, enc.DecodedLen(len(run)))...)
		m, _ := enc.Decode(out[n:], run)
		out = out[:n+m]
		run = run[:0]
	}

	for _, c := range data {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			run = append(run, c)
		case c == '=' && len(run) > 0:
			flush()
		}
	}

	flush()
	return out
}
