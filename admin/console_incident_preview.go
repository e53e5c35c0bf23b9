package admin

import (
	"html/template"
	"slices"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// Previewer renders an incident as customers will see it: the incident's
// block of its public page, and the public message of an event. publish
// and notify render them (admin imports neither); main joins the two.
// inc is the incident as the operation would store it (incident.AsPublished,
// AsUpdated); nothing is stored or sent.
type Previewer interface {
	IncidentPage(inc store.Incident) ([]byte, error)
	Notification(inc store.Incident, event incident.Event) (subject, body string, err error)
}

// incidentPreview is the preview section: the public page's incident
// block and the public message, exactly as they would be.
type incidentPreview struct {
	Page             template.HTML // rendered by publish's templates, escaped there
	Subject, Message string
	NoMessage        bool // the change sends no message
	Unavailable      bool // no previewer, or it failed (logged)
}

// edited is inc with the fields of the edit form applied, as
// EditIncident would store them.
func edited(inc store.Incident, f incidentForm) store.Incident {
	if f.HasTitle {
		inc.Name = f.Title
	}
	if f.HasBody {
		inc.Body = f.Body
	}
	if f.HasImpact {
		inc.Impact = f.Impact
	}
	if f.HasComponents {
		inc.Components = slices.Clone(f.Components)
	}
	return inc
}

// preview renders what form f would publish on inc: the public page's
// incident block and the public message.
func (c *console) preview(inc store.Incident, f incidentForm, actor string) *incidentPreview {
	now := c.api.opts.Now()
	var after store.Incident
	var event incident.Event
	switch {
	case f.Kind == formUpdate:
		after, event = incident.AsUpdated(inc, f.Status, f.Body, actor, now), incident.EventIncidentUpdated
	case f.Kind == formResolve:
		body := f.Body
		if body == "" {
			body = c.proposedResolution(inc)
		}
		after, event = incident.AsUpdated(inc, store.StatusResolved, body, actor, now), incident.EventIncidentResolved
	case f.Draft:
		after, event = incident.AsPublished(edited(inc, f), f.Status, f.Body, actor, now), incident.EventIncidentPublished
	default: // an edit of a published incident: the page changes, nobody is told
		after = edited(inc, f)
	}
	pv := &incidentPreview{NoMessage: event == ""}
	if c.api.opts.Preview == nil {
		pv.Unavailable = true
		return pv
	}
	page, err := c.api.opts.Preview.IncidentPage(after)
	if err == nil && event != "" {
		pv.Subject, pv.Message, err = c.api.opts.Preview.Notification(after, event)
	}
	if err != nil {
		c.api.log.Warn("console: preview failed", "incident", inc.ID, "err", err)
		return &incidentPreview{Unavailable: true}
	}
	pv.Page = template.HTML(page) // publish's html/template output
	return pv
}

// previewState is the state an incident must be in for form f's preview:
// a draft to publish, a published incident to update, resolve or edit.
func previewState(f incidentForm) string {
	if f.Kind == formEdit && f.Draft {
		return store.IncidentDraft
	}
	return store.IncidentPublished
}
