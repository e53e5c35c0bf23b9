// Package probe runs one check against one target and describes what it saw.
//
// A failed probe is data, not a Go error: every Prober returns a Result whose
// Outcome says up, degraded or down and whose Class names the failure from a
// small closed set, so that metrics, the store and incident drafts can rely on
// it. Targets are parsed once (ParseTarget, NewTarget) and probers never look
// at URL strings again. Probers import neither Prometheus nor the store.
package probe

import (
	"context"
	"time"
)

// Prober probes one target. Implementations must honour ctx's deadline, read
// bounded amounts of data and never panic on hostile replies.
type Prober interface {
	Probe(ctx context.Context, t Target) Result
}

// ProberFunc adapts a function to the Prober interface.
type ProberFunc func(ctx context.Context, t Target) Result

// Probe calls f.
func (f ProberFunc) Probe(ctx context.Context, t Target) Result { return f(ctx, t) }

// Outcome is the verdict of one probe.
type Outcome string

// Outcomes. Degraded means the service answered correctly but slowly, or its
// certificate expires soon.
const (
	Up       Outcome = "up"
	Degraded Outcome = "degraded"
	Down     Outcome = "down"
)

// Passed reports whether the outcome counts as a working service.
func (o Outcome) Passed() bool { return o == Up || o == Degraded }

// Class names why a probe failed (or, for degraded results, why it is
// degraded). The set is closed so it can be used as a metric label.
type Class string

// Failure classes.
const (
	ClassNone           Class = ""
	ClassTimeout        Class = "timeout"         // deadline passed before an answer
	ClassRefused        Class = "refused"         // TCP RST or ICMP port unreachable
	ClassDNS            Class = "dns"             // the target's host name did not resolve
	ClassNetwork        Class = "network"         // other socket errors (unreachable, reset)
	ClassTLS            Class = "tls"             // handshake or certificate verification failed
	ClassStatus         Class = "status"          // HTTP or SIP status not expected
	ClassBody           Class = "body"            // body or reply did not match
	ClassRcode          Class = "rcode"           // DNS rcode not expected
	ClassAnswer         Class = "answer"          // DNS answers missing or not matching
	ClassProtocol       Class = "protocol"        // the peer spoke something unparseable
	ClassAuth           Class = "auth"            // credentials rejected (SIP REGISTER)
	ClassLatency        Class = "latency"         // degraded: slower than degraded_latency
	ClassCertExpiry     Class = "cert_expiry"     // degraded: certificate expires soon
	ClassNotImplemented Class = "not_implemented" // no prober for this kind yet
	ClassPushed         Class = "pushed"          // a push check's job reported down (status=down)
	ClassMissed         Class = "missed"          // a push check got no push in time
)

// Classes lists every class, for pre-creating metric series.
var Classes = []Class{ClassNone, ClassTimeout, ClassRefused, ClassDNS, ClassNetwork,
	ClassTLS, ClassStatus, ClassBody, ClassRcode, ClassAnswer, ClassProtocol,
	ClassAuth, ClassLatency, ClassCertExpiry, ClassNotImplemented, ClassPushed, ClassMissed}

// Phase is one timed step of a probe. A phase that was not reached is absent.
type Phase struct {
	Name     string        `json:"name"` // resolve, connect, tls, first_byte, transfer, request, ...
	Duration time.Duration `json:"duration_ns"`
}

// Details carries protocol facts worth storing and showing. Zero values mean
// "not applicable".
type Details struct {
	HTTPStatus int    `json:"http_status,omitempty"`
	DNSRcode   string `json:"dns_rcode,omitempty"`
	DNSAnswers int    `json:"dns_answers,omitempty"`
	SIPStatus  int    `json:"sip_status,omitempty"`
	SIPReason  string `json:"sip_reason,omitempty"`
	SIPServer  string `json:"sip_server,omitempty"` // Server or User-Agent header
	// SIPTarget is the server RFC 3263 location chose for a host name
	// without a port: host:port/transport ("sip1.example.com:5060/udp").
	SIPTarget string `json:"sip_target,omitempty"`
	// SIPUnregister says how removing a REGISTER probe's binding went:
	// the final response ("200 OK") or why it failed.
	SIPUnregister string    `json:"sip_unregister,omitempty"`
	Retransmits   int       `json:"retransmits,omitempty"`
	CertExpiry    time.Time `json:"cert_expiry,omitzero"` // earliest NotAfter of the verified chain
	TLSVersion    string    `json:"tls_version,omitempty"`
	RemoteAddr    string    `json:"remote_addr,omitempty"`
}

// Result is what one probe saw.
type Result struct {
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	Outcome  Outcome       `json:"outcome"`
	Class    Class         `json:"class,omitempty"`
	Message  string        `json:"message,omitempty"`
	Details  Details       `json:"details"`
	Phases   []Phase       `json:"phases,omitempty"`
	// SchedDelay estimates how much of Duration the prober's goroutine
	// spent waiting for a CPU rather than for the network: what a user
	// space timestamp around I/O cannot tell apart. The monitor sets it
	// (see Discount); zero when not estimated.
	SchedDelay time.Duration `json:"sched_delay_ns,omitempty"`
}

// Clock tells the time; tests inject a fake one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
