package monitor

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// record applies one probe result of check key and everything that follows
// from it: state, component status, intervals, incidents, metrics, storage.
//
// Before a check goes down the monitor makes sure it can see (the
// self-check). That round probes the network for up to its timeout, so it
// runs before evalMu is taken: decide, confirm without the lock, then lock
// and decide again on what is current. Holding evalMu across the round
// made every other result, the tick, reloads and admin writes wait for it,
// exactly when an outage starts.
func (m *Monitor) record(ctx context.Context, c Check, r probe.Result) {
	r, counts := m.accept(c, r)
	blind, confirmed := false, false
	if counts && !c.Pushed() && m.self.enabled() && m.wouldGoDown(c, r) {
		blind, confirmed = m.self.confirm(ctx), true
	}
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	now := m.look()
	if confirmed {
		m.setBlindLocked(blind, now)
	}
	m.mu.Lock()
	e, ok := m.entries[c.Key]
	if !ok || e.check.Fingerprint != c.Fingerprint {
		m.mu.Unlock()
		return // removed or changed by a reload while probing
	}
	prev := e.state
	next := nextState(prev, r, c.Thresholds, now)
	if !counts {
		next = unchanged(prev, r)
	}
	if next.State == StateDown && prev.State != StateDown && m.blind && !c.Pushed() {
		// Confirmed blind above (or, had the state moved meanwhile, the
		// last round's verdict: never a network round under the lock).
		next.State, next.Since = prev.State, prev.Since
	}
	if counts && m.conf.enabled() {
		next = m.hold(ctx, c, prev, next) // other locations confirm first (confirm.go)
	}
	e.state = next
	if next.State != prev.State {
		m.versions.stateChanged()
	} else {
		m.versions.results.Add(1)
	}
	m.mu.Unlock()
	if next.State == prev.State {
		// The component's status and the check's interval follow from
		// states, maintenance and blindness only; the tick looks after the
		// last two, so an unchanged state changes nothing here.
		if m.log.Enabled(ctx, slog.LevelDebug) { // a hot path: no attrs built for nothing
			m.log.Debug("probe", "check", c.Key, "outcome", r.Outcome, "class", r.Class, "duration", r.Duration, "err", r.Message)
		}
		return
	}
	m.log.Info("check state changed", "check", c.Key, "component", c.Component,
		"from", prev.State, "to", next.State, "outcome", r.Outcome, "class", r.Class, "err", r.Message)
	m.evaluateComponent(now, c.Component, c.Key)
}

// wouldGoDown reports whether r would take check c down from another
// state: the only case that needs the self-check's confirmation.
func (m *Monitor) wouldGoDown(c Check, r probe.Result) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.entries[c.Key]
	if !ok || e.check.Fingerprint != c.Fingerprint || e.state.State == StateDown {
		return false
	}
	return nextState(e.state, r, c.Thresholds, m.opts.Clock.Now()).State == StateDown
}

// accept judges r (see judge), then observes and stores it; it returns the
// judged result and whether it counts toward the check's state.
func (m *Monitor) accept(c Check, r probe.Result) (probe.Result, bool) {
	r, counts := m.judge(c, r)
	if !counts {
		m.log.Warn("probe inconclusive: the monitor was starved of CPU", "check", c.Key, "class", r.Class,
			"duration", r.Duration, "sched_delay", r.SchedDelay)
		if m.opts.Observer != nil {
			m.opts.Observer.ObserveInconclusive(c)
		}
	}
	if m.opts.Observer != nil {
		m.opts.Observer.ObserveProbe(c, r)
	}
	if m.opts.Sink != nil {
		m.beatWithResult()
		m.opts.Sink.Add(StoreResult(c.Key, r))
	}
	return r, counts
}

// setBlind is the self-check loop's callback.
func (m *Monitor) setBlind(blind bool) {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	m.setBlindLocked(blind, m.opts.Clock.Now())
}

// setBlindLocked switches blindness and re-evaluates everything on a
// change; it returns blind. The caller holds evalMu.
func (m *Monitor) setBlindLocked(blind bool, now time.Time) bool {
	m.mu.Lock()
	changed := m.blind != blind
	m.blind = blind
	if changed {
		m.versions.stateChanged()
	}
	m.mu.Unlock()
	if changed {
		if blind {
			m.log.Error("monitor is blind: every self-check target fails; no check goes down and the time counts as unknown")
			if n := m.blindNote(now); n != nil {
				m.tellOperators(*n)
			}
		} else {
			m.log.Info("monitor can see again: a self-check target passes")
		}
		m.evaluateAll(now, true)
	}
	return blind
}

// evaluateComponent is evaluateAll for one component after one
// check's result: only that check can have changed its interval state.
func (m *Monitor) evaluateComponent(now time.Time, component, check string) {
	m.evaluate(now, component, check, false)
}

// evaluateAll recomputes the status of every component, writes
// interval transitions and runs the incident engine when a status changed
// or force is set. The caller holds evalMu.
func (m *Monitor) evaluateAll(now time.Time, force bool) {
	m.evaluate(now, "", "", force)
}

// evaluate does the work of both: component "" means all, check "" means
// every check's interval state is reconsidered.
func (m *Monitor) evaluate(now time.Time, component, check string, force bool) {
	m.mu.Lock()
	inMaint := inMaintenance(m.windowsLocked(), now)
	visible := !maps.Equal(inMaint, m.inMaint) // a window started or ended
	m.inMaint = inMaint
	var ts []store.Transition
	changed := force
	for _, c := range m.comps {
		if component != "" && c.ID != component {
			continue
		}
		states := make([]State, 0, len(c.Checks))
		allUnknown := true
		for _, key := range c.Checks {
			e := m.entries[key]
			states = append(states, e.state.State)
			allUnknown = allUnknown && e.state.State == StateUnknown
			if check == "" || check == key {
				ts = m.transition(ts, store.CheckSubject(key), m.checkInterval(e.state.State, c.ID, e.check.Pushed()), now)
			}
		}
		st := componentStatus(states, m.inMaint[c.ID])
		sig := m.signalsLocked(c.ID, now)
		if st != UnderMaintenance {
			st = worse(st, sig.status) // alerts (signals.go)
		}
		if old, ok := m.compStatus[c.ID]; ok && old != st {
			changed, visible = true, true
			m.compSince[c.ID] = now
			m.log.Info("component status changed", "component", c.ID, "from", old, "to", st)
		} else if !ok {
			changed, visible = true, true
		}
		m.compStatus[c.ID] = st
		unknown := m.componentUnknown(len(c.Checks) > 0 && allUnknown, slices.Contains(states, StateDown), sig, m.pushOnlyLocked(c))
		ts = m.transition(ts, store.ComponentSubject(c.ID), m.componentInterval(st, unknown), now)
	}
	var views map[string]incident.View
	if changed && m.incidents != nil {
		views = m.viewsLocked(now)
	}
	blind := m.blind
	if visible {
		m.versions.stateChanged()
	}
	m.mu.Unlock()
	if h := m.opts.History; h != nil && len(ts) > 0 {
		m.logErr("record intervals", h.RecordTransitions(ts))
	}
	if views != nil {
		m.logErr("incident engine", m.incidents.Evaluate(now, views, blind))
		m.replan() // its timers may have moved
	}
}

// viewsLocked describes every component for the incident engine.
func (m *Monitor) viewsLocked(now time.Time) map[string]incident.View {
	views := make(map[string]incident.View, len(m.comps))
	for _, c := range m.comps {
		st := m.compStatus[c.ID]
		v := incident.View{Failing: st.Failing(), Major: st == MajorOutage}
		for _, key := range c.Checks {
			s := m.entries[key].state
			if s.State == StateDown && (v.FirstFail.IsZero() || s.FailingSince.Before(v.FirstFail)) {
				v.FirstFail = s.FailingSince
			}
		}
		if sig := m.signalsLocked(c.ID, now); v.Failing && sig.status.Failing() {
			v.Alert = sig.alert
			if v.FirstFail.IsZero() || sig.first.Before(v.FirstFail) {
				v.FirstFail = sig.first
			}
		}
		v.Sighted = m.pushOnlyLocked(c)
		views[c.ID] = v
	}
	return views
}

func (m *Monitor) transition(ts []store.Transition, subj store.Subject, st store.State, now time.Time) []store.Transition {
	if old, ok := m.recorded[subj]; ok && old == st {
		return ts
	}
	m.recorded[subj] = st
	return append(ts, store.Transition{Subject: subj, State: st, At: now})
}

// checkInterval is the state a check's time counts as; blindness does
// not apply to push checks (pushed).
func (m *Monitor) checkInterval(s State, component string, pushed bool) store.State {
	switch {
	case m.inMaint[component]:
		return store.StateMaintenance
	case m.blind && !pushed:
		return store.StateUnknown
	}
	switch s {
	case StateUp:
		return store.StateUp
	case StateDegraded:
		return store.StateDegraded
	case StateDown:
		return store.StateDown
	}
	return store.StateUnknown
}

// componentInterval is the state a component's time counts as; unknown
// comes from componentUnknown.
func (m *Monitor) componentInterval(s ComponentStatus, unknown bool) store.State {
	switch {
	case s == UnderMaintenance:
		return store.StateMaintenance
	case unknown:
		return store.StateUnknown
	}
	switch s {
	case DegradedPerformance:
		return store.StateDegraded
	case PartialOutage:
		return store.StatePartial
	case MajorOutage:
		return store.StateDown
	}
	return store.StateUp
}

// logErr logs an error of a background write when it differs from the last.
func (m *Monitor) logErr(what string, err error) {
	if err == nil {
		m.lastErr = ""
		return
	}
	if err.Error() != m.lastErr {
		m.log.Error(what+" failed", "err", err)
	}
	m.lastErr = err.Error()
}
