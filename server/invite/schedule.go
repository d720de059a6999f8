package invite

import (
	"time"

	"github.com/reviewdata/invitations/server/clock"
	"github.com/reviewdata/invitations/storage"
)

// SendTime is when an invitation created at created is due. A preferred
// send time wins (but never before creation). Otherwise the send delay is
// added, then, if a time of day is set, the time moves to the next moment
// at or after it when the business unit's clock shows that time. On a day
// when the clock skips that time, it is the end of the skip; when the clock
// shows it twice, the first.
func SendTime(created time.Time, st storage.Settings, preferred time.Time) time.Time {
	if !preferred.IsZero() {
		if preferred.Before(created) {
			return created
		}
		return preferred
	}

	t := created.Add(st.SendDelay)
	if st.SendAtMinute < 0 {
		return t
	}
	loc, err := LoadZone(st.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	local := t.In(loc)
	h, m := st.SendAtMinute/60, st.SendAtMinute%60
	for day := 0; day < 3; day++ {
		cand := clock.LocalInstant(local.Year(), local.Month(), local.Day()+day, h, m, loc)
		if !cand.Before(t) {
			return cand.UTC()
		}
	}
	return t
}
