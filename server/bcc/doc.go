// Package bcc turns an order-confirmation e-mail, sent by a business to its
// customer with the platform's address in BCC and forwarded byte-for-byte by
// the mail gateway, into the fields needed to create a review invitation.
//
// The package only parses. It does no storage, no I/O and no logging, and it
// must not panic on any input. It keeps personal data out of its errors: an
// error names at most a header or field name and a size, never an address, a
// name, a reference or subject text. Callers may log its errors as they are.
//
// Every text field of a [Message] is valid UTF-8 without control characters:
// they are replaced by spaces, so that no decoded value can carry a line break
// into a mail header or a log line later.
//
// # Header section
//
// The message must start with an RFC 5322 header section; lines may end in
// CRLF or in a bare LF and may be folded. Input that has no parsable header
// section is [ErrMalformed]. Bytes of header values that are not valid UTF-8
// are read as windows-1252, the usual charset of mailers that send raw 8-bit
// headers. Display names and the subject are decoded from RFC 2047 encoded
// words in any charset of the WHATWG Encoding Standard, also when a mailer
// wrongly put the encoded words inside quotes.
//
// # Recipient
//
// The customer is the first address of the To: header (of all To: headers in
// order, should there be several). Every further To: address is counted in
// [Message.IgnoredRecipients] and is not invited; Cc: and Bcc: never name
// the customer. Every usable address of To:, Cc: and Bcc: is listed in
// [Message.Addresses], because the raw message holds those people's data
// too. When the first To: address is not usable, the next ones are not tried
// either, because any of them may belong to someone other than the customer.
//
// The To: header is parsed as an RFC 5322 address list. When that fails, a
// tolerant parse splits the list at commas outside quotes, comments and angle
// brackets, and joins a piece that holds no address to the piece after it, so
// that an unquoted name with a comma, as in "Svensson, Sven
// <sven@example.com>", gives one recipient named "Svensson, Sven".
//
// An address is usable when it is valid UTF-8 of at most 254 bytes, holds no
// white space, no control character and none of the characters
//
//	< > ( ) [ ] , ; : " \
//
// and has a non-empty local part, a single @ and a domain that contains a dot
// but neither starts nor ends with one nor has two in a row, apart from one
// root dot at the very end (berit@example.se.). Domains in Unicode are
// accepted as written. Addresses keep their case.
//
// A valid recipientEmail in the snippet (see below) replaces the To: address.
// When it names a different address, the To: display name is dropped, since it
// belongs to someone else. Without a usable address from either source, Parse
// returns [ErrNoRecipient].
//
// The first address of From: gives [Message.SenderName], its display name, and
// [Message.SenderEmail] when the address is usable; the first address of
// Reply-To: gives [Message.ReplyTo] when it is usable.
//
// # Body
//
// The body is walked as MIME: multipart parts of any subtype are entered down
// to 20 levels of nesting, deeper ones are ignored. Parts marked as
// attachments and parts of any type other than multipart and text/html,
// forwarded messages included, are skipped. Text/html parts are decoded from
// quoted-printable or base64 and converted from their charset parameter to
// UTF-8; a part without a charset is taken as UTF-8. A damaged body is
// searched as far as it can be read: the damage alone never makes Parse fail,
// though a snippet cut short by it is [ErrBadSnippet].
//
// # Snippet
//
// In those HTML parts Parse looks for a script element whose type attribute
// is application/vnd.reviewdata.invitation+json (ours, [SnippetNative]) or
// application/json+trustpilot ([SnippetTrustpilot], which many shops' order
// mails already carry and which is accepted unchanged). The first native
// snippet is used if there is one, otherwise the first Trustpilot snippet; any
// other snippet is ignored, even if it is broken. The script's text is taken
// as raw JSON: HTML character references in it are not decoded.
//
// The snippet must be a JSON object. Its fields are all optional strings:
// recipientEmail, recipientName, referenceId, templateId, locale, senderName,
// senderEmail, replyTo and preferredSendTime, and tags, an array of strings.
// Unknown fields are ignored. Values are trimmed of surrounding white space,
// and a field that is then non-empty wins over what the headers gave. The
// snippet is [ErrBadSnippet] when it is not a JSON object, when a field has
// the wrong type, when recipientEmail, senderEmail or replyTo is not usable as
// an address, or when preferredSendTime is neither RFC 3339 nor of the form
// 2006-01-02T15:04:05 (optionally with fractional seconds), which is read as
// UTC. Empty tags are dropped.
//
// # Reference from the subject
//
// When the snippet gives no referenceId, the reference is taken from the
// subject, split at white space. Each token is first stripped of these
// characters at its start and end:
//
//	start: ( [ { < " '
//	end:   . , : ; ! ? ) ] } > " '
//
// The reference is then the first token that starts with # followed by a
// letter or digit, without the #; otherwise the last token that contains an
// ASCII digit; otherwise it is empty. So "Your order (#A-1001) has shipped"
// gives "A-1001", and "Order confirmation 2024-5512." gives "2024-5512".
package bcc
