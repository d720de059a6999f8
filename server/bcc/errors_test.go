package bcc

import (
	"errors"
	"strings"
	"testing"
)

// personal are the personal strings that appear in the test messages. No
// error text may contain any of them, compared without case.
var personal = []string{
	"anna", "berg", "per.nilsson", "nilsson", "sven", "lisa", "karl",
	"example.com", "example.net", "example.org", ".example", "localhost",
	"SO-1001", "5512001", "vinter", "skogsbutiken", "svar at", "Your order",
	"shop",
}

func TestParseErrorsHidePersonalData(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr error
	}{
		{name: "name without address", raw: crlf("To: Anna Berg\nSubject: Your order #SO-1001\n\nHej\n"), wantErr: ErrNoRecipient},
		{name: "malformed line after To", raw: crlf("To: anna.berg@example.com\nanna.berg@example.com SO-1001\n\n"), wantErr: ErrMalformed},
		{name: "malformed initial line", raw: " anna.berg@example.com SO-1001\r\n\r\n", wantErr: ErrMalformed},
		{name: "snippet wrong type in unknown case", raw: crlf(snippetHead + `<script type="application/json+trustpilot">{"RECIPIENTNAME":5512001}</script>`), wantErr: ErrBadSnippet},
		{name: "snippet nested wrong type", raw: crlf(snippetHead + `<script type="application/json+trustpilot">{"tags":["vinter",5512001]}</script>`), wantErr: ErrBadSnippet},
		{name: "snippet truncated", raw: crlf(snippetHead + `<script type="application/json+trustpilot">{"recipientName":"Anna Berg`), wantErr: ErrBadSnippet},
	}
	for _, tt := range parseTests {
		if tt.wantErr != nil {
			tests = append(tests, struct {
				name    string
				raw     string
				wantErr error
			}{tt.name, tt.raw, tt.wantErr})
		}
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.raw))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%s) error = %v, want %v", tt.name, err, tt.wantErr)
			}

			msg := strings.ToLower(err.Error())
			for _, p := range personal {
				if strings.Contains(msg, strings.ToLower(p)) {
					t.Errorf("Parse(%s) error %q contains personal string %q", tt.name, err, p)
				}
			}
		})
	}
}
