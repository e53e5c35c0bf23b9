package monitor

import "sync/atomic"

// Versions count changes to what readers of the monitor can see, so that a
// reader (the public site's render cache) can tell in two atomic loads
// whether anything it rendered is out of date, instead of copying and
// comparing every check at every request.
type Versions struct {
	// State changes with check states, component statuses, blindness,
	// maintenance windows and the configuration: everything the status
	// page and the Statuspage documents show.
	State uint64
	// Results changes with every probe result as well (live check data).
	Results uint64
}

// versions are the counters behind Monitor.Versions.
type versions struct {
	state, results atomic.Uint64
}

// stateChanged marks a change of anything Versions.State covers; it
// implies a results change. Callers hold Monitor.mu while they make the
// change visible, so a reader that sees the change also sees the new
// version (readers load the versions before they read the state).
func (v *versions) stateChanged() {
	v.state.Add(1)
	v.results.Add(1)
}

// Versions returns the current change counters.
func (m *Monitor) Versions() Versions {
	return Versions{State: m.versions.state.Load(), Results: m.versions.results.Load()}
}
