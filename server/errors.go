package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/reviewdata/invitations/server/bcc"
	"github.com/reviewdata/invitations/server/erase"
	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/storage"
)

// statusRule maps a domain error to a status code, the field it concerns
// (if one) and a fixed message. The message never holds request values.
type statusRule struct {
	err   error
	code  codes.Code
	field string
	msg   string
}

// text is the status message: the field, if any, and the message.
func (r statusRule) text() string {
	if r.field == "" {
		return r.msg
	}
	return r.field + ": " + r.msg
}

// ruleFor returns the rule for err.
func ruleFor(err error) (statusRule, bool) {
	for _, r := range statusRules {
		if errors.Is(err, r.err) {
			return r, true
		}
	}
	return statusRule{}, false
}

var statusRules = []statusRule{
	{invite.ErrNotFound, codes.NotFound, "name", "invitation not found, erased or expired"},
	{erase.ErrNotFound, codes.NotFound, "name", "erasure not found"},
	{invite.ErrFrequencyLimited, codes.FailedPrecondition, "recipient_email", "the customer was invited within the business unit's frequency window"},
	{invite.ErrUnsubscribed, codes.FailedPrecondition, "recipient_email", "the customer unsubscribed from this business unit's invitations"},
	{invite.ErrNotQueued, codes.FailedPrecondition, "name", "the invitation is no longer queued"},
	{invite.ErrCancelled, codes.FailedPrecondition, "token", "the invitation was cancelled"},
	{invite.ErrReviewRecorded, codes.FailedPrecondition, "token", "another review was already recorded for this link"},
	{invite.ErrRequestReused, codes.AlreadyExists, "request_id", "already used for a different request"},
	{invite.ErrErased, codes.NotFound, "request_id", "the invitation this request created has since been erased"},
	{erase.ErrRequestReused, codes.AlreadyExists, "request_id", "already used for a different request"},
	{invite.ErrEtagMismatch, codes.Aborted, "settings.etag", "the settings changed since they were read"},
	{erase.ErrEventsExpired, codes.OutOfRange, "after_sequence", "events after this sequence have expired"},
	{bcc.ErrTooLarge, codes.ResourceExhausted, "raw_message", "larger than 10 MiB"},
	{bcc.ErrNoRecipient, codes.InvalidArgument, "raw_message", "no usable recipient in the To: header or the JSON snippet"},
	{bcc.ErrBadSnippet, codes.InvalidArgument, "raw_message", "the invitation JSON snippet is malformed"},
	{bcc.ErrMalformed, codes.InvalidArgument, "raw_message", "not a parsable RFC 5322 message"},
	{storage.ErrClosed, codes.Unavailable, "", "the server is shutting down"},
	{context.Canceled, codes.Canceled, "", "the call was cancelled"},
	{context.DeadlineExceeded, codes.DeadlineExceeded, "", "the deadline passed"},
}

// toStatus turns an error from the domain into a status error. Errors not
// listed become Internal with a fixed message; the detail is logged. Each
// error is either logged here or returned, not both.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var fe *invite.FieldError
	if errors.As(err, &fe) {
		return status.Error(codes.InvalidArgument, fe.Field+": "+fe.Reason)
	}
	if r, ok := ruleFor(err); ok {
		return status.Error(r.code, r.text())
	}
	log.ErrorContext(ctx, "call failed", "err", err)
	return status.Error(codes.Internal, "internal error")
}

func invalid(field, reason string) error {
	return status.Error(codes.InvalidArgument, field+": "+reason)
}
