package main

import (
	"fmt"
	"io"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// runResolve shows what a review link is for, as the review site sees it.
func runResolve(c *cli, args []string) error {
	f := newFlags("resolve", "TOKEN", "Resolve a review link: TOKEN is its last path segment (review site).")
	if err := f.parse(args, "TOKEN"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.ResolveReviewLink(ctx, &pb.ResolveReviewLinkRequest{Token: f.Arg(0)})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) {
		f := fields{w}
		f.add("invitation", resp.GetInvitation())
		f.add("business unit", resp.GetBusinessUnit())
		f.add("state", invitationState(resp.GetState()))
		f.add("recipient name", resp.GetRecipientName())
		f.add("reference", resp.GetReferenceId())
		f.add("locale", resp.GetLocale())
	})
}

// runReview records that a review was written through a link.
func runReview(c *cli, args []string) error {
	f := newFlags("review", "TOKEN", "Record that a review was written through a review link (review site).")
	reviewID := f.String("review-id", "", "the review's `id` in the review system")
	if err := f.parse(args, "TOKEN"); err != nil {
		return err
	}
	if err := f.require("review-id"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.RecordReview(ctx, &pb.RecordReviewRequest{Token: f.Arg(0), ReviewId: *reviewID})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) {
		f := fields{w}
		f.add("invitation", resp.GetInvitation())
		f.add("reviewed", formatTime(resp.GetReviewTime()))
	})
}

// runUnsubscribe takes an unsubscribe through its link token.
func runUnsubscribe(c *cli, args []string) error {
	f := newFlags("unsubscribe", "TOKEN", "Unsubscribe a customer from one business unit: TOKEN is the last path segment\nof the unsubscribe link (review site).")
	if err := f.parse(args, "TOKEN"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.Unsubscribe(ctx, &pb.UnsubscribeRequest{Token: f.Arg(0)})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) {
		fields{w}.add("unsubscribed from", resp.GetBusinessUnit())
	})
}

// runResubscribe lifts an unsubscribe.
func runResubscribe(c *cli, args []string) error {
	f := newFlags("resubscribe", "", "Lift a customer's unsubscribe from one business unit, or with -unit - the\nplatform-wide opt-out (platform admins).")
	unit := f.unitFlag(true)
	email := f.String("email", "", "customer's e-mail `address`")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("unit", "email"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.Resubscribe(ctx, &pb.ResubscribeRequest{Parent: parent(*unit), EmailAddress: *email})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) {
		fmt.Fprintf(w, "unsubscribe lifted in %s\n", clean(parent(*unit)))
	})
}
