package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
	"github.com/reviewdata/invitations/server/address"
	"github.com/reviewdata/invitations/storage"
)

// The test binary doubles as the server: started with this variable set,
// it runs main with the arguments in the variable instead of the tests.
const childArgs = "INVITATIOND_TEST_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childArgs); ok {
		os.Args = append([]string{"invitationd"}, strings.Fields(args)...)
		main()
		return
	}
	os.Exit(m.Run())
}

// server is an invitationd process.
type server struct {
	cmd  *exec.Cmd
	addr string
	conn *grpc.ClientConn
}

// startServer runs invitationd on dir and waits until it serves.
func startServer(t *testing.T, dir string) *server {
	t.Helper()
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"listen": "127.0.0.1:0", "data_dir": "`+filepath.Join(dir, "data")+`", "erasure_chunk": 5}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgs+"=-config "+cfg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				addr <- line.Addr
				break
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	s := &server{cmd: cmd}
	select {
	case s.addr = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("invitationd did not start serving")
	}
	if s.conn, err = grpc.NewClient("passthrough:///"+s.addr, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.conn.Close() })
	return s
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
}

// TestKilledErasureResumes kills the server with SIGKILL in the middle of
// a large customer erasure, checks on disk that every customer is either
// wholly erased or wholly there, then restarts it and checks that the
// erasure finishes, counting each record once.
func TestKilledErasureResumes(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	inv := pb.NewInvitationServiceClient(srv.conn)
	er := pb.NewErasureServiceClient(srv.conn)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const customers, each = 1000, 5
	var emails []string
	for i := range customers {
		emails = append(emails, fmt.Sprintf("customer%04d@example.se", i))
	}
	// Queued for tomorrow, so the erasure also has to keep them from
	// being sent.
	later := timestamppb.New(time.Now().Add(24 * time.Hour))
	for round := range each {
		batch := make([]*pb.Invitation, customers)
		for i, e := range emails {
			batch[i] = &pb.Invitation{RecipientEmail: e, ReferenceId: fmt.Sprintf("R%d", round), PreferredSendTime: later}
		}
		if _, err := inv.BatchCreateInvitations(ctx, &pb.BatchCreateInvitationsRequest{Parent: "businessUnits/a", Invitations: batch}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := inv.CreateInvitation(ctx, &pb.CreateInvitationRequest{Parent: "businessUnits/b", Invitation: &pb.Invitation{RecipientEmail: emails[0]}}); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	go er.EraseCustomers(ctx, &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: emails, RequestId: "big-one"})
	poll := time.NewTicker(2 * time.Millisecond)
	defer poll.Stop()
	var running *pb.Erasure
	for ; running == nil; <-poll.C {
		list, err := er.ListErasures(ctx, &pb.ListErasuresRequest{Parent: "businessUnits/a"})
		if err != nil {
			t.Fatal(err)
		}
		if es := list.GetErasures(); len(es) == 1 && es[0].GetRecordsDone() > 0 {
			running = es[0]
		}
	}
	srv.kill(t)
	if running.GetRecordsDone() >= customers*each {
		t.Fatalf("the erasure finished before the kill (%d records): the test proved nothing", running.GetRecordsDone())
	}

	erased := checkWholeCustomers(t, filepath.Join(dir, "data"), emails, each)
	if erased == 0 || erased == customers {
		t.Fatalf("after the kill %d of %d customers were erased: want the kill mid-way", erased, customers)
	}
	t.Logf("killed with %d of %d customers erased, %v in", erased, customers, time.Since(began))

	// The erasure resumes on start; its event says when it is done.
	srv = startServer(t, dir)
	er = pb.NewErasureServiceClient(srv.conn)
	events, err := er.StreamErasureEvents(ctx, &pb.StreamErasureEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := events.Recv(); err != nil || ev.GetEvent().GetErasure() != running.GetName() {
		t.Fatalf("first event after restart = %v, %v", ev, err)
	}
	got, err := er.GetErasure(ctx, &pb.GetErasureRequest{Name: running.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	done := got.GetErasure()
	if done.GetState() != pb.Erasure_STATE_SUCCEEDED {
		t.Fatalf("erasure after its event is %v", done.GetState())
	}
	if c := done.GetCounts(); c.GetInvitations() != customers*each || c.GetScheduledSendsCancelled() != customers*each || c.GetLastInvitedRecords() != customers || done.GetRecordsDone() != customers*each {
		t.Errorf("resumed erasure counted %v, %d records, want %d invitations and %d last-invited records", c, done.GetRecordsDone(), customers*each, customers)
	}
	t.Logf("resumed and finished %v after the kill", time.Since(began))
	again, err := er.EraseCustomers(ctx, &pb.EraseCustomersRequest{Parent: "businessUnits/a", EmailAddresses: emails, RequestId: "big-one"})
	if err != nil || again.GetErasure().GetName() != running.GetName() {
		t.Errorf("repeating the request after restart = %v, %v, want the same erasure", again.GetErasure().GetName(), err)
	}
	receipts, err := er.ListErasureReceipts(ctx, &pb.ListErasureReceiptsRequest{Parent: "businessUnits/a"})
	if err != nil || len(receipts.GetReceipts()) != 1 {
		t.Errorf("receipts after resume = %d, %v, want 1", len(receipts.GetReceipts()), err)
	}
	left, err := pb.NewInvitationServiceClient(srv.conn).ListInvitations(ctx, &pb.ListInvitationsRequest{Parent: "businessUnits/b"})
	if err != nil || len(left.GetInvitations()) != 1 {
		t.Errorf("unit b after the erasure = %d, %v, want its 1 invitation", len(left.GetInvitations()), err)
	}
}

// checkWholeCustomers opens the store left by a killed server and checks
// that each customer has all their invitations and their last-invited
// record, or none of either. It returns how many have none.
func checkWholeCustomers(t *testing.T, dataDir string, emails []string, each int) int {
	t.Helper()
	db, err := storage.Open(dataDir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hasher := address.NewHasher(db.DeriveKey("customer-index"))

	erased := 0
	err = db.View(context.Background(), func(tx storage.ReadTx) error {
		for _, e := range emails {
			h := hasher.Hash(e)
			var ids []storage.ID
			tx.CustomerInvitations("a", h, storage.ID{}, func(id storage.ID) bool { ids = append(ids, id); return true })
			_, hasRecord, err := tx.Customer("a", h)
			if err != nil {
				return err
			}
			live := 0
			for _, id := range ids {
				_, err := tx.Invitation("a", id)
				_, lerr := tx.Link(id)
				if (err == nil) != (lerr == nil) {
					t.Errorf("invitation and its link disagree after the kill")
				}
				if err == nil {
					live++
				}
			}
			switch {
			case live == 0 && len(ids) == 0 && !hasRecord:
				erased++
			case live == each && len(ids) == each && hasRecord:
			default:
				t.Errorf("a customer was half erased: %d of %d invitations, %d index entries, record %v", live, each, len(ids), hasRecord)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return erased
}
