package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/auth"
	"github.com/reviewdata/invitations/server/invite"
	"github.com/reviewdata/invitations/server/mail"
)

// invitationServer implements InvitationService.
type invitationServer struct {
	pb.UnimplementedInvitationServiceServer
	inv *invite.Service
	log *slog.Logger
}

var _ pb.InvitationServiceServer = (*invitationServer)(nil)

func (s *invitationServer) status(ctx context.Context, err error) error {
	return toStatus(ctx, s.log, err)
}

// CreateInvitation implements InvitationService.
func (s *invitationServer) CreateInvitation(ctx context.Context, req *pb.CreateInvitationRequest) (*pb.CreateInvitationResponse, error) {
	bu, _, err := allowParent(ctx, req.GetParent(), auth.RoleBusiness)
	if err != nil {
		return nil, err
	}
	if req.GetInvitation() == nil {
		return nil, invalid("invitation", "is required")
	}
	in, err := inputFromPB(req.GetInvitation())
	if err != nil {
		return nil, prefixField("invitation.", err)
	}

	results, err := s.inv.Create(ctx, invite.CreateRequest{
		BusinessUnit: bu,
		Items:        []invite.Input{in},
		RequestID:    req.GetRequestId(),
		ValidateOnly: req.GetValidateOnly(),
	})
	if err != nil {
		return nil, s.status(ctx, err)
	}

	r := results[0]
	if r.Outcome != invite.Created {
		return nil, prefixField("invitation.", s.status(ctx, r.Err))
	}
	out := invitationPB(s.inv, &r.Invitation)
	if req.GetValidateOnly() {
		clearIdentity(out)
	}
	return &pb.CreateInvitationResponse{Invitation: out}, nil
}

// clearIdentity removes what only a stored invitation has, so that a
// validate-only answer names nothing that does not exist.
func clearIdentity(inv *pb.Invitation) {
	inv.Name, inv.ReviewLink = "", ""
}

// prefixField puts prefix before the field an InvalidArgument or
// FailedPrecondition message starts with.
func prefixField(prefix string, err error) error {
	st, ok := status.FromError(err)
	if !ok || (st.Code() != codes.InvalidArgument && st.Code() != codes.FailedPrecondition) {
		return err
	}
	return status.Error(st.Code(), prefix+st.Message())
}

// BatchCreateInvitations implements InvitationService.
func (s *invitationServer) BatchCreateInvitations(ctx context.Context, req *pb.BatchCreateInvitationsRequest) (*pb.BatchCreateInvitationsResponse, error) {
	bu, _, err := allowParent(ctx, req.GetParent(), auth.RoleBusiness)
	if err != nil {
		return nil, err
	}
	n := len(req.GetInvitations())
	if n == 0 || n > invite.MaxBatch {
		return nil, invalid("invitations", fmt.Sprintf("must hold 1 to %d invitations", invite.MaxBatch))
	}

	items := make([]invite.Input, n)
	bad := map[int]error{}
	for i, p := range req.GetInvitations() {
		if items[i], err = inputFromPB(p); err != nil {
			bad[i] = err
		}
	}
	results, err := s.inv.Create(ctx, invite.CreateRequest{
		BusinessUnit: bu,
		Items:        items,
		RequestID:    req.GetRequestId(),
		ValidateOnly: req.GetValidateOnly(),
	})
	if err != nil {
		return nil, s.status(ctx, err)
	}

	resp := &pb.BatchCreateInvitationsResponse{Outcomes: make([]*pb.InvitationOutcome, n)}
	for i, r := range results {
		o := s.outcome(r, req.GetValidateOnly())
		if err, ok := bad[i]; ok {
			st, _ := status.FromError(err)
			field, msg, _ := strings.Cut(st.Message(), ": ")
			o = &pb.InvitationOutcome{Result: pb.InvitationOutcome_RESULT_INVALID, Field: field, Message: msg}
		}
		if o.Result == pb.InvitationOutcome_RESULT_CREATED {
			resp.CreatedCount++
		} else {
			resp.RefusedCount++
		}
		resp.Outcomes[i] = o
	}
	return resp, nil
}

func (s *invitationServer) outcome(r invite.Result, validateOnly bool) *pb.InvitationOutcome {
	switch r.Outcome {
	case invite.Created:
		inv := invitationPB(s.inv, &r.Invitation)
		if validateOnly {
			clearIdentity(inv)
		}
		return &pb.InvitationOutcome{Result: pb.InvitationOutcome_RESULT_CREATED, Invitation: inv}
	case invite.FrequencyLimited:
		return refused(pb.InvitationOutcome_RESULT_FREQUENCY_LIMITED, invite.ErrFrequencyLimited)
	case invite.Unsubscribed:
		return refused(pb.InvitationOutcome_RESULT_UNSUBSCRIBED, invite.ErrUnsubscribed)
	case invite.Erased:
		return refused(pb.InvitationOutcome_RESULT_ERASED, invite.ErrErased)
	}
	o := &pb.InvitationOutcome{Result: pb.InvitationOutcome_RESULT_INVALID, Message: "invalid"}
	var fe *invite.FieldError
	if errors.As(r.Err, &fe) {
		o.Field, o.Message = fe.Field, fe.Reason
	}
	return o
}

// refused is the outcome of an item refused for err, worded as the single
// create's status would be.
func refused(result pb.InvitationOutcome_Result, err error) *pb.InvitationOutcome {
	r, _ := ruleFor(err)
	return &pb.InvitationOutcome{Result: result, Field: r.field, Message: r.msg}
}

// GetInvitation implements InvitationService.
func (s *invitationServer) GetInvitation(ctx context.Context, req *pb.GetInvitationRequest) (*pb.GetInvitationResponse, error) {
	bu, id, err := parseChild("name", req.GetName(), "invitations")
	if err != nil {
		return nil, err
	}
	if _, err := allowUnit(ctx, "name", bu, auth.RoleBusiness); err != nil {
		return nil, err
	}

	inv, err := s.inv.Get(ctx, bu, id)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.GetInvitationResponse{Invitation: invitationPB(s.inv, &inv)}, nil
}

// ListInvitations implements InvitationService.
func (s *invitationServer) ListInvitations(ctx context.Context, req *pb.ListInvitationsRequest) (*pb.ListInvitationsResponse, error) {
	bu, _, err := allowParent(ctx, req.GetParent(), auth.RoleBusiness)
	if err != nil {
		return nil, err
	}
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	f, err := filterFromPB(req)
	if err != nil {
		return nil, err
	}
	filters := fmt.Sprintf("%s|%s|%d|%d|%d", bu, strings.TrimSpace(req.GetRecipientEmail()), f.State, f.From.UnixNano(), f.To.UnixNano())
	after, err := parseIDToken(req.GetPageToken(), filters)
	if err != nil {
		return nil, err
	}

	invs, next, err := s.inv.List(ctx, bu, f, after, size)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	resp := &pb.ListInvitationsResponse{NextPageToken: idToken(filters, next)}
	for i := range invs {
		resp.Invitations = append(resp.Invitations, invitationPB(s.inv, &invs[i]))
	}
	return resp, nil
}

func filterFromPB(req *pb.ListInvitationsRequest) (invite.Filter, error) {
	state, ok := stateFromPB(req.GetState())
	if !ok {
		return invite.Filter{}, invalid("state", "is not a known state")
	}
	from, err := fromTS("create_time_start", req.GetCreateTimeStart())
	if err != nil {
		return invite.Filter{}, err
	}
	to, err := fromTS("create_time_end", req.GetCreateTimeEnd())
	if err != nil {
		return invite.Filter{}, err
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return invite.Filter{}, invalid("create_time_end", "must be after create_time_start")
	}
	return invite.Filter{Email: req.GetRecipientEmail(), State: state, From: from, To: to}, nil
}

// CancelInvitation implements InvitationService.
func (s *invitationServer) CancelInvitation(ctx context.Context, req *pb.CancelInvitationRequest) (*pb.CancelInvitationResponse, error) {
	bu, id, err := parseChild("name", req.GetName(), "invitations")
	if err != nil {
		return nil, err
	}
	if _, err := allowUnit(ctx, "name", bu, auth.RoleBusiness); err != nil {
		return nil, err
	}

	inv, err := s.inv.Cancel(ctx, bu, id)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.CancelInvitationResponse{Invitation: invitationPB(s.inv, &inv)}, nil
}

func parseSettingsName(name string) (string, error) {
	parent, ok := strings.CutSuffix(name, "/invitationSettings")
	if !ok {
		return "", invalid("name", "must be businessUnits/{business_unit}/invitationSettings")
	}
	return parseParent("name", parent, false)
}

// GetInvitationSettings implements InvitationService.
func (s *invitationServer) GetInvitationSettings(ctx context.Context, req *pb.GetInvitationSettingsRequest) (*pb.GetInvitationSettingsResponse, error) {
	bu, err := parseSettingsName(req.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := allowUnit(ctx, "name", bu, auth.RoleBusiness); err != nil {
		return nil, err
	}

	st, err := s.inv.Settings(ctx, bu)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.GetInvitationSettingsResponse{Settings: settingsPB(bu, st)}, nil
}

var settingsPaths = []string{
	"send_delay", "send_time_of_day", "time_zone", "frequency_days",
	"default_locale", "default_template_id", "sender_name", "reply_to",
}

// UpdateInvitationSettings implements InvitationService.
func (s *invitationServer) UpdateInvitationSettings(ctx context.Context, req *pb.UpdateInvitationSettingsRequest) (*pb.UpdateInvitationSettingsResponse, error) {
	in := req.GetSettings()
	if in == nil {
		return nil, invalid("settings", "is required")
	}
	bu, err := parseSettingsName(in.GetName())
	if err != nil {
		return nil, prefixField("settings.", err)
	}
	if _, err := allowUnit(ctx, "settings.name", bu, auth.RoleBusiness); err != nil {
		return nil, err
	}
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, invalid("update_mask", "must name at least one field")
	}
	if slices.Contains(paths, "*") {
		paths = settingsPaths
	}

	var p invite.SettingsPatch
	for _, path := range paths {
		if err := applyPath(&p, in, path); err != nil {
			return nil, err
		}
	}
	st, err := s.inv.UpdateSettings(ctx, bu, p, in.GetEtag())
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.UpdateInvitationSettingsResponse{Settings: settingsPB(bu, st)}, nil
}

func applyPath(p *invite.SettingsPatch, in *pb.InvitationSettings, path string) error {
	switch path {
	case "send_delay":
		d := in.GetSendDelay()
		if d == nil {
			return invalid("settings.send_delay", "is required when named in update_mask")
		}
		if err := d.CheckValid(); err != nil {
			return invalid("settings.send_delay", "is not a valid duration")
		}
		v := d.AsDuration()
		p.SendDelay = &v
	case "send_time_of_day":
		v := -1
		if t := in.GetSendTimeOfDay(); t != nil {
			if t.GetHours() < 0 || t.GetHours() > 23 || t.GetMinutes() < 0 || t.GetMinutes() > 59 {
				return invalid("settings.send_time_of_day", "hours must be 0 to 23 and minutes 0 to 59")
			}
			v = int(t.GetHours())*60 + int(t.GetMinutes())
		}
		p.SendAtMinute = &v
	case "time_zone":
		v := in.GetTimeZone()
		p.TimeZone = &v
	case "frequency_days":
		v := int(in.GetFrequencyDays())
		p.FrequencyDays = &v
	case "default_locale":
		v := in.GetDefaultLocale()
		p.DefaultLocale = &v
	case "default_template_id":
		v := in.GetDefaultTemplateId()
		p.DefaultTemplate = &v
	case "sender_name":
		v := in.GetSenderName()
		p.SenderName = &v
	case "reply_to":
		v := in.GetReplyTo()
		p.ReplyTo = &v
	default:
		return invalid("update_mask", "names a field that cannot be updated; use "+strings.Join(settingsPaths, ", "))
	}
	return nil
}

// ListTemplates implements InvitationService.
func (s *invitationServer) ListTemplates(ctx context.Context, req *pb.ListTemplatesRequest) (*pb.ListTemplatesResponse, error) {
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	locale := ""
	if req.GetLocale() != "" {
		if locale, err = mail.MatchLocale(req.GetLocale()); err != nil {
			return nil, invalid("locale", "is not a supported locale")
		}
	}
	filters := "templates|" + locale
	start, _, err := parseSeqToken(req.GetPageToken(), filters)
	if err != nil {
		return nil, err
	}

	// Templates come one per locale, sorted by id; the contract names each
	// in English.
	var all []*pb.Template
	for _, t := range mail.Templates() {
		n := len(all)
		if n == 0 || all[n-1].TemplateId != t.ID {
			all = append(all, &pb.Template{Name: "templates/" + t.ID, TemplateId: t.ID})
			n++
		}
		if t.Locale == "en-US" {
			all[n-1].DisplayName = t.DisplayName
		}
		if locale == "" || t.Locale == locale {
			all[n-1].Locales = append(all[n-1].Locales, t.Locale)
		}
	}
	all = slices.DeleteFunc(all, func(t *pb.Template) bool { return len(t.Locales) == 0 })
	resp := &pb.ListTemplatesResponse{}
	if start < uint64(len(all)) {
		end := min(int(start)+size, len(all))
		resp.Templates = all[start:end]
		if end < len(all) {
			resp.NextPageToken = seqToken(filters, uint64(end))
		}
	}
	return resp, nil
}

// ResolveReviewLink implements InvitationService.
func (s *invitationServer) ResolveReviewLink(ctx context.Context, req *pb.ResolveReviewLinkRequest) (*pb.ResolveReviewLinkResponse, error) {
	if _, err := allow(ctx, auth.RoleReviewSite); err != nil {
		return nil, err
	}
	if req.GetToken() == "" {
		return nil, invalid("token", "is required")
	}

	inv, err := s.inv.ResolveLink(ctx, req.GetToken())
	if errors.Is(err, invite.ErrNotFound) {
		return nil, status.Error(codes.NotFound, "token: review link not found, erased or expired")
	}
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.ResolveReviewLinkResponse{
		Invitation:    invitationName(inv.BusinessUnit, inv.ID),
		BusinessUnit:  unitName(inv.BusinessUnit),
		RecipientName: inv.Name,
		ReferenceId:   inv.ReferenceID,
		Locale:        inv.Locale,
		State:         states[inv.State],
	}, nil
}

// RecordReview implements InvitationService.
func (s *invitationServer) RecordReview(ctx context.Context, req *pb.RecordReviewRequest) (*pb.RecordReviewResponse, error) {
	if _, err := allow(ctx, auth.RoleReviewSite); err != nil {
		return nil, err
	}
	if req.GetToken() == "" {
		return nil, invalid("token", "is required")
	}

	inv, err := s.inv.RecordReview(ctx, req.GetToken(), req.GetReviewId())
	if errors.Is(err, invite.ErrNotFound) {
		return nil, status.Error(codes.NotFound, "token: review link not found, erased or expired")
	}
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.RecordReviewResponse{Invitation: invitationName(inv.BusinessUnit, inv.ID), ReviewTime: ts(inv.ReviewTime)}, nil
}

// Unsubscribe implements InvitationService.
func (s *invitationServer) Unsubscribe(ctx context.Context, req *pb.UnsubscribeRequest) (*pb.UnsubscribeResponse, error) {
	if _, err := allow(ctx, auth.RoleReviewSite); err != nil {
		return nil, err
	}
	if req.GetToken() == "" {
		return nil, invalid("token", "is required")
	}

	bu, err := s.inv.Unsubscribe(ctx, req.GetToken())
	if errors.Is(err, invite.ErrNotFound) {
		return nil, status.Error(codes.NotFound, "token: not an unsubscribe link this service issued")
	}
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.UnsubscribeResponse{BusinessUnit: unitName(bu)}, nil
}

// Resubscribe implements InvitationService.
func (s *invitationServer) Resubscribe(ctx context.Context, req *pb.ResubscribeRequest) (*pb.ResubscribeResponse, error) {
	scope, err := allowParentOrAll(ctx, req.GetParent())
	if err != nil {
		return nil, err
	}
	if scope == AllUnits {
		scope = invite.AllScope
	}

	err = s.inv.Resubscribe(ctx, scope, req.GetEmailAddress())
	if errors.Is(err, invite.ErrNotFound) {
		return nil, status.Error(codes.NotFound, "email_address: no unsubscribe for this address in this scope")
	}
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &pb.ResubscribeResponse{}, nil
}

// IngestBccMessage implements InvitationService.
func (s *invitationServer) IngestBccMessage(ctx context.Context, req *pb.IngestBccMessageRequest) (*pb.IngestBccMessageResponse, error) {
	bu, _, err := allowParent(ctx, req.GetParent(), auth.RoleMailGateway)
	if err != nil {
		return nil, err
	}
	if len(req.GetRawMessage()) == 0 {
		return nil, invalid("raw_message", "is required")
	}

	res, err := s.inv.IngestBCC(ctx, bu, req.GetRawMessage())
	if err != nil {
		return nil, prefixRaw(s.status(ctx, err))
	}
	return &pb.IngestBccMessageResponse{
		Invitation:        invitationPB(s.inv, &res.Invitation),
		BccMessage:        unitName(bu) + "/bccMessages/" + res.Message.String(),
		Duplicate:         res.Duplicate,
		IgnoredRecipients: int32(res.IgnoredRecipients),
	}, nil
}

// prefixRaw points field errors from parsing inside the message at it.
func prefixRaw(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument || strings.HasPrefix(st.Message(), "raw_message") {
		return err
	}
	return status.Error(st.Code(), "raw_message: "+st.Message())
}
