package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/probe"
)

// Push checks (target push:, SPEC §18) are dead man's switches: the
// monitored job reports to outpost instead of outpost probing it.
//
//   - The scheduler never probes them. Each push (Push) is a result
//     through the same path as a probe's (record): thresholds, component
//     status, drafts, intervals, metrics, the store and checks.json.
//   - A push check has a deadline: interval + retry_interval after its
//     last push, or after the monitor started (or the check was added or
//     changed by a reload). When it passes without a push, the tick loop
//     (which sleeps until the earliest deadline, see untilNext) records a
//     failed result "no push within D" at the deadline, and another every
//     interval while the pushes stay away. fail_after counts pushed-down
//     and missed results alike; recover_after counts passing pushes.
//   - The self-check's verdict does not apply: a job inside reaches
//     outpost over a path the self-check does not judge, and a missing
//     push is no probe that outpost's own network could have failed. So a
//     blind monitor still fails, shows and records push checks, and
//     components made only of push checks still open drafts (View.Sighted).
//     A restart is still unknown time (the heartbeat), and the first
//     deadline after it counts from the start.
//   - A changed token (a reload) keeps the check's state: the token is
//     not part of its fingerprint.

// Push is one report of a push check's job, as the HTTP endpoint parsed it.
type Push struct {
	Down     bool          // status=down: the job failed
	Message  string        // msg; Push cleans and shortens it
	Duration time.Duration // how long the job ran (duration=); 0 when not said
}

// ErrNoPushCheck is returned by Push for a key that names no push check.
var ErrNoPushCheck = errors.New("no such push check")

// maxPushMessage is the longest message kept of a push, in bytes: a
// status line, not a log.
const maxPushMessage = 256

// Pushed reports whether c is a push check.
func (c Check) Pushed() bool { return c.Target.Kind == probe.KindPush }

// pushGrace is how long a push check may stay silent after its last
// push: interval + retry_interval.
func (c Check) pushGrace() time.Duration { return c.Interval + c.RetryInterval }

// initialState is the state a check starts with; a push check's first
// deadline counts from now.
func initialState(c Check, now time.Time) CheckState {
	st := CheckState{State: StateUnknown}
	if c.Pushed() {
		st.PushFrom, st.PushDue = now, now.Add(c.pushGrace())
	}
	return st
}

// PushToken returns the token of push check key ("component/check"),
// false when there is no such push check. The caller compares in
// constant time.
func (m *Monitor) PushToken(key string) (config.Secret, bool) {
	c, ok := m.checkFor(key)
	if !ok || !c.Pushed() {
		return "", false
	}
	return c.PushToken, true
}

// Push records a push of check key, received now, and returns the check's
// state after it. The deadline moves to interval + retry_interval from
// now.
func (m *Monitor) Push(ctx context.Context, key string, p Push) (State, error) {
	c, ok := m.checkFor(key)
	if !ok || !c.Pushed() {
		return StateUnknown, fmt.Errorf("%w: %s", ErrNoPushCheck, key)
	}
	now := m.opts.Clock.Now()
	m.mu.Lock()
	if e := m.entries[key]; e != nil && e.check.Fingerprint == c.Fingerprint {
		e.state.PushFrom, e.state.PushDue = now, now.Add(c.pushGrace())
	}
	m.mu.Unlock()
	m.record(ctx, c, pushResult(c, p, now))
	m.mu.RLock()
	defer m.mu.RUnlock()
	if e := m.entries[key]; e != nil {
		return e.state.State, nil
	}
	return StateUnknown, nil
}

// pushResult turns a push into the result it stands for.
func pushResult(c Check, p Push, now time.Time) probe.Result {
	r := probe.Result{Start: now, Duration: p.Duration, Outcome: probe.Up, Message: CleanPushMessage(p.Message)}
	switch limit := c.Target.Options.DegradedLatency; {
	case p.Down:
		r.Outcome, r.Class = probe.Down, probe.ClassPushed
		if r.Message == "" {
			r.Message = "the job reported down"
		}
	case limit > 0 && p.Duration > limit:
		r.Outcome, r.Class = probe.Degraded, probe.ClassLatency
		if r.Message == "" {
			r.Message = fmt.Sprintf("the job took %s, more than degraded_latency %s", shortDuration(p.Duration), shortDuration(limit))
		}
	}
	return r
}

// CleanPushMessage makes msg fit for a status line on every output (the
// log, checks.json, the console): invalid UTF-8 and control or format
// characters (line breaks, escapes, bidi overrides) become spaces, runs of
// spaces one, and at most maxPushMessage bytes are kept, cut at a
// character with "…".
func CleanPushMessage(msg string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, msg)
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) <= maxPushMessage {
		return msg
	}
	cut := maxPushMessage - len("…")
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return strings.TrimRight(msg[:cut], " ") + "…"
}

// nextPushDueLocked is the earliest deadline of a push check, zero when
// there is none. The caller holds mu.
func (m *Monitor) nextPushDueLocked() time.Time {
	var next time.Time
	for _, e := range m.entries {
		if due := e.state.PushDue; e.check.Pushed() && !due.IsZero() && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	return next
}

// pushDeadlines records a missed result for every push check whose
// deadline passed by now, dated at the deadline, and moves the deadline
// on by whole intervals (slots missed while the monitor was suspended are
// skipped, as the scheduler skips them). The tick loop calls it after
// every tick. A push that arrives between this look and the recording
// makes the miss stale (see staleMiss).
func (m *Monitor) pushDeadlines(ctx context.Context, now time.Time) {
	type miss struct {
		c Check
		r probe.Result
	}
	var misses []miss
	m.mu.Lock()
	for _, key := range m.order {
		e := m.entries[key]
		due := e.state.PushDue
		if !e.check.Pushed() || due.IsZero() || due.After(now) || e.check.Interval <= 0 {
			continue
		}
		msg := "no push within " + shortDuration(due.Sub(e.state.PushFrom))
		misses = append(misses, miss{e.check, probe.Result{Start: due, Outcome: probe.Down, Class: probe.ClassMissed, Message: msg}})
		next := due.Add(e.check.Interval)
		if !next.After(now) {
			next = next.Add((now.Sub(next)/e.check.Interval + 1) * e.check.Interval)
		}
		e.state.PushDue = next
	}
	m.mu.Unlock()
	for _, ms := range misses {
		m.record(ctx, ms.c, ms.r)
	}
}

// staleMiss reports whether r is a missed deadline that a push has
// answered since (the push came while the miss was on its way to be
// recorded): it changes nothing. nextState asks, under the monitor's
// lock, so a push and a miss are decided in the order they were taken.
func staleMiss(prev CheckState, r probe.Result) bool {
	return r.Class == probe.ClassMissed && !prev.PushFrom.Before(r.Start)
}

// shortDuration prints d to the second without trailing zero units:
// 1h5m, 30s, 2h.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// pushOnlyLocked reports whether every check of c is a push check: its
// status owes nothing to outpost's own network, so blindness does not
// apply to it. The caller holds mu.
func (m *Monitor) pushOnlyLocked(c Component) bool {
	for _, key := range c.Checks {
		if e := m.entries[key]; e == nil || !e.check.Pushed() {
			return false
		}
	}
	return len(c.Checks) > 0
}
