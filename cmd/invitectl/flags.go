package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageError is a command line the command cannot use. The command ends
// with status 2 and its usage on standard error.
type usageError struct {
	msg   string
	usage func(io.Writer)
}

func (e *usageError) Error() string { return e.msg }

// helpRequest asks for a command's usage on standard output.
type helpRequest struct {
	usage func(io.Writer)
}

func (e *helpRequest) Error() string { return "help requested" }

// cmdFlags is one command's flag set and what its usage shows.
type cmdFlags struct {
	*flag.FlagSet
	path     string // the command as typed, such as "erase date"
	synopsis string // the positional arguments, such as "NAME"
	summary  string
}

// newFlags returns an empty flag set for the command path.
func newFlags(path, synopsis, summary string) *cmdFlags {
	fs := flag.NewFlagSet("invitectl "+path, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, path: path, synopsis: synopsis, summary: summary}
}

// usage prints the command's usage line, summary and flags to w.
func (f *cmdFlags) usage(w io.Writer) {
	hasFlags := false
	f.VisitAll(func(*flag.Flag) { hasFlags = true })
	line := "Usage: invitectl " + f.path
	if hasFlags {
		line += " [flags]"
	}
	if f.synopsis != "" {
		line += " " + f.synopsis
	}
	fmt.Fprintf(w, "%s\n\n%s\n", line, f.summary)
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		f.SetOutput(w)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
}

// fail returns a usage error for this command.
func (f *cmdFlags) fail(format string, args ...any) error {
	return &usageError{msg: f.path + ": " + fmt.Sprintf(format, args...), usage: f.usage}
}

// parse parses args, where flags may come before and after positional
// arguments ("--" ends the flags), and checks that exactly the named
// positional arguments were given. Arg(i) returns them afterwards.
func (f *cmdFlags) parse(args []string, positional ...string) error {
	var pos []string
	for {
		if err := f.FlagSet.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return &helpRequest{usage: f.usage}
			}
			return f.fail("%v", err)
		}
		rest := f.FlagSet.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}

	if len(pos) < len(positional) {
		return f.fail("missing %s", strings.Join(positional[len(pos):], " "))
	}
	if len(pos) > len(positional) {
		return f.fail("unexpected argument %q", pos[len(positional)])
	}
	// Parse once more with only the positional arguments, so that Arg
	// returns them.
	return f.FlagSet.Parse(append([]string{"--"}, pos...))
}

// require fails unless each named flag has a non-empty value.
func (f *cmdFlags) require(names ...string) error {
	for _, name := range names {
		if fl := f.Lookup(name); fl == nil || fl.Value.String() == "" {
			return f.fail("-%s is required", name)
		}
	}
	return nil
}

// unitFlag defines -unit. Its value is a business unit id, or "-" for
// every unit where the command allows it.
// pageFlags defines -page-size, -page-token and -all for a list of noun.
func (f *cmdFlags) pageFlags(noun string) (*int32Flag, *string, *bool) {
	size := new(int32Flag)
	f.Var(size, "page-size", "`number` of "+noun+" per page (server default 50)")
	token := f.String("page-token", "", "continue from this page `token`")
	all := f.Bool("all", false, "follow page tokens to the end of the list")
	return size, token, all
}

func (f *cmdFlags) unitFlag(wildcard bool) *string {
	usage := "business unit `id`"
	if wildcard {
		usage += ", or - for every business unit (platform admins)"
	}
	return f.String("unit", "", usage)
}

// parent returns the resource name of business unit id.
func parent(id string) string { return "businessUnits/" + id }

// subcommand is one command of a group such as erase.
type subcommand struct {
	name    string
	summary string
	run     func(c *cli, args []string) error
}

// dispatch runs the command of group named by args[0] with the rest of
// args.
func dispatch(c *cli, group, summary string, subs []subcommand, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: invitectl %s <command> [flags] [arguments]\n\n%s\n\nCommands:\n", group, summary)
		for _, s := range subs {
			fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun 'invitectl %s <command> -h' for a command's flags.\n", group)
	}
	if len(args) == 0 {
		return &usageError{msg: group + ": missing command", usage: usage}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &helpRequest{usage: usage}
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(c, args[1:])
		}
	}
	return &usageError{msg: fmt.Sprintf("%s: unknown command %q", group, args[0]), usage: usage}
}
