package main

import (
	"errors"
	"fmt"
	"io"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// eraseCommands are the kinds of erasure a caller can ask for.
var eraseCommands = []subcommand{
	{"customer", "erase all invitation data about customers of one business unit", runEraseCustomer},
	{"date", "erase a business unit's invitation data up to and including a day", runEraseDate},
	{"consumer", "erase a consumer in every business unit (platform admins)", runEraseConsumer},
}

// runErase runs one of eraseCommands.
func runErase(c *cli, args []string) error {
	return dispatch(c, "erase", "Erase invitation data. Reviews already written stay online.", eraseCommands, args)
}

// runEraseCustomer erases customers of one business unit and prints the
// finished erasure, or with -dry-run the preview.
func runEraseCustomer(c *cli, args []string) error {
	f := newFlags("erase customer", "", "Erase all invitation data about customers of one business unit: invitations,\nqueued sends, link tokens, raw BCC e-mails and last-invited records.")
	unit := f.unitFlag(false)
	var emails listFlag
	f.Var(&emails, "email", "customer's e-mail `address`; repeatable")
	dryRun := f.Bool("dry-run", false, "preview: count what would be erased; erase nothing")
	requestID := f.String("request-id", "", "idempotency `key`: repeating it returns the first erasure")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("unit", "email"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.er.EraseCustomers(ctx, &pb.EraseCustomersRequest{
		Parent:         parent(*unit),
		EmailAddresses: emails,
		RequestId:      *requestID,
		ValidateOnly:   *dryRun,
	})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) { writeErasure(w, resp.GetErasure()) })
}

// runEraseDate asks for an erasure up to a date. The server runs it as a
// job; -wait follows it to the end.
func runEraseDate(c *cli, args []string) error {
	f := newFlags("erase date", "", "Erase all of a business unit's invitation data created up to and including a day.\nThe server runs the erasure as a job; -wait follows it to the end.")
	unit := f.unitFlag(false)
	dateText := f.String("date", "", "last `day` to erase, YYYY-MM-DD, inclusive")
	zone := f.String("zone", "", "IANA time `zone` the day is read in (default: the unit's)")
	dryRun := f.Bool("dry-run", false, "preview: count what would be erased; erase nothing")
	wait := f.Bool("wait", false, "wait for the erasure to finish, showing progress on standard error")
	requestID := f.String("request-id", "", "idempotency `key`: repeating it returns the first erasure")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("unit", "date"); err != nil {
		return err
	}
	date, err := parseDate(*dateText)
	if err != nil {
		return f.fail("-date: %v", err)
	}
	if *wait && *dryRun {
		return f.fail("-wait and -dry-run exclude each other: a preview does not run")
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.er.EraseUpToDate(ctx, &pb.EraseUpToDateRequest{
		Parent:       parent(*unit),
		Date:         date,
		TimeZone:     *zone,
		RequestId:    *requestID,
		ValidateOnly: *dryRun,
	})
	if err != nil {
		return err
	}
	if !*wait {
		return c.emit(resp, func(w io.Writer) { writeErasure(w, resp.GetErasure()) })
	}
	return c.showErasure(resp.GetErasure().GetName(), true)
}

// runEraseConsumer erases one consumer in every business unit.
func runEraseConsumer(c *cli, args []string) error {
	f := newFlags("erase consumer", "", "Erase one consumer's invitation data in every business unit and unsubscribe the\naddress from all invitations, for the platform acting as controller.")
	email := f.String("email", "", "consumer's e-mail `address`")
	dryRun := f.Bool("dry-run", false, "preview: count what would be erased; erase nothing")
	requestID := f.String("request-id", "", "idempotency `key`: repeating it returns the first erasure")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("email"); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.er.EraseConsumer(ctx, &pb.EraseConsumerRequest{
		EmailAddress: *email,
		RequestId:    *requestID,
		ValidateOnly: *dryRun,
	})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) { writeErasure(w, resp.GetErasure()) })
}

// errNoName means the server answered a request for a job without naming it.
var errNoName = errors.New("the server returned no erasure name to wait for")

// writeErasure writes an erasure. A preview says so first; a warning comes
// last, set apart.
func writeErasure(w io.Writer, e *pb.Erasure) {
	f := fields{w}
	if e.GetPreview() {
		f.line("PREVIEW: nothing was erased; the counts are what would be erased.")
	}
	f.add("name", e.GetName())
	f.add("kind", erasureKind(e.GetKind()))
	f.add("state", erasureState(e.GetState()))
	f.add("customers", nonZero(e.GetCustomerCount()))
	f.add("cut-off date", formatDate(e.GetCutOffDate()))
	f.add("time zone", e.GetTimeZone())
	f.add("cut-off time", formatTime(e.GetCutOffTime()))
	f.add("requested by", e.GetRequestedBy())
	f.add("request id", e.GetRequestId())
	f.add("created", formatTime(e.GetCreateTime()))
	f.add("started", formatTime(e.GetStartTime()))
	f.add("ended", formatTime(e.GetEndTime()))
	if !e.GetPreview() {
		f.add("progress", progressText(e))
	}
	f.add("receipt", e.GetReceipt())
	f.counts("counts", e.GetCounts())
	f.add("customers losing frequency protection", itoa(e.GetCustomersLosingFrequencyProtection()))
	if warning := e.GetWarning(); warning != "" {
		fmt.Fprintln(w)
		f.line("WARNING: " + warning)
	}
}

// progressText writes records_done/records_total (P%). A job with nothing
// in scope is 100% once it has succeeded.
func progressText(e *pb.Erasure) string {
	done, total := e.GetRecordsDone(), e.GetRecordsTotal()
	var pct int64
	switch {
	case total > 0:
		pct = min(done*100/total, 100)
	case e.GetState() == pb.Erasure_STATE_SUCCEEDED:
		pct = 100
	}
	return fmt.Sprintf("%d/%d (%d%%)", done, total, pct)
}
