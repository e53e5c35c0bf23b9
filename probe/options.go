package probe

import (
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// Options are the per-check settings that shape a probe. Zero values mean
// the protocol's default (see DefaultOptions).
type Options struct {
	// HTTP, and SIP's OPTIONS (the default) or REGISTER
	Method       string
	Headers      http.Header
	Body         string
	MaxRedirects int // 0 means do not follow redirects
	// TLS (https, tls, sips, dns over tls)
	InsecureSkipVerify bool
	ServerName         string // SNI override; default the target host
	// TCP
	Send string
	// SIP REGISTER: the digest username (default the target's user) and
	// password.
	Username string
	Password Secret
	// Result grading
	Expect          Expect
	DegradedLatency time.Duration // 0 disables latency grading
	CertMinDays     int           // 0 disables expiry grading
}

// DefaultOptions are the options a one-shot `outpost probe` uses.
func DefaultOptions() Options {
	return Options{
		Method:          http.MethodGet,
		MaxRedirects:    10,
		DegradedLatency: 2 * time.Second,
		CertMinDays:     14,
		Expect:          Expect{MinAnswers: 1},
	}
}

// Expect says what a passing reply looks like.
type Expect struct {
	// Status lists accepted HTTP or SIP status codes; empty means the
	// protocol default (HTTP 200–399, SIP any final response below 500).
	Status []StatusRange
	// BodyContains and BodyRegex match the HTTP body or the TCP reply.
	BodyContains string
	BodyRegex    *regexp.Regexp
	// Rcodes lists accepted DNS rcodes (dns.RcodeSuccess etc.); empty means NOERROR.
	Rcodes []int
	// MinAnswers is the least number of answer records a DNS reply must have.
	MinAnswers int
	// Answer, if set, must match at least one answer record's text form.
	Answer *regexp.Regexp
}

// Secret is a password that prints as "redacted" with fmt's verbs and in
// JSON, so a Target or Options logged whole shows no credential.
type Secret string

// String implements fmt.Stringer.
func (Secret) String() string { return redactedValue }

// GoString keeps %#v from printing the secret.
func (Secret) GoString() string { return redactedValue }

// MarshalText keeps encoders from printing the secret.
func (Secret) MarshalText() ([]byte, error) { return []byte(redactedValue), nil }

// Reveal returns the secret itself, for the digest computation.
func (s Secret) Reveal() string { return string(s) }

// StatusRange is an inclusive range of status codes; a single code has Min == Max.
type StatusRange struct{ Min, Max int }

// Contains reports whether code lies in r.
func (r StatusRange) Contains(code int) bool { return code >= r.Min && code <= r.Max }

func (r StatusRange) String() string {
	if r.Min == r.Max {
		return fmt.Sprint(r.Min)
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

// statusAccepted reports whether code is in ranges, or in def when ranges is empty.
func statusAccepted(code int, ranges []StatusRange, def StatusRange) bool {
	if len(ranges) == 0 {
		return def.Contains(code)
	}
	for _, r := range ranges {
		if r.Contains(code) {
			return true
		}
	}
	return false
}
