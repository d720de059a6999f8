package storage

import "time"

// ErasureKind says what an erasure removes. Stored on disk.
type ErasureKind uint8

// Erasure kinds.
const (
	ErasureCustomers ErasureKind = 1
	ErasureUpToDate  ErasureKind = 2
	ErasureConsumer  ErasureKind = 3
	ErasureRetention ErasureKind = 4
)

// ErasureState is where an erasure job is. Stored on disk.
type ErasureState uint8

// Erasure states.
const (
	ErasurePending   ErasureState = 1
	ErasureRunning   ErasureState = 2
	ErasureSucceeded ErasureState = 3
)

// Counts counts erased records by kind.
type Counts struct {
	Invitations        int64
	ScheduledCancelled int64
	LinkTokens         int64
	LastInvited        int64
	BCCMessages        int64
	OutboxMessages     int64
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Invitations += o.Invitations
	c.ScheduledCancelled += o.ScheduledCancelled
	c.LinkTokens += o.LinkTokens
	c.LastInvited += o.LastInvited
	c.BCCMessages += o.BCCMessages
	c.OutboxMessages += o.OutboxMessages
}

// Records is the number of primary records counted: invitations and raw
// e-mails. Link tokens and last-invited records go with them.
func (c Counts) Records() int64 {
	return c.Invitations + c.BCCMessages
}

func (c *Counts) encode(e *encoder) {
	e.varint(c.Invitations)
	e.varint(c.ScheduledCancelled)
	e.varint(c.LinkTokens)
	e.varint(c.LastInvited)
	e.varint(c.BCCMessages)
	e.varint(c.OutboxMessages)
}

func (c *Counts) decode(d *decoder) {
	c.Invitations = d.varint()
	c.ScheduledCancelled = d.varint()
	c.LinkTokens = d.varint()
	c.LastInvited = d.varint()
	c.BCCMessages = d.varint()
	c.OutboxMessages = d.varint()
}

// Phases of an UpToDate erasure that walks the customers.
const (
	WalkRecords   uint8 = 0
	WalkCustomers uint8 = 1
)

// Date is a calendar day.
type Date struct {
	Year, Month, Day int
}

// Erasure is a stored erasure job. While it runs it holds the keyed hashes
// of the customers it erases, so that it can resume after a crash; they are
// dropped when it finishes. It never holds an address in clear.
type Erasure struct {
	// BusinessUnit is empty for consumer erasures.
	BusinessUnit string
	ID           ID
	Kind         ErasureKind
	State        ErasureState

	// Customers are the index hashes of the customers to erase.
	Customers []Hash
	// EventHashes are the same customers hashed under the event key.
	EventHashes   []Hash
	CustomerCount int

	CutOffDate Date
	TimeZone   string
	// CutOff is the first instant not erased by an UpToDate erasure.
	CutOff time.Time

	// NextCustomer is the index in Customers of the next one to erase.
	NextCustomer int
	// InvitationCursor and BCCCursor are the last records an UpToDate
	// erasure removed; the next chunk starts after them.
	InvitationCursor ID
	BCCCursor        ID
	// Walk is set when an UpToDate erasure covers so much of the business
	// unit that it removes the customers' index entries in one walk over
	// the unit's customers, after the records themselves, instead of one
	// by one. Phase says which part runs: WalkRecords, then WalkCustomers;
	// CustomerCursor is the last customer walked, if CursorSet.
	Walk             bool
	Phase            uint8
	CustomerCursor   Hash
	CursorSet        bool
	Counts           Counts
	LosingProtection int64
	RecordsDone      int64
	RecordsTotal     int64

	RequestedBy string
	RequestID   string
	CreateTime  time.Time
	StartTime   time.Time
	EndTime     time.Time
	// Receipt is the sequence of the receipt, once finished.
	Receipt uint64
}

func (e *Erasure) encode() []byte {
	w := encoder{}
	w.byte(1)
	w.byte(byte(e.Kind))
	w.byte(byte(e.State))
	w.uvarint(uint64(len(e.Customers)))
	for _, h := range e.Customers {
		w.b = append(w.b, h[:]...)
	}
	w.uvarint(uint64(len(e.EventHashes)))
	for _, h := range e.EventHashes {
		w.b = append(w.b, h[:]...)
	}
	w.varint(int64(e.CustomerCount))
	w.varint(int64(e.CutOffDate.Year))
	w.varint(int64(e.CutOffDate.Month))
	w.varint(int64(e.CutOffDate.Day))
	w.string(e.TimeZone)
	w.time(e.CutOff)
	w.varint(int64(e.NextCustomer))
	w.b = append(w.b, e.InvitationCursor[:]...)
	w.b = append(w.b, e.BCCCursor[:]...)
	w.byte(boolByte(e.Walk))
	w.byte(e.Phase)
	w.b = append(w.b, e.CustomerCursor[:]...)
	w.byte(boolByte(e.CursorSet))
	e.Counts.encode(&w)
	w.varint(e.LosingProtection)
	w.varint(e.RecordsDone)
	w.varint(e.RecordsTotal)
	w.string(e.RequestedBy)
	w.string(e.RequestID)
	w.time(e.CreateTime)
	w.time(e.StartTime)
	w.time(e.EndTime)
	w.uvarint(e.Receipt)
	return w.b
}

func (e *Erasure) decode(b []byte) error {
	d := decoder{b: b}
	if d.byte() != 1 {
		return ErrCorrupt
	}
	e.Kind = ErasureKind(d.byte())
	e.State = ErasureState(d.byte())
	e.Customers = decodeHashes(&d)
	e.EventHashes = decodeHashes(&d)
	e.CustomerCount = int(d.varint())
	e.CutOffDate.Year = int(d.varint())
	e.CutOffDate.Month = int(d.varint())
	e.CutOffDate.Day = int(d.varint())
	e.TimeZone = d.string()
	e.CutOff = d.time()
	e.NextCustomer = int(d.varint())
	d.fixed(e.InvitationCursor[:])
	d.fixed(e.BCCCursor[:])
	e.Walk = d.byte() == 1
	e.Phase = d.byte()
	d.fixed(e.CustomerCursor[:])
	e.CursorSet = d.byte() == 1
	e.Counts.decode(&d)
	e.LosingProtection = d.varint()
	e.RecordsDone = d.varint()
	e.RecordsTotal = d.varint()
	e.RequestedBy = d.string()
	e.RequestID = d.string()
	e.CreateTime = d.time()
	e.StartTime = d.time()
	e.EndTime = d.time()
	e.Receipt = d.uvarint()
	return d.err
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func decodeHashes(d *decoder) []Hash {
	n := d.uvarint()
	if n > uint64(len(d.b))/32 {
		d.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	hs := make([]Hash, n)
	for i := range hs {
		d.fixed(hs[i][:])
	}
	return hs
}

// Receipt is the permanent record of a finished erasure. It holds no
// personal data. Sequence, PrevHash and Hash are set by AppendReceipt.
type Receipt struct {
	Sequence      uint64
	BusinessUnit  string
	Erasure       ID
	Kind          ErasureKind
	RequestedBy   string
	CutOffDate    Date
	TimeZone      string
	CutOff        time.Time
	CustomerCount int
	Counts        Counts
	StartTime     time.Time
	EndTime       time.Time
	PrevHash      [32]byte
	Hash          [32]byte
}

// content is the part of a receipt its hash covers, with the previous hash.
func (r *Receipt) content() []byte {
	w := encoder{}
	w.byte(1)
	w.uvarint(r.Sequence)
	w.b = append(w.b, r.PrevHash[:]...)
	w.string(r.BusinessUnit)
	w.b = append(w.b, r.Erasure[:]...)
	w.byte(byte(r.Kind))
	w.string(r.RequestedBy)
	w.varint(int64(r.CutOffDate.Year))
	w.varint(int64(r.CutOffDate.Month))
	w.varint(int64(r.CutOffDate.Day))
	w.string(r.TimeZone)
	w.time(r.CutOff)
	w.varint(int64(r.CustomerCount))
	r.Counts.encode(&w)
	w.time(r.StartTime)
	w.time(r.EndTime)
	return w.b
}

func (r *Receipt) decodeContent(b []byte) error {
	d := decoder{b: b}
	if d.byte() != 1 {
		return ErrCorrupt
	}
	r.Sequence = d.uvarint()
	d.fixed(r.PrevHash[:])
	r.BusinessUnit = d.string()
	d.fixed(r.Erasure[:])
	r.Kind = ErasureKind(d.byte())
	r.RequestedBy = d.string()
	r.CutOffDate.Year = int(d.varint())
	r.CutOffDate.Month = int(d.varint())
	r.CutOffDate.Day = int(d.varint())
	r.TimeZone = d.string()
	r.CutOff = d.time()
	r.CustomerCount = int(d.varint())
	r.Counts.decode(&d)
	r.StartTime = d.time()
	r.EndTime = d.time()
	if len(d.b) != 0 {
		return ErrCorrupt
	}
	return d.err
}

// Event is an erasure event for downstream copies. Sequence is set by
// AppendEvent.
type Event struct {
	Sequence     uint64
	BusinessUnit string
	Erasure      ID
	Kind         ErasureKind
	EmailHashes  []Hash
	CutOff       time.Time
	BCCCutOff    time.Time
	CreateTime   time.Time
}

func (ev *Event) encode() []byte {
	w := encoder{}
	w.byte(1)
	w.string(ev.BusinessUnit)
	w.b = append(w.b, ev.Erasure[:]...)
	w.byte(byte(ev.Kind))
	w.uvarint(uint64(len(ev.EmailHashes)))
	for _, h := range ev.EmailHashes {
		w.b = append(w.b, h[:]...)
	}
	w.time(ev.CutOff)
	w.time(ev.BCCCutOff)
	w.time(ev.CreateTime)
	return w.b
}

func (ev *Event) decode(b []byte) error {
	d := decoder{b: b}
	if d.byte() != 1 {
		return ErrCorrupt
	}
	ev.BusinessUnit = d.string()
	d.fixed(ev.Erasure[:])
	ev.Kind = ErasureKind(d.byte())
	ev.EmailHashes = decodeHashes(&d)
	ev.CutOff = d.time()
	ev.BCCCutOff = d.time()
	ev.CreateTime = d.time()
	return d.err
}
