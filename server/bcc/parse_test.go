package bcc

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	cet = time.FixedZone("", 3600)
	est = time.FixedZone("", -5*3600)
)

// parseTests are realistic messages and what Parse must make of them. The
// raw messages are CRLF unless the name says LF.
var parseTests = []struct {
	name    string
	raw     string
	want    *Message
	wantErr error
}{
	{
		name: "plain text only",
		raw:  crlf(msgPlain),
		want: &Message{
			MessageID:      "20241203140502.1001@skogsbutiken.example",
			RecipientEmail: "anna.berg@example.com",
			RecipientName:  "Anna Berg",
			Subject:        "Orderbekräftelse för order #SO-1001",
			ReferenceID:    "SO-1001",
			SenderName:     "Skogsbutiken",
			SenderEmail:    "order@skogsbutiken.example",
			Date:           time.Date(2024, 12, 3, 14, 5, 2, 0, cet),
		},
	},
	{
		name: "alternative with native snippet",
		raw:  crlf(msgAlternativeNative),
		want: &Message{
			MessageID:         "CAF=alt.88231@mail.skogsbutiken.example",
			RecipientEmail:    "anna.berg@example.com",
			RecipientName:     "Anna Berg",
			Subject:           "Din order 2024-88231 har skickats",
			ReferenceID:       "SO-88231",
			TemplateID:        "tmpl-sv-1",
			Locale:            "sv-SE",
			SenderName:        "Skogsbutiken",
			SenderEmail:       "kundtjanst@skogsbutiken.example",
			ReplyTo:           "omdome@skogsbutiken.example",
			PreferredSendTime: time.Date(2024, 12, 11, 9, 0, 0, 0, time.UTC),
			Tags:              []string{"vinter", "web"},
			Snippet:           SnippetNative,
			Date:              time.Date(2024, 12, 4, 9, 12, 44, 0, time.UTC),
		},
	},
	{
		name: "alternative with trustpilot snippet",
		raw:  crlf(msgAlternativeTrustpilot),
		want: &Message{
			RecipientEmail: "per.nilsson@example.net",
			RecipientName:  "Per Nilsson",
			Subject:        "Order confirmation",
			ReferenceID:    "BK-4471",
			Locale:         "en-US",
			SenderName:     "Bokhandeln",
			SenderEmail:    "noreply@bokhandeln.example.org",
			Snippet:        SnippetTrustpilot,
			Date:           time.Date(2024, 12, 5, 16, 40, 0, 0, est),
		},
	},
	{
		name: "native wins over earlier broken trustpilot",
		raw:  crlf(msgBothSnippets),
		want: &Message{
			RecipientEmail: "lisa.ek@example.com",
			RecipientName:  "Lisa Ek",
			Subject:        "Your order",
			ReferenceID:    "N-77",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
			Tags:           []string{"a"},
			Snippet:        SnippetNative,
		},
	},
	{
		name: "nested mixed related alternative with attachments",
		raw:  crlf(msgNested),
		want: wantNested,
	},
	{
		name: "nested LF only",
		raw:  msgNested,
		want: wantNested,
	},
	{
		name: "quoted-printable snippet with soft breaks",
		raw:  crlf(msgQuotedPrintable),
		want: &Message{
			RecipientEmail:    "asa.oberg@example.com",
			RecipientName:     "Åsa Öberg",
			Subject:           "Tack för din order",
			ReferenceID:       "KM-55190",
			SenderName:        "Köksmagasinet",
			SenderEmail:       "info@koksmagasinet.example",
			PreferredSendTime: time.Date(2024, 12, 20, 8, 30, 0, 0, time.UTC),
			Snippet:           SnippetNative,
		},
	},
	{
		name: "base64 latin-1 html and B-encoded latin-1 name",
		raw:  crlf(msgBase64Latin1Head + base64Lines(msgBase64Latin1HTML) + "--b64--\n"),
		want: &Message{
			RecipientEmail: "jorgen.strom@example.com",
			RecipientName:  "Jörgen Ström",
			Subject:        "Order 5512",
			ReferenceID:    "5512",
			SenderName:     "Bokhandeln i Gävle",
			SenderEmail:    "noreply@bokhandeln.example.org",
			Snippet:        SnippetTrustpilot,
		},
	},
	{
		name: "unquoted display name with comma",
		raw:  crlf(msgCommaName),
		want: &Message{
			RecipientEmail: "sven.svensson@example.com",
			RecipientName:  "Svensson, Sven",
			Subject:        "Your order",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
		},
	},
	{
		name: "unquoted names with commas and two recipients",
		raw:  crlf(msgCommaSeveral),
		want: &Message{
			RecipientEmail:    "sven.svensson@example.com",
			RecipientName:     "Svensson, Sven",
			IgnoredRecipients: 1,
			Subject:           "Your order",
			SenderName:        "Shop",
			SenderEmail:       "shop@example.org",
		},
	},
	{
		name: "several recipients and cc",
		raw:  crlf(msgSeveral),
		want: &Message{
			RecipientEmail:    "anna.berg@example.com",
			RecipientName:     "Berg, Anna",
			IgnoredRecipients: 2,
			Subject:           "Your order",
			SenderName:        "Shop",
			SenderEmail:       "shop@example.org",
		},
	},
	{
		name: "raw UTF-8 name and Unicode domain",
		raw:  crlf(msgRawUTF8),
		want: &Message{
			RecipientEmail: "åsa@exämple.example",
			RecipientName:  "Åsa Öberg",
			Subject:        "Beställning 4411",
			ReferenceID:    "4411",
			SenderName:     "Kökshörnan",
			SenderEmail:    "hej@kökshörnan.example",
		},
	},
	{
		name: "raw latin-1 header read as windows-1252",
		raw:  crlf("From: Shop <shop@example.org>\nTo: J\xf6rgen Str\xf6m <jorgen.strom@example.com>\nSubject: K\xf6p 12\n\nHej.\n"),
		want: &Message{
			RecipientEmail: "jorgen.strom@example.com",
			RecipientName:  "Jörgen Ström",
			Subject:        "Köp 12",
			ReferenceID:    "12",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
		},
	},
	{
		name: "raw header mixing UTF-8 and latin-1",
		raw:  crlf("From: Shop <shop@example.org>\nTo: \"Åsa \xd6berg\" <asa.oberg@example.com>\nSubject: Order\n\nHej.\n"),
		want: &Message{
			RecipientEmail: "asa.oberg@example.com",
			RecipientName:  "Åsa Öberg",
			Subject:        "Order",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
		},
	},
	{
		name: "windows-1252 and iso-8859-15 encoded words",
		raw:  crlf(msgWindows1252),
		want: &Message{
			RecipientEmail: "francois@example.org",
			RecipientName:  "François Müller",
			Subject:        "Commande € payée (ref. 1234)",
			ReferenceID:    "1234",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
		},
	},
	{
		name: "encoded word inside quotes",
		raw:  crlf(msgQuotedEncoded),
		want: &Message{
			RecipientEmail: "kristina@example.com",
			RecipientName:  "Kristina Häll",
			Subject:        "Order",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
		},
	},
	{
		name: "folded headers",
		raw:  crlf(msgFolded),
		want: &Message{
			RecipientEmail: "anna.berg@example.com",
			RecipientName:  "Anna Berg",
			Subject:        "Your order from our shop with a long subject line that was folded by the mailer, order number A-99812",
			ReferenceID:    "A-99812",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
		},
	},
	{
		name: "alternative LF only",
		raw:  msgAlternativeNative,
		want: &Message{
			MessageID:         "CAF=alt.88231@mail.skogsbutiken.example",
			RecipientEmail:    "anna.berg@example.com",
			RecipientName:     "Anna Berg",
			Subject:           "Din order 2024-88231 har skickats",
			ReferenceID:       "SO-88231",
			TemplateID:        "tmpl-sv-1",
			Locale:            "sv-SE",
			SenderName:        "Skogsbutiken",
			SenderEmail:       "kundtjanst@skogsbutiken.example",
			ReplyTo:           "omdome@skogsbutiken.example",
			PreferredSendTime: time.Date(2024, 12, 11, 9, 0, 0, 0, time.UTC),
			Tags:              []string{"vinter", "web"},
			Snippet:           SnippetNative,
			Date:              time.Date(2024, 12, 4, 9, 12, 44, 0, time.UTC),
		},
	},
	{
		name: "recipient only in snippet",
		raw:  crlf(msgNoToSnippet),
		want: &Message{
			RecipientEmail: "anna.berg@example.com",
			RecipientName:  "Anna Berg",
			Subject:        "Your order",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
			Snippet:        SnippetNative,
		},
	},
	{
		name: "snippet names another recipient",
		raw:  crlf(msgSnippetOtherRecipient),
		want: &Message{
			RecipientEmail: "per.nilsson@example.net",
			Subject:        "Your order",
			SenderName:     "Shop",
			SenderEmail:    "shop@example.org",
			Snippet:        SnippetNative,
		},
	},
	{
		name: "snippet below the depth limit",
		raw:  crlf(deepMessage(maxDepth - 1)),
		want: &Message{
			RecipientEmail: "anna.berg@example.com",
			Subject:        "Deep",
			ReferenceID:    "DEEP-1",
			Snippet:        SnippetNative,
		},
	},
	{
		name: "snippet beyond the depth limit",
		raw:  crlf(deepMessage(maxDepth + 5)),
		want: &Message{
			RecipientEmail: "anna.berg@example.com",
			Subject:        "Deep",
		},
	},
	{
		name: "exactly MaxMessageBytes",
		raw:  padTo(crlf(msgPlain), MaxMessageBytes),
		want: &Message{
			MessageID:      "20241203140502.1001@skogsbutiken.example",
			RecipientEmail: "anna.berg@example.com",
			RecipientName:  "Anna Berg",
			Subject:        "Orderbekräftelse för order #SO-1001",
			ReferenceID:    "SO-1001",
			SenderName:     "Skogsbutiken",
			SenderEmail:    "order@skogsbutiken.example",
			Date:           time.Date(2024, 12, 3, 14, 5, 2, 0, cet),
		},
	},
	{name: "missing To", raw: crlf(msgNoTo), wantErr: ErrNoRecipient},
	{name: "first To unusable", raw: crlf(msgBadTo), wantErr: ErrNoRecipient},
	{name: "empty input", raw: "", wantErr: ErrMalformed},
	{name: "garbage", raw: "\x00\x01\x02 this is not an e-mail message\n\xff\xfe", wantErr: ErrMalformed},
	{name: "starts with folded line", raw: " To: anna.berg@example.com\r\n\r\nHej\r\n", wantErr: ErrMalformed},
	{name: "header line without colon", raw: crlf("To: anna.berg@example.com\nAnna Berg SO-1001\n\nHej\n"), wantErr: ErrMalformed},
	{name: "too large", raw: crlf(msgPlain) + strings.Repeat("x", MaxMessageBytes), wantErr: ErrTooLarge},
	{name: "snippet not JSON", raw: crlf(msgSnippetSyntax), wantErr: ErrBadSnippet},
	{name: "snippet tags not array", raw: crlf(msgSnippetTagsType), wantErr: ErrBadSnippet},
	{name: "snippet bad recipientEmail", raw: crlf(msgSnippetBadEmail), wantErr: ErrBadSnippet},
	{name: "snippet bad replyTo", raw: crlf(msgSnippetBadReplyTo), wantErr: ErrBadSnippet},
	{name: "snippet bad preferredSendTime", raw: crlf(msgSnippetBadTime), wantErr: ErrBadSnippet},
	{name: "snippet is an array", raw: crlf(msgSnippetArray), wantErr: ErrBadSnippet},
	{name: "snippet is empty", raw: crlf(msgSnippetEmpty), wantErr: ErrBadSnippet},
	{name: "snippet HTML-escaped", raw: crlf(msgSnippetHTMLEscaped), wantErr: ErrBadSnippet},
}

var wantNested = &Message{
	MessageID:      "nested-1@sportlagret.example",
	RecipientEmail: "karl.holm@example.com",
	RecipientName:  "Karl Holm",
	Subject:        "Kvitto 778812",
	ReferenceID:    "SL-778812",
	TemplateID:     "kvitto",
	SenderName:     "Sportlagret AB",
	SenderEmail:    "order@sportlagret.example",
	Snippet:        SnippetNative,
	Date:           time.Date(2024, 12, 6, 8, 0, 0, 0, cet),
}

// padTo pads the body of msg with text lines to exactly n bytes.
func padTo(msg string, n int) string {
	line := strings.Repeat("x", 998) + "\r\n"
	pad := strings.Repeat(line, (n-len(msg))/len(line))
	return msg + pad + strings.Repeat("y", n-len(msg)-len(pad))
}

// deepMessage nests a snippet in levels multipart/mixed entities.
func deepMessage(levels int) string {
	var b strings.Builder
	b.WriteString("To: anna.berg@example.com\nSubject: Deep\n")
	for i := range levels {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"lvl%d\"\n\n--lvl%d\n", i, i)
	}
	b.WriteString("Content-Type: text/html\n\n")
	b.WriteString(`<script type="application/vnd.reviewdata.invitation+json">{"referenceId":"DEEP-1"}</script>` + "\n")
	for i := levels - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--lvl%d--\n", i)
	}
	return b.String()
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.raw))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || got != nil {
					t.Fatalf("Parse(%s) = %+v, %v, want error %v", tt.name, got, err, tt.wantErr)
				}
				return
			}

			if err != nil {
				t.Fatalf("Parse(%s) error = %v, want nil", tt.name, err)
			}
			if diff := messageDiff(got, tt.want); diff != "" {
				t.Errorf("Parse(%s) differs from want:\n%s", tt.name, diff)
			}
		})
	}
}

// messageDiff lists the fields in which got and want differ, comparing
// times with Equal. Addresses is compared only when want sets it;
// TestAddresses covers it.
func messageDiff(got, want *Message) string {
	var b strings.Builder
	gv, wv := reflect.ValueOf(*got), reflect.ValueOf(*want)
	for i := range gv.NumField() {
		if gv.Type().Field(i).Name == "Addresses" && want.Addresses == nil {
			continue
		}
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if gt, ok := g.(time.Time); ok {
			if !gt.Equal(w.(time.Time)) {
				fmt.Fprintf(&b, "%s = %v, want %v\n", gv.Type().Field(i).Name, g, w)
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			fmt.Fprintf(&b, "%s = %#v, want %#v\n", gv.Type().Field(i).Name, g, w)
		}
	}
	return b.String()
}

func TestParseSnippetFormatString(t *testing.T) {
	tests := []struct {
		name string
		f    SnippetFormat
		want string
	}{
		{name: "none", f: SnippetNone, want: "none"},
		{name: "native", f: SnippetNative, want: "native"},
		{name: "trustpilot", f: SnippetTrustpilot, want: "trustpilot"},
		{name: "unknown", f: SnippetFormat(9), want: "SnippetFormat(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.String(); got != tt.want {
				t.Errorf("SnippetFormat(%d).String() = %q, want %q", int(tt.f), got, tt.want)
			}
		})
	}
}

// TestSnippetNumericReference checks that an order number written as a JSON
// number, as many shops do, is taken with its digits as written.
func TestSnippetNumericReference(t *testing.T) {
	m, err := Parse([]byte(crlf(msgSnippetNumber)))
	if err != nil || m.ReferenceID != "5512001" {
		t.Errorf("Parse(numeric referenceId) = %q, %v, want \"5512001\", nil", refOf(m), err)
	}
}

func refOf(m *Message) string {
	if m == nil {
		return ""
	}
	return m.ReferenceID
}

func TestAddresses(t *testing.T) {
	raw := "From: Shop <shop@example.org>\r\n" +
		"To: Anna Berg <anna@example.com>, Svensson, Sven <sven@example.se>\r\n" +
		"Cc: Karin <karin@example.se>, not an address\r\n" +
		"Bcc: invitations@reviews.example.com\r\n" +
		"Subject: Order 12\r\n\r\nThanks\r\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"anna@example.com", "sven@example.se", "karin@example.se", "invitations@reviews.example.com"}
	if !reflect.DeepEqual(m.Addresses, want) {
		t.Errorf("Parse(To, Cc, Bcc).Addresses = %q, want %q", m.Addresses, want)
	}
}
