package server

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/storage"
)

// ts converts a time, leaving the zero time unset.
func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// fromTS converts a timestamp, mapping unset to the zero time. An invalid
// timestamp is reported with field.
func fromTS(field string, t *timestamppb.Timestamp) (time.Time, error) {
	if t == nil {
		return time.Time{}, nil
	}
	if err := t.CheckValid(); err != nil {
		return time.Time{}, invalid(field, "is not a valid timestamp")
	}
	return t.AsTime(), nil
}

var states = map[storage.State]pb.Invitation_State{
	storage.StateQueued:       pb.Invitation_STATE_QUEUED,
	storage.StateSending:      pb.Invitation_STATE_SENDING,
	storage.StateDelivered:    pb.Invitation_STATE_DELIVERED,
	storage.StateNotDelivered: pb.Invitation_STATE_NOT_DELIVERED,
	storage.StateCancelled:    pb.Invitation_STATE_CANCELLED,
	storage.StateReviewed:     pb.Invitation_STATE_REVIEWED,
}

func stateFromPB(s pb.Invitation_State) (storage.State, bool) {
	for k, v := range states {
		if v == s {
			return k, true
		}
	}
	return 0, s == pb.Invitation_STATE_UNSPECIFIED
}

func invitationPB(svc *invite.Service, inv *storage.Invitation) *pb.Invitation {
	src := pb.Invitation_SOURCE_API
	if inv.Source == storage.SourceBCC {
		src = pb.Invitation_SOURCE_BCC
	}
	out := &pb.Invitation{
		Name:              invitationName(inv.BusinessUnit, inv.ID),
		RecipientEmail:    inv.Email,
		RecipientName:     inv.Name,
		ReferenceId:       inv.ReferenceID,
		Locale:            inv.Locale,
		TemplateId:        inv.TemplateID,
		SenderName:        inv.SenderName,
		ReplyTo:           inv.ReplyTo,
		Tags:              inv.Tags,
		PreferredSendTime: ts(inv.PreferredSendTime),
		Source:            src,
		State:             states[inv.State],
		StateReason:       inv.StateReason,
		CreateTime:        ts(inv.CreateTime()),
		SendTime:          ts(inv.SendTime),
		ReviewLink:        svc.ReviewLink(inv),
		ReviewTime:        ts(inv.ReviewTime),
		ExpireTime:        ts(svc.ExpireTime(inv)),
		DeliveryAttempts:  inv.Attempts,
	}
	// While sending, ScheduledTime is the lease or retry time; the send
	// time the business cares about is the one it was queued for.
	if inv.State.InQueue() {
		out.ScheduledSendTime = ts(inv.ScheduledTime)
	}
	return out
}

func inputFromPB(in *pb.Invitation) (invite.Input, error) {
	if in == nil {
		return invite.Input{}, nil
	}
	pst, err := fromTS("preferred_send_time", in.GetPreferredSendTime())
	if err != nil {
		return invite.Input{}, err
	}
	return invite.Input{
		Email:             in.GetRecipientEmail(),
		Name:              in.GetRecipientName(),
		ReferenceID:       in.GetReferenceId(),
		Locale:            in.GetLocale(),
		TemplateID:        in.GetTemplateId(),
		SenderName:        in.GetSenderName(),
		ReplyTo:           in.GetReplyTo(),
		Tags:              in.GetTags(),
		PreferredSendTime: pst,
	}, nil
}

func settingsPB(bu string, st storage.Settings) *pb.InvitationSettings {
	out := &pb.InvitationSettings{
		Name:              unitName(bu) + "/invitationSettings",
		SendDelay:         durationpb.New(st.SendDelay),
		TimeZone:          st.TimeZone,
		FrequencyDays:     int32(st.FrequencyDays),
		DefaultLocale:     st.DefaultLocale,
		DefaultTemplateId: st.DefaultTemplate,
		SenderName:        st.SenderName,
		ReplyTo:           st.ReplyTo,
		Etag:              invite.Etag(st),
		UpdateTime:        ts(st.UpdateTime),
	}
	if st.SendAtMinute >= 0 {
		out.SendTimeOfDay = &pb.LocalTime{Hours: int32(st.SendAtMinute / 60), Minutes: int32(st.SendAtMinute % 60)}
	}
	return out
}

var kinds = map[storage.ErasureKind]pb.ErasureKind{
	storage.ErasureCustomers: pb.ErasureKind_ERASURE_KIND_CUSTOMERS,
	storage.ErasureUpToDate:  pb.ErasureKind_ERASURE_KIND_UP_TO_DATE,
	storage.ErasureConsumer:  pb.ErasureKind_ERASURE_KIND_CONSUMER,
	storage.ErasureRetention: pb.ErasureKind_ERASURE_KIND_RETENTION,
}

var erasureStates = map[storage.ErasureState]pb.Erasure_State{
	storage.ErasurePending:   pb.Erasure_STATE_PENDING,
	storage.ErasureRunning:   pb.Erasure_STATE_RUNNING,
	storage.ErasureSucceeded: pb.Erasure_STATE_SUCCEEDED,
}

func countsPB(c storage.Counts) *pb.ErasureCounts {
	return &pb.ErasureCounts{
		Invitations:             c.Invitations,
		ScheduledSendsCancelled: c.ScheduledCancelled,
		LinkTokens:              c.LinkTokens,
		LastInvitedRecords:      c.LastInvited,
		BccMessages:             c.BCCMessages,
		OutboxMessages:          c.OutboxMessages,
	}
}

func datePB(d storage.Date) *pb.CalendarDate {
	if d == (storage.Date{}) {
		return nil
	}
	return &pb.CalendarDate{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

func erasurePB(e *storage.Erasure) *pb.Erasure {
	out := &pb.Erasure{
		Kind:                               kinds[e.Kind],
		State:                              erasureStates[e.State],
		CustomerCount:                      int32(e.CustomerCount),
		CutOffDate:                         datePB(e.CutOffDate),
		TimeZone:                           e.TimeZone,
		CutOffTime:                         ts(e.CutOff),
		Counts:                             countsPB(e.Counts),
		CustomersLosingFrequencyProtection: e.LosingProtection,
		RequestedBy:                        e.RequestedBy,
		RequestId:                          e.RequestID,
		CreateTime:                         ts(e.CreateTime),
		StartTime:                          ts(e.StartTime),
		EndTime:                            ts(e.EndTime),
		RecordsDone:                        e.RecordsDone,
		RecordsTotal:                       e.RecordsTotal,
	}
	if e.ID.IsZero() {
		out.Preview = true
		out.State = pb.Erasure_STATE_UNSPECIFIED
	} else {
		out.Name = erasureName(e.BusinessUnit, e.ID)
	}
	if e.Receipt != 0 {
		out.Receipt = receiptName(e.BusinessUnit, e.Receipt)
	}
	if e.LosingProtection > 0 {
		verb := "loses"
		if e.ID.IsZero() {
			verb = "would lose"
		}
		out.Warning = plural(e.LosingProtection, "customer") + " " + verb +
			" the frequency rule's protection: the record of when they were last invited is erased, so they may be invited again sooner than the setting allows."
	}
	return out
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}

func receiptPB(r *storage.Receipt) *pb.ErasureReceipt {
	out := &pb.ErasureReceipt{
		Name:          receiptName(r.BusinessUnit, r.Sequence),
		Sequence:      int64(r.Sequence),
		Kind:          kinds[r.Kind],
		RequestedBy:   r.RequestedBy,
		CutOffDate:    datePB(r.CutOffDate),
		TimeZone:      r.TimeZone,
		CutOffTime:    ts(r.CutOff),
		CustomerCount: int32(r.CustomerCount),
		Counts:        countsPB(r.Counts),
		StartTime:     ts(r.StartTime),
		EndTime:       ts(r.EndTime),
		PreviousHash:  storage.Hash(r.PrevHash).String(),
		Hash:          storage.Hash(r.Hash).String(),
	}
	if !r.Erasure.IsZero() {
		out.Erasure = erasureName(r.BusinessUnit, r.Erasure)
	}
	if r.BusinessUnit != "" {
		out.BusinessUnit = unitName(r.BusinessUnit)
	}
	return out
}

// receiptName names a receipt of chain: a business unit, or "" for the
// chain of erasures across business units.
func receiptName(chain string, seq uint64) string {
	if chain == "" {
		return "erasureReceipts/" + itoa(int64(seq))
	}
	return unitName(chain) + "/erasureReceipts/" + itoa(int64(seq))
}

func eventPB(ev *storage.Event) *pb.ErasureEvent {
	out := &pb.ErasureEvent{
		Sequence:      int64(ev.Sequence),
		Kind:          kinds[ev.Kind],
		CutOffTime:    ts(ev.CutOff),
		BccCutOffTime: ts(ev.BCCCutOff),
		CreateTime:    ts(ev.CreateTime),
	}
	if !ev.Erasure.IsZero() {
		out.Erasure = erasureName(ev.BusinessUnit, ev.Erasure)
	}
	if ev.BusinessUnit != "" {
		out.BusinessUnit = unitName(ev.BusinessUnit)
	}
	for _, h := range ev.EmailHashes {
		out.EmailHashes = append(out.EmailHashes, h.String())
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
