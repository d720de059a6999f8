package storage

import "time"

// State is where an invitation is in its life.
type State uint8

// Invitation states. The numbering is stored on disk: never reuse a number.
const (
	StateQueued       State = 1
	StateSending      State = 2
	StateDelivered    State = 3
	StateNotDelivered State = 4
	StateCancelled    State = 5
	StateReviewed     State = 6
)

// Source says how an invitation arrived.
type Source uint8

// Invitation sources. The numbering is stored on disk.
const (
	SourceAPI Source = 1
	SourceBCC Source = 2
)

// Invitation is a stored review invitation. Every field but the index fields
// (Customer, State, ScheduledTime) is stored encrypted under the record's
// own key.
type Invitation struct {
	BusinessUnit string
	ID           ID
	// Customer is the keyed hash of the normalized recipient address.
	Customer Hash

	Email             string
	Name              string
	ReferenceID       string
	Locale            string
	TemplateID        string
	SenderName        string
	ReplyTo           string
	Tags              []string
	PreferredSendTime time.Time
	Source            Source
	// BCCMessage is the raw e-mail the invitation came from; zero for API.
	BCCMessage ID
	// LinkSecret is the secret half of the review link token. The link
	// index keeps only its hash.
	LinkSecret [16]byte

	State       State
	StateReason string
	// ScheduledTime is when the invitation is next due at the send queue:
	// the send time while queued, the retry time while sending.
	ScheduledTime time.Time
	SendTime      time.Time
	Attempts      int32
	ReviewTime    time.Time
	ReviewID      string
}

// CreateTime is when the invitation was created; it is encoded in its ID.
func (inv *Invitation) CreateTime() time.Time { return inv.ID.Time() }

// InQueue reports whether an invitation in state s has an entry in the
// send queue: it is waiting to be sent or being sent.
func (s State) InQueue() bool { return s == StateQueued || s == StateSending }

// invitationHeaderLen is the size of an invitation's clear header:
// customer hash, state, scheduled time.
const invitationHeaderLen = 32 + 1 + 8

func (inv *Invitation) header() []byte {
	h := make([]byte, 0, invitationHeaderLen)
	h = append(h, inv.Customer[:]...)
	h = append(h, byte(inv.State))
	return append(h, u64(uint64(unixNano(inv.ScheduledTime)))...)
}

func (inv *Invitation) encode() []byte {
	e := encoder{b: make([]byte, 0, 256)}
	e.byte(1)
	e.string(inv.Email)
	e.string(inv.Name)
	e.string(inv.ReferenceID)
	e.string(inv.Locale)
	e.string(inv.TemplateID)
	e.string(inv.SenderName)
	e.string(inv.ReplyTo)
	e.strings(inv.Tags)
	e.time(inv.PreferredSendTime)
	e.byte(byte(inv.Source))
	e.b = append(e.b, inv.BCCMessage[:]...)
	e.b = append(e.b, inv.LinkSecret[:]...)
	e.string(inv.StateReason)
	e.time(inv.SendTime)
	e.varint(int64(inv.Attempts))
	e.time(inv.ReviewTime)
	e.string(inv.ReviewID)
	return e.b
}

func (inv *Invitation) decode(b []byte) error {
	d := decoder{b: b}
	if d.byte() != 1 {
		return ErrCorrupt
	}
	inv.Email = d.string()
	inv.Name = d.string()
	inv.ReferenceID = d.string()
	inv.Locale = d.string()
	inv.TemplateID = d.string()
	inv.SenderName = d.string()
	inv.ReplyTo = d.string()
	inv.Tags = d.strings()
	inv.PreferredSendTime = d.time()
	inv.Source = Source(d.byte())
	d.fixed(inv.BCCMessage[:])
	d.fixed(inv.LinkSecret[:])
	inv.StateReason = d.string()
	inv.SendTime = d.time()
	inv.Attempts = int32(d.varint())
	inv.ReviewTime = d.time()
	inv.ReviewID = d.string()
	return d.err
}

// IndexFields are the fields of an invitation kept outside its encryption,
// for the indexes: readable without its key.
type IndexFields struct {
	Customer      Hash
	State         State
	ScheduledTime time.Time
}

func parseInvitationHeader(h []byte) IndexFields {
	var f IndexFields
	copy(f.Customer[:], h[:32])
	f.State = State(h[32])
	f.ScheduledTime = fromUnixNano(int64(beU64(h[33:41])))
	return f
}

// Customer is the last-invited record of one customer in one business
// unit: what the frequency rule reads. It holds no personal data.
type Customer struct {
	LastInvited time.Time
	// Latest is the invitation that set LastInvited.
	Latest ID
}

func (c *Customer) encode() []byte {
	e := encoder{}
	e.byte(1)
	e.time(c.LastInvited)
	e.b = append(e.b, c.Latest[:]...)
	return e.b
}

func (c *Customer) decode(b []byte) error {
	d := decoder{b: b}
	if d.byte() != 1 {
		return ErrCorrupt
	}
	c.LastInvited = d.time()
	d.fixed(c.Latest[:])
	return d.err
}

// Link is a review link token's record: the token is the invitation ID and
// a secret; only a hash of the secret is kept.
type Link struct {
	BusinessUnit string
	Invitation   ID
	SecretHash   [32]byte
}

// Due is one entry of the send queue.
type Due struct {
	BusinessUnit string
	Invitation   ID
	At           time.Time
}

// Settings are a business unit's invitation settings. Zero values are not
// defaults: the caller fills defaults in.
type Settings struct {
	SendDelay time.Duration
	// SendAtMinute is the local time of day to send at, in minutes after
	// midnight, or -1 for none.
	SendAtMinute    int
	TimeZone        string
	FrequencyDays   int
	DefaultLocale   string
	DefaultTemplate string
	SenderName      string
	ReplyTo         string
	UpdateTime      time.Time
	// Version grows by one on every change; it is the etag.
	Version uint64
}

func (s *Settings) encode() []byte {
	e := encoder{}
	e.byte(1)
	e.varint(int64(s.SendDelay))
	e.varint(int64(s.SendAtMinute))
	e.string(s.TimeZone)
	e.varint(int64(s.FrequencyDays))
	e.string(s.DefaultLocale)
	e.string(s.DefaultTemplate)
	e.string(s.SenderName)
	e.string(s.ReplyTo)
	e.time(s.UpdateTime)
	e.uvarint(s.Version)
	return e.b
}

func (s *Settings) decode(b []byte) error {
	d := decoder{b: b}
	if d.byte() != 1 {
		return ErrCorrupt
	}
	s.SendDelay = time.Duration(d.varint())
	s.SendAtMinute = int(d.varint())
	s.TimeZone = d.string()
	s.FrequencyDays = int(d.varint())
	s.DefaultLocale = d.string()
	s.DefaultTemplate = d.string()
	s.SenderName = d.string()
	s.ReplyTo = d.string()
	s.UpdateTime = d.time()
	s.Version = d.uvarint()
	return d.err
}

// BCCMessage is a stored raw order e-mail, kept encrypted.
type BCCMessage struct {
	BusinessUnit string
	ID           ID
	Customer     Hash
	// Others are the hashes of the other people the message names (other
	// recipients, Cc:, Bcc:): erasing any of them erases the message.
	Others []Hash
	// Dedupe is a keyed hash that identifies the message when forwarded
	// again.
	Dedupe     Hash
	Invitation ID
	Raw        []byte
}

// A raw e-mail's clear header is the customer's hash, the dedupe hash, a
// two-byte count and the hashes of the other people the message names.
const bccHeaderFixed = 32 + 32 + 2

func (m *BCCMessage) header() []byte {
	h := make([]byte, 0, bccHeaderFixed+32*len(m.Others))
	h = append(h, m.Customer[:]...)
	h = append(h, m.Dedupe[:]...)
	h = append(h, byte(len(m.Others)>>8), byte(len(m.Others)))
	for _, o := range m.Others {
		h = append(h, o[:]...)
	}
	return h
}

// bccHeaderLen returns the length of the clear header of a sealed raw
// e-mail.
func bccHeaderLen(v []byte) (int, error) {
	if len(v) < 9+bccHeaderFixed {
		return 0, ErrCorrupt
	}
	n := int(v[9+64])<<8 | int(v[9+65])
	return bccHeaderFixed + 32*n, nil
}

// parseBCCHeader reads the hashes of a raw e-mail's clear header.
func parseBCCHeader(h []byte) (customer, dedupe Hash, others []Hash) {
	copy(customer[:], h[:32])
	copy(dedupe[:], h[32:64])
	for rest := h[bccHeaderFixed:]; len(rest) >= 32; rest = rest[32:] {
		others = append(others, Hash(rest[:32]))
	}
	return customer, dedupe, others
}

func (m *BCCMessage) encode() []byte {
	e := encoder{b: make([]byte, 0, len(m.Raw)+32)}
	e.byte(1)
	e.b = append(e.b, m.Invitation[:]...)
	e.bytes(m.Raw)
	return e.b
}

func (m *BCCMessage) decode(b []byte) error {
	d := decoder{b: b}
	if d.byte() != 1 {
		return ErrCorrupt
	}
	d.fixed(m.Invitation[:])
	m.Raw = d.bytes()
	return d.err
}

// Request remembers an idempotent request by its request id.
type Request struct {
	// Fingerprint is a keyed hash of the request, to tell a repeat from a
	// different request that reuses the id.
	Fingerprint Hash
	ID          ID
	// Results are the IDs the request produced, in order; a zero ID marks
	// an item that produced nothing.
	Results []ID
	// Outcomes holds one caller-defined code per result.
	Outcomes []byte
}

func (r *Request) encode() []byte {
	e := encoder{}
	e.byte(1)
	e.b = append(e.b, r.Fingerprint[:]...)
	e.b = append(e.b, r.ID[:]...)
	e.uvarint(uint64(len(r.Results)))
	for _, id := range r.Results {
		e.b = append(e.b, id[:]...)
	}
	e.bytes(r.Outcomes)
	return e.b
}

func (r *Request) decode(b []byte) error {
	d := decoder{b: b}
	if d.byte() != 1 {
		return ErrCorrupt
	}
	d.fixed(r.Fingerprint[:])
	d.fixed(r.ID[:])
	n := d.uvarint()
	if n > uint64(len(d.b))/16 {
		return ErrCorrupt
	}
	r.Results = make([]ID, n)
	for i := range r.Results {
		d.fixed(r.Results[i][:])
	}
	r.Outcomes = d.bytes()
	return d.err
}

// Suppression is an unsubscribe: no invitation goes to the customer in the
// scope, a business unit or "*" for all.
type Suppression struct {
	Scope      string
	CreateTime time.Time
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
