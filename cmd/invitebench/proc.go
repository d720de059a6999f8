package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// child is a server process started by the harness.
type child struct {
	cmd     *exec.Cmd
	ready   ready
	started time.Time
	// readyAfter is how long the process took from exec to serving.
	readyAfter time.Duration
	conns      []*grpc.ClientConn

	mu       sync.Mutex // guards peakAnon
	peakAnon int64
	stopRSS  chan struct{}
}

// startChild runs this binary again with args and waits for its ready line.
func startChild(args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, started: time.Now(), stopRSS: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}

	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("child %v did not start: %w", args, err)
	}
	c.readyAfter = time.Since(c.started)
	if err := json.Unmarshal([]byte(line), &c.ready); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("child %v: %w", args, err)
	}
	for range 4 {
		conn, err := grpc.NewClient("passthrough:///"+c.ready.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			c.stop()
			return nil, err
		}
		c.conns = append(c.conns, conn)
	}
	go c.sampleRSS()
	return c, nil
}

// conn returns one of the child's connections, spreading clients over them.
func (c *child) conn(i int) *grpc.ClientConn { return c.conns[i%len(c.conns)] }

// stop sends SIGTERM and waits for the child to exit.
func (c *child) stop() error {
	close(c.stopRSS)
	for _, conn := range c.conns {
		conn.Close()
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	return c.cmd.Wait()
}

// status reads fields of /proc/<pid>/status, in bytes.
func (c *child) status() (hwm, anon int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = n << 10
		case "RssAnon:":
			anon = n << 10
		}
	}
	return hwm, anon
}

// sampleRSS keeps the peak of anonymous memory (heap, stacks: what the
// process allocates itself, without the database pages it maps).
func (c *child) sampleRSS() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.stopRSS:
			return
		case <-t.C:
			_, anon := c.status()
			c.mu.Lock()
			c.peakAnon = max(c.peakAnon, anon)
			c.mu.Unlock()
		}
	}
}

// memory returns the peak resident set (VmHWM) and the peak anonymous
// part of it.
func (c *child) memory() (hwm, anon int64) {
	hwm, now := c.status()
	c.mu.Lock()
	defer c.mu.Unlock()
	return hwm, max(c.peakAnon, now)
}

func (c *child) storeStats(ctx context.Context) (storeStats, error) {
	var s storeStats
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.ready.Stats+"/stats", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

func (c *child) resetStats(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.ready.Stats+"/reset", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
