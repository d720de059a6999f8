package bcc

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
)

const (
	// maxDepth is how many levels of nested multipart parts are entered.
	maxDepth = 20

	// maxBoundaryBytes bounds a multipart boundary. RFC 2046 allows 70;
	// some slack is left for careless mailers.
	maxBoundaryBytes = 200
)

// found holds the text of the first snippet of each format.
type found struct {
	native     *string
	trustpilot *string
}

// snippet is the chosen snippet's format and raw JSON text.
type snippet struct {
	format SnippetFormat
	text   string
}

// findSnippet walks a message body with header h and returns the snippet
// to use, if any.
func findSnippet(h textproto.MIMEHeader, body io.Reader) snippet {
	var f found
	f.walk(h, body, 0)

	switch {
	case f.native != nil:
		return snippet{format: SnippetNative, text: *f.native}
	case f.trustpilot != nil:
		return snippet{format: SnippetTrustpilot, text: *f.trustpilot}
	}
	return snippet{}
}

// walk searches one entity, with header h and content body, at the given
// multipart depth.
func (f *found) walk(h textproto.MIMEHeader, body io.Reader, depth int) {
	if f.native != nil || isAttachment(h.Get("Content-Disposition")) {
		return
	}

	mt, params := mediaType(h.Get("Content-Type"))
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		f.walkMultipart(body, params["boundary"], depth)
	case mt == "text/html":
		text := readDecoded(body, h.Get("Content-Transfer-Encoding"))
		f.scanHTML(toUTF8(text, params["charset"]))
	}
}

// walkMultipart walks the parts of a multipart body. It stops quietly at
// the first part it cannot read.
func (f *found) walkMultipart(body io.Reader, boundary string, depth int) {
	if depth >= maxDepth || boundary == "" || len(boundary) > maxBoundaryBytes {
		return
	}

	mr := multipart.NewReader(body, boundary)
	for f.native == nil {
		p, err := mr.NextRawPart()
		if err != nil {
			return
		}
		f.walk(p.Header, p, depth+1)
	}
}

// mediaType returns the lower-case media type and parameters of a
// Content-Type value, text/plain when it is empty, and "" when it cannot be
// parsed.
func mediaType(v string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", nil
	}

	mt, params, err := mime.ParseMediaType(v)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return "", nil
	}
	return mt, params
}

// isAttachment reports whether a Content-Disposition value marks an
// attachment.
func isAttachment(v string) bool {
	d, _, _ := strings.Cut(v, ";")
	return strings.EqualFold(strings.TrimSpace(d), "attachment")
}
