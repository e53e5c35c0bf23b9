package monitor

import (
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// incidentComponents describes the components to the incident engine.
func incidentComponents(comps []Component) []incident.Component {
	out := make([]incident.Component, len(comps))
	for i, c := range comps {
		out[i] = incident.Component{ID: c.ID, Name: c.Name, Description: c.Description}
	}
	return out
}

// incidentOp runs a person's incident operation under evalMu, as the
// engine is not safe for concurrent use, and makes the tick loop tick at
// once: the engine may have something to do with the incident changed.
func (m *Monitor) incidentOp(op func(e *incident.Engine) (store.Incident, error)) (store.Incident, error) {
	if m.incidents == nil {
		return store.Incident{}, incident.ErrNoIncidents
	}
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	inc, err := op(m.incidents)
	if err == nil {
		m.tickNow()
	}
	return inc, err
}

// CreateIncident opens a manual incident (see incident.Engine.CreateIncident).
func (m *Monitor) CreateIncident(inc store.Incident, publish bool, actor string) (store.Incident, error) {
	return m.incidentOp(func(e *incident.Engine) (store.Incident, error) { return e.CreateIncident(inc, publish, actor) })
}

// EditIncident applies a person's edit (see incident.Engine.EditIncident).
func (m *Monitor) EditIncident(id uint64, edit incident.Edit, actor string) (store.Incident, error) {
	return m.incidentOp(func(e *incident.Engine) (store.Incident, error) { return e.EditIncident(id, edit, actor) })
}

// PublishIncident publishes a draft (see incident.Engine.PublishIncident).
func (m *Monitor) PublishIncident(id uint64, status, body, actor string) (store.Incident, error) {
	return m.incidentOp(func(e *incident.Engine) (store.Incident, error) { return e.PublishIncident(id, status, body, actor) })
}

// AddUpdate posts an update (see incident.Engine.AddUpdate).
func (m *Monitor) AddUpdate(id uint64, status, body, actor string) (store.Incident, error) {
	return m.incidentOp(func(e *incident.Engine) (store.Incident, error) { return e.AddUpdate(id, status, body, actor) })
}

// ResolveIncident resolves a published incident (see incident.Engine.ResolveIncident).
func (m *Monitor) ResolveIncident(id uint64, body, actor string) (store.Incident, error) {
	return m.incidentOp(func(e *incident.Engine) (store.Incident, error) { return e.ResolveIncident(id, body, actor) })
}

// DiscardIncident throws a draft away (see incident.Engine.DiscardIncident).
func (m *Monitor) DiscardIncident(id uint64, actor string) (store.Incident, error) {
	return m.incidentOp(func(e *incident.Engine) (store.Incident, error) { return e.DiscardIncident(id, actor) })
}
