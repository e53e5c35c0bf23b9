package admin

import (
	"net/http"

	"github.com/outpost-status/outpost/store"
)

// The operations of the incident page. Each checks the form, asks the
// engine, and answers 303 back to the page with a confirmation, or shows
// the page again with the form as sent and what was wrong.

// publishIncident is POST /admin/incidents/{id}/publish, sent by the edit
// form of a draft (its Publish button): the title, impact, components and
// text as they are in the form, unsaved edits included, with its status.
func (c *console) publishIncident(w http.ResponseWriter, r *http.Request, s *session) {
	inc, ok := c.loadIncident(w, r, s)
	if !ok {
		return
	}
	f := parseIncidentForm(r.PostForm)
	f.Kind, f.Draft = formEdit, true
	if !f.HasStatus {
		f.Status, f.HasStatus = store.StatusInvestigating, true
	}
	if !f.HasBody {
		f.Body, f.HasBody = inc.Body, true
	}
	if problems := f.check(&c.t.Console.IncidentPage, c.knownComponents(), false, true); len(problems) > 0 {
		c.again(w, r, s, http.StatusBadRequest, inc, f, problems)
		return
	}
	if inc.State == store.IncidentDraft {
		if edit, changed := editOf(inc, f); changed {
			if _, err := c.api.opts.Incidents.EditIncident(inc.ID, edit, s.Actor()); err != nil {
				c.refused(w, r, s, inc.ID, f, err)
				return
			}
		}
	}
	if _, err := c.api.opts.Incidents.PublishIncident(inc.ID, f.Status, f.Body, s.Actor()); err != nil {
		c.refused(w, r, s, inc.ID, f, err)
		return
	}
	redirect(w, r, incidentPath(inc.ID), "published")
}

// postUpdate is POST /admin/incidents/{id}/updates: status and text of a
// new public update.
func (c *console) postUpdate(w http.ResponseWriter, r *http.Request, s *session) {
	c.textAction(w, r, s, formUpdate, "updated", func(id uint64, f incidentForm) error {
		_, err := c.api.opts.Incidents.AddUpdate(id, f.Status, f.Body, s.Actor())
		return err
	})
}

// resolveIncident is POST /admin/incidents/{id}/resolve with the text of
// the resolution (the engine's proposal when empty).
func (c *console) resolveIncident(w http.ResponseWriter, r *http.Request, s *session) {
	c.textAction(w, r, s, formResolve, "resolved", func(id uint64, f incidentForm) error {
		_, err := c.api.opts.Incidents.ResolveIncident(id, f.Body, s.Actor())
		return err
	})
}

// textAction runs op with the update or resolution form (kind) of the
// incident's page: an update needs its status and text, a resolution may
// leave the text empty. done names the confirmation after the redirect.
func (c *console) textAction(w http.ResponseWriter, r *http.Request, s *session, kind, done string,
	op func(id uint64, f incidentForm) error) {
	isUpdate := kind == formUpdate
	inc, ok := c.loadIncident(w, r, s)
	if !ok {
		return
	}
	f := parseIncidentForm(r.PostForm)
	f.Kind, f.Draft = kind, false
	if isUpdate {
		f.HasStatus = true
	} else {
		f.HasBody = true
	}
	if problems := f.check(&c.t.Console.IncidentPage, c.knownComponents(), false, isUpdate); len(problems) > 0 {
		c.again(w, r, s, http.StatusBadRequest, inc, f, problems)
		return
	}
	if err := op(inc.ID, f); err != nil {
		c.refused(w, r, s, inc.ID, f, err)
		return
	}
	redirect(w, r, incidentPath(inc.ID), done)
}

// discardIncident is POST /admin/incidents/{id}/discard.
func (c *console) discardIncident(w http.ResponseWriter, r *http.Request, s *session) {
	inc, ok := c.loadIncident(w, r, s)
	if !ok {
		return
	}
	if _, err := c.api.opts.Incidents.DiscardIncident(inc.ID, s.Actor()); err != nil {
		c.refused(w, r, s, inc.ID, incidentForm{Kind: "discard"}, err)
		return
	}
	redirect(w, r, incidentPath(inc.ID), "discarded")
}
