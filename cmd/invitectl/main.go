// Command invitectl drives the review-invitation service by hand: engineers
// use it to poke a server, and a business's staff use it in place of the
// web portal. It speaks only the service's public gRPC API through the
// generated clients, and prints only what the server answers.
//
// Usage:
//
//	invitectl [global flags] <command> [flags] [arguments]
//
// Global flags, given before the command:
//
//	-addr host:port  server address (default $INVITECTL_ADDR, else 127.0.0.1:50051)
//	-token T         bearer token, sent as "authorization: Bearer T" (default $INVITECTL_TOKEN)
//	-timeout D       deadline of each call (default 10s); event streams have none
//	-json            print each response as one line of protojson
//
// Commands:
//
//	create -unit U -email E [...]            create an invitation
//	list -unit U [-state S] [-all] [...]     list a business unit's invitations
//	get NAME                                 show one invitation
//	cancel NAME                              cancel a queued invitation
//	templates [-locale L]                    list the built-in e-mail templates
//	settings -unit U                         show a business unit's settings
//	settings set -unit U [-delay D] [...]    change only the settings named by flags
//	erase customer -unit U -email E [...]    erase customers of one business unit
//	erase date -unit U -date YYYY-MM-DD      erase a business unit's data up to a day
//	erase consumer -email E                  erase a consumer in every business unit
//	erasure show NAME [-wait]                show an erasure, or wait for it to finish
//	erasure list -unit U|- [-all]            list erasures
//	receipts -unit U|- [-kind K] [-all]      list erasure receipts
//	receipts verify                          check the receipt hash chain
//	events [-after N] [-follow]              list or follow erasure events
//	bcc -unit U FILE                         ingest a BCC'd order e-mail (- is stdin)
//	resolve TOKEN                            resolve a review link token
//	review TOKEN -review-id ID               record a review written through a link
//	unsubscribe TOKEN                        unsubscribe through an unsubscribe token
//	resubscribe -unit U|- -email E           lift an unsubscribe
//	retention                                show the retention sweeper's status
//	health                                   check the server's health
//	help [command]                           show this help or a command's
//
// "invitectl <command> -h" shows a command's flags. Human output is aligned
// plain text with times in RFC 3339 UTC.
//
// Exit status: 0 on success; 1 when a call fails, printed as
// "invitectl: <code>: <message>", or when the receipt chain is broken; 2
// when the command line is wrong.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run runs the command line args and returns the exit status. An interrupt
// (SIGINT) cancels calls in flight and ends event streams cleanly.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

// command is one top-level command.
type command struct {
	name    string
	summary string
	run     func(c *cli, args []string) error
}

// commands lists the top-level commands in the order usage shows them.
// help is handled by runContext, since it needs this list.
var commands = []command{
	{"create", "create an invitation", runCreate},
	{"list", "list a business unit's invitations", runList},
	{"get", "show one invitation", runGet},
	{"cancel", "cancel a queued invitation", runCancel},
	{"templates", "list the built-in e-mail templates", runTemplates},
	{"settings", "show a business unit's settings; 'settings set' changes them", runSettings},
	{"erase", "erase customers, data up to a date, or a consumer", runErase},
	{"erasure", "show or list erasures", runErasure},
	{"receipts", "list erasure receipts; 'receipts verify' checks the chain", runReceipts},
	{"events", "list or follow erasure events", runEvents},
	{"bcc", "ingest a BCC'd order e-mail", runBCC},
	{"resolve", "resolve a review link token", runResolve},
	{"review", "record a review written through a link", runReview},
	{"unsubscribe", "unsubscribe through an unsubscribe link token", runUnsubscribe},
	{"resubscribe", "lift an unsubscribe", runResubscribe},
	{"retention", "show the retention sweeper's status", runRetention},
	{"health", "check the server's health", runHealth},
}

// lookup returns the top-level command called name.
func lookup(name string) (command, bool) {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd, true
		}
	}
	return command{}, false
}
