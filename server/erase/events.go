package erase

import (
	"context"
	"sync"

	"github.com/reviewdata/invitations/storage"
)

// broker wakes event streams when an event is appended.
type broker struct {
	mu sync.Mutex    // guards ch
	ch chan struct{} // closed and replaced on every publish
}

func newBroker() *broker { return &broker{ch: make(chan struct{})} }

// wait returns a channel closed by the next publish.
func (b *broker) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func (b *broker) publish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}

// Events returns up to limit events after sequence after, in order, and
// the sequence to poll after next. It returns ErrEventsExpired when events
// right after the cursor were already pruned.
func (s *Service) Events(ctx context.Context, after uint64, limit int) ([]storage.Event, uint64, error) {
	var evs []storage.Event
	next := after
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		oldest, last, err := tx.EventBounds()
		if err != nil {
			return err
		}
		if after != 0 && (after+1 < oldest || oldest == 0 && after < last) {
			return ErrEventsExpired
		}
		return tx.EachEvent(after, func(ev *storage.Event) bool {
			evs = append(evs, *ev)
			next = ev.Sequence
			return len(evs) < limit
		})
	})
	return evs, next, err
}

// Stream calls send with every event after sequence after, in order, then
// with each new one as it is appended, until ctx ends or send fails.
func (s *Service) Stream(ctx context.Context, after uint64, send func(*storage.Event) error) error {
	for {
		wake := s.events.wait()
		evs, next, err := s.Events(ctx, after, 100)
		if err != nil {
			return err
		}
		for i := range evs {
			if err := send(&evs[i]); err != nil {
				return err
			}
		}
		after = next
		if len(evs) == 100 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// Receipts returns up to limit receipts of chain (a business unit, or ""
// for erasures across business units) after sequence after that match
// keep, in chain order, and the sequence to continue after (0 at the end).
func (s *Service) Receipts(ctx context.Context, chain string, after uint64, limit int, keep func(*storage.Receipt) bool) ([]storage.Receipt, uint64, error) {
	var out []storage.Receipt
	var next uint64
	const scanBudget = 20000
	more := false
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		scanned := 0
		return tx.EachReceipt(chain, after, func(r *storage.Receipt) bool {
			if len(out) == limit || scanned == scanBudget {
				more = true
				return false
			}
			scanned++
			next = r.Sequence
			if keep(r) {
				out = append(out, *r)
			}
			return true
		})
	})
	if err != nil || !more {
		return out, 0, err
	}
	return out, next, nil
}

// ReceiptChains lists the receipt chains, "" first.
func (s *Service) ReceiptChains(ctx context.Context) ([]string, error) {
	var chains []string
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		var err error
		chains, err = tx.ReceiptChains()
		return err
	})
	return chains, err
}

// Verification is the outcome of checking receipt chains.
type Verification struct {
	Intact  bool
	Checked int64
	// Chain, BrokenAt and Problem say where the first break is.
	Chain    string
	BrokenAt uint64
	Problem  string
	// Head is the hash of the last receipt, when one chain was checked.
	Head [32]byte
}

// VerifyReceipts checks the given chains, every one when chains is nil:
// each receipt's hash is right, each links to the one before with no gap
// in sequence and belongs to its chain, and the last one is the chain's
// recorded head.
func (s *Service) VerifyReceipts(ctx context.Context, chains []string) (Verification, error) {
	var v Verification
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		if chains == nil {
			var err error
			if chains, err = tx.ReceiptChains(); err != nil {
				return err
			}
		}
		for _, chain := range chains {
			ok, err := verifyChain(tx, chain, &v)
			if err != nil || !ok {
				return err
			}
		}
		v.Intact = true
		return nil
	})
	return v, err
}

func verifyChain(tx storage.ReadTx, chain string, v *Verification) (bool, error) {
	head, base, err := tx.ReceiptChain(chain)
	if err != nil {
		return false, err
	}
	prev := base
	v.Head = head.Hash
	err = tx.EachReceipt(chain, base.Sequence, func(r *storage.Receipt) bool {
		v.Checked++
		switch {
		case r.Sequence != prev.Sequence+1:
			v.BrokenAt, v.Problem = prev.Sequence+1, "receipt missing"
		case r.PrevHash != prev.Hash:
			v.BrokenAt, v.Problem = r.Sequence, "does not link to the receipt before it"
		case storage.ReceiptHash(r) != r.Hash:
			v.BrokenAt, v.Problem = r.Sequence, "content does not match its hash"
		case r.BusinessUnit != chain:
			v.BrokenAt, v.Problem = r.Sequence, "belongs to another chain"
		default:
			prev = storage.ChainPoint{Sequence: r.Sequence, Hash: r.Hash}
			return true
		}
		return false
	})
	if err != nil {
		return false, err
	}
	if v.Problem == "" && prev != head {
		v.BrokenAt, v.Problem = prev.Sequence+1, "receipts after this point are missing"
	}
	if v.Problem != "" {
		v.Chain = chain
		return false, nil
	}
	return true, nil
}
