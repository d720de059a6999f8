package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ReadTx reads one consistent state of the store. It is valid only inside
// the function it was passed to. Iterators call fn in key order until fn
// returns false; fn must not change the store (collect, then change).
// Records whose key was erased are treated as absent.
type ReadTx interface {
	// Settings returns a business unit's saved settings; ok is false when
	// it never saved any.
	Settings(bu string) (s Settings, ok bool, err error)

	// Invitation returns one invitation or ErrNotFound.
	Invitation(bu string, id ID) (Invitation, error)
	// Has reports whether a customer reference's record still exists,
	// without decrypting it.
	Has(bu string, ref CustomerRef) bool
	// EachInvitation visits a business unit's invitations with IDs after
	// after (the zero ID starts at the oldest), oldest first.
	EachInvitation(bu string, after ID, fn func(*Invitation) bool) error
	// InvitationFields returns an invitation's index fields without
	// decrypting it, or ErrNotFound.
	InvitationFields(bu string, id ID) (IndexFields, error)
	// EachInvitationID visits the IDs and index fields of a business
	// unit's invitations created before before, starting after after,
	// without decrypting them.
	EachInvitationID(bu string, after ID, before time.Time, fn func(ID, IndexFields) bool) error
	// CustomerInvitations visits the IDs of one customer's invitations in a
	// business unit after after, oldest first.
	CustomerInvitations(bu string, h Hash, after ID, fn func(ID) bool) error
	// CustomerBCCMessages visits the IDs of one customer's raw BCC e-mails
	// in a business unit.
	CustomerBCCMessages(bu string, h Hash, fn func(ID) bool) error
	// Customer returns one customer's last-invited record.
	Customer(bu string, h Hash) (c Customer, ok bool, err error)
	// CustomerBusinessUnits lists the business units holding any data about
	// the customer, in order. It looks in every business unit, so its cost
	// grows with their number.
	CustomerBusinessUnits(h Hash) ([]string, error)
	// CustomerCount returns how many customers of bu have a last-invited
	// record.
	CustomerCount(bu string) (int64, error)
	// EachCustomer visits bu's customers in hash order, starting after
	// after (nil: from the first), with their last-invited record (nil when
	// there is none) and references.
	EachCustomer(bu string, after *Hash, fn func(h Hash, c *Customer, refs []CustomerRef) bool) error
	// Cleanups lists the pending customer walks of retention sweeps.
	Cleanups() (map[string]time.Time, error)
	// SweepTally returns what retention sweeps removed since the last
	// receipt, and when the first of them began; ok is false when nothing
	// is owed.
	SweepTally() (t SweepTally, ok bool, err error)
	// Link returns a review link's record or ErrNotFound.
	Link(id ID) (Link, error)
	// Due returns up to limit send-queue entries due at or before now,
	// earliest first.
	Due(now time.Time, limit int) ([]Due, error)

	// BCCMessage returns one raw BCC e-mail or ErrNotFound.
	BCCMessage(bu string, id ID) (BCCMessage, error)
	// BCCByDedupe finds the raw e-mail stored under a dedupe hash.
	BCCByDedupe(bu string, dedupe Hash) (id ID, ok bool, err error)
	// EachBCCMessageID visits the IDs of a business unit's raw e-mails
	// received before before, starting after after.
	EachBCCMessageID(bu string, after ID, before time.Time, fn func(ID) bool) error

	// Request returns the record of an idempotent request.
	Request(bu, requestID string) (r Request, ok bool, err error)

	// Erasure returns one erasure job or ErrNotFound. bu is empty for
	// consumer erasures.
	Erasure(bu string, id ID) (Erasure, error)
	// EachErasure visits a business unit's erasures (bu empty: consumer
	// erasures) with IDs before before (zero: from the newest), newest
	// first.
	EachErasure(bu string, before ID, fn func(*Erasure) bool) error
	// EachErasureAll visits every erasure with an ID before before (zero:
	// from the newest), newest first.
	EachErasureAll(before ID, fn func(*Erasure) bool) error
	// ActiveErasures lists the erasures that have not finished, oldest
	// first.
	ActiveErasures() ([]Erasure, error)

	// EachReceipt visits the receipts of a chain (a business unit, or ""
	// for erasures across business units) with sequences after after, in
	// order.
	EachReceipt(chain string, after uint64, fn func(*Receipt) bool) error
	// ReceiptChains lists the chains that have receipts, in order.
	ReceiptChains() ([]string, error)
	// ReceiptChain returns the sequence and hash of a chain's last receipt
	// (the head) and of its last pruned receipt (the base; zero when none).
	ReceiptChain(chain string) (head, base ChainPoint, err error)
	// EachEvent visits erasure events with sequences after after, in order.
	EachEvent(after uint64, fn func(*Event) bool) error
	// EventBounds returns the sequences of the oldest event held (0 when
	// none) and the last event ever appended (0 when none).
	EventBounds() (oldest, last uint64, err error)

	// Suppression returns the unsubscribe of a customer in a scope.
	Suppression(h Hash, scope string) (s Suppression, ok bool, err error)

	// EachExpired visits records of a kind created before before, oldest
	// first, across business units.
	EachExpired(kind RecordKind, before time.Time, fn func(bu string, id ID) bool) error
	// Oldest returns the creation time of the oldest record of a kind.
	Oldest(kind RecordKind) (t time.Time, ok bool, err error)

	// PendingScrubs returns up to limit invitations whose outbox file must
	// still be removed.
	PendingScrubs(limit int) ([]ID, error)
}

// WriteTx reads and changes the store. Every change of one WriteTx commits
// together or not at all.
type WriteTx interface {
	ReadTx

	// PutSettings stores a business unit's settings.
	PutSettings(bu string, s Settings) error

	// InsertInvitation stores a sealed invitation (see Store.Seal...) with
	// its customer reference, link record (the hash of LinkSecret) and
	// send-queue entry if queued.
	InsertInvitation(s *Sealed) error
	// UpdateInvitation stores a changed invitation and moves its send-queue
	// entry as its state and scheduled time require. It returns
	// ErrNotFound if the invitation is gone.
	UpdateInvitation(inv *Invitation) error
	// DeleteInvitation removes an invitation with its link and send-queue
	// entry, and erases its key. It reports what was removed. The
	// customer's reference to it stays until DeleteCustomerRef; readers
	// skip references to records that are gone.
	DeleteInvitation(bu string, id ID) (Removed, error)

	// PutCustomer stores a customer's last-invited record.
	PutCustomer(bu string, h Hash, c Customer) error
	// DeleteCustomer removes a customer's last-invited record and reports
	// what it said.
	DeleteCustomer(bu string, h Hash) (c Customer, ok bool, err error)
	// DeleteCustomerRef removes one of a customer's references.
	DeleteCustomerRef(bu string, h Hash, ref CustomerRef) error
	// PutCleanup records that a retention sweep at time at must still walk
	// bu's customers; DeleteCleanup forgets it.
	PutCleanup(bu string, at time.Time) error
	DeleteCleanup(bu string) error
	// AddSweepTally adds what one chunk of a retention sweep begun at
	// start removed to the tally, in the chunk's transaction, so a sweep
	// cut short still gets its receipt. ClearSweepTally empties it once
	// the receipt is written.
	AddSweepTally(start time.Time, c Counts) error
	ClearSweepTally() error

	// InsertBCCMessage stores a sealed raw e-mail with a reference from its
	// customer and from everyone else it names, its dedupe entry and its
	// expiry entry.
	InsertBCCMessage(s *Sealed) error
	// DeleteBCCMessage removes a raw e-mail with its dedupe and expiry
	// entries and erases its key; the references to it (of its customer
	// and of everyone else it names) stay until DeleteCustomerRef. It
	// returns those people's hashes, the customer's first; ok is false if
	// the e-mail was already gone.
	DeleteBCCMessage(bu string, id ID) (people []Hash, ok bool, err error)

	// PutRequest stores the record of an idempotent request.
	PutRequest(bu, requestID string, r Request) error
	// DeleteRequest removes the record of an idempotent request.
	DeleteRequest(bu string, id ID) error

	// PutErasure stores an erasure job and keeps the list of unfinished
	// jobs in step with its state.
	PutErasure(e *Erasure) error
	// DeleteErasure removes a finished erasure job.
	DeleteErasure(bu string, id ID) error
	// AppendReceipt adds r to the end of the chain of its business unit,
	// setting its Sequence, PrevHash and Hash.
	AppendReceipt(r *Receipt) error
	// PruneReceipts removes up to limit receipts from the starts of the
	// chains while expired says their end time has expired, moving each
	// chain's base past them.
	PruneReceipts(expired func(end time.Time) bool, limit int) (int, error)
	// AppendEvent adds an erasure event, setting its Sequence.
	AppendEvent(ev *Event) error
	// PruneEvents removes up to limit of the oldest events while expired
	// says their creation time has expired.
	PruneEvents(expired func(created time.Time) bool, limit int) (int, error)

	// PutSuppression stores an unsubscribe.
	PutSuppression(h Hash, s Suppression) error
	// DeleteSuppression removes an unsubscribe; ok is false if none.
	DeleteSuppression(h Hash, scope string) (ok bool, err error)

	// SyncErasedKeys makes Update return only once the keys zeroed by
	// earlier Bulk calls are durable too. Bulk work reports done through an
	// Update that calls it.
	SyncErasedKeys()

	// QueueScrub records that an invitation's outbox file must be removed.
	QueueScrub(id ID) error
	// ClearScrubs forgets scrubs that were done.
	ClearScrubs(ids []ID) error
}

// Removed says what DeleteInvitation removed.
type Removed struct {
	Customer Hash
	State    State
}

// ChainPoint is a position in the receipt chain.
type ChainPoint struct {
	Sequence uint64
	Hash     [32]byte
}

// RecordKind names a kind of record in the expiry index.
type RecordKind byte

// Kinds of expiring records.
const (
	KindInvitation RecordKind = expiryInvitation
	KindBCC        RecordKind = expiryBCC
	KindRequest    RecordKind = expiryRequest
	KindErasure    RecordKind = expiryErasure
)

type readTx struct {
	tx *bolt.Tx
	db *DB
	w  *writeTx // the enclosing write transaction, nil in View
}

type writeTx struct {
	readTx
	nextSlot uint64           // first key slot past every committed record's
	sealed   []*Sealed        // records inserted by this transaction
	freed    []uint64         // key slots of records it deleted
	counts   map[string]int64 // changes of customer counts by business unit
	// syncErased asks the commit to sync keys zeroed by earlier bulk work.
	syncErased bool
}

func (w *writeTx) SyncErasedKeys() { w.syncErased = true }

// key returns the data key of slot.
func (r *readTx) key(slot uint64) (*[32]byte, error) {
	var k [32]byte
	if err := r.db.slots.read(slot, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

func checkBU(bu string) error {
	if bu == "" || bytes.IndexByte([]byte(bu), 0) >= 0 {
		return ErrInvalidKey
	}
	return nil
}

func beU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func idFrom(b []byte) ID {
	var id ID
	copy(id[:], b)
	return id
}

// after returns the first key of prefix strictly after prefix+id; for the
// zero ID it is the first key of prefix.
func seekAfter(c *bolt.Cursor, prefix []byte, id ID) ([]byte, []byte) {
	if id.IsZero() {
		return c.Seek(prefix)
	}
	start := append(append([]byte(nil), prefix...), id[:]...)
	k, v := c.Seek(start)
	if k != nil && bytes.Equal(k, start) {
		k, v = c.Next()
	}
	return k, v
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("storage: %s: %w", op, err)
}

// fuller lists the buckets whose keys arrive in ascending order, globally
// or within a business unit: nothing is later inserted between them, so
// their pages are packed fuller than bbolt's default of half, which means
// fewer pages to write on each commit.
var fuller = map[string]bool{
	string(bucketInvitations): true,
	string(bucketLinks):       true,
	string(bucketQueue):       true,
	string(bucketExpiry):      true,
	string(bucketBCC):         true,
	string(bucketReceipts):    true,
	string(bucketEvents):      true,
	string(bucketErasures):    true,
}

// bucket returns a bucket to write to.
func (w *writeTx) bucket(name []byte) *bolt.Bucket {
	b := w.tx.Bucket(name)
	if fuller[string(name)] {
		b.FillPercent = 0.9
	}
	return b
}
