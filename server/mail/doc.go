// Package mail renders review-invitation e-mails from built-in templates
// and delivers them through a Mailer: an Outbox that writes .eml files to a
// folder, or SMTP to a configured relay.
//
// Package mail must never log, and its errors must never carry an e-mail
// address, a display name or a reply text from a relay: they may name the
// message ID, SMTP reply codes and the relay's host:port. It opens network
// connections only to the relay its caller configures.
package mail
