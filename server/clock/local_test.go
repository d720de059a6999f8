package clock

import (
	"testing"
	"time"
	_ "time/tzdata"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q) = %v", name, err)
	}
	return loc
}

func TestLocalInstant(t *testing.T) {
	tests := []struct {
		name      string
		zone      string
		y         int
		m         time.Month
		d, hh, mm int
		want      string // RFC 3339 in UTC
	}{
		{"plain winter day", "Europe/Stockholm", 2026, 1, 15, 9, 0, "2026-01-15T08:00:00Z"},
		{"plain summer day", "Europe/Stockholm", 2026, 7, 15, 9, 0, "2026-07-15T07:00:00Z"},
		{"spring forward, inside the gap", "Europe/Stockholm", 2026, 3, 29, 2, 30, "2026-03-29T01:00:00Z"},
		{"spring forward, after the gap", "Europe/Stockholm", 2026, 3, 29, 3, 0, "2026-03-29T01:00:00Z"},
		{"spring forward, before the gap", "Europe/Stockholm", 2026, 3, 29, 1, 59, "2026-03-29T00:59:00Z"},
		{"fall back, reading shown twice", "Europe/Stockholm", 2026, 10, 25, 2, 30, "2026-10-25T00:30:00Z"},
		{"fall back, after", "Europe/Stockholm", 2026, 10, 25, 3, 0, "2026-10-25T02:00:00Z"},
		{"midnight skipped (Sao Paulo 2018)", "America/Sao_Paulo", 2018, 11, 4, 0, 0, "2018-11-04T03:00:00Z"},
		{"midnight shown twice (Sao Paulo 2019)", "America/Sao_Paulo", 2019, 2, 16, 23, 30, "2019-02-17T01:30:00Z"},
		{"half-hour zone", "Asia/Kolkata", 2026, 6, 1, 0, 0, "2026-05-31T18:30:00Z"},
		{"quarter-hour zone", "Asia/Kathmandu", 2026, 6, 1, 0, 0, "2026-05-31T18:15:00Z"},
		{"US spring forward", "America/New_York", 2026, 3, 8, 2, 15, "2026-03-08T07:00:00Z"},
		{"leap day", "UTC", 2028, 2, 29, 0, 0, "2028-02-29T00:00:00Z"},
		{"Samoa skipped a whole day", "Pacific/Apia", 2011, 12, 30, 0, 0, "2011-12-30T10:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LocalInstant(tt.y, tt.m, tt.d, tt.hh, tt.mm, mustLoad(t, tt.zone))
			if s := got.UTC().Format(time.RFC3339); s != tt.want {
				t.Errorf("LocalInstant(%d-%02d-%02d %02d:%02d %s) = %s, want %s", tt.y, tt.m, tt.d, tt.hh, tt.mm, tt.zone, s, tt.want)
			}
		})
	}
}
