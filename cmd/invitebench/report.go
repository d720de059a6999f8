package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one line of the result table.
type row struct {
	measure string
	figure  string
	limit   string // the machine's limit or the ratio to it
	target  string
	met     string // "yes", "NO", or "" when there is no target
}

type report struct {
	rows []row
}

func (r *report) add(measure, figure, limit, target string, met *bool) {
	m := ""
	if met != nil {
		m = map[bool]string{true: "yes", false: "NO"}[*met]
	}
	r.rows = append(r.rows, row{measure, figure, limit, target, m})
}

func check(ok bool) *bool { return &ok }

// markdown writes the table as Markdown.
func (r *report) markdown(w io.Writer) {
	fmt.Fprintln(w, "| measure | figure | limit / ratio | target | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, x := range r.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", x.measure, x.figure, x.limit, x.target, x.met)
	}
}

// text writes the table aligned for a terminal.
func (r *report) text(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEASURE\tFIGURE\tLIMIT / RATIO\tTARGET\tMET")
	for _, x := range r.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.measure, x.figure, x.limit, x.target, x.met)
	}
	tw.Flush()
}

func rate(v float64, unit string) string { return fmt.Sprintf("%s %s/s", thousands(v), unit) }

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
