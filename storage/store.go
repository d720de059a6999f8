package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store is the storage the service runs on. Implementations are safe for
// concurrent use.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent
	// state. The transaction ends when fn returns.
	View(ctx context.Context, fn func(ReadTx) error) error
	// Update runs fn in a read-write transaction and commits it durably
	// (fsync) before returning nil. If fn returns an error nothing it wrote
	// is kept and Update returns that error. fn may run more than once, so
	// it must not have effects outside the transaction and must set, not
	// accumulate, any results it passes out. Once Update returns nil, the
	// keys of every record fn deleted are erased from disk. An error that
	// says "committed" means the writes were kept but some keys could not
	// be erased yet; they are retried with later commits and at Open.
	Update(ctx context.Context, fn func(WriteTx) error) error
	// Bulk is Update for a large piece of background work. It never shares
	// a transaction with other writes, and writes queued while it waits go
	// first. The keys it erases are zeroed in the key file when it returns
	// and synced by the next Update that erases keys or calls
	// SyncErasedKeys, so bulk work should report done through such an
	// Update.
	Bulk(ctx context.Context, fn func(WriteTx) error) error
	// SealInvitations encrypts invitations before the transaction that
	// inserts them, so that the write path stays short. Each needs its
	// final ID, business unit and index fields.
	SealInvitations(ctx context.Context, invs []*Invitation) ([]*Sealed, error)
	// SealBCC does the same for a raw e-mail.
	SealBCC(ctx context.Context, m *BCCMessage) (*Sealed, error)
	// DeriveKey returns a 32-byte secret for purpose, derived from a random
	// secret created with the store. The same purpose gives the same key
	// for the life of the store.
	DeriveKey(purpose string) []byte
	// Close waits for pending writes and closes the files.
	Close() error
}

// DB is the bbolt implementation of Store.
type DB struct {
	bolt   *bolt.DB
	slots  *slotFile
	keys   *keyStore
	secret []byte

	commits chan *commitReq
	closing chan struct{}
	closeMu sync.RWMutex // held for reading while a write is queued
	closed  bool         // guarded by closeMu
	stopped chan struct{}
	syncs   sync.WaitGroup // key-file syncs started ahead of a commit

	stats commitStats

	// Owned by the committer goroutine:
	nextSlot uint64   // first never-used key slot
	wiped    []uint64 // slots zeroed on disk but still listed in bucketSlotWipe
	// zerosUnsynced is set while a bulk commit's zeros await a sync.
	zerosUnsynced bool
	unwiped       []uint64 // slots released by a commit whose zeroing failed
}

// Options tune Open. The zero value is ready to use.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the database file before failing with ErrLocked. Default 1 second.
	LockTimeout time.Duration
	// InitialMmapSize is the initial size of bbolt's memory map in bytes;
	// larger values avoid remapping as the file grows. Default 0 (bbolt's).
	InitialMmapSize int
}

// File names inside the data directory.
const (
	DatabaseFile = "invitations.db"
	KeyFile      = "record-keys"
)

// Open opens (creating if needed) the store in dir, which is created with
// mode 0700 if missing. It fails with ErrLocked when another process has the
// store open, and with ErrCorrupt when the files are not a store.
func Open(dir string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: creating data directory: %w", err)
	}

	// The free page list is not written with every commit: after large
	// erasures it holds many pages, and writing it whole each time would
	// make every commit slower. bbolt rebuilds it at open by walking the
	// pages in use; data durability does not depend on it.
	bdb, err := bolt.Open(filepath.Join(dir, DatabaseFile), 0o600, &bolt.Options{
		Timeout:         opts.LockTimeout,
		FreelistType:    bolt.FreelistMapType,
		NoFreelistSync:  true,
		InitialMmapSize: opts.InitialMmapSize,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, ErrLocked
	}
	if err != nil {
		return nil, fmt.Errorf("storage: opening database: %w", err)
	}

	slots, err := openSlotFile(filepath.Join(dir, KeyFile))
	if err != nil {
		bdb.Close()
		return nil, err
	}

	db := &DB{
		bolt:    bdb,
		slots:   slots,
		commits: make(chan *commitReq, 1024),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if err := db.init(); err != nil {
		slots.close()
		bdb.Close()
		return nil, err
	}

	go db.commitLoop()
	return db, nil
}

// init creates the buckets and secret of a new store, recovers from an
// unclean stop, and marks the store open.
func (db *DB) init() error {
	var unclean bool
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)

		if v := meta.Get(metaSchema); v == nil {
			if err := meta.Put(metaSchema, u64(schemaVersion)); err != nil {
				return err
			}
		} else if beU64(v) != schemaVersion {
			return fmt.Errorf("storage: schema version %d, want %d: %w", beU64(v), schemaVersion, ErrCorrupt)
		}

		if v := meta.Get(metaSecret); v != nil {
			db.secret = append([]byte(nil), v...)
		} else {
			db.secret = make([]byte, 32)
			if _, err := rand.Read(db.secret); err != nil {
				return err
			}
			if err := meta.Put(metaSecret, db.secret); err != nil {
				return err
			}
		}

		if v := meta.Get(metaNextSlot); v != nil {
			db.nextSlot = beU64(v)
		}
		unclean = meta.Get(metaOpen) != nil
		return meta.Put(metaOpen, []byte{1})
	})
	if err != nil {
		return fmt.Errorf("storage: initializing database: %w", err)
	}

	return db.recoverSlots(unclean)
}

// recoverSlots finishes wipes that a stop interrupted and, after an unclean
// stop, zeroes every free slot and every slot past the last one in use, in
// case a key was written for a transaction that never committed.
func (db *DB) recoverSlots(unclean bool) error {
	var pending, free []uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		pending = slotList(tx.Bucket(bucketSlotWipe))
		free = slotList(tx.Bucket(bucketSlotFree))
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: reading key slots: %w", err)
	}

	if unclean {
		if err := db.slots.truncate(db.nextSlot); err != nil {
			return err
		}
	}
	wipe := pending
	if unclean {
		wipe = append(wipe, free...)
	}
	if err := db.slots.wipe(wipe); err != nil {
		return err
	}
	if err := db.slots.sync(); err != nil {
		return err
	}
	db.wiped = pending
	db.keys = newKeyStore(db.slots, free, db.nextSlot)
	return nil
}

func slotList(b *bolt.Bucket) []uint64 {
	var slots []uint64
	b.ForEach(func(k, _ []byte) error {
		slots = append(slots, beU64(k))
		return nil
	})
	return slots
}

// DeriveKey returns HMAC-SHA256(secret, purpose).
func (db *DB) DeriveKey(purpose string) []byte {
	m := hmac.New(sha256.New, db.secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Size returns the size of the database file in bytes.
func (db *DB) Size() int64 {
	var n int64
	db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Size()
		return nil
	})
	return n
}

// View implements Store.
func (db *DB) View(ctx context.Context, fn func(ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-db.closing:
		return ErrClosed
	default:
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		return fn(&readTx{tx: tx, db: db})
	})
}

// Close implements Store. Writes queued before Close still commit.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return ErrClosed
	}
	db.closed = true
	close(db.closing)
	db.closeMu.Unlock()
	<-db.stopped
	db.syncs.Wait()

	err := db.keys.close()
	if err == nil && db.zerosUnsynced {
		err = db.slots.sync()
	}
	if err == nil {
		err = db.bolt.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Delete(metaOpen)
		})
	}
	if cerr := db.slots.close(); err == nil {
		err = cerr
	}
	if cerr := db.bolt.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("storage: closing: %w", err)
	}
	return nil
}
