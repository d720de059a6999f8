package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// pollInterval is how often -wait asks for an erasure's progress.
const pollInterval = 500 * time.Millisecond

// erasureCommands read erasures.
var erasureCommands = []subcommand{
	{"show", "show an erasure, or wait for it to finish", runErasureShow},
	{"list", "list erasures, newest first", runErasureList},
}

// runErasure runs one of erasureCommands.
func runErasure(c *cli, args []string) error {
	return dispatch(c, "erasure", "Show or list erasures.", erasureCommands, args)
}

// runErasureShow shows one erasure.
func runErasureShow(c *cli, args []string) error {
	f := newFlags("erasure show", "NAME", "Show an erasure. NAME is businessUnits/{unit}/erasures/{id} or consumerErasures/{id}.")
	wait := f.Bool("wait", false, "wait for the erasure to finish, showing progress on standard error")
	if err := f.parse(args, "NAME"); err != nil {
		return err
	}
	return c.showErasure(f.Arg(0), *wait)
}

// showErasure prints the erasure name; with wait, once it has succeeded.
func (c *cli) showErasure(name string, wait bool) error {
	var resp *pb.GetErasureResponse
	var err error
	if wait {
		resp, err = c.waitErasure(name)
	} else {
		ctx, cancel := c.call()
		defer cancel()
		resp, err = c.er.GetErasure(ctx, &pb.GetErasureRequest{Name: name})
	}
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) { writeErasure(w, resp.GetErasure()) })
}

// waitErasure polls the erasure every pollInterval, each poll with its
// own deadline, until it has succeeded, and shows its progress on
// standard error. An interrupt stops the waiting, not the erasure.
func (c *cli) waitErasure(name string) (*pb.GetErasureResponse, error) {
	if name == "" {
		return nil, errNoName
	}
	p := &progress{w: c.stderr, terminal: isTerminal(c.stderr)}
	defer p.end()
	for {
		ctx, cancel := c.call()
		resp, err := c.er.GetErasure(ctx, &pb.GetErasureRequest{Name: name})
		cancel()
		if c.base.Err() != nil {
			return nil, fmt.Errorf("stopped waiting for %s; the server goes on with it", name)
		}
		if err != nil {
			return nil, err
		}
		e := resp.GetErasure()
		p.show(progressText(e))
		if e.GetState() == pb.Erasure_STATE_SUCCEEDED {
			return resp, nil
		}

		select {
		case <-c.base.Done():
			return nil, fmt.Errorf("stopped waiting for %s; the server goes on with it", name)
		case <-time.After(pollInterval):
		}
	}
}

// progress shows a line of progress: on a terminal by rewriting one line,
// elsewhere by writing a line each time the text changes.
type progress struct {
	w        io.Writer
	terminal bool
	last     string
}

// show displays text unless it is what is already shown.
func (p *progress) show(text string) {
	if text == p.last {
		return
	}
	if p.terminal {
		// Pad with spaces to cover a longer line before it.
		fmt.Fprintf(p.w, "\r%-*s", len(p.last), text)
	} else {
		fmt.Fprintln(p.w, text)
	}
	p.last = text
}

// end finishes the rewritten line on a terminal.
func (p *progress) end() {
	if p.terminal && p.last != "" {
		fmt.Fprintln(p.w)
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// runErasureList lists erasures as a table.
func runErasureList(c *cli, args []string) error {
	f := newFlags("erasure list", "", "List erasures, newest first.")
	unit := f.unitFlag(true)
	size, token, all := f.pageFlags("erasures")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.require("unit"); err != nil {
		return err
	}

	var rows [][]string
	next, err := c.pages(*all, *token, func(ctx context.Context, token string) (string, error) {
		resp, err := c.er.ListErasures(ctx, &pb.ListErasuresRequest{Parent: parent(*unit), PageSize: int32(*size), PageToken: token})
		if err != nil {
			return "", err
		}
		for _, e := range resp.GetErasures() {
			rows = append(rows, []string{e.GetName(), erasureKind(e.GetKind()), erasureState(e.GetState()),
				formatTime(e.GetCreateTime()), formatTime(e.GetEndTime()), progressText(e)})
		}
		return resp.GetNextPageToken(), c.printIfJSON(resp)
	})
	if err != nil || c.json {
		return err
	}
	if err := c.table([]string{"NAME", "KIND", "STATE", "CREATED", "ENDED", "PROGRESS"}, rows); err != nil {
		return err
	}
	return c.nextPage(next)
}
