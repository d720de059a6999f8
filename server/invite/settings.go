package invite

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/reviewdata/invitations/server/mail"
	"github.com/reviewdata/invitations/storage"
)

// Limits on settings.
const (
	MaxSendDelay     = 90 * 24 * time.Hour
	MaxFrequencyDays = 1095
	maxTextLen       = 200
)

// Defaults returns the settings of a business unit that never saved any.
func Defaults(bu string) storage.Settings {
	return storage.Settings{
		SendDelay:       0,
		SendAtMinute:    -1,
		TimeZone:        "UTC",
		FrequencyDays:   0,
		DefaultLocale:   "en-US",
		DefaultTemplate: "default",
		SenderName:      bu,
	}
}

// Etag returns the etag of settings.
func Etag(s storage.Settings) string { return "v" + strconv.FormatUint(s.Version, 10) }

// SettingsPatch holds the fields to change; nil fields stay as they are.
type SettingsPatch struct {
	SendDelay       *time.Duration
	SendAtMinute    *int // -1 clears the time of day
	TimeZone        *string
	FrequencyDays   *int
	DefaultLocale   *string
	DefaultTemplate *string
	SenderName      *string
	ReplyTo         *string
}

// Settings returns the business unit's settings, or its defaults. Every
// create reads them, so they are kept in memory after the first read.
func (s *Service) Settings(ctx context.Context, bu string) (storage.Settings, error) {
	s.mu.RLock()
	st, ok := s.settings[bu]
	s.mu.RUnlock()
	if ok {
		return st, nil
	}

	err := s.store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		st, err = SettingsIn(tx, bu)
		return err
	})
	if err != nil {
		return st, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.settings[bu]; ok {
		return cur, nil // an update landed meanwhile
	}
	s.settings[bu] = st
	return st, nil
}

// SettingsIn reads bu's settings in tx, or the defaults when it has none.
func SettingsIn(tx storage.ReadTx, bu string) (storage.Settings, error) {
	st, ok, err := tx.Settings(bu)
	if err != nil || !ok {
		return Defaults(bu), err
	}
	return st, nil
}

// UpdateSettings applies p. A non-empty etag must match the stored
// settings' etag, else ErrEtagMismatch.
func (s *Service) UpdateSettings(ctx context.Context, bu string, p SettingsPatch, etag string) (storage.Settings, error) {
	if err := p.validate(); err != nil {
		return storage.Settings{}, err
	}

	// The cache is updated under the lock around the write, so no reader
	// can put an older value back after it.
	s.mu.Lock()
	defer s.mu.Unlock()
	var out storage.Settings
	err := s.store.Update(ctx, func(tx storage.WriteTx) error {
		st, err := SettingsIn(tx, bu)
		if err != nil {
			return err
		}
		if etag != "" && etag != Etag(st) {
			return ErrEtagMismatch
		}
		p.apply(&st)
		st.Version++
		st.UpdateTime = s.clock.Now().UTC()
		out = st
		return tx.PutSettings(bu, st)
	})
	if err == nil {
		s.settings[bu] = out
	}
	return out, err
}

func (p *SettingsPatch) validate() error {
	if d := p.SendDelay; d != nil && (*d < 0 || *d > MaxSendDelay) {
		return fieldErr("settings.send_delay", "must be between 0 and 90 days")
	}
	if m := p.SendAtMinute; m != nil && (*m < -1 || *m >= 24*60) {
		return fieldErr("settings.send_time_of_day", "hours must be 0 to 23 and minutes 0 to 59")
	}
	if tz := p.TimeZone; tz != nil {
		if _, err := LoadZone(*tz); err != nil {
			return fieldErr("settings.time_zone", "must be an IANA time zone name such as Europe/Stockholm")
		}
	}
	if f := p.FrequencyDays; f != nil && (*f < 0 || *f > MaxFrequencyDays) {
		return fieldErr("settings.frequency_days", "must be between 0 and 1095")
	}
	if l := p.DefaultLocale; l != nil {
		loc, err := mail.MatchLocale(*l)
		if err != nil {
			return fieldErr("settings.default_locale", "must be a supported locale (see ListTemplates)")
		}
		*l = loc
	}
	if t := p.DefaultTemplate; t != nil && !mail.HasTemplate(*t) {
		return fieldErr("settings.default_template_id", "must be a template id from ListTemplates")
	}
	if n := p.SenderName; n != nil {
		if *n == "" {
			return fieldErr("settings.sender_name", "must not be empty")
		}
		if err := checkText(*n); err != "" {
			return fieldErr("settings.sender_name", err)
		}
	}
	if r := p.ReplyTo; r != nil && *r != "" {
		if checkReplyTo(*r) != nil {
			return fieldErr("settings.reply_to", "must be a valid e-mail address with an ASCII local part")
		}
	}
	return nil
}

func (p *SettingsPatch) apply(st *storage.Settings) {
	setIf(&st.SendDelay, p.SendDelay)
	setIf(&st.SendAtMinute, p.SendAtMinute)
	setIf(&st.TimeZone, p.TimeZone)
	setIf(&st.FrequencyDays, p.FrequencyDays)
	setIf(&st.DefaultLocale, p.DefaultLocale)
	setIf(&st.DefaultTemplate, p.DefaultTemplate)
	setIf(&st.SenderName, p.SenderName)
	setIf(&st.ReplyTo, p.ReplyTo)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// LoadZone loads an IANA time zone. The empty name and "Local" are refused:
// a business's zone must not depend on the server's. Zones are read from
// disk once and kept: every invitation with a send time of day needs one.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, errBadZone
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// zones caches LoadZone by name. Only names that loaded are kept, so its
// size is bounded by the zone database.
var zones sync.Map

var errBadZone = fieldErr("time_zone", "must be an IANA time zone name")

// checkText returns a rule broken by a free-text field, or "".
func checkText(v string) string {
	switch {
	case !utf8.ValidString(v):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(v) > maxTextLen:
		return "must be at most 200 characters"
	}
	// The whole Unicode control range, C1 included: mail headers refuse
	// all of it, and an invitation that cannot be mailed must not be made.
	if strings.ContainsFunc(v, unicode.IsControl) {
		return "must not contain control characters"
	}
	return ""
}
