package monitor

import "time"

// ComponentStatus is the Statuspage component status vocabulary.
type ComponentStatus string

// Component statuses, Statuspage's vocabulary: strict clients accept no
// other value.
const (
	Operational         ComponentStatus = "operational"
	DegradedPerformance ComponentStatus = "degraded_performance"
	PartialOutage       ComponentStatus = "partial_outage"
	MajorOutage         ComponentStatus = "major_outage"
	UnderMaintenance    ComponentStatus = "under_maintenance"
)

// ComponentStatuses lists every status, for one-hot metrics.
var ComponentStatuses = []ComponentStatus{Operational, DegradedPerformance, PartialOutage, MajorOutage, UnderMaintenance}

// Failing reports whether the status is an outage.
func (s ComponentStatus) Failing() bool { return s == PartialOutage || s == MajorOutage }

// Indicator is the page-wide Statuspage indicator.
type Indicator string

// Indicators.
const (
	IndicatorNone     Indicator = "none"
	IndicatorMinor    Indicator = "minor"
	IndicatorMajor    Indicator = "major"
	IndicatorCritical Indicator = "critical"
)

// Component is a customer-facing service made of checks.
type Component struct {
	ID          string
	Name        string
	Description string
	Checks      []string // check keys
	// Impact and Workaround are the wording drafts use, in the page
	// language (config components[].impact and .workaround).
	Impact, Workaround string
}

// componentStatus derives a component's status from its checks' states:
// under_maintenance while a window covers it, major_outage when all
// checks are down, partial_outage when some are, degraded_performance
// when any is degraded, else operational. Unknown checks count as
// neither failing nor degraded.
func componentStatus(states []State, inMaintenance bool) ComponentStatus {
	if inMaintenance {
		return UnderMaintenance
	}
	down, degraded := 0, 0
	for _, s := range states {
		switch s {
		case StateDown:
			down++
		case StateDegraded:
			degraded++
		}
	}
	switch {
	case down > 0 && down == len(states):
		return MajorOutage
	case down > 0:
		return PartialOutage
	case degraded > 0:
		return DegradedPerformance
	}
	return Operational
}

// PageIndicator: critical when every component not under maintenance is in
// major outage, major when any is, minor when any is degraded or partial,
// else none.
func PageIndicator(statuses []ComponentStatus) Indicator {
	active, major, minor := 0, 0, 0
	for _, s := range statuses {
		switch s {
		case UnderMaintenance:
			continue
		case MajorOutage:
			major++
		case PartialOutage, DegradedPerformance:
			minor++
		}
		active++
	}
	switch {
	case major > 0 && major == active:
		return IndicatorCritical
	case major > 0:
		return IndicatorMajor
	case minor > 0:
		return IndicatorMinor
	}
	return IndicatorNone
}

// MaintenanceWindow is scheduled work on components; failures inside it
// open no incident and the time counts as maintenance.
type MaintenanceWindow struct {
	ID         string
	Components []string
	Start, End time.Time
	Title      string
	Body       string
}

// Active reports whether the window covers t.
func (w MaintenanceWindow) Active(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Maintenance statuses, Statuspage's words for a window at a time.
const (
	MaintenanceScheduled  = "scheduled"
	MaintenanceInProgress = "in_progress"
	MaintenanceCompleted  = "completed"
)

// Status is the window's Statuspage status at t.
func (w MaintenanceWindow) Status(t time.Time) string {
	switch {
	case t.Before(w.Start):
		return MaintenanceScheduled
	case w.Active(t):
		return MaintenanceInProgress
	}
	return MaintenanceCompleted
}

// inMaintenance returns the components covered by an active window at t.
func inMaintenance(windows []MaintenanceWindow, t time.Time) map[string]bool {
	out := map[string]bool{}
	for _, w := range windows {
		if w.Active(t) {
			for _, c := range w.Components {
				out[c] = true
			}
		}
	}
	return out
}
