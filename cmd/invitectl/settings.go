package main

import (
	"flag"
	"fmt"
	"io"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// runSettings shows a business unit's settings, or with "set" changes them.
func runSettings(c *cli, args []string) error {
	if len(args) > 0 && args[0] == "set" {
		return runSettingsSet(c, args[1:])
	}
	f := newFlags("settings", "", "Show a business unit's timing and frequency settings.\nUse 'invitectl settings set' to change them.")
	unit := f.unitFlag(false)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("unit"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.GetInvitationSettings(ctx, &pb.GetInvitationSettingsRequest{Name: parent(*unit) + "/invitationSettings"})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) { writeSettings(w, resp.GetSettings()) })
}

// runSettingsSet changes the settings named by the flags given, and only
// those.
func runSettingsSet(c *cli, args []string) error {
	req, err := settingsUpdate(args)
	if err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.UpdateInvitationSettings(ctx, req)
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) { writeSettings(w, resp.GetSettings()) })
}

// settingsPaths maps the flags of settings set to update_mask paths.
var settingsPaths = map[string]string{
	"delay":          "send_delay",
	"time-of-day":    "send_time_of_day",
	"zone":           "time_zone",
	"frequency-days": "frequency_days",
	"locale":         "default_locale",
	"template":       "default_template_id",
	"sender-name":    "sender_name",
	"reply-to":       "reply_to",
}

// settingsUpdate reads the command line of settings set into a request
// whose update_mask names exactly the settings given on it. Values are
// left to the server to judge.
func settingsUpdate(args []string) (*pb.UpdateInvitationSettingsRequest, error) {
	f := newFlags("settings set", "", "Change a business unit's settings. Only the settings named by flags change.")
	unit := f.unitFlag(false)
	st := &pb.InvitationSettings{}
	f.Func("delay", "send `delay` after creation, such as 7d, 36h or 0", func(v string) error {
		d, err := parseDuration(v)
		st.SendDelay = durationpb.New(d)
		return err
	})
	f.Func("time-of-day", "send at the next `HH:MM` local time after the delay, or none", func(v string) error {
		var err error
		st.SendTimeOfDay, err = parseTimeOfDay(v)
		return err
	})
	f.StringVar(&st.TimeZone, "zone", "", "IANA time `zone`, such as Europe/Stockholm")
	f.Var((*int32Flag)(&st.FrequencyDays), "frequency-days", "invite a customer at most once in `N` days; 0 switches the rule off")
	f.StringVar(&st.DefaultLocale, "locale", "", "default `locale` of invitations")
	f.StringVar(&st.DefaultTemplateId, "template", "", "default template `id` of invitations")
	f.StringVar(&st.SenderName, "sender-name", "", "default sender display `name`")
	f.StringVar(&st.ReplyTo, "reply-to", "", "default reply-to `address`; empty clears it")
	f.StringVar(&st.Etag, "etag", "", "refuse the change if the settings' `etag` changed since it was read")
	if err := f.parse(args); err != nil {
		return nil, err
	}
	if err := f.require("unit"); err != nil {
		return nil, err
	}

	mask := &fieldmaskpb.FieldMask{}
	f.Visit(func(fl *flag.Flag) {
		if path, ok := settingsPaths[fl.Name]; ok {
			mask.Paths = append(mask.Paths, path)
		}
	})
	if len(mask.Paths) == 0 {
		return nil, f.fail("name at least one setting to change")
	}
	st.Name = parent(*unit) + "/invitationSettings"
	return &pb.UpdateInvitationSettingsRequest{Settings: st, UpdateMask: mask}, nil
}

// writeSettings writes a business unit's settings.
func writeSettings(w io.Writer, st *pb.InvitationSettings) {
	f := fields{w}
	f.add("name", st.GetName())
	f.add("send delay", formatDuration(st.GetSendDelay()))
	if t := st.GetSendTimeOfDay(); t != nil {
		f.add("send time of day", fmt.Sprintf("%02d:%02d", t.GetHours(), t.GetMinutes()))
	} else {
		f.add("send time of day", "none")
	}
	f.add("time zone", st.GetTimeZone())
	f.add("frequency days", itoa(st.GetFrequencyDays()))
	f.add("default locale", st.GetDefaultLocale())
	f.add("default template", st.GetDefaultTemplateId())
	f.add("sender name", st.GetSenderName())
	f.add("reply to", st.GetReplyTo())
	f.add("etag", st.GetEtag())
	f.add("updated", formatTime(st.GetUpdateTime()))
}
