package storage

import (
	"bytes"
	"time"
)

func bccAAD(key []byte) []byte {
	return append([]byte("bcc/"), key...)
}

func (r *readTx) BCCMessage(bu string, id ID) (BCCMessage, error) {
	if err := checkBU(bu); err != nil {
		return BCCMessage{}, err
	}
	key := buKey(bu, id)
	v := r.tx.Bucket(bucketBCC).Get(key)
	if v == nil {
		return BCCMessage{}, ErrNotFound
	}
	n, err := bccHeaderLen(v)
	if err != nil {
		return BCCMessage{}, err
	}
	slot, hdr, err := sealedSlot(v, n)
	if err != nil {
		return BCCMessage{}, err
	}
	dk, err := r.key(slot)
	if err != nil {
		return BCCMessage{}, err
	}
	plain, err := open(dk, v, n, bccAAD(key))
	if err != nil {
		return BCCMessage{}, err
	}

	m := BCCMessage{BusinessUnit: bu, ID: id}
	m.Customer, m.Dedupe, m.Others = parseBCCHeader(hdr)
	return m, m.decode(plain)
}

func (r *readTx) BCCByDedupe(bu string, dedupe Hash) (ID, bool, error) {
	if err := checkBU(bu); err != nil {
		return ID{}, false, err
	}
	v := r.tx.Bucket(bucketDedupe).Get(append(buPrefix(bu), dedupe[:]...))
	if v == nil {
		return ID{}, false, nil
	}
	return idFrom(v), true, nil
}

func (r *readTx) EachBCCMessageID(bu string, after ID, before time.Time, fn func(ID) bool) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	prefix := buPrefix(bu)
	end := buKey(bu, FirstID(before))
	c := r.tx.Bucket(bucketBCC).Cursor()
	for k, _ := seekAfter(c, prefix, after); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
		if !fn(idFrom(k[len(prefix):])) {
			return nil
		}
	}
	return nil
}

func (w *writeTx) InsertBCCMessage(s *Sealed) error {
	if err := w.insertSealed(s, false); err != nil {
		return err
	}
	err := w.bucket(bucketBCC).Put(buKey(s.bu, s.id), s.value)
	if err == nil {
		err = w.bucket(bucketDedupe).Put(append(buPrefix(s.bu), s.dedupe[:]...), s.id[:])
	}
	for _, h := range append([]Hash{s.index.Customer}, s.others...) {
		if err == nil {
			err = w.bucket(bucketCustomers).Put(customerRefKey(h, s.bu, refBCC, s.id), nil)
		}
	}
	if err == nil {
		err = w.bucket(bucketExpiry).Put(expiryKey(expiryBCC, s.id), []byte(s.bu))
	}
	return wrap("inserting raw e-mail", err)
}

func (w *writeTx) DeleteBCCMessage(bu string, id ID) ([]Hash, bool, error) {
	if err := checkBU(bu); err != nil {
		return nil, false, err
	}
	key := buKey(bu, id)
	bcc := w.bucket(bucketBCC)
	v := bcc.Get(key)
	if v == nil {
		return nil, false, nil
	}
	n, err := bccHeaderLen(v)
	if err != nil {
		return nil, false, err
	}
	slot, hdr, err := sealedSlot(v, n)
	if err != nil {
		return nil, false, err
	}
	customer, dedupe, others := parseBCCHeader(hdr)
	hs := append([]Hash{customer}, others...)

	err = bcc.Delete(key)
	if err == nil {
		err = w.bucket(bucketDedupe).Delete(append(buPrefix(bu), dedupe[:]...))
	}
	if err == nil {
		err = w.bucket(bucketExpiry).Delete(expiryKey(expiryBCC, id))
	}
	if err != nil {
		return nil, false, wrap("deleting raw e-mail", err)
	}
	return hs, true, w.releaseSlot(slot)
}
