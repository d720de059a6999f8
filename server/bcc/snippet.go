package bcc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Script types of the snippets, compared without case and parameters.
const (
	nativeType     = "application/vnd.reviewdata.invitation+json"
	trustpilotType = "application/json+trustpilot"
)

// sendTimeLocal is the accepted preferredSendTime layout without a zone,
// read as UTC. Fractional seconds are optional.
const sendTimeLocal = "2006-01-02T15:04:05.999999999"

// snippetFields is the JSON shape of both snippet formats.
type snippetFields struct {
	RecipientEmail    string    `json:"recipientEmail"`
	RecipientName     string    `json:"recipientName"`
	ReferenceID       reference `json:"referenceId"`
	TemplateID        string    `json:"templateId"`
	Locale            string    `json:"locale"`
	SenderName        string    `json:"senderName"`
	SenderEmail       string    `json:"senderEmail"`
	ReplyTo           string    `json:"replyTo"`
	PreferredSendTime string    `json:"preferredSendTime"`
	Tags              []string  `json:"tags"`
}

// reference is an order reference, which shops write as a JSON string or
// as a number; a number keeps its digits as written.
type reference string

// UnmarshalJSON takes a string or a number.
func (r *reference) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = reference(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return &json.UnmarshalTypeError{Value: "non-string", Field: "referenceId"}
	}
	*r = reference(n.String())
	return nil
}

// fieldNames are the snippet's JSON field names, the only ones an error may
// name.
var fieldNames = []string{
	"recipientEmail", "recipientName", "referenceId", "templateId", "locale",
	"senderName", "senderEmail", "replyTo", "preferredSendTime", "tags",
}

// scanHTML records the snippets in one HTML document.
func (f *found) scanHTML(doc []byte) {
	z := html.NewTokenizer(bytes.NewReader(doc))
	for f.native == nil {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			if format := scriptFormat(z); format != SnippetNone {
				f.record(format, scriptText(z))
			}
		}
	}
}

// record keeps text if it is the first snippet of its format.
func (f *found) record(format SnippetFormat, text string) {
	switch {
	case format == SnippetNative && f.native == nil:
		f.native = &text
	case format == SnippetTrustpilot && f.trustpilot == nil:
		f.trustpilot = &text
	}
}

// scriptFormat returns the snippet format of the tag z is on: SnippetNone
// unless it is a script element with a snippet type.
func scriptFormat(z *html.Tokenizer) SnippetFormat {
	name, more := z.TagName()
	if string(name) != "script" {
		return SnippetNone
	}

	for more {
		var key, val []byte
		key, val, more = z.TagAttr()
		if string(key) == "type" {
			return formatOf(string(val))
		}
	}
	return SnippetNone
}

// formatOf maps a script type attribute to a snippet format.
func formatOf(typ string) SnippetFormat {
	mt, _, _ := strings.Cut(typ, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case nativeType:
		return SnippetNative
	case trustpilotType:
		return SnippetTrustpilot
	}
	return SnippetNone
}

// scriptText reads the raw text of the script element whose start tag z
// has just read, up to its end tag.
func scriptText(z *html.Tokenizer) string {
	var b strings.Builder
	for z.Next() == html.TextToken {
		b.Write(z.Text())
	}
	return b.String()
}

// applySnippet parses the snippet and lets its non-empty fields replace
// those of m. Its errors wrap ErrBadSnippet.
func applySnippet(m *Message, sn snippet) error {
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sn.text), "\uFEFF"))
	if !strings.HasPrefix(text, "{") {
		return fmt.Errorf("%s snippet: not a JSON object: %w", sn.format, ErrBadSnippet)
	}

	var sf snippetFields
	if err := json.Unmarshal([]byte(text), &sf); err != nil {
		return jsonError(sn.format, err)
	}

	if err := checkAddresses(sn.format, sf); err != nil {
		return err
	}
	var sendAt time.Time
	if v := strings.TrimSpace(sf.PreferredSendTime); v != "" {
		t, err := parseSendTime(v)
		if err != nil {
			return fmt.Errorf("%s snippet: field preferredSendTime is not a valid time: %w", sn.format, ErrBadSnippet)
		}
		sendAt = t
	}

	if email := strings.TrimSpace(sf.RecipientEmail); email != "" {
		if !strings.EqualFold(email, m.RecipientEmail) {
			m.RecipientName = ""
		}
		m.RecipientEmail = email
	}
	override(&m.RecipientName, sf.RecipientName)
	override(&m.ReferenceID, string(sf.ReferenceID))
	override(&m.TemplateID, sf.TemplateID)
	override(&m.Locale, sf.Locale)
	override(&m.SenderName, sf.SenderName)
	override(&m.SenderEmail, sf.SenderEmail)
	override(&m.ReplyTo, sf.ReplyTo)

	m.PreferredSendTime = sendAt
	for _, t := range sf.Tags {
		if t = strings.TrimSpace(t); t != "" {
			m.Tags = append(m.Tags, t)
		}
	}
	m.Snippet = sn.format
	return nil
}

// override sets *dst to v, trimmed, unless that is empty.
func override(dst *string, v string) {
	if v = strings.TrimSpace(v); v != "" {
		*dst = v
	}
}

// checkAddresses checks the snippet's non-empty address fields.
func checkAddresses(format SnippetFormat, sf snippetFields) error {
	fields := []struct{ name, value string }{
		{"recipientEmail", sf.RecipientEmail},
		{"senderEmail", sf.SenderEmail},
		{"replyTo", sf.ReplyTo},
	}
	for _, fl := range fields {
		v := strings.TrimSpace(fl.value)
		if v != "" && !validAddress(v) {
			return fmt.Errorf("%s snippet: field %s is not a usable address: %w", format, fl.name, ErrBadSnippet)
		}
	}
	return nil
}

// parseSendTime parses RFC 3339, or the same without a zone as UTC.
func parseSendTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(sendTimeLocal, v)
}

// jsonError translates a JSON decoding error without passing on its text,
// which may quote the snippet's values.
func jsonError(format SnippetFormat, err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s snippet: not valid JSON: %w", format, ErrBadSnippet)
	}

	for _, name := range fieldNames {
		if strings.EqualFold(te.Field, name) || strings.HasPrefix(strings.ToLower(te.Field), strings.ToLower(name)+".") {
			return fmt.Errorf("%s snippet: field %s has the wrong type: %w", format, name, ErrBadSnippet)
		}
	}
	return fmt.Errorf("%s snippet: a field has the wrong type: %w", format, ErrBadSnippet)
}
