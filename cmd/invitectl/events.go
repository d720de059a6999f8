package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// runEvents lists erasure events after a cursor, or follows them.
func runEvents(c *cli, args []string) error {
	f := newFlags("events", "", "List erasure events after a cursor and print the cursor to continue from,\nor with -follow print each event as it happens until interrupted.")
	var after int64
	f.Int64Var(&after, "after", 0, "start after this event `sequence`; 0 means from the oldest held")
	var size int32Flag
	f.Var(&size, "page-size", "largest `number` of events to list (server default 50)")
	follow := f.Bool("follow", false, "stream events as they happen, until interrupted")
	if err := f.parse(args); err != nil {
		return err
	}
	if *follow {
		return c.followEvents(after)
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.er.ListErasureEvents(ctx, &pb.ListErasureEventsRequest{AfterSequence: after, PageSize: int32(size)})
	if err != nil {
		return err
	}
	cursor := after
	if evs := resp.GetEvents(); len(evs) > 0 {
		cursor = evs[len(evs)-1].GetSequence()
	}
	return c.emit(resp, func(w io.Writer) {
		for _, ev := range resp.GetEvents() {
			writeEvent(w, ev)
			fmt.Fprintln(w)
		}
		fields{w}.add("continue with", fmt.Sprintf("-after %d", cursor))
	})
}

// followEvents streams events after the sequence after and prints each as
// it arrives. The stream has no deadline; an interrupt ends it cleanly.
func (c *cli) followEvents(after int64) error {
	ctx, cancel := context.WithCancel(c.base)
	defer cancel()
	stream, err := c.er.StreamErasureEvents(c.authorize(ctx), &pb.StreamErasureEventsRequest{AfterSequence: after})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if c.base.Err() != nil || errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		err = c.emit(resp, func(w io.Writer) {
			writeEvent(w, resp.GetEvent())
			fmt.Fprintln(w)
		})
		if err != nil {
			return err
		}
	}
}

// writeEvent writes one erasure event, one line per e-mail hash.
func writeEvent(w io.Writer, ev *pb.ErasureEvent) {
	f := fields{w}
	f.add("sequence", itoa(ev.GetSequence()))
	f.add("kind", erasureKind(ev.GetKind()))
	f.add("erasure", ev.GetErasure())
	f.add("business unit", ev.GetBusinessUnit())
	f.add("cut-off time", formatTime(ev.GetCutOffTime()))
	f.add("bcc cut-off time", formatTime(ev.GetBccCutOffTime()))
	f.add("created", formatTime(ev.GetCreateTime()))
	for _, h := range ev.GetEmailHashes() {
		f.add("email hash", h)
	}
}
