package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// receiptKinds are the words -kind takes.
var receiptKinds = strings.Join(enumWords(pb.ErasureKind_value, "ERASURE_KIND_"), "|")

// runReceipts lists erasure receipts, or with "verify" checks their chain.
func runReceipts(c *cli, args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		return runReceiptsVerify(c, args[1:])
	}
	f := newFlags("receipts", "", "List erasure receipts in chain order.\nUse 'invitectl receipts verify' to check the chain.")
	unit := f.unitFlag(true)
	req := &pb.ListErasureReceiptsRequest{}
	f.Func("kind", "only receipts of this `kind`: "+receiptKinds, func(v string) error {
		k, err := parseEnum(pb.ErasureKind_value, "ERASURE_KIND_", v)
		req.Kind = pb.ErasureKind(k)
		return err
	})
	size, token, all := f.pageFlags("receipts")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("unit"); err != nil {
		return err
	}
	req.Parent = parent(*unit)
	req.PageSize = int32(*size)

	var rows [][]string
	next, err := c.pages(*all, *token, func(ctx context.Context, token string) (string, error) {
		req.PageToken = token
		resp, err := c.er.ListErasureReceipts(ctx, req)
		if err != nil {
			return "", err
		}
		for _, r := range resp.GetReceipts() {
			rows = append(rows, []string{itoa(r.GetSequence()), erasureKind(r.GetKind()), r.GetBusinessUnit(),
				r.GetRequestedBy(), formatTime(r.GetEndTime()), itoa(r.GetCounts().GetInvitations()), r.GetHash()})
		}
		return resp.GetNextPageToken(), c.printIfJSON(resp)
	})
	if err != nil || c.json {
		return err
	}
	if err := c.table([]string{"SEQ", "KIND", "BUSINESS UNIT", "REQUESTED BY", "ENDED", "INVITATIONS", "HASH"}, rows); err != nil {
		return err
	}
	return c.nextPage(next)
}

// runReceiptsVerify checks the receipt chain. A broken chain ends the
// command with status 1.
func runReceiptsVerify(c *cli, args []string) error {
	f := newFlags("receipts verify", "", "Check a business unit's receipt hash chain, or without -unit every chain (platform admins). Exits with status 1 when a chain is broken.")
	unit := f.String("unit", "", "business `unit` whose chain to check; empty or - for every chain")
	if err := f.parse(args); err != nil {
		return err
	}
	req := &pb.VerifyErasureReceiptsRequest{}
	if *unit != "" {
		req.Parent = parent(*unit)
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.er.VerifyErasureReceipts(ctx, req)
	if err != nil {
		return err
	}
	err = c.emit(resp, func(w io.Writer) {
		f := fields{w}
		if resp.GetIntact() {
			f.line("receipt chain intact")
		} else {
			chain := resp.GetBrokenChain()
			if chain == "" {
				chain = "the chain across business units"
			}
			f.line(fmt.Sprintf("receipt chain BROKEN in %s at sequence %d: %s", chain, resp.GetBrokenAtSequence(), resp.GetProblem()))
		}
		f.add("receipts checked", itoa(resp.GetReceiptsChecked()))
		if resp.GetHeadHash() != "" {
			f.add("head hash", resp.GetHeadHash())
		}
	})
	if err == nil && !resp.GetIntact() {
		return errSilent
	}
	return err
}
