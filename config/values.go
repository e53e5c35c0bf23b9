package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"gopkg.in/yaml.v3"
)

// nodeDecoder is implemented by value types that parse themselves from a
// YAML node. Errors are plain messages; the walker adds the position.
type nodeDecoder interface {
	decodeNode(n *yaml.Node) error
}

// Duration is a time.Duration written in Go syntax plus a "d" (24h) unit:
// 30s, 1m30s, 14d, 1d12h.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// MarshalText writes the duration in the syntax it is read in.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) decodeNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("expected a duration such as 30s, 5m or 14d")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

var durationToken = regexp.MustCompile(`(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)`)

// ParseDuration parses Go duration syntax extended with a "d" unit of 24
// hours. Negative durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	if s == "" || durationToken.ReplaceAllString(s, "") != "" {
		return 0, fmt.Errorf("invalid duration %q (use a number and unit: 500ms, 30s, 5m, 2h, 14d)", s)
	}
	var total time.Duration
	for _, m := range durationToken.FindAllStringSubmatch(s, -1) {
		if m[2] == "d" {
			days, err := strconv.ParseFloat(m[1], 64)
			if err != nil || days > 100*365 {
				return 0, fmt.Errorf("duration %q is out of range", s)
			}
			total += time.Duration(days * float64(24*time.Hour))
			continue
		}
		part, err := time.ParseDuration(m[0])
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		total += part
	}
	if total < 0 {
		return 0, fmt.Errorf("duration %q is out of range", s)
	}
	return total, nil
}

// FormatDuration prints whole days as "Nd" and everything else in Go syntax.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// Regexp is a regular expression compiled at load time.
type Regexp struct {
	*regexp.Regexp
}

func (r *Regexp) decodeNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("expected a regular expression string")
	}
	re, err := regexp.Compile(n.Value)
	if err != nil {
		return fmt.Errorf("invalid regular expression %q: %v", n.Value, err)
	}
	r.Regexp = re
	return nil
}

// StatusRange is an inclusive range of status codes.
type StatusRange struct{ Min, Max int }

// StatusRanges is a list of codes ("200"), ranges ("200-299") and classes ("2xx").
type StatusRanges []StatusRange

func (s *StatusRanges) decodeNode(n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return &nodeError{it, `expected status codes such as [200, 204, "300-399", 2xx]`}
		}
		r, err := parseStatusRange(it.Value)
		if err != nil {
			return &nodeError{it, err.Error()}
		}
		*s = append(*s, r)
	}
	return nil
}

func parseStatusRange(v string) (StatusRange, error) {
	bad := fmt.Errorf("status %q is not a code from 100 to 699, a range like 200-299, or a class like 2xx", v)
	var r StatusRange
	switch lo, hi, isRange := strings.Cut(v, "-"); {
	case len(v) == 3 && strings.HasSuffix(strings.ToLower(v), "xx"):
		c, err := strconv.Atoi(v[:1])
		if err != nil {
			return r, bad
		}
		r = StatusRange{c * 100, c*100 + 99}
	case isRange:
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a > b {
			return r, bad
		}
		r = StatusRange{a, b}
	default:
		c, err := strconv.Atoi(v)
		if err != nil {
			return r, bad
		}
		r = StatusRange{c, c}
	}
	if r.Min < 100 || r.Max > 699 {
		return r, bad
	}
	return r, nil
}

// Rcodes is a list of DNS rcode names (NOERROR, NXDOMAIN, ...) as numbers.
type Rcodes []int

func (rc *Rcodes) decodeNode(n *yaml.Node) error {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, it := range items {
		code, ok := dns.StringToRcode[strings.ToUpper(it.Value)]
		if it.Kind != yaml.ScalarNode || !ok {
			return &nodeError{it, fmt.Sprintf("rcode %q is unknown (use NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...)", it.Value)}
		}
		*rc = append(*rc, code)
	}
	return nil
}

// Timestamp is an RFC 3339 time such as 2026-12-01T02:00:00+01:00.
type Timestamp struct{ time.Time }

func (t *Timestamp) decodeNode(n *yaml.Node) error {
	v, err := time.Parse(time.RFC3339, n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("time %q is not RFC 3339 (e.g. 2026-12-01T02:00:00+01:00)", n.Value)
	}
	t.Time = v
	return nil
}

// Secret holds a credential read from a file or the environment. It prints
// as <redacted> so it cannot leak through logs or JSON by accident.
type Secret string

func (Secret) String() string { return "<redacted>" }

// GoString keeps %#v from printing the secret.
func (Secret) GoString() string { return "<redacted>" }

// MarshalText keeps encoders from printing the secret.
func (Secret) MarshalText() ([]byte, error) { return []byte("<redacted>"), nil }

// Reveal returns the secret itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }
