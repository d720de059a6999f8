package erase

import (
	"context"
	"encoding/hex"
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

// Receipts returns up to limit receipts after sequence after that match
// keep, in chain order, and the sequence to continue after (0 at the end).
func (s *Service) Receipts(ctx context.Context, after uint64, limit int, keep func(*storage.Receipt) bool) ([]storage.Receipt, uint64, error) {
	var out []storage.Receipt
	var next uint64
	const scanBudget = 20000
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		scanned := 0
		return tx.EachReceipt(after, func(r *storage.Receipt) bool {
			scanned++
			if keep(r) {
				out = append(out, *r)
			}
			next = r.Sequence
			return len(out) <= limit && scanned < scanBudget
		})
	})
	if err != nil {
		return nil, 0, err
	}
	if len(out) > limit {
		return out[:limit], out[limit-1].Sequence, nil
	}
	if len(out) < limit && next != 0 {
		// Stopped by the scan budget, or at the end; only the former needs
		// a token, and the end has no receipt after next.
		var more bool
		s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
			return tx.EachReceipt(next, func(*storage.Receipt) bool { more = true; return false })
		})
		if more {
			return out, next, nil
		}
	}
	return out, 0, nil
}

// Verification is the outcome of checking the receipt chain.
type Verification struct {
	Intact   bool
	Checked  int64
	BrokenAt uint64
	Problem  string
	Head     [32]byte
}

// VerifyReceipts walks the whole receipt chain from its base and checks
// that every receipt's hash is right, that each links to the one before
// with no gap in sequence, and that the last one is the recorded head.
func (s *Service) VerifyReceipts(ctx context.Context) (Verification, error) {
	var v Verification
	err := s.cfg.Store.View(ctx, func(tx storage.ReadTx) error {
		head, base, err := tx.ReceiptChain()
		if err != nil {
			return err
		}
		prev := base
		v.Head = head.Hash
		err = tx.EachReceipt(base.Sequence, func(r *storage.Receipt) bool {
			v.Checked++
			switch {
			case r.Sequence != prev.Sequence+1:
				v.BrokenAt, v.Problem = prev.Sequence+1, "receipt missing"
			case r.PrevHash != prev.Hash:
				v.BrokenAt, v.Problem = r.Sequence, "does not link to the receipt before it"
			case storage.ReceiptHash(r) != r.Hash:
				v.BrokenAt, v.Problem = r.Sequence, "content does not match its hash"
			default:
				prev = storage.ChainPoint{Sequence: r.Sequence, Hash: r.Hash}
				return true
			}
			return false
		})
		if err != nil {
			return err
		}
		if v.Problem == "" && prev != head {
			v.BrokenAt, v.Problem = prev.Sequence+1, "receipts after this point are missing"
		}
		v.Intact = v.Problem == ""
		return nil
	})
	return v, err
}

// HexHash formats a hash for the API.
func HexHash(h [32]byte) string { return hex.EncodeToString(h[:]) }
