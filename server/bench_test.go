package server_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// BenchmarkCreateInvitation measures the whole create path in process:
// gRPC over bufconn, validation, sealing, the write and its fsyncs.
func BenchmarkCreateInvitation(b *testing.B) {
	e := newEnv(b)
	ctx := e.as("portal-a")
	send := timestamppb.New(start.AddDate(0, 1, 0))
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(p *testing.PB) {
		for p.Next() {
			i := n.Add(1)
			_, err := e.inv.CreateInvitation(ctx, &pb.CreateInvitationRequest{
				Parent:     "businessUnits/a",
				Invitation: &pb.Invitation{RecipientEmail: fmt.Sprintf("c%d@example.se", i), RecipientName: "Customer Name", ReferenceId: "ORDER-1", PreferredSendTime: send},
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBatchCreate measures 1,000-invitation batches in process.
func BenchmarkBatchCreate(b *testing.B) {
	e := newEnv(b)
	ctx := e.as("portal-a")
	send := timestamppb.New(start.AddDate(0, 1, 0))
	var n atomic.Int64
	b.SetParallelism(2)
	b.RunParallel(func(p *testing.PB) {
		for p.Next() {
			i := n.Add(1)
			invs := make([]*pb.Invitation, 1000)
			for k := range invs {
				invs[k] = &pb.Invitation{RecipientEmail: fmt.Sprintf("b%d-%d@example.se", i, k), RecipientName: "Customer Name", ReferenceId: "ORDER-1", PreferredSendTime: send}
			}
			if _, err := e.inv.BatchCreateInvitations(ctx, &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a", Invitations: invs}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "invitations/s")
}
