package storage

import (
	"bytes"
	"time"
)

// RefKind says what a customer reference points at.
type RefKind byte

// Kinds of customer references.
const (
	RefInvitation RefKind = refInvitation
	RefBCC        RefKind = refBCC
)

// CustomerRef is one entry of a customer's index: an invitation or a raw
// e-mail of theirs.
type CustomerRef struct {
	Kind RefKind
	ID   ID
}

func (r *readTx) Has(bu string, ref CustomerRef) bool {
	b := bucketInvitations
	if ref.Kind == RefBCC {
		b = bucketBCC
	}
	return r.tx.Bucket(b).Get(buKey(bu, ref.ID)) != nil
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
	customers := r.tx.Bucket(bucketCustomers).Cursor()
	err := r.tx.Bucket(bucketUnits).ForEach(func(k, _ []byte) error {
		prefix := customerKey(h, string(k))
		if got, _ := customers.Seek(prefix); got != nil && bytes.HasPrefix(got, prefix) {
			bus = append(bus, string(k))
		}
		return nil
	})
	return bus, err
}

func (r *readTx) CustomerCount(bu string) (int64, error) {
	var n int64
	if v := r.tx.Bucket(bucketUnits).Get([]byte(bu)); len(v) == 8 {
		n = int64(beU64(v))
	}
	if r.w != nil {
		n += r.w.counts[bu]
	}
	return n, nil
}

func (r *readTx) EachCustomer(bu string, after *Hash, fn func(Hash, *Customer, []CustomerRef) bool) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	prefix := buPrefix(bu)
	c := r.tx.Bucket(bucketCustomers).Cursor()
	var k, v []byte
	if after == nil {
		k, v = c.Seek(prefix)
	} else {
		// 0xff sorts after every reference kind of that customer.
		k, v = c.Seek(append(customerKey(*after, bu), 0xff))
	}

	var cur Hash
	var rec *Customer
	var refs []CustomerRef
	have := false
	flush := func() bool {
		if !have {
			return true
		}
		more := fn(cur, rec, refs)
		rec, refs, have = nil, nil, false
		return more
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		rest := k[len(prefix):]
		if len(rest) < len(cur) {
			return ErrCorrupt
		}
		var h Hash
		copy(h[:], rest)
		if have && h != cur {
			if !flush() {
				return nil
			}
		}
		cur, have = h, true
		switch rest = rest[len(h):]; {
		case len(rest) == 0:
			var cr Customer
			if err := cr.decode(v); err != nil {
				return err
			}
			rec = &cr
		case len(rest) == 1+len(ID{}):
			refs = append(refs, CustomerRef{Kind: RefKind(rest[0]), ID: idFrom(rest[1:])})
		default:
			return ErrCorrupt
		}
	}
	flush()
	return nil
}

func (w *writeTx) PutCustomer(bu string, h Hash, c Customer) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	b := w.bucket(bucketCustomers)
	k := customerKey(h, bu)
	if b.Get(k) == nil {
		w.countCustomer(bu, 1)
	}
	return wrap("storing customer", b.Put(k, c.encode()))
}

func (w *writeTx) DeleteCustomer(bu string, h Hash) (Customer, bool, error) {
	c, ok, err := w.Customer(bu, h)
	if err != nil || !ok {
		return c, ok, err
	}
	w.countCustomer(bu, -1)
	return c, true, wrap("deleting customer", w.bucket(bucketCustomers).Delete(customerKey(h, bu)))
}

// countCustomer adds d to bu's customer count. Counts are written once per
// transaction, before it commits.
func (w *writeTx) countCustomer(bu string, d int64) {
	if w.counts == nil {
		w.counts = map[string]int64{}
	}
	w.counts[bu] += d
}

// writeCounts stores the customer counts changed by the transaction,
// registering new business units.
func (w *writeTx) writeCounts() error {
	units := w.bucket(bucketUnits)
	for bu, d := range w.counts {
		var n int64
		if v := units.Get([]byte(bu)); len(v) == 8 {
			n = int64(beU64(v))
		}
		if err := units.Put([]byte(bu), u64(uint64(max(n+d, 0)))); err != nil {
			return wrap("counting customers", err)
		}
	}
	return nil
}

func (w *writeTx) DeleteCustomerRef(bu string, h Hash, ref CustomerRef) error {
	if err := checkBU(bu); err != nil {
		return err
	}
	return wrap("deleting customer reference", w.bucket(bucketCustomers).Delete(customerRefKey(h, bu, byte(ref.Kind), ref.ID)))
}

func (r *readTx) Cleanups() (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := r.tx.Bucket(bucketCleanups).ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			return ErrCorrupt
		}
		out[string(k)] = fromUnixNano(int64(beU64(v)))
		return nil
	})
	return out, err
}

func (w *writeTx) PutCleanup(bu string, at time.Time) error {
	return wrap("storing cleanup", w.bucket(bucketCleanups).Put([]byte(bu), u64(uint64(unixNano(at)))))
}

func (w *writeTx) DeleteCleanup(bu string) error {
	return wrap("deleting cleanup", w.bucket(bucketCleanups).Delete([]byte(bu)))
}

// SweepTally is what retention sweeps removed that no receipt records yet.
type SweepTally struct {
	Start  time.Time // when the first sweep counted began
	Counts Counts
}

func (r *readTx) SweepTally() (SweepTally, bool, error) {
	v := r.tx.Bucket(bucketMeta).Get(metaSweep)
	if v == nil {
		return SweepTally{}, false, nil
	}
	d := decoder{b: v}
	var t SweepTally
	if d.byte() != 1 {
		return t, false, ErrCorrupt
	}
	t.Start = d.time()
	t.Counts.decode(&d)
	return t, d.err == nil, d.err
}

func (w *writeTx) AddSweepTally(start time.Time, c Counts) error {
	if c == (Counts{}) {
		return nil
	}
	t, ok, err := w.SweepTally()
	if err != nil {
		return err
	}
	if !ok || start.Before(t.Start) {
		t.Start = start
	}
	t.Counts.Add(c)
	var e encoder
	e.byte(1)
	e.time(t.Start)
	t.Counts.encode(&e)
	return wrap("storing sweep tally", w.bucket(bucketMeta).Put(metaSweep, e.b))
}

func (w *writeTx) ClearSweepTally() error {
	return wrap("clearing sweep tally", w.bucket(bucketMeta).Delete(metaSweep))
}
