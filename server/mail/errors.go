package mail

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Functions wrap them with context, so test with errors.Is.
var (
	// ErrUnknownTemplate means Render was asked for a template id that is
	// not built in.
	ErrUnknownTemplate = errors.New("mail: unknown template")
	// ErrUnknownLocale means a locale matched no supported locale, not even
	// by language.
	ErrUnknownLocale = errors.New("mail: unknown locale")
	// ErrInvalidTemplateData means TemplateData lacks a required field or
	// holds a malformed URL.
	ErrInvalidTemplateData = errors.New("mail: invalid template data")
	// ErrInvalidMessage means a Message cannot be rendered safely: a bad
	// ID, an address that does not parse, a control character in a header
	// value, invalid UTF-8, or a missing required field.
	ErrInvalidMessage = errors.New("mail: invalid message")
	// ErrInvalidID means an outbox message ID is not 1 to 64 characters of
	// A-Z, a-z, 0-9, '_' and '-'.
	ErrInvalidID = errors.New("mail: invalid message id")
	// ErrInvalidConfig means an SMTPConfig cannot be used.
	ErrInvalidConfig = errors.New("mail: invalid smtp config")
	// ErrStartTLSUnavailable means StartTLS is "always" but the relay does
	// not offer STARTTLS.
	ErrStartTLSUnavailable = errors.New("mail: relay does not offer starttls")
	// ErrMalformedReply means the relay sent a reply that is not valid SMTP.
	ErrMalformedReply = errors.New("mail: malformed reply from relay")
)

// DeliveryError reports a failed delivery. It never holds personal data:
// SMTP reply texts are dropped (they often quote the recipient), and only
// the enhanced status code (such as 5.1.1) is kept, in Reason.
type DeliveryError struct {
	// MessageID is the Message.ID, or "" when the ID itself was invalid.
	MessageID string
	// Permanent says that retrying the same message cannot succeed: the
	// relay refused it with a 5xx reply to MAIL FROM, RCPT TO or DATA, or
	// the message is invalid. 4xx replies, network errors, timeouts,
	// cancellation and relay-level failures (greeting, EHLO, STARTTLS,
	// AUTH, local file system) are not permanent.
	Permanent bool
	// Code is the SMTP reply code, 0 if the failure was not a reply.
	Code int
	// Reason says which step failed, in words free of personal data.
	Reason string
	// Err is the underlying cause, if any: ErrInvalidMessage,
	// ErrStartTLSUnavailable, ErrMalformedReply, a context error, or a
	// network or file system error.
	Err error
}

// Error returns "mail: [message <id>: ][smtp <code>: ]<reason>[: <err>]".
func (e *DeliveryError) Error() string {
	var b strings.Builder
	b.WriteString("mail: ")
	if e.MessageID != "" {
		b.WriteString("message " + e.MessageID + ": ")
	}
	if e.Code != 0 {
		b.WriteString("smtp " + strconv.Itoa(e.Code) + ": ")
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *DeliveryError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is, or wraps, a DeliveryError with
// Permanent set.
func IsPermanent(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Permanent
}
