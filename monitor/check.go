// Package monitor decides what is true: it schedules probes, applies
// thresholds and keeps the live state of every check.
//
// Decisions are pure functions of (previous state, result, thresholds,
// now) so they can be tested without clocks or sockets; the Scheduler
// only decides when to call them.
package monitor

import (
	"fmt"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// State of a check.
type State string

// States. Unknown means no data yet (or, later, paused or blind).
const (
	StateUnknown  State = "unknown"
	StateUp       State = "up"
	StateDegraded State = "degraded"
	StateDown     State = "down"
)

// States lists every state, for one-hot metrics.
var States = []State{StateUp, StateDegraded, StateDown, StateUnknown}

// Check is one scheduled probe with its thresholds.
type Check struct {
	Key       string // "component/check", unique
	ID        string
	Name      string
	Component string // component id
	Target    probe.Target

	Interval      time.Duration
	Timeout       time.Duration
	RetryInterval time.Duration
	Thresholds    Thresholds
	// PushToken is a push check's bearer token (see push.go); empty for
	// probed checks.
	PushToken config.Secret
	// Fingerprint changes when any setting of the check changes; a
	// reload keeps the state of checks whose key and fingerprint stay the
	// same (see fingerprint).
	Fingerprint string
}

// Thresholds turn single results into a check state.
type Thresholds struct {
	FailAfter    int // consecutive failures before down
	RecoverAfter int // consecutive passes before up again
}

// ChecksFromConfig builds the checks of cfg, parsing every target once.
func ChecksFromConfig(cfg *config.Config) ([]Check, error) {
	var checks []Check
	for _, comp := range cfg.Components {
		for _, c := range comp.Checks {
			t, err := probe.NewTarget(c.Target, probeOptions(c))
			if err != nil {
				return nil, fmt.Errorf("check %s: %w", c.Key(), err)
			}
			checks = append(checks, Check{
				Key: c.Key(), ID: c.ID, Name: c.Name, Component: comp.ID, Target: t,
				Interval: c.Interval.D(), Timeout: c.Timeout.D(), RetryInterval: c.RetryInterval.D(),
				Thresholds:  Thresholds{FailAfter: c.FailAfter, RecoverAfter: c.RecoverAfter},
				Fingerprint: fingerprint(c), PushToken: c.Token,
			})
		}
	}
	return checks, nil
}

// CheckState is the live state of one check.
type CheckState struct {
	State State
	// Since is when State was entered (zero while unknown).
	Since time.Time
	// Fails and Passes count consecutive failed and passed probes.
	Fails, Passes int
	// FailingSince is the start of the first failed probe of the current
	// run of failures; zero while passing.
	FailingSince time.Time
	// Last is the most recent result; nil before the first probe.
	Last *probe.Result
	// PushFrom and PushDue are a push check's last push (or the start)
	// and its deadline (see push.go); zero for probed checks.
	PushFrom, PushDue time.Time
}

// nextState applies one result. A check leaves unknown at its first pass,
// or after FailAfter failures; it goes down after FailAfter consecutive
// failures and comes back after RecoverAfter consecutive passes. While up,
// the state follows the result between up and degraded at once.
func nextState(prev CheckState, r probe.Result, th Thresholds, now time.Time) CheckState {
	if staleMiss(prev, r) { // push checks (push.go)
		return prev
	}
	next := prev
	last := r
	next.Last = &last
	state := prev.State
	if r.Outcome.Passed() {
		next.Passes++
		next.Fails = 0
		next.FailingSince = time.Time{}
		if prev.State != StateDown || next.Passes >= th.RecoverAfter {
			state = StateUp
			if r.Outcome == probe.Degraded {
				state = StateDegraded
			}
		}
	} else {
		next.Fails++
		next.Passes = 0
		if next.Fails == 1 {
			next.FailingSince = r.Start
		}
		if next.Fails >= th.FailAfter {
			state = StateDown
		}
	}
	if state != prev.State {
		next.State, next.Since = state, now
	}
	return next
}

// StoreResult converts a probe result for the store.
func StoreResult(key string, r probe.Result) store.Result {
	out := store.Result{Check: key, Time: r.Start, Duration: r.Duration, Class: string(r.Class),
		Message: r.Message, CertExpiry: r.Details.CertExpiry}
	switch r.Outcome {
	case probe.Up:
		out.Outcome = store.OutcomeUp
	case probe.Degraded:
		out.Outcome = store.OutcomeDegraded
	default:
		out.Outcome = store.OutcomeDown
	}
	switch d := r.Details; {
	case d.HTTPStatus != 0:
		out.Code = d.HTTPStatus
	case d.SIPStatus != 0:
		out.Code = d.SIPStatus
	}
	return out
}
