package storage

import (
	"bytes"
	"crypto/sha256"
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

func (r *readTx) CustomerInvitations(bu string, h Hash, after ID, fn func(ID) bool) error {
	return r.customerRefs(bu, h, refInvitation, after, fn)
}

func (r *readTx) CustomerBCCMessages(bu string, h Hash, fn func(ID) bool) error {
	return r.customerRefs(bu, h, refBCC, ID{}, fn)
}

func (r *readTx) customerRefs(bu string, h Hash, kind byte, after ID, fn func(ID) bool) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	prefix := append(customerKey(h, bu), kind)
	c := r.tx.Bucket(bucketCustomers).Cursor()
	for k, _ := seekAfter(c, prefix, after); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if !fn(idFrom(k[len(prefix):])) {
			return nil
		}
	}
	return nil
}

func (r *readTx) Customer(bu string, h Hash) (Customer, bool, error) {
	if err := checkBU(bu); err != nil {
		return Customer{}, false, err
	}
	v := r.tx.Bucket(bucketCustomers).Get(customerKey(h, bu))
	if v == nil {
		return Customer{}, false, nil
	}
	var c Customer
	if err := c.decode(v); err != nil {
		return Customer{}, false, err
	}
	return c, true, nil
}

func (r *readTx) CustomerBusinessUnits(h Hash) ([]string, error) {
	var bus []string
	c := r.tx.Bucket(bucketCustomers).Cursor()
	for k, _ := c.Seek(h[:]); k != nil && bytes.HasPrefix(k, h[:]); {
		rest := k[len(h):]
		end := bytes.IndexByte(rest, 0)
		if end <= 0 {
			return nil, ErrCorrupt
		}
		bu := string(rest[:end])
		bus = append(bus, bu)
		// Jump past every key of this business unit: 0x01 sorts after the
		// 0x00 that ends the business unit id.
		k, _ = c.Seek(append(append(append([]byte(nil), h[:]...), bu...), 1))
	}
	return bus, nil
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

func (w *writeTx) InsertInvitation(inv *Invitation) error {
	if err := checkBU(inv.BusinessUnit); err != nil {
		return err
	}
	key := buKey(inv.BusinessUnit, inv.ID)
	invitations := w.bucket(bucketInvitations)
	if invitations.Get(key) != nil {
		return wrap("inserting invitation", ErrCorrupt)
	}

	slot, dk, err := w.newKey()
	if err != nil {
		return err
	}
	if err := invitations.Put(key, seal(dk, slot, inv.header(), invitationAAD(key), inv.encode())); err != nil {
		return wrap("inserting invitation", err)
	}
	if err := w.bucket(bucketCustomers).Put(customerRefKey(inv.Customer, inv.BusinessUnit, refInvitation, inv.ID), nil); err != nil {
		return wrap("inserting invitation", err)
	}
	secretHash := sha256.Sum256(inv.LinkSecret[:])
	link := append(append([]byte(inv.BusinessUnit), 0), secretHash[:]...)
	if err := w.bucket(bucketLinks).Put(inv.ID[:], link); err != nil {
		return wrap("inserting invitation", err)
	}
	if inv.inQueue() {
		if err := w.bucket(bucketQueue).Put(queueKey(unixNano(inv.ScheduledTime), inv.ID), []byte(inv.BusinessUnit)); err != nil {
			return wrap("inserting invitation", err)
		}
	}
	return nil
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
	wasQueued := was.State == StateQueued || was.State == StateSending
	if wasQueued && (!inv.inQueue() || !was.ScheduledTime.Equal(inv.ScheduledTime)) {
		if err := queue.Delete(queueKey(unixNano(was.ScheduledTime), inv.ID)); err != nil {
			return wrap("updating invitation", err)
		}
	}
	if inv.inQueue() && (!wasQueued || !was.ScheduledTime.Equal(inv.ScheduledTime)) {
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
	if err == nil {
		err = w.bucket(bucketCustomers).Delete(customerRefKey(f.Customer, bu, refInvitation, id))
	}
	if err == nil && (f.State == StateQueued || f.State == StateSending) {
		err = w.bucket(bucketQueue).Delete(queueKey(unixNano(f.ScheduledTime), id))
	}
	if links := w.bucket(bucketLinks); err == nil && links.Get(id[:]) != nil {
		rm.Link = true
		err = links.Delete(id[:])
	}
	if err != nil {
		return Removed{}, wrap("deleting invitation", err)
	}
	return rm, w.releaseSlot(slot)
}

func (w *writeTx) PutCustomer(bu string, h Hash, c Customer) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	return wrap("storing customer", w.bucket(bucketCustomers).Put(customerKey(h, bu), c.encode()))
}

func (w *writeTx) DeleteCustomer(bu string, h Hash) (Customer, bool, error) {
	c, ok, err := w.Customer(bu, h)
	if err != nil || !ok {
		return c, ok, err
	}
	return c, true, wrap("deleting customer", w.bucket(bucketCustomers).Delete(customerKey(h, bu)))
}
