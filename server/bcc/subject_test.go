package bcc

import "testing"

func TestSubjectReference(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		want    string
	}{
		{name: "empty", subject: "", want: ""},
		{name: "no digits", subject: "Thank you for your order", want: ""},
		{name: "hash", subject: "Order #12345 confirmed", want: "12345"},
		{name: "hash with letters", subject: "Your order #SO-1001 has shipped", want: "SO-1001"},
		{name: "first hash wins", subject: "Order #A1 replaces #B2", want: "A1"},
		{name: "hash beats later digits", subject: "Order #ABC shipped 2024-12-01", want: "ABC"},
		{name: "hash in parentheses", subject: "Your order (#A-1001) has shipped", want: "A-1001"},
		{name: "hash with trailing punctuation", subject: "Order #778812: shipped", want: "778812"},
		{name: "bare hash skipped", subject: "We're # 1 for order 5512", want: "5512"},
		{name: "double hash", subject: "Ticket ##42", want: "#42"},
		{name: "last digit token", subject: "Order 1001 of customer 77 confirmed", want: "77"},
		{name: "trailing period", subject: "Order confirmation 2024-5512.", want: "2024-5512"},
		{name: "trailing punctuation", subject: "Kvitto: 778812;", want: "778812"},
		{name: "parenthesised", subject: "Commande payée (ref. 1234)", want: "1234"},
		{name: "digit inside word", subject: "Your A4 paper order", want: "A4"},
		{name: "non-ASCII digits ignored", subject: "Order ٣٤٥ received", want: ""},
		{name: "unicode spaces", subject: "Order\u00a0#77\u2003shipped", want: "77"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := subjectReference(tt.subject); got != tt.want {
				t.Errorf("subjectReference(%q) = %q, want %q", tt.subject, got, tt.want)
			}
		})
	}
}
