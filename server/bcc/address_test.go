package bcc

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  []address
	}{
		{name: "empty", value: "  ", want: nil},
		{name: "bare", value: "anna.berg@example.com", want: []address{{email: "anna.berg@example.com"}}},
		{name: "angle only", value: "<anna.berg@example.com>", want: []address{{email: "anna.berg@example.com"}}},
		{name: "quoted name", value: `"Berg, Anna" <anna.berg@example.com>`, want: []address{{"Berg, Anna", "anna.berg@example.com"}}},
		{name: "comment name", value: "anna.berg@example.com (Anna Berg)", want: []address{{"Anna Berg", "anna.berg@example.com"}}},
		{name: "group", value: "Kunder: anna.berg@example.com, per@example.net;", want: []address{{email: "anna.berg@example.com"}, {email: "per@example.net"}}},
		{name: "empty group", value: "undisclosed-recipients:;", want: []address{}},
		{name: "unquoted comma", value: "Svensson, Sven <sven@example.com>", want: []address{{"Svensson, Sven", "sven@example.com"}}},
		{name: "unquoted comma twice", value: "Svensson, Sven <sven@example.com>,Holm,Karl <karl@example.com>", want: []address{{"Svensson, Sven", "sven@example.com"}, {"Holm,Karl", "karl@example.com"}}},
		{name: "comma after bare address", value: "per@example.net, Svensson, Sven <sven@example.com>", want: []address{{email: "per@example.net"}, {"Svensson, Sven", "sven@example.com"}}},
		{name: "address as name", value: "sven@example.com <sven@example.com>", want: []address{{"sven@example.com", "sven@example.com"}}},
		{name: "name without address", value: "Svensson, Sven", want: []address{{email: "Svensson, Sven"}}},
		{name: "unclosed angle", value: "Sven, S <sven@example.com", want: []address{{"Sven, S", "sven@example.com"}}},
		{name: "comma in comment", value: "sven@example.com (Svensson, Sven), x", want: []address{{"Svensson, Sven", "sven@example.com"}, {email: "x"}}},
		{name: "B-encoded latin-1", value: "=?ISO-8859-1?B?SvZyZ2VuIFN0cvZt?= <j@example.com>", want: []address{{"Jörgen Ström", "j@example.com"}}},
		{name: "unknown charset kept", value: "=?x-unknown?Q?Anna?= <anna@example.com>", want: []address{{"=?x-unknown?Q?Anna?=", "anna@example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseAddressList(tt.value)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseAddressList(%q) = %+v, want %+v", tt.value, got, tt.want)
			}
		})
	}
}

func TestValidAddress(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want bool
	}{
		{name: "plain", addr: "anna.berg@example.com", want: true},
		{name: "plus and case", addr: "Anna.Berg+order@Example.COM", want: true},
		{name: "unicode domain", addr: "kund@exämple.example", want: true},
		{name: "unicode local part", addr: "åsa@example.com", want: true},
		{name: "punycode domain", addr: "kund@xn--exmple-cua.example", want: true},
		{name: "max length", addr: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", want: true},
		{name: "too long", addr: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", want: false},
		{name: "empty", addr: "", want: false},
		{name: "no at", addr: "anna.example.com", want: false},
		{name: "two ats", addr: "anna@berg@example.com", want: false},
		{name: "empty local", addr: "@example.com", want: false},
		{name: "no dot in domain", addr: "anna@localhost", want: false},
		{name: "leading dot in domain", addr: "anna@.example.com", want: false},
		{name: "root dot after domain", addr: "anna@example.com.", want: true},
		{name: "two trailing dots", addr: "anna@example.com..", want: false},
		{name: "double dot", addr: "anna@example..com", want: false},
		{name: "space", addr: "anna berg@example.com", want: false},
		{name: "no-break space", addr: "anna\u00a0berg@example.com", want: false},
		{name: "tab", addr: "anna\t@example.com", want: false},
		{name: "control", addr: "anna\x00@example.com", want: false},
		{name: "line break", addr: "anna@example.com\r\nBcc: x@example.org", want: false},
		{name: "angle", addr: "<anna@example.com>", want: false},
		{name: "comma", addr: "anna@example.com,per@example.net", want: false},
		{name: "quote", addr: `"anna"@example.com`, want: false},
		{name: "invalid utf-8", addr: "anna\xff@example.com", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validAddress(tt.addr); got != tt.want {
				t.Errorf("validAddress(%q) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}
