package storage

// Every bucket of the database, and the layout of its keys and values. A
// business unit id never holds a 0x00 byte, so it ends at the 0x00 that
// follows it. IDs and sequence numbers are big-endian, so keys sort by time.
var (
	// bucketMeta holds single values: the keys below.
	bucketMeta = []byte("meta")
	// bucketInvitations: bu 0x00 id -> sealed invitation.
	bucketInvitations = []byte("invitations")
	// bucketCustomers: bu 0x00 hash -> customer (last-invited) record;
	// bu 0x00 hash 'I' id -> nil for each invitation;
	// bu 0x00 hash 'M' id -> nil for each raw BCC e-mail.
	// A business unit's customers are contiguous, so erasing most of them
	// can walk them in key order instead of jumping to each.
	bucketCustomers = []byte("customers")
	// bucketUnits: bu -> number of customer records: every business unit
	// that ever held a customer.
	bucketUnits = []byte("units")
	// bucketCleanups: bu -> time: customer index regions a retention sweep
	// must still walk, with the sweep's time.
	bucketCleanups = []byte("cleanups")
	// bucketLinks: id -> bu 0x00 secret hash: the review link tokens. One
	// per invitation, keyed by ID alone, so it also orders every
	// invitation by creation time for the retention sweeper.
	bucketLinks = []byte("links")
	// bucketQueue: send time (8) id -> bu: the send queue.
	bucketQueue = []byte("queue")
	// bucketExpiry: kind id -> bu: records other than invitations in order
	// of creation, for the retention sweeper. Kinds are the expiry*
	// constants.
	bucketExpiry = []byte("expiry")
	// bucketBCC: bu 0x00 id -> sealed raw BCC e-mail.
	bucketBCC = []byte("bcc")
	// bucketDedupe: bu 0x00 dedupe hash -> id of the raw BCC e-mail.
	bucketDedupe = []byte("dedupe")
	// bucketSettings: bu -> settings.
	bucketSettings = []byte("settings")
	// bucketRequests: bu 0x00 request id -> request record.
	bucketRequests = []byte("requests")
	// bucketErasures: bu 0x00 id -> erasure job; bu is empty for consumer
	// erasures.
	bucketErasures = []byte("erasures")
	// bucketActive: id -> bu for every erasure that has not finished.
	bucketActive = []byte("active-erasures")
	// bucketReceipts: chain 0x00 sequence -> receipt; the chain is a
	// business unit, or empty for erasures that cross business units.
	bucketReceipts = []byte("receipts")
	// bucketChains: 0x00 chain -> head (sequence, hash) and base (sequence,
	// hash) of its receipts.
	bucketChains = []byte("receipt-chains")
	// bucketEvents: sequence -> erasure event.
	bucketEvents = []byte("events")
	// bucketSuppressions: hash scope -> suppression; scope is a business
	// unit or "*" for every business unit.
	bucketSuppressions = []byte("suppressions")
	// bucketSlotFree: slot -> nil for key slots that are zero and reusable.
	bucketSlotFree = []byte("slots-free")
	// bucketSlotWipe: slot -> nil for key slots released by a commit and
	// not yet known to be zeroed.
	bucketSlotWipe = []byte("slots-wipe")
	// bucketScrub: id -> nil for invitations whose delivered e-mail file
	// must still be removed from the outbox.
	bucketScrub = []byte("outbox-scrub")

	allBuckets = [][]byte{
		bucketMeta, bucketInvitations, bucketCustomers, bucketLinks, bucketQueue,
		bucketExpiry, bucketBCC, bucketDedupe, bucketSettings, bucketRequests,
		bucketErasures, bucketActive, bucketReceipts, bucketEvents,
		bucketSuppressions, bucketSlotFree, bucketSlotWipe, bucketScrub,
		bucketUnits, bucketCleanups, bucketChains,
	}
)

// Keys of bucketMeta.
var (
	metaSchema   = []byte("schema")    // uint64 schema version
	metaSecret   = []byte("secret")    // 32 random bytes, the root of derived keys
	metaNextSlot = []byte("next-slot") // uint64, first never-used key slot
	metaOpen     = []byte("open")      // present while a process has the store open
	metaEventSeq = []byte("event-seq") // uint64, last event sequence used
	metaSweep    = []byte("sweep")     // tally of retention sweeps not yet receipted
)

const schemaVersion = 1

// Expiry kinds, the first byte of a bucketExpiry key.
const (
	expiryInvitation = 'I' // not stored: invitations are walked in bucketLinks
	expiryBCC        = 'M'
	expiryRequest    = 'R'
	expiryErasure    = 'E'
)

// Customer reference kinds, the byte after the hash in a bucketCustomers
// key.
const (
	refInvitation = 'I'
	refBCC        = 'M'
)

func buKey(bu string, id ID) []byte {
	k := make([]byte, 0, len(bu)+1+len(id))
	k = append(k, bu...)
	k = append(k, 0)
	return append(k, id[:]...)
}

func buPrefix(bu string) []byte {
	return append([]byte(bu), 0)
}

func customerKey(h Hash, bu string) []byte {
	k := make([]byte, 0, len(bu)+1+len(h)+1+len(ID{}))
	k = append(k, bu...)
	k = append(k, 0)
	return append(k, h[:]...)
}

func customerRefKey(h Hash, bu string, kind byte, id ID) []byte {
	k := customerKey(h, bu)
	k = append(k, kind)
	return append(k, id[:]...)
}

func queueKey(at int64, id ID) []byte {
	k := make([]byte, 0, 8+len(id))
	k = append(k, u64(uint64(at))...)
	return append(k, id[:]...)
}

func expiryKey(kind byte, id ID) []byte {
	return append([]byte{kind}, id[:]...)
}

func suppressionKey(h Hash, scope string) []byte {
	k := make([]byte, 0, len(h)+len(scope))
	k = append(k, h[:]...)
	return append(k, scope...)
}
