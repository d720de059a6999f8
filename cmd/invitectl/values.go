package main

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/reviewdata/invitations/gen/invitations/v1"
)

// listFlag collects the values of a repeatable flag in order.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// timeFlag holds an RFC 3339 time; unset leaves ts nil.
type timeFlag struct {
	ts *timestamppb.Timestamp
}

func (t *timeFlag) String() string { return formatTime(t.ts) }

func (t *timeFlag) Set(v string) error {
	tm, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return errors.New("want an RFC 3339 time such as 2026-03-05T09:00:00Z")
	}
	t.ts = timestamppb.New(tm)
	return nil
}

// int32Flag is an integer flag that fits the int32 fields of the API.
// Its range is left to the server to judge.
type int32Flag int32

func (n *int32Flag) String() string {
	if *n == 0 {
		return ""
	}
	return strconv.Itoa(int(*n))
}

func (n *int32Flag) Set(v string) error {
	i, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return errors.New("want a 32-bit integer")
	}
	*n = int32Flag(i)
	return nil
}

// parseEnum reads word, as enumWord writes it, as a value of the enum whose
// value names start with prefix. The unspecified value is refused.
func parseEnum(values map[string]int32, prefix, word string) (int32, error) {
	name := prefix + strings.ToUpper(strings.ReplaceAll(word, "-", "_"))
	v, ok := values[name]
	if !ok || v == 0 || word == "" {
		return 0, errors.New("want one of " + strings.Join(enumWords(values, prefix), ", "))
	}
	return v, nil
}

// enumWords lists an enum's words in number order, unspecified left out.
func enumWords(values map[string]int32, prefix string) []string {
	names := make([]string, 0, len(values))
	for name, v := range values {
		if v != 0 {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(values[a], values[b]) })
	for i, name := range names {
		names[i] = enumWord(name, prefix)
	}
	return names
}

// errDate says what a date must look like.
var errDate = errors.New("want a date as YYYY-MM-DD")

// parseDate reads YYYY-MM-DD as three integers. It does not check that the
// day exists: the server judges that and names the field when it does not.
func parseDate(s string) (*pb.CalendarDate, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) != 2 || len(parts[2]) != 2 {
		return nil, errDate
	}
	var n [3]int32
	for i, p := range parts {
		if !digits(p) {
			return nil, errDate
		}
		v, _ := strconv.Atoi(p) // at most four digits
		n[i] = int32(v)
	}
	return &pb.CalendarDate{Year: n[0], Month: n[1], Day: n[2]}, nil
}

// parseDuration reads a Go duration such as 90m or 36h, or a whole number
// of days such as 7d.
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		const day = 24 * time.Hour
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n > int64(math.MaxInt64/day) || n < int64(math.MinInt64/day) {
			return 0, errors.New("want a duration such as 7d, 36h or 90m")
		}
		return time.Duration(n) * day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want a duration such as 7d, 36h or 90m")
	}
	return d, nil
}

// parseTimeOfDay reads HH:MM, or "none" for no time of day (nil). Hours
// and minutes are left to the server to judge.
func parseTimeOfDay(s string) (*pb.LocalTime, error) {
	if s == "none" {
		return nil, nil
	}
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 || !digits(hh) || !digits(mm) {
		return nil, errors.New("want HH:MM, or none")
	}
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	return &pb.LocalTime{Hours: int32(h), Minutes: int32(m)}, nil
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
