package monitor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/probe"
)

// SpecFromConfig builds the monitor's spec from a validated config,
// parsing every target once.
func SpecFromConfig(cfg *config.Config) (Spec, error) {
	checks, err := ChecksFromConfig(cfg)
	if err != nil {
		return Spec{}, err
	}
	spec := Spec{Checks: checks, Alerts: AlertSpecFromConfig(cfg)}
	for _, comp := range cfg.Components {
		c := Component{ID: comp.ID, Name: comp.Name, Description: comp.Description,
			Impact: comp.Impact.For(cfg.Page.Language), Workaround: comp.Workaround.For(cfg.Page.Language)}
		for _, ch := range comp.Checks {
			c.Checks = append(c.Checks, ch.Key())
		}
		spec.Components = append(spec.Components, c)
	}
	for _, w := range cfg.Maintenance {
		id := w.ID
		if id == "" {
			// Stable across reordering and restarts: announcements of the
			// window are deduplicated by it.
			sum := sha256.Sum256([]byte(fmt.Sprint(w.Components, w.Start.Unix(), w.End.Unix(), w.Title)))
			id = "config-" + hex.EncodeToString(sum[:4])
		}
		spec.Maintenance = append(spec.Maintenance, MaintenanceWindow{ID: id, Components: w.Components,
			Start: w.Start.Time, End: w.End.Time, Title: w.Title, Body: w.Body})
	}
	spec.SelfCheck = SelfCheck{Interval: cfg.Defaults.Interval.D(), Timeout: cfg.Defaults.Timeout.D()}
	for _, raw := range cfg.SelfCheck.Targets {
		t, err := probe.ParseTarget(raw)
		if err != nil {
			return Spec{}, fmt.Errorf("self_check target %s: %w", probe.Redact(raw), err)
		}
		spec.SelfCheck.Targets = append(spec.SelfCheck.Targets, t)
	}
	return spec, nil
}

// apply installs spec: checks whose key and fingerprint are unchanged keep
// their state, removed ones are forgotten, new ones start unknown.
func (m *Monitor) apply(spec Spec) {
	if m.incidents != nil { // not under mu: the engine may be writing
		m.incidents.SetComponents(incidentComponents(spec.Components))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.versions.stateChanged()
	entries := make(map[string]*entry, len(spec.Checks))
	order := make([]string, 0, len(spec.Checks))
	for _, c := range spec.Checks {
		e := &entry{check: c, state: initialState(c, m.opts.Clock.Now())}
		if old, ok := m.entries[c.Key]; ok && old.check.Fingerprint == c.Fingerprint {
			e.state = old.state
		}
		entries[c.Key] = e
		order = append(order, c.Key)
	}
	m.entries, m.order = entries, order
	m.comps = spec.Components
	m.maintenance = spec.Maintenance
	known := map[string]bool{}
	for _, c := range spec.Components {
		known[c.ID] = true
	}
	for id := range m.compStatus {
		if !known[id] {
			delete(m.compStatus, id)
		}
	}
	m.self.setSpec(spec.SelfCheck)
	m.applyAlertsLocked(spec.Alerts, spec.Components)
}

// Reload installs a new spec while running (SIGHUP). Unchanged checks keep
// their state and history; removed checks stop; new checks start.
func (m *Monitor) Reload(spec Spec) {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	m.mu.RLock()
	removed := map[string]bool{}
	for key := range m.entries {
		removed[key] = true
	}
	for _, c := range spec.Checks {
		delete(removed, c.Key)
	}
	m.mu.RUnlock()
	m.apply(spec)
	now := m.opts.Clock.Now()
	m.forget(removed, now)
	m.evaluateAll(now, true)
	if err := m.announceConfigured(now); err != nil {
		m.log.Error("announcing configured maintenance failed", "err", err)
	}
	select {
	case m.reloaded <- struct{}{}:
	default:
	}
	m.replan() // windows and incident timers may have changed
	m.log.Info("configuration reloaded", "checks", len(spec.Checks), "removed", len(removed))
}
