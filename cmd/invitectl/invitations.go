package main

import (
	"context"
	"io"
	"strings"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// runCreate creates one invitation.
func runCreate(c *cli, args []string) error {
	f := newFlags("create", "", "Create an invitation and queue it for sending.")
	unit := f.unitFlag(false)
	inv := &pb.Invitation{}
	f.StringVar(&inv.RecipientEmail, "email", "", "customer's e-mail `address` (required)")
	f.StringVar(&inv.RecipientName, "name", "", "customer's `name` for the greeting")
	f.StringVar(&inv.ReferenceId, "ref", "", "the business's order or customer `reference`")
	f.StringVar(&inv.Locale, "locale", "", "e-mail `locale` such as sv-SE (default: the unit's)")
	f.StringVar(&inv.TemplateId, "template", "", "template `id` (default: the unit's); see templates")
	f.StringVar(&inv.SenderName, "sender-name", "", "sender display `name` (default: the unit's)")
	f.StringVar(&inv.ReplyTo, "reply-to", "", "reply-to `address` (default: the unit's)")
	var tags listFlag
	f.Var(&tags, "tag", "`tag` to attach; repeatable")
	var sendAt timeFlag
	f.Var(&sendAt, "send-at", "preferred send `time`, RFC 3339 (default: the unit's delay)")
	requestID := f.String("request-id", "", "idempotency `key`: repeating it returns the first result")
	dryRun := f.Bool("dry-run", false, "validate and check the frequency rule only; store nothing")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("unit", "email"); err != nil {
		return err
	}
	inv.Tags = tags
	inv.PreferredSendTime = sendAt.ts

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.CreateInvitation(ctx, &pb.CreateInvitationRequest{
		Parent:       parent(*unit),
		Invitation:   inv,
		RequestId:    *requestID,
		ValidateOnly: *dryRun,
	})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) {
		if *dryRun {
			fields{w}.line("DRY RUN: the invitation is valid; nothing was stored.")
		}
		writeInvitation(w, resp.GetInvitation())
	})
}

// invitationStates are the words -state takes.
var invitationStates = strings.Join(enumWords(pb.Invitation_State_value, "STATE_"), "|")

// runList lists a business unit's invitations as a table.
func runList(c *cli, args []string) error {
	f := newFlags("list", "", "List a business unit's invitations, oldest first.")
	unit := f.unitFlag(false)
	req := &pb.ListInvitationsRequest{}
	f.StringVar(&req.RecipientEmail, "email", "", "only invitations to this `address`")
	f.Func("state", "only invitations in this `state`: "+invitationStates, func(v string) error {
		s, err := parseEnum(pb.Invitation_State_value, "STATE_", v)
		req.State = pb.Invitation_State(s)
		return err
	})
	var from, to timeFlag
	f.Var(&from, "from", "only invitations created at or after this `time`, RFC 3339")
	f.Var(&to, "to", "only invitations created before this `time`, RFC 3339")
	size, token, all := f.pageFlags("invitations")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("unit"); err != nil {
		return err
	}
	req.Parent = parent(*unit)
	req.CreateTimeStart, req.CreateTimeEnd = from.ts, to.ts
	req.PageSize = int32(*size)

	var rows [][]string
	next, err := c.pages(*all, *token, func(ctx context.Context, token string) (string, error) {
		req.PageToken = token
		resp, err := c.inv.ListInvitations(ctx, req)
		if err != nil {
			return "", err
		}
		for _, inv := range resp.GetInvitations() {
			rows = append(rows, []string{inv.GetName(), invitationState(inv.GetState()),
				formatTime(inv.GetCreateTime()), formatTime(inv.GetScheduledSendTime()), inv.GetRecipientEmail()})
		}
		return resp.GetNextPageToken(), c.printIfJSON(resp)
	})
	if err != nil || c.json {
		return err
	}
	if err := c.table([]string{"NAME", "STATE", "CREATED", "SCHEDULED", "RECIPIENT"}, rows); err != nil {
		return err
	}
	return c.nextPage(next)
}

// runGet shows one invitation.
func runGet(c *cli, args []string) error {
	f := newFlags("get", "NAME", "Show one invitation. NAME is businessUnits/{unit}/invitations/{id}.")
	if err := f.parse(args, "NAME"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.GetInvitation(ctx, &pb.GetInvitationRequest{Name: f.Arg(0)})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) { writeInvitation(w, resp.GetInvitation()) })
}

// runCancel cancels a queued invitation.
func runCancel(c *cli, args []string) error {
	f := newFlags("cancel", "NAME", "Cancel a queued invitation so that it is never sent.")
	if err := f.parse(args, "NAME"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.CancelInvitation(ctx, &pb.CancelInvitationRequest{Name: f.Arg(0)})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) { writeInvitation(w, resp.GetInvitation()) })
}

// runTemplates lists every built-in template, following page tokens.
func runTemplates(c *cli, args []string) error {
	f := newFlags("templates", "", "List the built-in e-mail templates.")
	locale := f.String("locale", "", "only templates written in this `locale`, such as da-DK")
	if err := f.parse(args); err != nil {
		return err
	}

	var rows [][]string
	_, err := c.pages(true, "", func(ctx context.Context, token string) (string, error) {
		resp, err := c.inv.ListTemplates(ctx, &pb.ListTemplatesRequest{Locale: *locale, PageToken: token})
		if err != nil {
			return "", err
		}
		for _, t := range resp.GetTemplates() {
			rows = append(rows, []string{t.GetTemplateId(), t.GetDisplayName(), strings.Join(t.GetLocales(), ",")})
		}
		return resp.GetNextPageToken(), c.printIfJSON(resp)
	})
	if err != nil || c.json {
		return err
	}
	return c.table([]string{"TEMPLATE", "DISPLAY NAME", "LOCALES"}, rows)
}

// writeInvitation writes the fields of an invitation that are set.
func writeInvitation(w io.Writer, inv *pb.Invitation) {
	f := fields{w}
	f.add("name", inv.GetName())
	f.add("state", invitationState(inv.GetState()))
	f.add("state reason", inv.GetStateReason())
	if s := inv.GetSource(); s != pb.Invitation_SOURCE_UNSPECIFIED {
		f.add("source", enumWord(s.String(), "SOURCE_"))
	}
	f.add("recipient", inv.GetRecipientEmail())
	f.add("recipient name", inv.GetRecipientName())
	f.add("reference", inv.GetReferenceId())
	f.add("locale", inv.GetLocale())
	f.add("template", inv.GetTemplateId())
	f.add("sender name", inv.GetSenderName())
	f.add("reply to", inv.GetReplyTo())
	f.add("tags", strings.Join(inv.GetTags(), ","))
	f.add("preferred send time", formatTime(inv.GetPreferredSendTime()))
	f.add("created", formatTime(inv.GetCreateTime()))
	f.add("scheduled send time", formatTime(inv.GetScheduledSendTime()))
	f.add("sent", formatTime(inv.GetSendTime()))
	f.add("delivery attempts", nonZero(inv.GetDeliveryAttempts()))
	f.add("review link", inv.GetReviewLink())
	f.add("reviewed", formatTime(inv.GetReviewTime()))
	f.add("expires", formatTime(inv.GetExpireTime()))
}
