package monitor

import (
	"cmp"
	"slices"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// Alerts from Alertmanager (or Grafana) are component-level signals
// beside the checks (SPEC §18):
//
//   - A firing alert that a route maps to a component is an active signal
//     on it, keyed by the alert's fingerprint (Alertmanager's dedup key):
//     a repeat refreshes it, a resolved notification removes it.
//   - The component's status is the worst of its checks' status and the
//     impact of its active signals (partial → partial_outage, major →
//     major_outage); maintenance still wins. A component fed only by
//     alerts is operational while none fires.
//   - A firing alert not sent again within alerts.ttl is stale: its state
//     is unknown. Nobody told outpost that it ended, so the component
//     keeps the status the alert gave it (never silently up, as the
//     Statuspage documents keep the last known status of a component
//     without data), and its time counts as unknown unless a check is
//     down or another alert is fresh.
//   - Availability is derived, not stored per signal: the component's
//     intervals follow its status, so an alert's time counts as partial or
//     down in the component's availability. Signals are not checks and
//     have no intervals of their own.
//   - Blindness (the self-check failing) does not suppress alerts: they
//     come from inside, over a network the self-check does not judge.
//   - Signals live in memory. After a restart a component fed by alerts
//     reads operational until Alertmanager sends again (every
//     repeat_interval at most).

// AlertSpec is the reloadable part of the alert routing.
type AlertSpec struct {
	TTL    time.Duration
	Routes []AlertRoute
}

// AlertRoute maps matching alerts to a component.
type AlertRoute struct {
	Component string
	Major     bool
	// Match reports whether an alert's labels select the route.
	Match func(labels map[string]string) bool
}

// AlertSpecFromConfig builds the routing of a validated config.
func AlertSpecFromConfig(cfg *config.Config) AlertSpec {
	spec := AlertSpec{TTL: cfg.Alerts.TTL.D()}
	for _, r := range cfg.Alerts.Routes {
		spec.Routes = append(spec.Routes, AlertRoute{Component: r.Component,
			Major: r.Impact == config.AlertImpactMajor, Match: r.Matches})
	}
	return spec
}

// Alert is one alert of a notification, as the receiver decoded it.
type Alert struct {
	Fingerprint string
	Firing      bool // false: resolved
	Name        string
	// Summary is the summary annotation: for operators only, never in
	// public text.
	Summary  string
	Labels   map[string]string
	StartsAt time.Time
}

// AlertOutcome says what became of one alert.
type AlertOutcome int

// Outcomes of Monitor.Alerts.
const (
	AlertRouted    AlertOutcome = iota // a route took it
	AlertUnmatched                     // no route matched
)

// signal is one active firing alert on a component.
type signal struct {
	fingerprint string
	name        string
	summary     string
	major       bool
	since       time.Time // the alert's startsAt, else when first received
	seen        time.Time // when last received
}

// stale reports whether the alert was not repeated within ttl.
func (s *signal) stale(now time.Time, ttl time.Duration) bool {
	return ttl > 0 && now.Sub(s.seen) >= ttl
}

// route returns the first route matching labels.
func (a AlertSpec) route(labels map[string]string) (AlertRoute, bool) {
	for _, r := range a.Routes {
		if r.Match != nil && r.Match(labels) {
			return r, true
		}
	}
	return AlertRoute{}, false
}

// Alerts applies one notification's alerts: a firing alert starts or
// refreshes the signal of its fingerprint on the component its first
// matching route names, a resolved one ends it. It returns each alert's
// outcome, in order, and evaluates the components that changed.
func (m *Monitor) Alerts(alerts []Alert) []AlertOutcome {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	now := m.look()
	out := make([]AlertOutcome, len(alerts))
	changed := map[string]bool{}
	m.mu.Lock()
	for i, a := range alerts {
		r, ok := m.alertSpec.route(a.Labels)
		if !ok {
			out[i] = AlertUnmatched
			// A resolved alert may end a signal a former route started.
			if !a.Firing {
				m.endSignalLocked(a.Fingerprint, changed)
			}
			continue
		}
		out[i] = AlertRouted
		if !a.Firing {
			m.endSignalLocked(a.Fingerprint, changed)
			continue
		}
		m.fireLocked(a, r, now, changed)
	}
	m.mu.Unlock()
	for _, id := range sortedSet(changed) {
		m.evaluateComponent(now, id, "")
	}
	if len(changed) > 0 {
		m.replan() // a ttl deadline moved
	}
	return out
}

// fireLocked starts or refreshes the signal of a firing alert. The caller
// holds mu.
func (m *Monitor) fireLocked(a Alert, r AlertRoute, now time.Time, changed map[string]bool) {
	if prev, ok := m.signalComp[a.Fingerprint]; ok && prev != r.Component {
		m.endSignalLocked(a.Fingerprint, changed) // relabelled onto another route
	}
	sigs := m.signals[r.Component]
	if sigs == nil {
		sigs = map[string]*signal{}
		m.signals[r.Component] = sigs
	}
	s, ok := sigs[a.Fingerprint]
	if !ok {
		since := a.StartsAt
		if since.IsZero() || since.After(now) {
			since = now
		}
		s = &signal{fingerprint: a.Fingerprint, since: since}
		sigs[a.Fingerprint] = s
		m.signalComp[a.Fingerprint] = r.Component
		changed[r.Component] = true
		m.log.Info("alert firing", "component", r.Component, "alert", a.Name, "fingerprint", a.Fingerprint, "major", r.Major)
	} else if s.stale(now, m.alertSpec.TTL) || s.major != r.Major {
		changed[r.Component] = true
	}
	s.name, s.summary, s.major, s.seen = a.Name, a.Summary, r.Major, now
}

// endSignalLocked removes the signal of fingerprint. The caller holds mu.
func (m *Monitor) endSignalLocked(fingerprint string, changed map[string]bool) {
	comp, ok := m.signalComp[fingerprint]
	if !ok {
		return
	}
	delete(m.signalComp, fingerprint)
	delete(m.signals[comp], fingerprint)
	if len(m.signals[comp]) == 0 {
		delete(m.signals, comp)
	}
	changed[comp] = true
	m.log.Info("alert resolved", "component", comp, "fingerprint", fingerprint)
}

// signalSummary is what a component's signals say at now.
type signalSummary struct {
	status ComponentStatus    // worst impact of all signals, operational without
	fresh  bool               // some firing alert was repeated within ttl
	stale  bool               // some was not
	first  time.Time          // the earliest since
	alert  *store.AlertSource // the earliest fresh (else stale) alert, for the draft
}

// signalsLocked summarises component id's signals at now. The caller
// holds mu.
func (m *Monitor) signalsLocked(id string, now time.Time) signalSummary {
	out := signalSummary{status: Operational}
	sigs := m.signals[id]
	if len(sigs) == 0 {
		return out
	}
	list := make([]*signal, 0, len(sigs))
	for _, s := range sigs {
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b *signal) int {
		return cmp.Or(a.since.Compare(b.since), cmp.Compare(a.fingerprint, b.fingerprint))
	})
	var pick *signal
	for _, s := range list {
		st := PartialOutage
		if s.major {
			st = MajorOutage
		}
		out.status = worse(out.status, st)
		if out.first.IsZero() {
			out.first = s.since
		}
		if s.stale(now, m.alertSpec.TTL) {
			out.stale = true
			continue
		}
		out.fresh = true
		if pick == nil {
			pick = s
		}
	}
	if pick == nil {
		pick = list[0]
	}
	out.alert = &store.AlertSource{Name: pick.name, Summary: pick.summary}
	return out
}

// componentUnknown reports whether a component's time counts as
// unknown: a fresh alert is known (even while the monitor is blind, as
// alerts come from inside); else blindness (unless the component has
// push checks only, see push.go), a stale alert while no check is down,
// or checks that are all unknown make it unknown.
func (m *Monitor) componentUnknown(checksUnknown, checkDown bool, sig signalSummary, pushOnly bool) bool {
	switch {
	case sig.fresh:
		return false
	case m.blind && !pushOnly:
		return true
	case sig.stale && !checkDown:
		return true
	}
	return checksUnknown
}

// nextSignalExpiryLocked is when the next fresh signal turns stale (zero
// when none will). The caller holds mu.
func (m *Monitor) nextSignalExpiryLocked(now time.Time) time.Time {
	var next time.Time
	if m.alertSpec.TTL <= 0 {
		return next
	}
	for _, sigs := range m.signals {
		for _, s := range sigs {
			if t := s.seen.Add(m.alertSpec.TTL); t.After(now) && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
	}
	return next
}

// SignalStatus is one active alert on a component, as copied by Signals.
type SignalStatus struct {
	Component   string
	Fingerprint string
	Name        string
	Major       bool
	// State is down while the alert is repeated within ttl, unknown after.
	State    State
	Since    time.Time
	LastSeen time.Time
}

// Signals returns every active alert signal, by component and start.
func (m *Monitor) Signals() []SignalStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := m.opts.Clock.Now()
	var out []SignalStatus
	for comp, sigs := range m.signals {
		for _, s := range sigs {
			st := StateDown
			if s.stale(now, m.alertSpec.TTL) {
				st = StateUnknown
			}
			out = append(out, SignalStatus{Component: comp, Fingerprint: s.fingerprint, Name: s.name, Major: s.major,
				State: st, Since: s.since, LastSeen: s.seen})
		}
	}
	slices.SortFunc(out, func(a, b SignalStatus) int {
		return cmp.Or(cmp.Compare(a.Component, b.Component), a.Since.Compare(b.Since), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	return out
}

// applyAlertsLocked installs a reloaded routing: signals on components
// that no longer exist end. The caller holds mu.
func (m *Monitor) applyAlertsLocked(spec AlertSpec, comps []Component) {
	m.alertSpec = spec
	known := map[string]bool{}
	for _, c := range comps {
		known[c.ID] = true
	}
	for comp, sigs := range m.signals {
		if known[comp] {
			continue
		}
		for fp := range sigs {
			delete(m.signalComp, fp)
		}
		delete(m.signals, comp)
	}
}

// severity orders component statuses from best to worst.
var severity = map[ComponentStatus]int{Operational: 0, DegradedPerformance: 1, PartialOutage: 2, MajorOutage: 3}

// worse returns the worse of two statuses.
func worse(a, b ComponentStatus) ComponentStatus {
	if severity[b] > severity[a] {
		return b
	}
	return a
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
