package bcc

import (
	"encoding/base64"
	"strings"
)

// crlf turns the LF line ends of a test message into CRLF, as on the wire.
func crlf(s string) string {
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// base64Lines encodes s as base64 in lines of 76 characters.
func base64Lines(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n")
	return b.String()
}

// Test messages. They are written with LF and turned into CRLF by the
// tables, except where a test is about bare LF.
const (
	msgPlain = `Return-Path: <order@skogsbutiken.example>
Received: from mx1.skogsbutiken.example (mx1.skogsbutiken.example [192.0.2.10])
	by mx.reviewdata.example with ESMTPS id 4Xk2;
	Tue, 03 Dec 2024 14:05:09 +0100
From: Skogsbutiken <order@skogsbutiken.example>
To: "Anna Berg" <anna.berg@example.com>
Subject: =?UTF-8?Q?Orderbekr=C3=A4ftelse_f=C3=B6r_order_#SO-1001?=
Date: Tue, 03 Dec 2024 14:05:02 +0100
Message-ID: <20241203140502.1001@skogsbutiken.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hej Anna,

tack för din beställning. Vi skickar den inom två arbetsdagar.

Skogsbutiken
`

	msgAlternativeNative = `From: "Skogsbutiken Kundtjänst" <kundtjanst@skogsbutiken.example>
Reply-To: svar@skogsbutiken.example
To: Anna Berg <anna.berg@example.com>
Subject: Din order 2024-88231 har skickats
Date: Wed, 4 Dec 2024 09:12:44 +0000
Message-ID: <CAF=alt.88231@mail.skogsbutiken.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1_alt"

--b1_alt
Content-Type: text/plain; charset=utf-8

Hej Anna, din order har skickats.

--b1_alt
Content-Type: text/html; charset=utf-8

<!DOCTYPE html>
<html><head><title>Order</title>
<script type="application/vnd.reviewdata.invitation+json">
{
  "recipientEmail": "anna.berg@example.com",
  "referenceId": "SO-88231",
  "templateId": "tmpl-sv-1",
  "locale": "sv-SE",
  "senderName": "Skogsbutiken",
  "replyTo": "omdome@skogsbutiken.example",
  "preferredSendTime": "2024-12-11T10:00:00+01:00",
  "tags": ["vinter", " ", "web"],
  "products": [{"sku": "AX-1"}]
}
</script>
</head><body><p>Hej Anna, din order har skickats.</p></body></html>

--b1_alt--
`

	msgAlternativeTrustpilot = `From: Bokhandeln <noreply@bokhandeln.example.org>
To: per.nilsson@example.net
Subject: Order confirmation
Date: Thu, 5 Dec 2024 16:40:00 -0500
MIME-Version: 1.0
Content-Type: multipart/alternative;
	boundary="----=_Part_1_2024"

------=_Part_1_2024
Content-Type: text/plain; charset=us-ascii

Thanks for your order.
------=_Part_1_2024
Content-Type: text/html; charset=us-ascii

<html><body>
<p>Thanks for your order.</p>
<script type="application/json+trustpilot">
{"recipientEmail":"per.nilsson@example.net","recipientName":"Per Nilsson","referenceId":"BK-4471","locale":"en-US","productSkus":["978-91-0-012345-6"]}
</script>
</body></html>
------=_Part_1_2024--
`

	msgBothSnippets = `From: Shop <shop@example.org>
To: Lisa Ek <lisa.ek@example.com>
Subject: Your order
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=XYZ

--XYZ
Content-Type: text/html; charset=utf-8

<html><body>
<script type="application/json+trustpilot">{"referenceId": 4471, broken</script>
<script type="APPLICATION/VND.REVIEWDATA.INVITATION+JSON; charset=utf-8">{"referenceId":"N-77","tags":["a"]}</script>
</body></html>
--XYZ--
`

	msgNested = `From: Sportlagret AB <order@sportlagret.example>
To: Karl Holm <karl.holm@example.com>
Subject: Kvitto 778812
Date: Fri, 6 Dec 2024 08:00:00 +0100
Message-ID: <nested-1@sportlagret.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed-1"

This is a multi-part message in MIME format.

--mixed-1
Content-Type: multipart/related; boundary="related-1"; type="multipart/alternative"

--related-1
Content-Type: multipart/alternative; boundary="alt-1"

--alt-1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hej Karl, tack f=C3=B6r ditt k=C3=B6p.

--alt-1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 7bit

<html><body><img src="cid:logo@sportlagret">
<script type="application/vnd.reviewdata.invitation+json">{"referenceId":"SL-778812","templateId":"kvitto"}</script>
</body></html>

--alt-1--

--related-1
Content-Type: image/png
Content-ID: <logo@sportlagret>
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA
60e6kgAAAABJRU5ErkJggg==

--related-1--

--mixed-1
Content-Type: text/html; charset=utf-8; name="villkor.html"
Content-Disposition: attachment; filename="villkor.html"

<html><script type="application/vnd.reviewdata.invitation+json">{"referenceId":"FROM-ATTACHMENT"}</script></html>

--mixed-1
Content-Type: application/pdf; name="kvitto.pdf"
Content-Disposition: attachment; filename="kvitto.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==

--mixed-1--
`

	// The snippet is quoted-printable with soft line breaks inside the JSON.
	msgQuotedPrintable = `From: =?UTF-8?Q?K=C3=B6ksmagasinet?= <info@koksmagasinet.example>
To: =?UTF-8?Q?=C3=85sa_=C3=96berg?= <asa.oberg@example.com>
Subject: Tack =?UTF-8?Q?f=C3=B6r?= din order
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="qp"

--qp
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<html><body><p>Hej =C3=85sa!</p><script type=3D"application/vnd.reviewdata.=
invitation+json">{"recipientName":"=C3=85sa =C3=96berg","referenceId":"KM-=
55190","senderName":"K=C3=B6ksmagasinet","preferredSendTime":"2024-12-20T=
08:30:00"}</script></body></html>
--qp--
`

	// The text/html part is base64 in ISO-8859-1.
	msgBase64Latin1Head = `From: Bokhandeln <noreply@bokhandeln.example.org>
To: =?ISO-8859-1?B?SvZyZ2VuIFN0cvZt?= <jorgen.strom@example.com>
Subject: Order 5512
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b64"

--b64
Content-Type: text/html; charset=ISO-8859-1
Content-Transfer-Encoding: base64

`
	msgBase64Latin1HTML = "<html><body><p>Hej J\xf6rgen!</p>" +
		`<script type="application/json+trustpilot">{"recipientName":"J` + "\xf6" + `rgen Str` + "\xf6" + `m","senderName":"Bokhandeln i G` + "\xe4" + `vle"}</script>` +
		"</body></html>"

	msgCommaName = `From: Shop <shop@example.org>
To: Svensson, Sven <sven.svensson@example.com>
Subject: Your order
MIME-Version: 1.0
Content-Type: text/plain

Hello.
`

	msgSeveral = `From: Shop <shop@example.org>
To: "Berg, Anna" <anna.berg@example.com>, per.nilsson@example.net,
 Lisa Ek <lisa.ek@example.com>
Cc: archive@shop.example.org
Subject: Your order
Content-Type: text/plain

Hello.
`

	msgCommaSeveral = `From: Shop <shop@example.org>
To: Svensson, Sven <sven.svensson@example.com>, Holm, Karl <karl.holm@example.com>
Subject: Your order

Hello.
`

	msgRawUTF8 = `From: Kökshörnan <hej@kökshörnan.example>
To: Åsa Öberg <åsa@exämple.example>
Subject: Beställning 4411

Hej.
`

	msgWindows1252 = `From: Shop <shop@example.org>
To: "=?windows-1252?Q?Fran=E7ois_M=FCller?=" <francois@example.org>
Subject: =?iso-8859-15?Q?Commande_=A4_pay=E9e?= (ref. 1234)
Date: not a date

Merci.
`

	msgNoTo = `From: Shop <shop@example.org>
Cc: anna.berg@example.com
Subject: Your order #SO-1001

Hello.
`

	msgBadTo = `From: Shop <shop@example.org>
To: Anna Berg <anna.berg@localhost>, per.nilsson@example.net
Subject: Your order #SO-1001

Hello.
`

	msgNoToSnippet = `From: Shop <shop@example.org>
To: undisclosed-recipients:;
Subject: Your order
Content-Type: text/html; charset=utf-8

<script type="application/vnd.reviewdata.invitation+json">{"recipientEmail":"anna.berg@example.com","recipientName":"Anna Berg"}</script>
`

	msgSnippetOtherRecipient = `From: Shop <shop@example.org>
To: Anna Berg <anna.berg@example.com>
Subject: Your order
Content-Type: text/html; charset=utf-8

<script type="application/vnd.reviewdata.invitation+json">{"recipientEmail":"per.nilsson@example.net"}</script>
`

	msgFolded = `From: Shop
 <shop@example.org>
To: "Anna
 Berg"
	<anna.berg@example.com>
Subject: Your order from our shop with a long subject line that was
 folded by the mailer, order number
	A-99812
X-Empty:

Hello.
`

	msgQuotedEncoded = `From: Shop <shop@example.org>
To: "=?UTF-8?B?S3Jpc3RpbmEgSMOkbGw=?=" <kristina@example.com>
Subject: Order

Hello.
`
)

// Messages whose snippet is bad in one way or another; each must give
// ErrBadSnippet and its error must not echo any of the values.
const (
	snippetHead = `From: Shop <shop@example.org>
To: Anna Berg <anna.berg@example.com>
Subject: Your order #SO-1001
Content-Type: text/html; charset=utf-8

`
	msgSnippetSyntax      = snippetHead + `<script type="application/vnd.reviewdata.invitation+json">{"referenceId":"SO-1001" "recipientName":"Anna Berg"}</script>`
	msgSnippetNumber      = snippetHead + `<script type="application/vnd.reviewdata.invitation+json">{"referenceId":5512001}</script>`
	msgSnippetTagsType    = snippetHead + `<script type="application/vnd.reviewdata.invitation+json">{"tags":"vinter"}</script>`
	msgSnippetBadEmail    = snippetHead + `<script type="application/vnd.reviewdata.invitation+json">{"recipientEmail":"Anna Berg anna.berg@example"}</script>`
	msgSnippetBadReplyTo  = snippetHead + `<script type="application/vnd.reviewdata.invitation+json">{"replyTo":"svar at skogsbutiken.example"}</script>`
	msgSnippetBadTime     = snippetHead + `<script type="application/vnd.reviewdata.invitation+json">{"preferredSendTime":"SO-1001 anna.berg@example.com"}</script>`
	msgSnippetArray       = snippetHead + `<script type="application/json+trustpilot">["anna.berg@example.com"]</script>`
	msgSnippetEmpty       = snippetHead + `<script type="application/json+trustpilot"></script>`
	msgSnippetHTMLEscaped = snippetHead + `<script type="application/json+trustpilot">{&quot;referenceId&quot;:&quot;SO-1001&quot;}</script>`
)
