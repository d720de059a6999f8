package storage

import (
	"bytes"
	"time"
)

func (r *readTx) Settings(bu string) (Settings, bool, error) {
	if err := checkBU(bu); err != nil {
		return Settings{}, false, err
	}
	v := r.tx.Bucket(bucketSettings).Get([]byte(bu))
	if v == nil {
		return Settings{}, false, nil
	}
	var s Settings
	if err := s.decode(v); err != nil {
		return Settings{}, false, err
	}
	return s, true, nil
}

func (w *writeTx) PutSettings(bu string, s Settings) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	return wrap("storing settings", w.bucket(bucketSettings).Put([]byte(bu), s.encode()))
}

func requestKey(bu, requestID string) []byte {
	return append(buPrefix(bu), requestID...)
}

func (r *readTx) Request(bu, requestID string) (Request, bool, error) {
	if err := checkBU(bu); err != nil {
		return Request{}, false, err
	}
	v := r.tx.Bucket(bucketRequests).Get(requestKey(bu, requestID))
	if v == nil {
		return Request{}, false, nil
	}
	var req Request
	if err := req.decode(v); err != nil {
		return Request{}, false, err
	}
	return req, true, nil
}

// PutRequest stores r under its request id; r.ID orders it in the expiry
// index, and the expiry entry names the request id so it can be found.
func (w *writeTx) PutRequest(bu, requestID string, r Request) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	err := w.bucket(bucketRequests).Put(requestKey(bu, requestID), r.encode())
	if err == nil {
		err = w.bucket(bucketExpiry).Put(expiryKey(expiryRequest, r.ID), requestKey(bu, requestID))
	}
	return wrap("storing request", err)
}

// DeleteRequest removes the request whose record has ID id.
func (w *writeTx) DeleteRequest(bu string, id ID) error {
	exp := w.bucket(bucketExpiry)
	k := exp.Get(expiryKey(expiryRequest, id))
	if k == nil {
		return nil
	}
	err := w.bucket(bucketRequests).Delete(k)
	if err == nil {
		err = exp.Delete(expiryKey(expiryRequest, id))
	}
	return wrap("deleting request", err)
}

func (r *readTx) Suppression(h Hash, scope string) (Suppression, bool, error) {
	v := r.tx.Bucket(bucketSuppressions).Get(suppressionKey(h, scope))
	if v == nil {
		return Suppression{}, false, nil
	}
	d := decoder{b: v}
	if d.byte() != 1 {
		return Suppression{}, false, ErrCorrupt
	}
	s := Suppression{Scope: scope, CreateTime: d.time()}
	return s, true, d.err
}

func (w *writeTx) PutSuppression(h Hash, s Suppression) error {
	if s.Scope == "" {
		return ErrInvalidKey
	}
	e := encoder{}
	e.byte(1)
	e.time(s.CreateTime)
	return wrap("storing unsubscribe", w.bucket(bucketSuppressions).Put(suppressionKey(h, s.Scope), e.b))
}

func (w *writeTx) DeleteSuppression(h Hash, scope string) (bool, error) {
	b := w.bucket(bucketSuppressions)
	k := suppressionKey(h, scope)
	if b.Get(k) == nil {
		return false, nil
	}
	return true, wrap("deleting unsubscribe", b.Delete(k))
}

func (r *readTx) EachExpired(kind RecordKind, before time.Time, fn func(bu string, id ID) bool) error {
	if kind == KindInvitation {
		return r.eachLink(before, fn)
	}
	prefix := []byte{byte(kind)}
	end := expiryKey(byte(kind), FirstID(before))
	c := r.tx.Bucket(bucketExpiry).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
		// The value starts with the business unit; a request's goes on
		// after a 0x00 with its request id.
		bu, _, _ := bytes.Cut(v, []byte{0})
		if !fn(string(bu), idFrom(k[1:])) {
			return nil
		}
	}
	return nil
}

func (r *readTx) Oldest(kind RecordKind) (time.Time, bool, error) {
	if kind == KindInvitation {
		k, _ := r.tx.Bucket(bucketLinks).Cursor().First()
		if k == nil {
			return time.Time{}, false, nil
		}
		return idFrom(k).Time(), true, nil
	}
	c := r.tx.Bucket(bucketExpiry).Cursor()
	k, _ := c.Seek([]byte{byte(kind)})
	if k == nil || k[0] != byte(kind) {
		return time.Time{}, false, nil
	}
	return idFrom(k[1:]).Time(), true, nil
}

// eachLink walks the link records, which every invitation has exactly one
// of and which are keyed by invitation ID alone: the invitations of all
// business units in creation order.
func (r *readTx) eachLink(before time.Time, fn func(bu string, id ID) bool) error {
	end := FirstID(before)
	c := r.tx.Bucket(bucketLinks).Cursor()
	for k, v := c.First(); k != nil && bytes.Compare(k, end[:]) < 0; k, v = c.Next() {
		n := bytes.IndexByte(v, 0)
		if n <= 0 {
			return ErrCorrupt
		}
		if !fn(string(v[:n]), idFrom(k)) {
			return nil
		}
	}
	return nil
}

func (r *readTx) PendingScrubs(limit int) ([]ID, error) {
	var ids []ID
	c := r.tx.Bucket(bucketScrub).Cursor()
	for k, _ := c.First(); k != nil && len(ids) < limit; k, _ = c.Next() {
		ids = append(ids, idFrom(k))
	}
	return ids, nil
}

func (w *writeTx) QueueScrub(id ID) error {
	return wrap("queueing outbox removal", w.bucket(bucketScrub).Put(id[:], nil))
}

func (w *writeTx) ClearScrubs(ids []ID) error {
	b := w.bucket(bucketScrub)
	for _, id := range ids {
		if err := b.Delete(id[:]); err != nil {
			return wrap("clearing outbox removals", err)
		}
	}
	return nil
}
