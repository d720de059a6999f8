package main

import (
	"fmt"
	"io"
	"os"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/bcc"
)

// maxMessage is the most runBCC reads: one byte more than the server's
// limit, so that the server, not the client, refuses a message too large.
const maxMessage = bcc.MaxMessageBytes + 1

// stdin is where "bcc -unit U -" reads the message.
var stdin io.Reader = os.Stdin

// runBCC hands an order e-mail to the service as the mail gateway would.
func runBCC(c *cli, args []string) error {
	f := newFlags("bcc", "FILE", "Ingest an order e-mail (RFC 5322) that a business sent with the platform's address\nin BCC, as the mail gateway does. FILE - reads standard input.")
	unit := f.unitFlag(false)
	if err := f.parse(args, "FILE"); err != nil {
		return err
	}
	if err := f.require("unit"); err != nil {
		return err
	}
	raw, err := readMessage(f.Arg(0))
	if err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.inv.IngestBccMessage(ctx, &pb.IngestBccMessageRequest{Parent: parent(*unit), RawMessage: raw})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) {
		f := fields{w}
		f.add("bcc message", resp.GetBccMessage())
		if resp.GetDuplicate() {
			f.add("duplicate", "yes: seen before, no new invitation")
		}
		f.add("ignored recipients", nonZero(resp.GetIgnoredRecipients()))
		writeInvitation(w, resp.GetInvitation())
	})
}

// readMessage reads the message from the file name, or standard input
// for "-".
func readMessage(name string) ([]byte, error) {
	r := stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("reading message: %w", err)
		}
		defer file.Close()
		r = file
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxMessage))
	if err != nil {
		return nil, fmt.Errorf("reading message: %w", err)
	}
	return raw, nil
}
