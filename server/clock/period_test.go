package clock

import (
	"errors"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in   string
		want Period
		err  error
	}{
		{"3y", Period{Years: 3}, nil},
		{"30d", Period{Days: 30}, nil},
		{"1y6m", Period{Years: 1, Months: 6}, nil},
		{"2y3m4d", Period{2, 3, 4}, nil},
		{"", Period{}, ErrPeriod},
		{"0d", Period{}, ErrPeriod},
		{"3 years", Period{}, ErrPeriod},
		{"-1d", Period{}, ErrPeriod},
		{"30d3y", Period{}, ErrPeriod},
	}
	for _, tt := range tests {
		got, err := ParsePeriod(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("ParsePeriod(%q) = %v, %v, want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("Period.String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestPeriodAfter(t *testing.T) {
	three := Period{Years: 3}
	tests := []struct {
		name string
		from time.Time
		p    Period
		want time.Time
	}{
		{"across a leap day", time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), three, time.Date(2028, 3, 1, 10, 0, 0, 0, time.UTC)},
		{"from a leap day", time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC), three, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"month end past a short month", time.Date(2025, 1, 31, 10, 0, 0, 0, time.UTC), Period{Months: 1}, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"month end into a leap February", time.Date(2028, 1, 29, 10, 0, 0, 0, time.UTC), Period{Months: 1}, time.Date(2028, 2, 29, 10, 0, 0, 0, time.UTC)},
		{"year and a half", time.Date(2025, 8, 31, 10, 0, 0, 0, time.UTC), Period{Years: 1, Months: 6}, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"to a leap day", time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC), three, time.Date(2028, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"30 days over February", time.Date(2028, 2, 15, 0, 0, 0, 0, time.UTC), Period{Days: 30}, time.Date(2028, 3, 16, 0, 0, 0, 0, time.UTC)},
		{"zone is ignored", time.Date(2025, 3, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), Period{Days: 1}, time.Date(2025, 3, 1, 23, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.After(tt.from); !got.Equal(tt.want) {
				t.Errorf("%v.After(%v) = %v, want %v", tt.p, tt.from, got, tt.want)
			}
		})
	}
}

// TestPeriodAfterNeverDecreases walks every hour of three years under
// several periods and checks that a later start never expires earlier.
func TestPeriodAfterNeverDecreases(t *testing.T) {
	for _, p := range []Period{{Months: 1}, {Years: 1}, {Years: 3}, {Years: 1, Months: 6}, {Days: 30}, {Months: 1, Days: 1}} {
		prev := p.After(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		for tm := time.Date(2027, 1, 1, 1, 0, 0, 0, time.UTC); tm.Year() < 2030; tm = tm.Add(time.Hour) {
			got := p.After(tm)
			if got.Before(prev) {
				t.Fatalf("%v.After(%v) = %v, before the answer for an hour earlier, %v", p, tm, got, prev)
			}
			if !got.After(tm) {
				t.Fatalf("%v.After(%v) = %v, not after the start", p, tm, got)
			}
			prev = got
		}
	}
}

func TestPeriodBefore(t *testing.T) {
	tests := []struct {
		p    Period
		now  time.Time
		want time.Time
	}{
		// 28 February plus a month ends on 28 March; 29 February to 1
		// March would end as April begins: on 30 March, February's
		// records have expired and March's have not. Subtracting a month
		// from 30 March gives 2 March instead.
		{Period{Months: 1}, time.Date(2027, 3, 30, 12, 0, 0, 0, time.UTC), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{Period{Days: 30}, time.Date(2027, 3, 30, 12, 0, 0, 0, time.UTC), time.Date(2027, 2, 28, 12, 0, 0, 1, time.UTC)},
		// Made on 29 February 2028, kept until 1 March 2031 begins.
		{Period{Years: 3}, time.Date(2031, 2, 28, 23, 0, 0, 0, time.UTC), time.Date(2028, 2, 28, 23, 0, 0, 1, time.UTC)},
		{Period{Years: 3}, time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 3, 1, 0, 0, 0, 1, time.UTC)},
	}
	for _, tt := range tests {
		if got := tt.p.Before(tt.now); !got.Equal(tt.want) {
			t.Errorf("%v.Before(%v) = %v, want %v", tt.p, tt.now, got, tt.want)
		}
	}
}

// TestPeriodBeforeSplitsExpired checks over a year of hours that Before
// splits creation times exactly: one nanosecond earlier has expired, the
// answer itself has not.
func TestPeriodBeforeSplitsExpired(t *testing.T) {
	for _, p := range []Period{{Months: 1}, {Years: 3}, {Years: 1, Months: 6}, {Days: 30}, {Months: 1, Days: 1}} {
		for now := time.Date(2031, 1, 1, 0, 30, 0, 0, time.UTC); now.Year() < 2032; now = now.Add(7 * time.Hour) {
			b := p.Before(now)
			if !p.After(b).After(now) || p.After(b.Add(-1)).After(now) {
				t.Fatalf("%v.Before(%v) = %v: After gives %v there and %v a nanosecond earlier", p, now, b, p.After(b), p.After(b.Add(-1)))
			}
		}
	}
}
