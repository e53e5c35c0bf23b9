package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"syscall"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// The console's page of one incident: what it says and to whom, its
// forms (edit, publish, update, resolve, discard) and its audit trail.
// Every form can preview its text as the public page and the public
// message will show it before anything is saved or sent, and a refused
// form comes back with what the person typed.

// proposer words the resolution ResolveIncident would publish without a
// text; *incident.Engine implements it. Options.Incidents without it
// (tests, no engine) offers the engine's drafted resolution only.
type proposer interface {
	ProposedResolution(inc store.Incident) string
}

var _ proposer = (*incident.Engine)(nil)

// Bounds of the audit trail on an incident's page: the newest entries of
// the incident among the newest entries of the whole log.
const (
	incidentAuditMax  = 100
	incidentAuditScan = 5_000
)

func (c *console) registerIncidents() {
	for pattern, h := range map[string]func(http.ResponseWriter, *http.Request, *session){
		"GET /admin/incidents/new":           c.newIncident,
		"POST /admin/incidents":              c.createIncident,
		"GET /admin/incidents/{id}":          c.showIncident,
		"POST /admin/incidents/{id}":         c.editIncident,
		"POST /admin/incidents/{id}/publish": c.publishIncident,
		"POST /admin/incidents/{id}/updates": c.postUpdate,
		"POST /admin/incidents/{id}/resolve": c.resolveIncident,
		"POST /admin/incidents/{id}/discard": c.discardIncident,
	} {
		c.mux.Handle(pattern, c.page(h))
	}
}

// choice is one entry of a select or a set of check boxes.
type choice struct{ Value, Text string }

// incidentPage fills incident.html.
type incidentPage struct {
	Inc       store.Incident
	State     string // the state in words
	Names     string // the affected components, joined; "" for none
	Published updateList
	Drafted   updateList
	// The forms, with what they show.
	Edit, Update, Resolve             incidentForm
	ShowEdit, ShowUpdate, ShowResolve bool
	ShowDiscard                       bool
	Components, Impacts, Statuses     []choice
	// Sent is the form the person sent: it shows their input, Errors
	// (what is wrong with it) and Preview.
	Sent    string
	Errors  []string
	Preview *incidentPreview
	Audit   []store.AuditEntry
	Done    string
}

// updateList is a list of updates, newest first, and what to say when it
// is empty.
type updateList struct {
	List []store.IncidentUpdate
	None string
}

// showIncident is GET /admin/incidents/{id}.
func (c *console) showIncident(w http.ResponseWriter, r *http.Request, s *session) {
	inc, ok := c.loadIncident(w, r, s)
	if !ok {
		return
	}
	p := c.incidentPage(inc)
	p.Done, _ = c.t.Console.IncidentPage.Done.Lookup(r.URL.Query().Get("done"))
	c.render(w, r, s, http.StatusOK, "incident", p)
}

// loadIncident reads the incident of the path; it answers the error page
// itself when it cannot.
func (c *console) loadIncident(w http.ResponseWriter, r *http.Request, s *session) (store.Incident, bool) {
	id, err := incidentID(r)
	if err != nil {
		c.notFound(w, r, s)
		return store.Incident{}, false
	}
	inc, err := c.api.opts.Store.Incident(id)
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(w, r, s)
		return store.Incident{}, false
	}
	if err != nil {
		c.fail(w, r, s, fmt.Errorf("read incident %d: %w", id, err))
		return store.Incident{}, false
	}
	return inc, true
}

// incidentPage shows inc as stored, its forms filled from it.
func (c *console) incidentPage(inc store.Incident) incidentPage {
	ct := c.t.Console.IncidentPage
	p := incidentPage{Inc: inc, State: ct.States.Text(inc.State), Edit: formOf(inc), Published: updateList{None: ct.NoUpdates},
		ShowEdit: inc.Open(), ShowUpdate: inc.State == store.IncidentPublished,
		ShowResolve: inc.State == store.IncidentPublished, ShowDiscard: inc.State == store.IncidentDraft}
	p.Update = incidentForm{Kind: formUpdate, Status: p.Edit.Status, HasStatus: true, HasBody: true}
	p.Resolve = incidentForm{Kind: formResolve, Body: c.proposedResolution(inc), HasBody: true}
	names := map[string]string{}
	for _, comp := range c.api.opts.Monitor.Components() {
		p.Components = append(p.Components, choice{comp.ID, comp.Name})
		names[comp.ID] = comp.Name
	}
	var affected []string
	for _, id := range inc.Components {
		affected = append(affected, cmpOr(names[id], id))
	}
	p.Names = c.t.Join(affected)
	for _, v := range formImpacts {
		p.Impacts = append(p.Impacts, choice{v, c.t.Impact.Text(v)})
	}
	for _, v := range formStatuses {
		p.Statuses = append(p.Statuses, choice{v, c.t.IncidentStatus.Text(v)})
	}
	for k := len(inc.Updates) - 1; k >= 0; k-- { // newest first, as the public page
		if u := inc.Updates[k]; u.Draft {
			p.Drafted.List = append(p.Drafted.List, u)
		} else {
			p.Published.List = append(p.Published.List, u)
		}
	}
	audit, err := c.incidentAudit(inc.ID)
	if err != nil {
		c.api.log.Warn("console: reading the audit log failed", "incident", inc.ID, "err", err)
	}
	p.Audit = audit
	return p
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// proposedResolution is the text the resolve form starts with.
func (c *console) proposedResolution(inc store.Incident) string {
	if inc.State != store.IncidentPublished {
		return ""
	}
	if p, ok := c.api.opts.Incidents.(proposer); ok {
		return p.ProposedResolution(inc)
	}
	for k := len(inc.Updates) - 1; k >= 0; k-- {
		if u := inc.Updates[k]; u.Draft && u.Status == store.StatusResolved {
			return u.Body
		}
	}
	return ""
}

// incidentAudit returns the newest audit entries of incident id, looking
// through the newest incidentAuditScan entries of the log.
func (c *console) incidentAudit(id uint64) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	var before uint64
	const page = 500
	for scanned := 0; scanned < incidentAuditScan && len(out) < incidentAuditMax; scanned += page {
		entries, err := c.api.opts.Store.AuditBefore(before, page)
		if err != nil {
			return out, err
		}
		for _, e := range entries {
			if e.Incident == id && len(out) < incidentAuditMax {
				out = append(out, e)
			}
		}
		if len(entries) < page {
			break
		}
		before = entries[len(entries)-1].ID
	}
	return out, nil
}

// knownComponents are the configured component ids.
func (c *console) knownComponents() map[string]bool {
	out := map[string]bool{}
	for _, comp := range c.api.opts.Monitor.Components() {
		out[comp.ID] = true
	}
	return out
}

// again shows the incident page once more with what the person sent in
// form f, the problems with it and, when asked for, a preview.
func (c *console) again(w http.ResponseWriter, r *http.Request, s *session, status int, inc store.Incident, f incidentForm, problems []string) {
	p := c.incidentPage(inc)
	switch f.Kind {
	case formUpdate:
		p.Update, p.ShowUpdate = f, true
	case formResolve:
		p.Resolve, p.ShowResolve = f, true
	case formEdit:
		p.Edit, p.ShowEdit = f, true
	}
	p.Errors, p.Sent = problems, f.Kind
	if len(problems) == 0 && r.PostForm.Get("action") == "preview" {
		p.Preview = c.preview(inc, f, s.Actor())
	}
	c.render(w, r, s, status, "incident", p)
}

// editIncident is POST /admin/incidents/{id}: action=preview shows the
// page again with the form as sent and the preview, saving nothing;
// action=save saves the edit form.
func (c *console) editIncident(w http.ResponseWriter, r *http.Request, s *session) {
	inc, ok := c.loadIncident(w, r, s)
	if !ok {
		return
	}
	f := parseIncidentForm(r.PostForm)
	ct := &c.t.Console.IncidentPage
	action := r.PostForm.Get("action")
	if action != "preview" && (action != "save" || f.Kind != formEdit) {
		c.again(w, r, s, http.StatusBadRequest, inc, f, []string{ct.BadAction})
		return
	}
	needBody := f.Kind == formUpdate || (f.Draft && action == "preview")
	if problems := f.check(ct, c.knownComponents(), f.Kind == formEdit, needBody); len(problems) > 0 {
		c.again(w, r, s, http.StatusBadRequest, inc, f, problems)
		return
	}
	if action == "preview" {
		if want := previewState(f); inc.State != want {
			c.again(w, r, s, http.StatusConflict, inc, f, []string{fmt.Sprintf(ct.BadState, ct.States.Text(inc.State))})
			return
		}
		c.again(w, r, s, http.StatusOK, inc, f, nil)
		return
	}
	if edit, changed := editOf(inc, f); changed {
		if _, err := c.api.opts.Incidents.EditIncident(inc.ID, edit, s.Actor()); err != nil {
			c.refused(w, r, s, inc.ID, f, err)
			return
		}
	}
	redirect(w, r, incidentPath(inc.ID), "saved")
}

// editOf is the engine's edit of the fields f changes; false when it
// changes none (saving then stores nothing and marks nothing edited).
func editOf(inc store.Incident, f incidentForm) (incident.Edit, bool) {
	var e incident.Edit
	changed := false
	if f.HasTitle && f.Title != inc.Name {
		e.Name, changed = &f.Title, true
	}
	if f.HasBody && f.Body != inc.Body {
		e.Body, changed = &f.Body, true
	}
	if f.HasImpact && f.Impact != inc.Impact {
		e.Impact, changed = &f.Impact, true
	}
	if f.HasComponents && !slices.Equal(f.Components, inc.Components) {
		comps := slices.Clone(f.Components)
		e.Components, changed = &comps, true
	}
	return e, changed
}

func incidentPath(id uint64) string { return "/admin/incidents/" + strconv.FormatUint(id, 10) }

// refused shows the incident page again after the engine refused form f,
// with what the person typed (refusal). Anything else is the server's
// (c.fail).
func (c *console) refused(w http.ResponseWriter, r *http.Request, s *session, id uint64, f incidentForm, err error) {
	inc, rerr := c.api.opts.Store.Incident(id)
	if rerr != nil {
		c.fail(w, r, s, errors.Join(err, rerr))
		return
	}
	status, msg := c.refusal(err, inc.State)
	if status == 0 {
		c.fail(w, r, s, err)
		return
	}
	c.again(w, r, s, status, inc, f, []string{msg})
}

// refusal is the status and message of an engine error a person can act
// on: the incident's state (now state) no longer allows the operation
// (409), the input is invalid (400) or the disk is full (507). Status 0:
// the error is the server's.
func (c *console) refusal(err error, state string) (int, string) {
	ct := &c.t.Console.IncidentPage
	switch {
	case errors.Is(err, incident.ErrBadState):
		return http.StatusConflict, fmt.Sprintf(ct.BadState, ct.States.Text(state))
	case errors.Is(err, incident.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return http.StatusInsufficientStorage, c.t.Console.DiskFull
	}
	return 0, ""
}
