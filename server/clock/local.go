package clock

import "time"

// LocalInstant returns the first instant at which clocks in loc show the
// given date and time of day. On a day when clocks jump forward past that
// reading, it returns the instant the jump ends; on a day when they fall
// back and show it twice, the earlier one. Out-of-range values normalize as
// in time.Date.
func LocalInstant(year int, month time.Month, day, hour, minute int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, hour, minute, 0, 0, loc)
	want := time.Date(year, month, day, hour, minute, 0, 0, time.UTC)

	// time.Date picks one of the two offsets around a transition without
	// saying which. Try the instant under each nearby offset and keep the
	// earliest that reads as wanted.
	var best time.Time
	for _, probe := range []time.Time{t.Add(-3 * time.Hour), t, t.Add(3 * time.Hour)} {
		_, offset := probe.Zone()
		cand := want.Add(-time.Duration(offset) * time.Second)
		if sameReading(cand.In(loc), want) && (best.IsZero() || cand.Before(best)) {
			best = cand
		}
	}
	if !best.IsZero() {
		return best.In(loc)
	}

	// The reading falls in a gap: the answer is the end of the gap, the
	// first instant after the wanted reading.
	for _, probe := range []time.Time{t.Add(-3 * time.Hour), t} {
		_, end := probe.ZoneBounds()
		if !end.IsZero() && readingAfter(end.In(loc), want) && !readingAfter(end.Add(-time.Nanosecond).In(loc), want) {
			return end.In(loc)
		}
	}
	return t
}

// StartOfDay returns the first instant of a date in loc.
func StartOfDay(year int, month time.Month, day int, loc *time.Location) time.Time {
	return LocalInstant(year, month, day, 0, 0, loc)
}

func sameReading(t, want time.Time) bool {
	y, m, d := t.Date()
	wy, wm, wd := want.Date()
	return y == wy && m == wm && d == wd && t.Hour() == want.Hour() && t.Minute() == want.Minute() && t.Second() == 0
}

// readingAfter reports whether the wall clock of t reads later than want.
func readingAfter(t, want time.Time) bool {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return wall.After(want)
}
