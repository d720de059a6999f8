package clock

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is a calendar length of time: years, months and days, as a
// retention rule states it. "Three years" from 2025-03-01 is 1,096 days
// because 2028 has a leap day; a fixed number of days would expire data a
// day early.
type Period struct {
	Years, Months, Days int
}

// ErrPeriod means a period string is not of the form ParsePeriod takes.
var ErrPeriod = errors.New("clock: a period is written like 3y, 30d or 1y6m, and is not zero")

var periodPattern = regexp.MustCompile(`^(?:(\d{1,4})y)?(?:(\d{1,5})m)?(?:(\d{1,6})d)?$`)

// ParsePeriod reads a period such as "3y", "30d" or "1y6m".
func ParsePeriod(s string) (Period, error) {
	m := periodPattern.FindStringSubmatch(s)
	if m == nil || s == "" {
		return Period{}, ErrPeriod
	}
	n := func(v string) int {
		i, _ := strconv.Atoi(v)
		return i
	}
	p := Period{Years: n(m[1]), Months: n(m[2]), Days: n(m[3])}
	if p == (Period{}) {
		return Period{}, ErrPeriod
	}
	return p, nil
}

// String writes p in the form ParsePeriod reads.
func (p Period) String() string {
	s := ""
	if p.Years != 0 {
		s += fmt.Sprintf("%dy", p.Years)
	}
	if p.Months != 0 {
		s += fmt.Sprintf("%dm", p.Months)
	}
	if p.Days != 0 || s == "" {
		s += fmt.Sprintf("%dd", p.Days)
	}
	return s
}

// After returns t plus p on the UTC calendar: years and months first, then
// days. When the day of the month does not exist in the month reached (31
// January plus a month, 29 February plus a year), the answer is the start
// of the next month, the first instant after the days that do exist. After
// never decreases as t grows, so records kept in order of creation also
// expire in that order.
func (p Period) After(t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	months := int(m) - 1 + p.Months + 12*p.Years
	ty, tm := y+months/12, time.Month(months%12+1)
	var out time.Time
	if lastDay := time.Date(ty, tm+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > lastDay {
		out = time.Date(ty, tm+1, 1, 0, 0, 0, 0, time.UTC)
	} else {
		out = time.Date(ty, tm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	}
	return out.AddDate(0, 0, p.Days)
}

// Before is the inverse of After: the earliest creation time whose period
// has not run out at now. Everything created before it has expired at now,
// nothing from it on. Month ends make After skip, so a plain subtraction
// can be off by days; this searches After itself.
func (p Period) Before(now time.Time) time.Time {
	now = now.UTC()
	lo, hi := now.AddDate(-p.Years-1, -p.Months, -p.Days-1), now
	if p.After(hi).Compare(now) <= 0 {
		return hi // a period of nothing: all has expired
	}
	// Invariant: After(lo) <= now < After(hi).
	for hi.Sub(lo) > 1 {
		mid := lo.Add(hi.Sub(lo) / 2)
		if p.After(mid).After(now) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
