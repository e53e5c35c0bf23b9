package incident

import (
	"slices"
	"time"

	"github.com/outpost-status/outpost/store"
)

// The functions below return an incident as a person's operation would
// store it, without storing anything. The review console renders what
// they return as the public page and the notification would, so a
// person sees the text exactly as customers will before committing to
// it; they run the same code as the operations, so the preview cannot
// drift from what is then published.

// AsPublished returns draft i as PublishIncident(status, body) would
// store it at now.
func AsPublished(i store.Incident, status, body, actor string, now time.Time) store.Incident {
	if status == "" {
		status = store.StatusInvestigating
	}
	i.Updates = slices.Clone(i.Updates)
	publishIncident(&i, status, body, actor, now)
	i.UpdatedAt = now
	return i
}

// AsUpdated returns published incident i as AddUpdate(status, body)
// would store it at now.
func AsUpdated(i store.Incident, status, body, actor string, now time.Time) store.Incident {
	i.Updates = slices.Clone(i.Updates)
	if status == store.StatusResolved {
		resolveIncident(&i, body, actor, now)
	} else {
		i.Status = status
		i.Updates = append(i.Updates, store.IncidentUpdate{Status: status, Body: body, Author: actor, CreatedAt: now})
	}
	i.UpdatedAt = now
	return i
}

// AsResolved returns published incident i as ResolveIncident(body) would
// store it at now; an empty body takes the engine's proposal, as there.
func (e *Engine) AsResolved(i store.Incident, body, actor string, now time.Time) store.Incident {
	if body == "" && !slices.ContainsFunc(i.Updates, func(u store.IncidentUpdate) bool { return u.Draft && u.Status == store.StatusResolved }) {
		body = e.ProposedResolution(i) // the standard wording; a drafted proposal is published as it is
	}
	i.Updates = slices.Clone(i.Updates)
	resolveIncident(&i, body, actor, now)
	i.UpdatedAt = now
	return i
}

// ProposedResolution returns the text ResolveIncident publishes when a
// person gives none: the engine's drafted resolution update, or the
// standard wording for the incident's components. The console fills the
// resolve form with it, so the person edits the text that would be sent.
func (e *Engine) ProposedResolution(i store.Incident) string {
	for k := len(i.Updates) - 1; k >= 0; k-- {
		if u := i.Updates[k]; u.Draft && u.Status == store.StatusResolved {
			return u.Body
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return resolvedText(e.settings.Language, e.components(i.Components))
}
