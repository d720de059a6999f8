package mail

import "context"

// Mailer delivers messages. Implementations are safe for concurrent use.
type Mailer interface {
	// Send delivers m, or returns an error that is a *DeliveryError
	// saying whether retrying can help. Send honours ctx.
	Send(ctx context.Context, m *Message) error
}

var (
	_ Mailer = (*Outbox)(nil)
	_ Mailer = (*SMTP)(nil)
)
