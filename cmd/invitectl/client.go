package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// defaultAddr is where the server listens without a configuration.
const defaultAddr = "127.0.0.1:50051"

// cli is one invocation: the global options, the output streams and, once
// connected, the service clients.
type cli struct {
	addr    string
	token   string
	timeout time.Duration
	json    bool

	base   context.Context // parent of every call; ends on SIGINT
	stdout io.Writer
	stderr io.Writer

	conn   *grpc.ClientConn
	inv    pb.InvitationServiceClient
	er     pb.ErasureServiceClient
	health healthpb.HealthClient
}

// runContext is run with the context calls derive from, so tests can end
// an event stream without sending a signal.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{base: ctx, stdout: stdout, stderr: stderr}
	global := c.globalFlags()
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(stdout, global)
			return 0
		}
		fmt.Fprintf(stderr, "invitectl: %v\n", err)
		c.usage(stderr, global)
		return 2
	}
	rest := global.Args()
	if len(rest) == 0 {
		fmt.Fprintln(stderr, "invitectl: no command")
		c.usage(stderr, global)
		return 2
	}

	name, args := rest[0], rest[1:]
	if name == "help" {
		return c.help(global, args)
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "invitectl: unknown command %q\n", name)
		c.usage(stderr, global)
		return 2
	}
	if c.timeout <= 0 {
		fmt.Fprintln(stderr, "invitectl: -timeout must be positive")
		c.usage(stderr, global)
		return 2
	}

	if err := c.connect(); err != nil {
		return c.exit(err)
	}
	defer c.conn.Close()
	return c.exit(cmd.run(c, args))
}

// globalFlags defines the flags given before the command.
func (c *cli) globalFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("invitectl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	addr := os.Getenv("INVITECTL_ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	fs.StringVar(&c.addr, "addr", addr, "server `host:port` (env INVITECTL_ADDR)")
	fs.StringVar(&c.token, "token", os.Getenv("INVITECTL_TOKEN"), "bearer `token` sent with every call (env INVITECTL_TOKEN)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "deadline of each call; event streams have none")
	fs.BoolVar(&c.json, "json", false, "print each response as one line of protojson")
	return fs
}

// usage prints the global usage and the command list to w.
func (c *cli) usage(w io.Writer, global *flag.FlagSet) {
	fmt.Fprintln(w, "Usage: invitectl [global flags] <command> [flags] [arguments]")
	fmt.Fprintln(w, "\nGlobal flags:")
	global.SetOutput(w)
	global.PrintDefaults()
	global.SetOutput(io.Discard)
	fmt.Fprintln(w, "\nCommands:")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintf(w, "  %-12s %s\n", "help", "show this help, or a command's: help <command>")
}

// help answers "invitectl help [command [subcommand]]". A command's usage
// comes from running it with -h, which returns before any call is made.
func (c *cli) help(global *flag.FlagSet, args []string) int {
	if len(args) == 0 {
		c.usage(c.stdout, global)
		return 0
	}
	cmd, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(c.stderr, "invitectl: unknown command %q\n", args[0])
		c.usage(c.stderr, global)
		return 2
	}
	sub := append(args[1:len(args):len(args)], "-h")
	return c.exit(cmd.run(c, sub))
}

// connect makes the client. It does not touch the network: grpc connects
// on the first call.
func (c *cli) connect() error {
	conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", c.addr, err)
	}
	c.conn = conn
	c.inv = pb.NewInvitationServiceClient(conn)
	c.er = pb.NewErasureServiceClient(conn)
	c.health = healthpb.NewHealthClient(conn)
	return nil
}

// call returns the context of one unary call: the per-call deadline and
// the token. The caller must call cancel.
func (c *cli) call() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(c.base, c.timeout)
	return c.authorize(ctx), cancel
}

// authorize adds the bearer token to ctx, if there is one.
func (c *cli) authorize(ctx context.Context) context.Context {
	if c.token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
}

// errSilent ends the command with status 1 after it has already said why.
var errSilent = errors.New("invitectl: failure already reported")

// exit reports err and returns the exit status it calls for.
func (c *cli) exit(err error) int {
	var help *helpRequest
	var bad *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		help.usage(c.stdout)
		return 0
	case errors.As(err, &bad):
		fmt.Fprintf(c.stderr, "invitectl: %s\n", bad.msg)
		bad.usage(c.stderr)
		return 2
	case errors.Is(err, errSilent):
		return 1
	}
	if st, ok := status.FromError(err); ok {
		fmt.Fprintf(c.stderr, "invitectl: %s: %s\n", st.Code(), st.Message())
	} else {
		fmt.Fprintf(c.stderr, "invitectl: %v\n", err)
	}
	return 1
}

// pages fetches pages starting at token. fetch makes one call with the
// context and page token it is given and returns the next page token.
// Without all, pages stops after the first page. It returns the last next
// page token: empty once the list is exhausted.
func (c *cli) pages(all bool, token string, fetch func(ctx context.Context, token string) (string, error)) (string, error) {
	for {
		ctx, cancel := c.call()
		next, err := fetch(ctx, token)
		cancel()
		if err != nil || !all || next == "" {
			return next, err
		}
		if next == token {
			return "", errors.New("the server returned the same page token twice")
		}
		token = next
	}
}
