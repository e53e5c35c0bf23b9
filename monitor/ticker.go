package monitor

import (
	"context"
	"time"

	"github.com/outpost-status/outpost/store"
)

// heartbeatEvery is how many ticks pass between heartbeats.
const heartbeatEvery = 5

// tickLoop drives everything that happens with time rather than with
// probe results: maintenance boundaries, incident timers, the heartbeat,
// and detecting suspend or clock jumps.
func (m *Monitor) tickLoop(ctx context.Context) {
	tick := m.opts.TickInterval
	timer := m.opts.Clock.NewTimer(tick)
	defer timer.Stop()
	last := m.opts.Clock.Now()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-timer.C():
		}
		now := m.opts.Clock.Now()
		m.tick(now, last, n%heartbeatEvery == 0)
		last = now
		timer.Reset(tick)
	}
}

func (m *Monitor) tick(now, last time.Time, heartbeat bool) {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	if gap := now.Sub(last); gap < 0 || gap > 3*m.opts.TickInterval {
		// The process was suspended or the clock jumped: nothing was
		// seen in between, so that time is unknown.
		m.log.Warn("time jumped; marking the gap as unknown", "from", last, "to", now)
		m.markUnknown(last)
	}
	m.evaluateAll(now, true)
	if h := m.opts.History; heartbeat && h != nil {
		m.logErr("heartbeat", h.Heartbeat(now))
	}
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
