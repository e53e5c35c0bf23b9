package admin

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// newIncidentPage fills incident_new.html.
type newIncidentPage struct {
	Form                          incidentForm
	Templates                     []choice
	Components, Impacts, Statuses []choice
	Errors                        []string
}

// newIncident is GET /admin/incidents/new: the form of a manual incident,
// filled from the template named by ?template= when there is one.
func (c *console) newIncident(w http.ResponseWriter, r *http.Request, s *session) {
	f := incidentForm{Impact: "minor", Status: store.StatusInvestigating, Checked: map[string]bool{}}
	var problems []string
	if name := r.URL.Query().Get("template"); name != "" {
		t, ok := c.template(name)
		if !ok {
			problems = append(problems, fmt.Sprintf(c.t.Console.IncidentPage.BadTemplate, short(name)))
		} else {
			f.Title, f.Body, f.Impact, f.Template = t.Title, t.Body, cmpOr(t.Impact, f.Impact), t.Name
			f.Status = cmpOr(t.Status, f.Status)
			f.Components = slices.Clone(t.Components)
			for _, id := range t.Components {
				f.Checked[id] = true
			}
		}
	}
	status := http.StatusOK
	if len(problems) > 0 {
		status = http.StatusBadRequest
	}
	c.render(w, r, s, status, "incident_new", c.newIncidentPage(f, problems))
}

// template returns the configured template called name.
func (c *console) template(name string) (incident.Template, bool) {
	for _, t := range c.api.opts.Incidents.Settings().Templates {
		if t.Name == name {
			return t, true
		}
	}
	return incident.Template{}, false
}

func (c *console) newIncidentPage(f incidentForm, problems []string) newIncidentPage {
	p := newIncidentPage{Form: f, Errors: problems}
	for _, t := range c.api.opts.Incidents.Settings().Templates {
		p.Templates = append(p.Templates, choice{t.Name, t.Title})
	}
	for _, comp := range c.api.opts.Monitor.Components() {
		p.Components = append(p.Components, choice{comp.ID, comp.Name})
	}
	for _, v := range formImpacts {
		p.Impacts = append(p.Impacts, choice{v, c.t.Impact.Text(v)})
	}
	for _, v := range formStatuses {
		p.Statuses = append(p.Statuses, choice{v, c.t.IncidentStatus.Text(v)})
	}
	return p
}

// createIncident is POST /admin/incidents: a manual incident, a draft
// unless "publish now" is ticked (then it needs its text).
func (c *console) createIncident(w http.ResponseWriter, r *http.Request, s *session) {
	f := parseIncidentForm(r.PostForm)
	f.HasTitle, f.HasImpact, f.HasStatus = true, true, true
	problems := f.check(&c.t.Console.IncidentPage, c.knownComponents(), true, f.Publish)
	if len(problems) > 0 {
		c.render(w, r, s, http.StatusBadRequest, "incident_new", c.newIncidentPage(f, problems))
		return
	}
	inc, err := c.api.opts.Incidents.CreateIncident(store.Incident{Name: f.Title, Body: f.Body, Impact: f.Impact,
		Status: f.Status, Components: slices.Clone(f.Components)}, f.Publish, s.Actor())
	if err != nil {
		status, msg := c.refusal(err, "")
		if status == 0 {
			c.fail(w, r, s, err)
			return
		}
		c.render(w, r, s, status, "incident_new", c.newIncidentPage(f, []string{msg}))
		return
	}
	redirect(w, r, incidentPath(inc.ID), "created")
}
