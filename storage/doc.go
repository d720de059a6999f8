// Package storage keeps the service's records in an embedded bbolt file and
// makes erased personal data unrecoverable from the bytes on disk.
//
// Callers see domain records (Invitation, Customer, Erasure...) through the
// Store, ReadTx and WriteTx interfaces; no bbolt type leaves the package.
// Every multi-key change (a record and all its index entries) happens in one
// WriteTx. The package knows nothing of gRPC, e-mail or business rules: it
// keeps records and their indexes consistent and nothing more.
//
// # Indexes
//
// Every lookup and every erasure walks an index whose size is what it
// touches, never the whole file: invitations by business unit in creation
// order (their IDs begin with the creation time), by business unit and
// customer (a keyed hash of the normalized address, never the address), by
// send time (the send queue), and by link token, whose records, keyed by
// invitation ID alone, also order every invitation by creation time for the
// retention sweeper. Deleting a record leaves its customer reference to be
// removed by the caller (DeleteCustomerRef), so that an erasure covering
// much of a business unit can remove references in one ordered walk over
// the unit's customers (EachCustomer) instead of one random visit each.
//
// # The write path
//
// One goroutine commits every write; the writes queued while it commits
// share the next transaction and its fsync. Records are encrypted before
// their transaction (SealInvitations, SealBCC); the key file is synced
// while the transaction's functions run. Bulk writes never share a
// transaction and let ordinary writes go first. The free page list is
// rebuilt at Open rather than written with every commit.
//
// # Erased means unreadable
//
// bbolt never zeroes a freed page: deleted values stay in the file until the
// page is reused, and the file never shrinks. Compacting the file after
// every erasure would cost time in proportion to the whole store. Instead
// every record holding personal data (invitations, raw BCC e-mails) is
// sealed with AES-256-GCM under a random key of its own, kept in a separate
// key file at a fixed slot. Deleting the record overwrites its slot with
// zeros in place and syncs the key file before the WriteTx that deleted it
// returns, so old ciphertext left in free pages can no longer be decrypted.
// The key file itself holds nothing else and is never copied, so wiping a
// slot leaves no residue behind.
//
// Index keys that identify a customer use a keyed SHA-256 of the normalized
// address (Hash), derived from a secret kept in the database; freed pages
// may keep such hashes until reused, but never an address, name or
// reference in clear.
//
// A slot is written and synced before the transaction that uses it commits.
// If the process dies in between, the slot holds a key for data that was
// never committed; after such an unclean stop, Open zeroes every free slot.
//
// The guarantee stops at the file system: a copy-on-write file system, a
// snapshot or a backup taken outside the service may keep old blocks.
package storage
