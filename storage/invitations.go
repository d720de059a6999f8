package storage

import (
	"bytes"
	"errors"
	"time"
)

func invitationAAD(key []byte) []byte {
	return append([]byte("invitations/"), key...)
}

// openInvitation decrypts a stored invitation.
func (r *readTx) openInvitation(bu string, id ID, v []byte) (Invitation, error) {
	slot, hdr, err := sealedSlot(v, invitationHeaderLen)
	if err != nil {
		return Invitation{}, err
	}
	key, err := r.key(slot)
	if err != nil {
		return Invitation{}, err
	}
	plain, err := open(key, v, invitationHeaderLen, invitationAAD(buKey(bu, id)))
	if err != nil {
		return Invitation{}, err
	}

	inv := Invitation{BusinessUnit: bu, ID: id}
	if err := inv.decode(plain); err != nil {
		return Invitation{}, err
	}
	f := parseInvitationHeader(hdr)
	inv.Customer, inv.State, inv.ScheduledTime = f.Customer, f.State, f.ScheduledTime
	return inv, nil
}

func (r *readTx) Invitation(bu string, id ID) (Invitation, error) {
	if err := checkBU(bu); err != nil {
		return Invitation{}, err
	}
	v := r.tx.Bucket(bucketInvitations).Get(buKey(bu, id))
	if v == nil {
		return Invitation{}, ErrNotFound
	}
	return r.openInvitation(bu, id, v)
}

func (r *readTx) EachInvitation(bu string, after ID, fn func(*Invitation) bool) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	prefix := buPrefix(bu)
	c := r.tx.Bucket(bucketInvitations).Cursor()
	for k, v := seekAfter(c, prefix, after); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		inv, err := r.openInvitation(bu, idFrom(k[len(prefix):]), v)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !fn(&inv) {
			return nil
		}
	}
	return nil
}

func (r *readTx) InvitationFields(bu string, id ID) (IndexFields, error) {
	if err := checkBU(bu); err != nil {
		return IndexFields{}, err
	}
	v := r.tx.Bucket(bucketInvitations).Get(buKey(bu, id))
	if v == nil {
		return IndexFields{}, ErrNotFound
	}
	_, hdr, err := sealedSlot(v, invitationHeaderLen)
	if err != nil {
		return IndexFields{}, err
	}
	return parseInvitationHeader(hdr), nil
}

func (r *readTx) EachInvitationID(bu string, after ID, before time.Time, fn func(ID, IndexFields) bool) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	prefix := buPrefix(bu)
	end := buKey(bu, FirstID(before))
	c := r.tx.Bucket(bucketInvitations).Cursor()
	for k, v := seekAfter(c, prefix, after); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
		_, hdr, err := sealedSlot(v, invitationHeaderLen)
		if err != nil {
			return err
		}
		if !fn(idFrom(k[len(prefix):]), parseInvitationHeader(hdr)) {
			return nil
		}
	}
	return nil
}

func (r *readTx) Link(id ID) (Link, error) {
	v := r.tx.Bucket(bucketLinks).Get(id[:])
	if v == nil {
		return Link{}, ErrNotFound
	}
	end := bytes.IndexByte(v, 0)
	if end <= 0 || len(v) != end+1+32 {
		return Link{}, ErrCorrupt
	}
	l := Link{BusinessUnit: string(v[:end]), Invitation: id}
	copy(l.SecretHash[:], v[end+1:])
	return l, nil
}

func (r *readTx) Due(now time.Time, limit int) ([]Due, error) {
	var due []Due
	end := u64(uint64(now.UnixNano()) + 1)
	c := r.tx.Bucket(bucketQueue).Cursor()
	for k, v := c.First(); k != nil && bytes.Compare(k[:8], end) < 0 && len(due) < limit; k, v = c.Next() {
		due = append(due, Due{
			BusinessUnit: string(v),
			Invitation:   idFrom(k[8:]),
			At:           fromUnixNano(int64(beU64(k[:8]))),
		})
	}
	return due, nil
}

func (w *writeTx) InsertInvitation(s *Sealed) error {
	if err := w.insertSealed(s, true); err != nil {
		return err
	}

	err := w.bucket(bucketInvitations).Put(buKey(s.bu, s.id), s.value)
	if err == nil {
		err = w.bucket(bucketCustomers).Put(customerRefKey(s.index.Customer, s.bu, refInvitation, s.id), nil)
	}
	if err == nil {
		link := append(append([]byte(s.bu), 0), s.linkHash[:]...)
		err = w.bucket(bucketLinks).Put(s.id[:], link)
	}
	if err == nil && s.index.State.InQueue() {
		err = w.bucket(bucketQueue).Put(queueKey(unixNano(s.index.ScheduledTime), s.id), []byte(s.bu))
	}
	return wrap("inserting invitation", err)
}

func (w *writeTx) UpdateInvitation(inv *Invitation) error {
	if err := checkBU(inv.BusinessUnit); err != nil {
		return err
	}
	key := buKey(inv.BusinessUnit, inv.ID)
	invitations := w.bucket(bucketInvitations)
	old := invitations.Get(key)
	if old == nil {
		return ErrNotFound
	}
	slot, hdr, err := sealedSlot(old, invitationHeaderLen)
	if err != nil {
		return err
	}
	was := parseInvitationHeader(hdr)
	if was.Customer != inv.Customer {
		return wrap("updating invitation: customer changed", ErrCorrupt)
	}
	dk, err := w.key(slot)
	if err != nil {
		return err
	}
	if *dk == ([32]byte{}) {
		return ErrNotFound
	}

	if err := invitations.Put(key, seal(dk, slot, inv.header(), invitationAAD(key), inv.encode())); err != nil {
		return wrap("updating invitation", err)
	}
	queue := w.bucket(bucketQueue)
	wasQueued := was.State.InQueue()
	if wasQueued && (!inv.State.InQueue() || !was.ScheduledTime.Equal(inv.ScheduledTime)) {
		if err := queue.Delete(queueKey(unixNano(was.ScheduledTime), inv.ID)); err != nil {
			return wrap("updating invitation", err)
		}
	}
	if inv.State.InQueue() && (!wasQueued || !was.ScheduledTime.Equal(inv.ScheduledTime)) {
		if err := queue.Put(queueKey(unixNano(inv.ScheduledTime), inv.ID), []byte(inv.BusinessUnit)); err != nil {
			return wrap("updating invitation", err)
		}
	}
	return nil
}

func (w *writeTx) DeleteInvitation(bu string, id ID) (Removed, error) {
	if err := checkBU(bu); err != nil {
		return Removed{}, err
	}
	key := buKey(bu, id)
	invitations := w.bucket(bucketInvitations)
	v := invitations.Get(key)
	if v == nil {
		return Removed{}, ErrNotFound
	}
	slot, hdr, err := sealedSlot(v, invitationHeaderLen)
	if err != nil {
		return Removed{}, err
	}
	f := parseInvitationHeader(hdr)
	rm := Removed{Customer: f.Customer, State: f.State}

	err = invitations.Delete(key)
	if err == nil && f.State.InQueue() {
		err = w.bucket(bucketQueue).Delete(queueKey(unixNano(f.ScheduledTime), id))
	}
	if err == nil {
		err = w.bucket(bucketLinks).Delete(id[:])
	}
	if err != nil {
		return Removed{}, wrap("deleting invitation", err)
	}
	return rm, w.releaseSlot(slot)
}
