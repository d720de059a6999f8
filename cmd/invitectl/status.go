package main

import (
	"io"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// runRetention shows what the retention sweeper does.
func runRetention(c *cli, args []string) error {
	f := newFlags("retention", "", "Show the retention sweeper's status (platform admins).")
	if err := f.parse(args); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.er.GetRetentionStatus(ctx, &pb.GetRetentionStatusRequest{})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) {
		st := resp.GetStatus()
		f := fields{w}
		f.add("invitation retention", st.GetInvitationRetention())
		f.add("bcc retention", st.GetBccRetention())
		f.add("oldest invitation", formatTime(st.GetOldestInvitationTime()))
		f.add("oldest bcc message", formatTime(st.GetOldestBccMessageTime()))
		f.add("last run", formatTime(st.GetLastRunTime()))
		if st.GetLastRunTime() != nil {
			f.add("last run took ms", itoa(st.GetLastRunDurationMs()))
		}
		f.counts("last run removed", st.GetLastRunCounts())
		f.counts("removed since start", st.GetTotalCounts())
	})
}

// runHealth asks the server's health service about the server as a whole.
func runHealth(c *cli, args []string) error {
	f := newFlags("health", "", "Check the server's health: prints SERVING, NOT_SERVING and so on.")
	if err := f.parse(args); err != nil {
		return err
	}

	ctx, cancel := c.call()
	defer cancel()
	resp, err := c.health.Check(ctx, &healthpb.HealthCheckRequest{Service: ""})
	if err != nil {
		return err
	}
	return c.emit(resp, func(w io.Writer) { fields{w}.line(resp.GetStatus().String()) })
}
