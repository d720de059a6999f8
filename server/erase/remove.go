package erase

import (
	"errors"
	"time"

	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/storage"
)

// Two ways to remove a customer's index entries:
//
//   - Targeted: with each invitation or raw e-mail go its reference and,
//     when in scope, the customer's last-invited record. Every record costs
//     a visit to a random place of the customer index.
//   - Walking: the records go first, their references stay behind (readers
//     skip references to missing records), then one walk over the business
//     unit's customers in key order removes the references and records in
//     scope. It costs a visit to every customer of the unit, so it is used
//     when the scope covers a good part of them.
//
// walkShare is that part: at least one in eight.
const walkShare = 8

func walkPays(records, customers int64) bool {
	return records*walkShare >= customers
}

// chunkTime bounds the work of one chunk, so that a transaction holds the
// write path for about this long plus its commit, whatever the records
// cost on this machine. Longer chunks erase faster; shorter ones keep
// requests waiting behind them for less.
const chunkTime = 8 * time.Millisecond

// pace tells a chunk when its time is up.
type pace struct{ until time.Time }

func newPace() pace { return pace{until: time.Now().Add(chunkTime)} }

// over reports, every 32 records, whether the chunk's time is up.
func (p pace) over(i int) bool { return i%32 == 31 && p.up() }

// up reports whether the chunk's time is up.
func (p pace) up() bool { return time.Now().After(p.until) }

// removal accumulates what one transaction removed.
type removal struct {
	counts storage.Counts
	losing int64
	// files are invitations that may have an e-mail file in the outbox.
	files []storage.ID
}

// protection says whether removing a last-invited record takes away the
// frequency rule's protection: the rule is on and the customer would still
// be inside its window.
type protection struct {
	window time.Duration // 0 when the rule is off
	now    time.Time
}

func protectionFor(st storage.Settings, now time.Time) protection {
	return protection{window: time.Duration(st.FrequencyDays) * 24 * time.Hour, now: now}
}

func (p protection) lost(c storage.Customer) bool {
	return p.window > 0 && p.now.Before(c.LastInvited.Add(p.window))
}

// scope says what a removal takes besides the records themselves.
type scope struct {
	// targeted removes each record's customer reference with it, and the
	// customer's last-invited record when gone says its time is in scope.
	targeted bool
	gone     func(time.Time) bool
	p        protection
}

// invitation removes one invitation with its link and queue entry, and
// what s says besides.
func (r *removal) invitation(tx storage.WriteTx, bu string, id storage.ID, s scope) error {
	rm, err := tx.DeleteInvitation(bu, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}

	r.counts.Invitations++
	if rm.State == storage.StateQueued {
		r.counts.ScheduledCancelled++
	}
	r.counts.LinkTokens++ // every invitation has its link token
	if rm.State != storage.StateQueued && rm.State != storage.StateCancelled {
		if err := tx.QueueScrub(id); err != nil {
			return err
		}
		r.files = append(r.files, id)
	}
	if !s.targeted {
		return nil
	}
	if err := tx.DeleteCustomerRef(bu, rm.Customer, storage.CustomerRef{Kind: storage.RefInvitation, ID: id}); err != nil {
		return err
	}
	return r.recordIfGone(tx, bu, rm.Customer, s)
}

// bcc removes one raw e-mail, and with s targeted the references to it of
// everyone it names.
func (r *removal) bcc(tx storage.WriteTx, bu string, id storage.ID, s scope) error {
	people, ok, err := tx.DeleteBCCMessage(bu, id)
	if err != nil || !ok {
		return err
	}
	r.counts.BCCMessages++
	if !s.targeted {
		return nil
	}
	for _, h := range people {
		if err := tx.DeleteCustomerRef(bu, h, storage.CustomerRef{Kind: storage.RefBCC, ID: id}); err != nil {
			return err
		}
	}
	return nil
}

// recordIfGone removes the customer's last-invited record when s says its
// time is in scope.
func (r *removal) recordIfGone(tx storage.WriteTx, bu string, h storage.Hash, s scope) error {
	if s.gone == nil {
		return nil
	}
	c, ok, err := tx.Customer(bu, h)
	if err != nil || !ok || !s.gone(c.LastInvited) {
		return err
	}
	return r.customerRecord(tx, bu, h, s.p)
}

func (r *removal) customerRecord(tx storage.WriteTx, bu string, h storage.Hash, p protection) error {
	c, ok, err := tx.DeleteCustomer(bu, h)
	if err != nil || !ok {
		return err
	}
	r.counts.LastInvited++
	if p.lost(c) {
		r.losing++
	}
	return nil
}

// customer removes everything about one customer in one business unit,
// references left behind by a walking erasure included.
func (r *removal) customer(tx storage.WriteTx, bu string, h storage.Hash, p protection) error {
	var refs []storage.CustomerRef
	err := tx.CustomerInvitations(bu, h, storage.ID{}, func(id storage.ID) bool {
		refs = append(refs, storage.CustomerRef{Kind: storage.RefInvitation, ID: id})
		return true
	})
	if err == nil {
		err = tx.CustomerBCCMessages(bu, h, func(id storage.ID) bool {
			refs = append(refs, storage.CustomerRef{Kind: storage.RefBCC, ID: id})
			return true
		})
	}
	if err != nil {
		return err
	}

	// The invitation's own reference is this customer's; a raw e-mail also
	// has references from everyone else it names, which go with it.
	for _, ref := range refs {
		if ref.Kind == storage.RefInvitation {
			err = r.invitation(tx, bu, ref.ID, scope{})
		} else {
			err = r.bcc(tx, bu, ref.ID, scope{targeted: true})
		}
		if err == nil {
			err = tx.DeleteCustomerRef(bu, h, ref)
		}
		if err != nil {
			return err
		}
	}
	return r.customerRecord(tx, bu, h, p)
}

// walk removes, for up to budget customers of bu after the cursor, the
// references whose record is in scope (goneI for invitations, goneM for
// raw e-mails, by creation time) and gone, and the last-invited records
// goneI says are in scope whose invitation is gone. Records made while an
// erasure ran can be in scope and still there: they and their index
// entries stay. With check false, a record in scope is taken as gone
// without looking, for a caller that knows none can be left. It returns
// the new cursor and whether the walk reached the end.
func (r *removal) walk(tx storage.WriteTx, bu string, after *storage.Hash, budget int, goneI, goneM func(time.Time) bool, check bool, p protection) (*storage.Hash, bool, error) {
	type visit struct {
		h    storage.Hash
		rec  *storage.Customer
		refs []storage.CustomerRef
	}
	// Reading the customers counts against the chunk's time too.
	pc := newPace()
	var seen []visit
	full := false
	err := tx.EachCustomer(bu, after, func(h storage.Hash, c *storage.Customer, refs []storage.CustomerRef) bool {
		seen = append(seen, visit{h, c, refs})
		full = len(seen) == budget || pc.over(len(seen))
		return !full
	})
	if err != nil {
		return after, false, err
	}

	for i, v := range seen {
		if pc.over(i) {
			last := seen[i-1].h
			return &last, false, nil
		}
		for _, ref := range v.refs {
			gone := goneI
			if ref.Kind == storage.RefBCC {
				gone = goneM
			}
			if !gone(ref.ID.Time()) || check && tx.Has(bu, ref) {
				continue
			}
			if err := tx.DeleteCustomerRef(bu, v.h, ref); err != nil {
				return after, false, err
			}
		}
		if v.rec == nil || !goneI(v.rec.LastInvited) {
			continue
		}
		latest := storage.CustomerRef{Kind: storage.RefInvitation, ID: v.rec.Latest}
		if !check || !tx.Has(bu, latest) {
			if err := r.customerRecord(tx, bu, v.h, p); err != nil {
				return after, false, err
			}
		}
	}
	if len(seen) == 0 {
		return after, true, nil
	}
	last := seen[len(seen)-1].h
	return &last, !full, nil
}

// collect gathers up to limit IDs (0: all) from an iterator, so that
// deleting happens after iterating.
func collect(each func(func(storage.ID) bool) error, limit int) ([]storage.ID, error) {
	var ids []storage.ID
	err := each(func(id storage.ID) bool {
		ids = append(ids, id)
		return limit == 0 || len(ids) < limit
	})
	return ids, err
}

func (r *removal) apply(e *storage.Erasure) {
	e.Counts.Add(r.counts)
	e.LosingProtection += r.losing
	e.RecordsDone += r.counts.Records()
}

// customersChunk erases whole customers of one business unit until the
// chunk size is reached.
func (s *Service) customersChunk(tx storage.WriteTx, e *storage.Erasure) ([]storage.ID, bool, error) {
	st, err := invite.SettingsIn(tx, e.BusinessUnit)
	if err != nil {
		return nil, false, err
	}
	p := protectionFor(st, s.cfg.Clock.Now())

	var r removal
	pc := newPace()
	for e.NextCustomer < len(e.Customers) && r.counts.Records() < int64(s.cfg.ChunkSize) && !pc.up() {
		if err := r.customer(tx, e.BusinessUnit, e.Customers[e.NextCustomer], p); err != nil {
			return nil, false, err
		}
		e.NextCustomer++
	}
	r.apply(e)
	return r.files, e.NextCustomer >= len(e.Customers), nil
}

// consumerChunk erases the consumer in business units that still hold
// data about them, whole business units at a time.
func (s *Service) consumerChunk(tx storage.WriteTx, e *storage.Erasure) ([]storage.ID, bool, error) {
	h := e.Customers[0]
	bus, err := tx.CustomerBusinessUnits(h)
	if err != nil {
		return nil, false, err
	}

	var r removal
	pc := newPace()
	for _, bu := range bus {
		if r.counts.Records() >= int64(s.cfg.ChunkSize) || pc.up() {
			r.apply(e)
			return r.files, false, nil
		}
		st, err := invite.SettingsIn(tx, bu)
		if err != nil {
			return nil, false, err
		}
		if err := r.customer(tx, bu, h, protectionFor(st, s.cfg.Clock.Now())); err != nil {
			return nil, false, err
		}
	}
	r.apply(e)
	return r.files, true, nil
}

// dateChunk erases up to a chunk of a business unit's invitations created
// before the cut-off, then its raw e-mails, and, for a walking erasure,
// then walks the unit's customers.
func (s *Service) dateChunk(tx storage.WriteTx, e *storage.Erasure) ([]storage.ID, bool, error) {
	bu, budget := e.BusinessUnit, s.cfg.ChunkSize
	st, err := invite.SettingsIn(tx, bu)
	if err != nil {
		return nil, false, err
	}
	before := func(t time.Time) bool { return t.Before(e.CutOff) }
	sc := scope{targeted: !e.Walk, gone: before, p: protectionFor(st, s.cfg.Clock.Now())}

	var r removal
	defer r.apply(e)
	if e.Phase == storage.WalkCustomers {
		var after *storage.Hash
		if e.CursorSet {
			after = &e.CustomerCursor
		}
		// Whether a record in scope is gone is checked, never assumed: a
		// clock set back while the job ran can give new records old times.
		next, done, err := r.walk(tx, bu, after, budget, before, before, true, sc.p)
		if next != nil {
			e.CustomerCursor, e.CursorSet = *next, true
		}
		return r.files, done, err
	}

	pc := newPace()
	invs, err := collect(func(fn func(storage.ID) bool) error {
		return tx.EachInvitationID(bu, e.InvitationCursor, e.CutOff, func(id storage.ID, _ storage.IndexFields) bool { return fn(id) })
	}, budget)
	if err != nil {
		return nil, false, err
	}
	for i, id := range invs {
		if pc.over(i) {
			return r.files, false, nil
		}
		if err := r.invitation(tx, bu, id, sc); err != nil {
			return nil, false, err
		}
		e.InvitationCursor = id
	}
	if len(invs) == budget {
		return r.files, false, nil
	}

	rest := budget - len(invs)
	mails, err := collect(func(fn func(storage.ID) bool) error { return tx.EachBCCMessageID(bu, e.BCCCursor, e.CutOff, fn) }, rest)
	if err != nil {
		return nil, false, err
	}
	for i, id := range mails {
		if pc.over(len(invs) + i) {
			return r.files, false, nil
		}
		if err := r.bcc(tx, bu, id, sc); err != nil {
			return nil, false, err
		}
		e.BCCCursor = id
	}
	if len(mails) == rest {
		return r.files, false, nil
	}
	if e.Walk {
		e.Phase = storage.WalkCustomers
		return r.files, false, nil
	}
	return r.files, true, nil
}
