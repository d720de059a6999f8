package storage

import (
	"bytes"
	"crypto/sha256"
	"time"
)

func (r *readTx) Erasure(bu string, id ID) (Erasure, error) {
	v := r.tx.Bucket(bucketErasures).Get(buKey(bu, id))
	if v == nil {
		return Erasure{}, ErrNotFound
	}
	e := Erasure{BusinessUnit: bu, ID: id}
	return e, e.decode(v)
}

func (r *readTx) EachErasure(bu string, before ID, fn func(*Erasure) bool) error {
	prefix := buPrefix(bu)
	c := r.tx.Bucket(bucketErasures).Cursor()

	var k, v []byte
	if before.IsZero() {
		// The first key after every key of this business unit.
		k, v = c.Seek(append([]byte(bu), 1))
	} else {
		k, v = c.Seek(buKey(bu, before))
	}
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}

	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		e := Erasure{BusinessUnit: bu, ID: idFrom(k[len(prefix):])}
		if err := e.decode(v); err != nil {
			return err
		}
		if !fn(&e) {
			return nil
		}
	}
	return nil
}

func (r *readTx) EachErasureAll(before ID, fn func(*Erasure) bool) error {
	c := r.tx.Bucket(bucketExpiry).Cursor()
	prefix := []byte{expiryErasure}

	var k, v []byte
	if before.IsZero() {
		k, v = c.Seek([]byte{expiryErasure + 1})
	} else {
		k, v = c.Seek(expiryKey(expiryErasure, before))
	}
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}

	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		e, err := r.Erasure(string(v), idFrom(k[1:]))
		if err != nil {
			return err
		}
		if !fn(&e) {
			return nil
		}
	}
	return nil
}

func (r *readTx) ActiveErasures() ([]Erasure, error) {
	var es []Erasure
	c := r.tx.Bucket(bucketActive).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		e, err := r.Erasure(string(v), idFrom(k))
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, nil
}

func (w *writeTx) PutErasure(e *Erasure) error {
	erasures, key := w.bucket(bucketErasures), buKey(e.BusinessUnit, e.ID)
	// A job is stored again with every chunk; its index entries are
	// written when it is new and when it ends, not each time.
	isNew := erasures.Get(key) == nil
	err := erasures.Put(key, e.encode())
	if err == nil && isNew {
		err = w.bucket(bucketExpiry).Put(expiryKey(expiryErasure, e.ID), []byte(e.BusinessUnit))
	}
	if err == nil {
		active := w.bucket(bucketActive)
		switch {
		case e.State == ErasureSucceeded:
			err = active.Delete(e.ID[:])
		case isNew:
			err = active.Put(e.ID[:], []byte(e.BusinessUnit))
		}
	}
	return wrap("storing erasure", err)
}

func (w *writeTx) DeleteErasure(bu string, id ID) error {
	err := w.bucket(bucketErasures).Delete(buKey(bu, id))
	if err == nil {
		err = w.bucket(bucketExpiry).Delete(expiryKey(expiryErasure, id))
	}
	if err == nil {
		err = w.bucket(bucketActive).Delete(id[:])
	}
	return wrap("deleting erasure", err)
}

// A stored receipt is its content followed by its 32-byte hash.

func decodeReceipt(v []byte) (Receipt, error) {
	var r Receipt
	if len(v) < 32 {
		return r, ErrCorrupt
	}
	if err := r.decodeContent(v[:len(v)-32]); err != nil {
		return r, err
	}
	copy(r.Hash[:], v[len(v)-32:])
	return r, nil
}

// ReceiptHash is the hash of a receipt's content, which includes the hash
// of the receipt before it.
func ReceiptHash(r *Receipt) [32]byte {
	return sha256.Sum256(r.content())
}

// Receipts form one chain per business unit and one, named "", for
// erasures that cross business units (consumer erasures, retention), so a
// business sees no trace of another's erasures in its own chain.

func receiptKey(chain string, seq uint64) []byte {
	return append(buPrefix(chain), u64(seq)...)
}

func (r *readTx) EachReceipt(chain string, after uint64, fn func(*Receipt) bool) error {
	prefix := buPrefix(chain)
	c := r.tx.Bucket(bucketReceipts).Cursor()
	for k, v := c.Seek(receiptKey(chain, after+1)); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
		rc, err := decodeReceipt(v)
		if err != nil {
			return wrap("reading receipt", err)
		}
		if !fn(&rc) {
			return nil
		}
	}
	return nil
}

// chainKey is a chain's key in bucketChains: bbolt refuses the empty key
// the chain across business units would have.
func chainKey(chain string) []byte { return append([]byte{0}, chain...) }

func (r *readTx) ReceiptChains() ([]string, error) {
	var chains []string
	err := r.tx.Bucket(bucketChains).ForEach(func(k, _ []byte) error {
		chains = append(chains, string(k[1:]))
		return nil
	})
	return chains, err
}

func chainPoint(v []byte) ChainPoint {
	var p ChainPoint
	if len(v) == 40 {
		p.Sequence = beU64(v[:8])
		copy(p.Hash[:], v[8:])
	}
	return p
}

func (p ChainPoint) bytes() []byte { return append(u64(p.Sequence), p.Hash[:]...) }

// A chain's record in bucketChains is its head and its base.

func (r *readTx) ReceiptChain(chain string) (ChainPoint, ChainPoint, error) {
	v := r.tx.Bucket(bucketChains).Get(chainKey(chain))
	if v == nil {
		return ChainPoint{}, ChainPoint{}, nil
	}
	if len(v) != 80 {
		return ChainPoint{}, ChainPoint{}, ErrCorrupt
	}
	return chainPoint(v[:40]), chainPoint(v[40:]), nil
}

func (w *writeTx) putChain(chain string, head, base ChainPoint) error {
	return w.bucket(bucketChains).Put(chainKey(chain), append(head.bytes(), base.bytes()...))
}

func (w *writeTx) AppendReceipt(rc *Receipt) error {
	head, base, err := w.ReceiptChain(rc.BusinessUnit)
	if err != nil {
		return err
	}
	rc.Sequence = head.Sequence + 1
	rc.PrevHash = head.Hash
	rc.Hash = ReceiptHash(rc)

	err = w.bucket(bucketReceipts).Put(receiptKey(rc.BusinessUnit, rc.Sequence), append(rc.content(), rc.Hash[:]...))
	if err == nil {
		err = w.putChain(rc.BusinessUnit, ChainPoint{rc.Sequence, rc.Hash}, base)
	}
	return wrap("appending receipt", err)
}

func (w *writeTx) PruneReceipts(expired func(time.Time) bool, limit int) (int, error) {
	chains, err := w.ReceiptChains()
	if err != nil {
		return 0, err
	}
	receipts := w.bucket(bucketReceipts)
	n := 0
	for _, chain := range chains {
		head, base, err := w.ReceiptChain(chain)
		if err != nil {
			return n, err
		}
		pruned := false
		for n < limit {
			k := receiptKey(chain, base.Sequence+1)
			v := receipts.Get(k)
			if v == nil {
				break
			}
			rc, err := decodeReceipt(v)
			if err != nil {
				return n, wrap("pruning receipts", err)
			}
			if !expired(rc.EndTime) {
				break
			}
			if err := receipts.Delete(k); err != nil {
				return n, wrap("pruning receipts", err)
			}
			base, pruned = ChainPoint{rc.Sequence, rc.Hash}, true
			n++
		}
		if pruned {
			if err := w.putChain(chain, head, base); err != nil {
				return n, wrap("pruning receipts", err)
			}
		}
	}
	return n, nil
}

func (r *readTx) EachEvent(after uint64, fn func(*Event) bool) error {
	c := r.tx.Bucket(bucketEvents).Cursor()
	for k, v := c.Seek(u64(after + 1)); k != nil; k, v = c.Next() {
		ev := Event{Sequence: beU64(k)}
		if err := ev.decode(v); err != nil {
			return wrap("reading event", err)
		}
		if !fn(&ev) {
			return nil
		}
	}
	return nil
}

func (r *readTx) EventBounds() (uint64, uint64, error) {
	var oldest, last uint64
	if k, _ := r.tx.Bucket(bucketEvents).Cursor().First(); k != nil {
		oldest = beU64(k)
	}
	if v := r.tx.Bucket(bucketMeta).Get(metaEventSeq); v != nil {
		last = beU64(v)
	}
	return oldest, last, nil
}

func (w *writeTx) AppendEvent(ev *Event) error {
	_, last, _ := w.EventBounds()
	ev.Sequence = last + 1
	err := w.bucket(bucketEvents).Put(u64(ev.Sequence), ev.encode())
	if err == nil {
		err = w.bucket(bucketMeta).Put(metaEventSeq, u64(ev.Sequence))
	}
	return wrap("appending event", err)
}

func (w *writeTx) PruneEvents(expired func(time.Time) bool, limit int) (int, error) {
	c := w.bucket(bucketEvents).Cursor()
	n := 0
	for k, v := c.First(); k != nil && n < limit; k, v = c.First() {
		var ev Event
		if err := ev.decode(v); err != nil {
			return n, wrap("pruning events", err)
		}
		if !expired(ev.CreateTime) {
			break
		}
		if err := c.Delete(); err != nil {
			return n, wrap("pruning events", err)
		}
		n++
	}
	return n, nil
}
