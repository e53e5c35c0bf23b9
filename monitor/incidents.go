package monitor

import (
	"time"

	"github.com/outpost-status/outpost/incident"
)

// Incidents is the incident engine as the monitor drives it;
// *incident.Engine implements it. The monitor tells it the components,
// loads it at start, evaluates it after every change of component status
// (in order, under evalMu) and on every tick, and sleeps no longer than
// its next deadline. The engine calls back, through OnChange, when an
// operator's change may need an evaluation soon.
type Incidents interface {
	SetComponents(comps []incident.Component)
	Load(now time.Time) error
	Evaluate(now time.Time, views map[string]incident.View, blind bool) error
	NextDeadline(now time.Time) time.Time
	OnChange(f func())
}

var _ Incidents = (*incident.Engine)(nil)

// incidentComponents describes the components to the incident engine.
func incidentComponents(comps []Component) []incident.Component {
	out := make([]incident.Component, len(comps))
	for i, c := range comps {
		out[i] = incident.Component{ID: c.ID, Name: c.Name, Description: c.Description, Impact: c.Impact, Workaround: c.Workaround}
	}
	return out
}
