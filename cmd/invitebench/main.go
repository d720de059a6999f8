// Command invitebench measures the service where its users feel it and
// compares each figure with the limit the same machine shows in the same
// run: a bare grpc-go server on loopback and a bare bbolt file. It prints a
// table of figures, ratios, targets and whether each target was met.
//
//	invitebench [-size 1000000] [-duration 10s] [-clients 64] [-md FILE] [-profile DIR]
//	invitebench -smoke
//
// -smoke runs every phase on tiny data to check the harness works; its
// figures mean nothing. -md writes the table as Markdown too. -profile
// writes a CPU profile of the service during the create-throughput phase.
//
// The servers it measures are this binary started again in a child mode,
// each on its own data directory under a temporary directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "invitebench:", err)
		os.Exit(1)
	}
}

func mainErr() error {
	child := flag.String("child", "", "internal: run as a child server (service or bare)")
	data := flag.String("data", "", "internal: the child's data directory")
	offset := flag.Duration("offset", 0, "internal: how far ahead of the system clock the child lives")
	chunk := flag.Int("chunk", 0, "internal: erasure chunk size of the child")
	cpu := flag.String("cpuprofile", "", "internal: CPU profile file of the child")
	sweep := flag.Bool("sweep", false, "internal: the child sweeps once at start")

	size := flag.Int("size", 1_000_000, "invitations in the large store")
	duration := flag.Duration("duration", 10*time.Second, "length of each throughput phase")
	clients := flag.Int("clients", 64, "concurrent callers for single-call throughput")
	smoke := flag.Bool("smoke", false, "run every phase on tiny data, to check the harness")
	md := flag.String("md", "", "also write the table as Markdown to this file")
	profile := flag.String("profile", "", "write a CPU profile of the service's create phase into this directory")
	only := flag.String("only", "", "run only these phases, comma-separated: limits, throughput, scaling, retention")
	flag.Parse()

	switch *child {
	case "service":
		return serveService(*data, *offset, *chunk, *cpu, *sweep)
	case "bare":
		return serveBare()
	case "":
	default:
		return fmt.Errorf("unknown child mode %q", *child)
	}

	b := &bench{size: *size, duration: *duration, clients: *clients, profile: *profile, only: *only}
	if *smoke {
		b.size, b.duration, b.clients = 2000, 500*time.Millisecond, 8
	}
	dir, err := os.MkdirTemp("", "invitebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b.dir = dir

	if err := b.all(context.Background()); err != nil {
		return err
	}
	fmt.Println()
	b.report.text(os.Stdout)
	if *md != "" {
		f, err := os.Create(*md)
		if err != nil {
			return err
		}
		defer f.Close()
		b.report.markdown(f)
	}
	return nil
}

// bench holds the settings and results of one run.
type bench struct {
	size     int
	duration time.Duration
	clients  int
	profile  string
	only     string
	dir      string
	report   report

	bareRate float64
	bulk     float64
	peakHWM  int64
	peakAnon int64
}

func (b *bench) dataDir(name string) string { return filepath.Join(b.dir, name) }

func (b *bench) all(ctx context.Context) error {
	phases := []struct {
		key, name string
		fn        func(context.Context) error
	}{
		{"limits", "machine limits", b.limits},
		{"throughput", "create throughput", b.throughput},
		{"scaling", "erasure on a growing store", b.scaling},
		{"retention", "retention sweep", b.retention},
	}
	for _, p := range phases {
		if b.only != "" && !slices.Contains(strings.Split(b.only, ","), p.key) {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s\n", p.name)
		if err := p.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	ok := b.peakAnon < 150<<20
	b.report.add("service memory, peak anonymous RSS", mib(b.peakAnon), "resident incl. mapped file: "+mib(b.peakHWM), "< 150 MiB", &ok)
	return nil
}

// watch records a child's memory peaks before it stops.
func (b *bench) watch(c *child) {
	hwm, anon := c.memory()
	b.peakHWM, b.peakAnon = max(b.peakHWM, hwm), max(b.peakAnon, anon)
}
