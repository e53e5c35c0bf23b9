package monitor

import (
	"context"
	"time"

	"github.com/outpost-status/outpost/store"
)

const (
	// jumpThreshold is how much more or less the wall clock may move than
	// the monotonic clock between two readings before the gap counts as a
	// clock jump or a suspend. NTP slews by at most 500 ppm, 15 ms over a
	// TickInterval of 30 s.
	jumpThreshold = 2 * time.Second
	// lateTick is how late a tick may fire before it is logged.
	lateTick = time.Second
)

// reading is one look at both clocks.
type reading struct {
	wall time.Time
	mono time.Duration
}

func (m *Monitor) read() reading {
	return reading{wall: m.opts.Clock.Now(), mono: m.opts.Clock.Monotonic()}
}

// tickLoop drives everything that happens with time rather than with
// probe results: maintenance boundaries, incident timers, the heartbeat.
// It sleeps until the next of them is due (at most TickInterval), so an
// idle monitor wakes rarely; whatever moves a deadline (an admin write, a
// new window, an incident change, a reload) wakes it through rearm to
// plan again.
func (m *Monitor) tickLoop(ctx context.Context) {
	timer := m.opts.Clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select { // the plan below covers every change made so far
		case <-m.rearm:
		default:
		}
		wait, due := m.plan()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-m.rearm:
			if m.read().mono < due {
				continue // the deadline moved before it came: plan again
			}
			// It came as the wake-up did (select picks either): tick for it
			// now, since the next plan ignores a deadline already past and
			// Reset drops the timer's value.
		case <-timer.C():
		}
		now := m.read()
		m.tick(now, now.mono-due)
		// Push checks heard from too late (push.go).
		m.pushDeadlines(ctx, now.wall)
	}
}

// plan returns how long to sleep until the next deadline and the
// monotonic reading at which it is due.
func (m *Monitor) plan() (wait, due time.Duration) {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	now := m.read()
	wait = m.untilNext(now)
	return wait, now.mono + wait
}

// untilNext is the time from now to the next deadline: a maintenance
// window starting or ending, an incident timer, or the heartbeat. A
// deadline already past is ignored: what it would have done either
// happened at the tick then or waits for a change of state, which
// evaluates anyway. The caller holds evalMu.
func (m *Monitor) untilNext(now reading) time.Duration {
	if m.tickSoon.Load() {
		return 0
	}
	wait := m.opts.TickInterval - (now.mono - time.Duration(m.beat.Load()))
	consider := func(t time.Time) {
		if t.After(now.wall) {
			wait = min(wait, t.Sub(now.wall))
		}
	}
	m.mu.RLock()
	for _, w := range m.windowsLocked() {
		consider(w.Start)
		consider(w.End)
	}
	consider(m.nextPushDueLocked())
	consider(m.nextSignalExpiryLocked(now.wall)) // a firing alert turning stale
	m.mu.RUnlock()
	if m.incidents != nil {
		consider(m.incidents.NextDeadline(now.wall))
	}
	return max(wait, 0)
}

// replan wakes the tick loop to plan again after a deadline moved.
func (m *Monitor) replan() {
	select {
	case m.rearm <- struct{}{}:
	default:
	}
}

// tickNow makes the tick loop tick at once, as it did within a second
// when it ticked every second: an admin write may leave an incident that
// the engine should look at (a component added, an impact to raise). The
// incident engine calls it (OnChange) after such a write, holding no lock.
func (m *Monitor) tickNow() {
	m.tickSoon.Store(true)
	m.replan()
}

// tick does what is due at now; late is how long after its deadline the
// timer fired. A late tick is only late: both clocks moved alike, the
// monitor was still watching, and nothing is marked unknown.
func (m *Monitor) tick(now reading, late time.Duration) {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	late = max(late, 0)
	if o := m.opts.Observer; o != nil {
		o.ObserveSchedulerLag(late)
	}
	if late > lateTick {
		m.log.Warn("tick ran late", "late", late)
	}
	m.tickSoon.Store(false) // a write after this is seen by this tick or wakes the next
	m.checkClock(now)
	m.evaluateAll(now.wall, true)
	if now.mono-time.Duration(m.beat.Load()) >= m.opts.TickInterval {
		m.heartbeat(now)
	}
}

// heartbeat records that the monitor was watching at now: after a crash,
// the time since the last heartbeat counts as unknown.
func (m *Monitor) heartbeat(now reading) {
	m.beat.Store(int64(now.mono))
	if h := m.opts.History; h != nil {
		m.logErr("heartbeat", h.Heartbeat(now.wall))
	}
}

// beatWithResult queues a heartbeat just before a result is stored, when
// the last is more than half a TickInterval old, and has the tick loop
// plan again from it. With a buffered store (store.BufferedHistory) both
// go into the same transaction, and while probes run the tick never has
// to wake for a heartbeat of its own: on an idle daemon that was two
// wake-ups and two commits a minute that did nothing else.
func (m *Monitor) beatWithResult() {
	last := time.Duration(m.beat.Load())
	now := m.read()
	if now.mono-last < m.opts.TickInterval/2 || !m.beat.CompareAndSwap(int64(last), int64(now.mono)) {
		return
	}
	if h := m.opts.History; h != nil {
		m.evalMu.Lock() // for logErr
		m.logErr("heartbeat", h.Heartbeat(now.wall))
		m.evalMu.Unlock()
	}
	m.replan()
}

// checkClock compares how far both clocks moved since the last reading and
// reports whether the wall clock jumped: it moved by more than
// jumpThreshold more or less than the monotonic clock, because it was set
// or because the machine was suspended (the monotonic clock stands still
// then). Nothing was seen in between, so every subject is recorded as
// unknown from the last reading; the caller evaluates everything again.
// The caller holds evalMu.
func (m *Monitor) checkClock(now reading) bool {
	last := m.seen
	if now.mono < last.mono {
		return false // taken before another caller's reading
	}
	m.seen = now
	drift := now.wall.Round(0).Sub(last.wall.Round(0)) - (now.mono - last.mono)
	if drift.Abs() <= jumpThreshold {
		return false
	}
	m.log.Warn("time jumped; marking the gap as unknown", "from", last.wall, "to", now.wall, "drift", drift)
	m.markUnknown(last.wall)
	return true
}

// look reads the clocks for something other than a tick (a probe
// result) and handles a jump seen there at once. The caller holds evalMu.
func (m *Monitor) look() time.Time {
	now := m.read()
	if m.checkClock(now) {
		m.evaluateAll(now.wall, true)
	}
	return now.wall
}

// markUnknown records every subject as unknown from at; the next
// evaluation records their current states again.
func (m *Monitor) markUnknown(at time.Time) {
	m.mu.Lock()
	var ts []store.Transition
	for subj := range m.recorded {
		ts = append(ts, store.Transition{Subject: subj, State: store.StateUnknown, At: at})
		m.recorded[subj] = store.StateUnknown
	}
	m.mu.Unlock()
	if h := m.opts.History; h != nil && len(ts) > 0 {
		m.logErr("record intervals", h.RecordTransitions(ts))
	}
}

// forget ends the history of removed checks (their time becomes unknown)
// and of components that no longer exist.
func (m *Monitor) forget(removedChecks map[string]bool, now time.Time) {
	m.mu.Lock()
	known := map[string]bool{}
	for _, c := range m.comps {
		known[c.ID] = true
	}
	var ts []store.Transition
	for subj := range m.recorded {
		gone := (subj.Kind == store.SubjectCheck && removedChecks[subj.ID]) ||
			(subj.Kind == store.SubjectComponent && !known[subj.ID])
		if gone {
			ts = append(ts, store.Transition{Subject: subj, State: store.StateUnknown, At: now})
			delete(m.recorded, subj)
		}
	}
	m.mu.Unlock()
	if h := m.opts.History; h != nil && len(ts) > 0 {
		m.logErr("record intervals", h.RecordTransitions(ts))
	}
}
