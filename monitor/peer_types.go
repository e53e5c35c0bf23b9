package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/outpost-status/outpost/probe"
)

// Peers asks the other locations of a deployment (SPEC §17) to probe
// checks now. *PeerClient implements it; tests use fakes.
type Peers interface {
	// Confirm asks every peer in parallel, within the confirmation
	// timeout, and returns one answer per configured peer, in
	// configuration order. A peer that did not answer in time, or
	// answered something unusable, has Err set and no Results.
	Confirm(ctx context.Context, keys []string) []PeerAnswer
}

// PeerAnswer is one peer's answer to a confirmation request.
type PeerAnswer struct {
	Peer    string                 // the peer's location id
	Results map[string]PeerVerdict // by check key; only keys that were asked
	Err     error
}

// PeerVerdict is what one location's fresh probe of a check saw.
// State is up, degraded, down or unknown: unknown when the location did
// not probe (no such check there, blind, starved of CPU, or the probe did
// not end in time); Class then says which (PeerClass*).
type PeerVerdict struct {
	State    State
	Time     time.Time     // when the probe started; zero when none ran
	Duration time.Duration // how long it took
	Class    string        // the probe's failure class, or a PeerClass* for unknown
	Message  string
}

// Classes of unknown verdicts.
const (
	PeerClassUnknownCheck = "unknown_check" // no check with this key at the location
	PeerClassBlind        = "blind"         // the location's self-check fails: it cannot see
	PeerClassInconclusive = "inconclusive"  // the location was starved of CPU during the probe
	PeerClassUnfinished   = "unfinished"    // the probe did not end before the answer was due
)

// Limits of the peer protocol, shared by the server (admin) and the client.
const (
	// MaxPeerKeys is the most check keys one confirmation request may
	// name: more than any deployment's checks going down at once.
	MaxPeerKeys = 1000
	// MaxPeerRequestBody bounds a confirmation request: MaxPeerKeys keys
	// of up to 127 characters, quoted, with room for escapes.
	MaxPeerRequestBody = 256 << 10
	// MaxPeerAnswerBody bounds an answer read by the client.
	MaxPeerAnswerBody = 1 << 20
	// MaxPeerMessage bounds a verdict's message in an answer.
	MaxPeerMessage = 512
)

// peerVerdictJSON is PeerVerdict on the wire.
type peerVerdictJSON struct {
	State      State   `json:"state"`
	Time       *string `json:"time,omitempty"` // RFC 3339; absent when no probe ran
	DurationMS *int64  `json:"duration_ms,omitempty"`
	Class      string  `json:"class,omitempty"`
	Message    string  `json:"message,omitempty"`
}

// MarshalJSON writes {"state", "time" (RFC 3339), "duration_ms", "class", "message"}.
func (v PeerVerdict) MarshalJSON() ([]byte, error) {
	out := peerVerdictJSON{State: v.State, Class: v.Class, Message: v.Message}
	if !v.Time.IsZero() {
		t := v.Time.UTC().Format(time.RFC3339Nano)
		ms := v.Duration.Milliseconds()
		out.Time, out.DurationMS = &t, &ms
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a verdict strictly: a known state, an RFC 3339
// time, a non-negative duration, no unknown fields.
func (v *PeerVerdict) UnmarshalJSON(data []byte) error {
	var in peerVerdictJSON
	if err := strictJSON(data, &in); err != nil {
		return err
	}
	switch in.State {
	case StateUp, StateDegraded, StateDown, StateUnknown:
	default:
		return fmt.Errorf("state %q is not up, degraded, down or unknown", in.State)
	}
	out := PeerVerdict{State: in.State, Class: in.Class, Message: in.Message}
	if in.Time != nil {
		t, err := time.Parse(time.RFC3339, *in.Time)
		if err != nil {
			return fmt.Errorf("time %q is not RFC 3339", *in.Time)
		}
		out.Time = t
	}
	if in.DurationMS != nil {
		if *in.DurationMS < 0 || *in.DurationMS > int64(time.Hour/time.Millisecond) {
			return fmt.Errorf("duration_ms %d is out of range", *in.DurationMS)
		}
		out.Duration = time.Duration(*in.DurationMS) * time.Millisecond
	}
	if len(out.Class) > 64 || len(out.Message) > MaxPeerMessage {
		return fmt.Errorf("class or message too long")
	}
	*v = out
	return nil
}

// PeerConfirmAnswer is the body of an answer to POST /api/peer/v1/confirm.
type PeerConfirmAnswer struct {
	Location string                 `json:"location"`
	Results  map[string]PeerVerdict `json:"results"`
}

// PeerChecksAnswer is the body of an answer to GET /api/peer/v1/checks.
type PeerChecksAnswer struct {
	Location string   `json:"location"`
	Checks   []string `json:"checks"` // sorted
}

// verdictOf turns a probe result into a verdict.
func verdictOf(r probe.Result) PeerVerdict {
	v := PeerVerdict{Time: r.Start, Duration: r.Duration, Class: string(r.Class), Message: truncate(r.Message, MaxPeerMessage)}
	switch r.Outcome {
	case probe.Up:
		v.State = StateUp
	case probe.Degraded:
		v.State = StateDegraded
	default:
		v.State = StateDown
	}
	return v
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
