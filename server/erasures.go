package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/auth"
	"github.com/reviewdata/invitations/server/erase"
	"github.com/reviewdata/invitations/storage"
)

// erasureServer implements ErasureService.
type erasureServer struct {
	pb.UnimplementedErasureServiceServer
	er       *erase.Service
	log      *slog.Logger
	stopping <-chan struct{}
}

var _ pb.ErasureServiceServer = (*erasureServer)(nil)

func (s *erasureServer) status(ctx context.Context, err error) error {
	return toStatus(ctx, s.log, err)
}

func options(id auth.Identity, requestID string, validateOnly bool) erase.Options {
	return erase.Options{RequestID: requestID, ValidateOnly: validateOnly, RequestedBy: id.Name}
}

// EraseCustomers implements ErasureService.
func (s *erasureServer) EraseCustomers(ctx context.Context, req *pb.EraseCustomersRequest) (*pb.EraseCustomersResponse, error) {
	bu, id, err := allowParent(ctx, req.GetParent(), auth.RoleBusiness)
	if err != nil {
		return nil, err
	}

	e, err := s.er.EraseCustomers(ctx, bu, req.GetEmailAddresses(), options(id, req.GetRequestId(), req.GetValidateOnly()))
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.EraseCustomersResponse{Erasure: erasurePB(&e)}, nil
}

// EraseUpToDate implements ErasureService.
func (s *erasureServer) EraseUpToDate(ctx context.Context, req *pb.EraseUpToDateRequest) (*pb.EraseUpToDateResponse, error) {
	bu, id, err := allowParent(ctx, req.GetParent(), auth.RoleBusiness)
	if err != nil {
		return nil, err
	}
	d := req.GetDate()
	if d == nil {
		return nil, invalid("date", "is required")
	}

	date := storage.Date{Year: int(d.GetYear()), Month: int(d.GetMonth()), Day: int(d.GetDay())}
	e, err := s.er.EraseUpToDate(ctx, bu, date, req.GetTimeZone(), options(id, req.GetRequestId(), req.GetValidateOnly()))
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.EraseUpToDateResponse{Erasure: erasurePB(&e)}, nil
}

// EraseConsumer implements ErasureService.
func (s *erasureServer) EraseConsumer(ctx context.Context, req *pb.EraseConsumerRequest) (*pb.EraseConsumerResponse, error) {
	id, err := allow(ctx)
	if err != nil {
		return nil, err
	}

	e, err := s.er.EraseConsumer(ctx, req.GetEmailAddress(), options(id, req.GetRequestId(), req.GetValidateOnly()))
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.EraseConsumerResponse{Erasure: erasurePB(&e)}, nil
}

// parseErasureName parses either form of an erasure name; bu is empty for
// consumer erasures.
func parseErasureName(name string) (string, storage.ID, error) {
	if rest, ok := strings.CutPrefix(name, "consumerErasures/"); ok {
		id, err := storage.ParseID(rest)
		if err != nil {
			return "", storage.ID{}, invalid("name", "has an invalid erasure id")
		}
		return "", id, nil
	}
	return parseChild("name", name, "erasures")
}

// GetErasure implements ErasureService.
func (s *erasureServer) GetErasure(ctx context.Context, req *pb.GetErasureRequest) (*pb.GetErasureResponse, error) {
	bu, eid, err := parseErasureName(req.GetName())
	if err != nil {
		return nil, err
	}
	if bu == "" {
		_, err = allow(ctx)
	} else {
		_, err = allowUnit(ctx, "name", bu, auth.RoleBusiness)
	}
	if err != nil {
		return nil, err
	}

	e, err := s.er.Get(ctx, bu, eid)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.GetErasureResponse{Erasure: erasurePB(&e)}, nil
}

// ListErasures implements ErasureService.
func (s *erasureServer) ListErasures(ctx context.Context, req *pb.ListErasuresRequest) (*pb.ListErasuresResponse, error) {
	bu, err := allowParentOrAll(ctx, req.GetParent())
	if err != nil {
		return nil, err
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	filters := "erasures|" + bu
	before, err := parseIDToken(req.GetPageToken(), filters)
	if err != nil {
		return nil, err
	}

	es, next, err := s.er.List(ctx, bu, bu == AllUnits, before, size)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	resp := &pb.ListErasuresResponse{NextPageToken: idToken(filters, next)}
	for i := range es {
		resp.Erasures = append(resp.Erasures, erasurePB(&es[i]))
	}
	return resp, nil
}

// ListErasureReceipts implements ErasureService.
func (s *erasureServer) ListErasureReceipts(ctx context.Context, req *pb.ListErasureReceiptsRequest) (*pb.ListErasureReceiptsResponse, error) {
	bu, err := allowParentOrAll(ctx, req.GetParent())
	if err != nil {
		return nil, err
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	kind, ok := kindFromPB(req.GetKind())
	if !ok {
		return nil, invalid("kind", "is not a known erasure kind")
	}
	from, err := fromTS("end_time_start", req.GetEndTimeStart())
	if err != nil {
		return nil, err
	}
	to, err := fromTS("end_time_end", req.GetEndTimeEnd())
	if err != nil {
		return nil, err
	}
	filters := fmt.Sprintf("receipts|%s|%d|%d|%d", bu, kind, from.UnixNano(), to.UnixNano())
	chain, after, err := parseReceiptToken(req.GetPageToken(), filters)
	if err != nil {
		return nil, err
	}
	chains := []string{bu}
	if bu == AllUnits {
		if chains, err = s.er.ReceiptChains(ctx); err != nil {
			return nil, s.status(ctx, err)
		}
		chains = slices.DeleteFunc(chains, func(c string) bool { return c < chain })
	} else if chain != bu {
		after = 0
	}

	keep := func(r *storage.Receipt) bool {
		return (kind == 0 || r.Kind == kind) &&
			(from.IsZero() || !r.EndTime.Before(from)) &&
			(to.IsZero() || r.EndTime.Before(to))
	}
	resp := &pb.ListErasureReceiptsResponse{}
	for i, c := range chains {
		if i > 0 {
			after = 0
		}
		rs, next, err := s.er.Receipts(ctx, c, after, size-len(resp.Receipts), keep)
		if err != nil {
			return nil, s.status(ctx, err)
		}
		for i := range rs {
			resp.Receipts = append(resp.Receipts, receiptPB(&rs[i]))
		}
		if next != 0 {
			resp.NextPageToken = receiptToken(filters, c, next)
			break
		}
		if len(resp.Receipts) == size && i+1 < len(chains) {
			resp.NextPageToken = receiptToken(filters, chains[i+1], 0)
			break
		}
	}
	return resp, nil
}

// A receipt page token names the chain and the sequence to go on after.
func receiptToken(filters, chain string, after uint64) string {
	return pageToken(filters, binary.BigEndian.AppendUint64([]byte(chain), after))
}

func parseReceiptToken(tok, filters string) (string, uint64, error) {
	b, err := parsePageToken(tok, filters)
	if err != nil || b == nil {
		return "", 0, err
	}
	if len(b) < 8 {
		return "", 0, invalid("page_token", "is not a token this service issued")
	}
	n := len(b) - 8
	return string(b[:n]), binary.BigEndian.Uint64(b[n:]), nil
}

func kindFromPB(k pb.ErasureKind) (storage.ErasureKind, bool) {
	for sk, pk := range kinds {
		if pk == k {
			return sk, true
		}
	}
	return 0, k == pb.ErasureKind_ERASURE_KIND_UNSPECIFIED
}

// VerifyErasureReceipts implements ErasureService.
func (s *erasureServer) VerifyErasureReceipts(ctx context.Context, req *pb.VerifyErasureReceiptsRequest) (*pb.VerifyErasureReceiptsResponse, error) {
	parent := req.GetParent()
	if parent == "" {
		parent = unitName(AllUnits)
	}
	bu, err := allowParentOrAll(ctx, parent)
	if err != nil {
		return nil, err
	}
	var chains []string
	if bu != AllUnits {
		chains = []string{bu}
	}

	v, err := s.er.VerifyReceipts(ctx, chains)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	resp := &pb.VerifyErasureReceiptsResponse{
		Intact:           v.Intact,
		ReceiptsChecked:  v.Checked,
		BrokenAtSequence: int64(v.BrokenAt),
		Problem:          v.Problem,
	}
	if chains != nil {
		resp.HeadHash = storage.Hash(v.Head).String()
	}
	if !v.Intact && v.Chain != "" {
		resp.BrokenChain = unitName(v.Chain)
	}
	return resp, nil
}

// ListErasureEvents implements ErasureService.
func (s *erasureServer) ListErasureEvents(ctx context.Context, req *pb.ListErasureEventsRequest) (*pb.ListErasureEventsResponse, error) {
	if _, err := allow(ctx, auth.RoleEventConsumer); err != nil {
		return nil, err
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	if req.GetAfterSequence() < 0 {
		return nil, invalid("after_sequence", "must not be negative")
	}
	after := uint64(req.GetAfterSequence())
	if seq, ok, err := parseSeqToken(req.GetPageToken(), "events"); err != nil {
		return nil, err
	} else if ok {
		after = seq
	}

	evs, next, err := s.er.Events(ctx, after, size)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	resp := &pb.ListErasureEventsResponse{NextPageToken: seqToken("events", next)}
	for i := range evs {
		resp.Events = append(resp.Events, eventPB(&evs[i]))
	}
	return resp, nil
}

// StreamErasureEvents implements ErasureService.
func (s *erasureServer) StreamErasureEvents(req *pb.StreamErasureEventsRequest, stream pb.ErasureService_StreamErasureEventsServer) error {
	ctx := stream.Context()
	if _, err := allow(ctx, auth.RoleEventConsumer); err != nil {
		return err
	}
	if req.GetAfterSequence() < 0 {
		return invalid("after_sequence", "must not be negative")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := s.er.Stream(ctx, uint64(req.GetAfterSequence()), func(ev *storage.Event) error {
		return stream.Send(&pb.StreamErasureEventsResponse{Event: eventPB(ev)})
	})
	select {
	case <-s.stopping:
		return status.Error(codes.Unavailable, "the server is shutting down; reconnect with after_sequence set to the last event received")
	default:
	}
	if err := stream.Context().Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return s.status(ctx, err)
}

// GetRetentionStatus implements ErasureService.
func (s *erasureServer) GetRetentionStatus(ctx context.Context, _ *pb.GetRetentionStatusRequest) (*pb.GetRetentionStatusResponse, error) {
	if _, err := allow(ctx); err != nil {
		return nil, err
	}

	st, oldestInv, oldestBCC, err := s.er.Status(ctx)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	ret := s.er.Retention()
	return &pb.GetRetentionStatusResponse{Status: &pb.RetentionStatus{
		InvitationRetention:  ret.Invitation.String(),
		BccRetention:         ret.BCC.String(),
		LastRunTime:          ts(st.LastRun),
		LastRunCounts:        countsPB(st.Last),
		TotalCounts:          countsPB(st.Total),
		OldestInvitationTime: ts(oldestInv),
		OldestBccMessageTime: ts(oldestBCC),
		LastRunDurationMs:    st.LastDuration.Milliseconds(),
	}}, nil
}
