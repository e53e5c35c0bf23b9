package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

func (a *API) register() {
	routes := map[string]http.HandlerFunc{
		"GET /api/admin/incidents":               a.listIncidents,
		"POST /api/admin/incidents":              a.createIncident,
		"GET /api/admin/templates":               a.listTemplates,
		"GET /api/admin/incidents/{id}":          a.showIncident,
		"PATCH /api/admin/incidents/{id}":        a.editIncident,
		"POST /api/admin/incidents/{id}/publish": a.publish,
		"POST /api/admin/incidents/{id}/updates": a.addUpdate,
		"POST /api/admin/incidents/{id}/resolve": a.resolve,
		"POST /api/admin/incidents/{id}/discard": a.discard,
		"GET /api/admin/maintenances":            a.listMaintenance,
		"POST /api/admin/maintenances":           a.addMaintenance,
		"DELETE /api/admin/maintenances/{id}":    a.deleteMaintenance,
		"GET /api/admin/audit":                   a.audit,
		"GET /api/admin/backup":                  a.backup,
	}
	for pattern, h := range routes {
		a.mux.Handle(pattern, h)
	}
	a.registerSubscribers() // subscribers.go
	a.mux.HandleFunc("/api/admin/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusNotFound, "no such admin endpoint: "+r.Method+" "+r.URL.Path)
	})
}

func (a *API) listIncidents(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	keep := map[string]func(store.Incident) bool{
		"":                      func(i store.Incident) bool { return i.Open() },
		"all":                   func(store.Incident) bool { return true },
		store.IncidentDraft:     func(i store.Incident) bool { return i.State == store.IncidentDraft },
		store.IncidentPublished: func(i store.Incident) bool { return i.State == store.IncidentPublished },
		store.IncidentResolved:  func(i store.Incident) bool { return i.State == store.IncidentResolved },
		store.IncidentDiscarded: func(i store.Incident) bool { return i.State == store.IncidentDiscarded },
	}[state]
	if keep == nil {
		httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("state %q is unknown (use draft, published, resolved, discarded or all)", state))
		return
	}
	incs, err := a.opts.Store.Incidents(keep)
	if err != nil {
		a.fail(w, r, fmt.Errorf("read incidents: %w", err))
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"incidents": a.opts.Present.Incidents(incs)})
}

type incidentInput struct {
	Template   string    `json:"template"` // create only: start from this template
	Name       *string   `json:"name"`
	Body       *string   `json:"body"`
	Impact     *string   `json:"impact"`
	Components *[]string `json:"components"`
	Status     string    `json:"status"`
	Publish    bool      `json:"publish"`
}

func (a *API) createIncident(w http.ResponseWriter, r *http.Request) {
	var in incidentInput
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	// Fields given override the template's.
	var inc store.Incident
	if in.Template != "" {
		t, err := incident.FindTemplate(a.opts.Incidents.Templates(), in.Template)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		inc = t.Incident()
	}
	if in.Status != "" {
		inc.Status = in.Status
	}
	if in.Name != nil {
		inc.Name = *in.Name
	}
	if in.Body != nil {
		inc.Body = *in.Body
	}
	if in.Impact != nil {
		inc.Impact = *in.Impact
	}
	if in.Components != nil {
		inc.Components = *in.Components
	}
	created, err := a.opts.Incidents.CreateIncident(inc, in.Publish, actor(r))
	a.respond(w, r, created, err, http.StatusCreated)
}

// listTemplates lists the config's incident templates in the page
// language, for a client that offers them.
func (a *API) listTemplates(w http.ResponseWriter, _ *http.Request) {
	ts := a.opts.Incidents.Templates()
	if ts == nil {
		ts = []incident.Template{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"templates": ts})
}

func (a *API) showIncident(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err == nil {
		var inc store.Incident
		inc, err = a.opts.Store.Incident(id)
		a.respond(w, r, inc, err, http.StatusOK)
		return
	}
	a.fail(w, r, err)
}

func (a *API) editIncident(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	var in incidentInput
	if err == nil {
		err = decode(r, &in)
	}
	if err == nil && (in.Status != "" || in.Publish || in.Template != "") {
		err = fmt.Errorf("%w: PATCH edits name, body, impact and components; use /publish or /updates for status (a template only starts a new incident)", monitor.ErrInvalid)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	inc, err := a.opts.Incidents.EditIncident(id, incident.Edit{Name: in.Name, Body: in.Body, Impact: in.Impact,
		Components: in.Components}, actor(r))
	a.respond(w, r, inc, err, http.StatusOK)
}

type updateInput struct {
	Status string `json:"status"`
	Body   string `json:"body"`
}

// statusBody runs op with the incident id and the optional body fields.
func (a *API) statusBody(w http.ResponseWriter, r *http.Request, op func(id uint64, in updateInput) (store.Incident, error)) {
	id, err := incidentID(r)
	var in updateInput
	if err == nil && r.ContentLength != 0 {
		err = decode(r, &in)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	inc, err := op(id, in)
	a.respond(w, r, inc, err, http.StatusOK)
}

func (a *API) publish(w http.ResponseWriter, r *http.Request) {
	a.statusBody(w, r, func(id uint64, in updateInput) (store.Incident, error) {
		return a.opts.Incidents.PublishIncident(id, in.Status, in.Body, actor(r))
	})
}

func (a *API) addUpdate(w http.ResponseWriter, r *http.Request) {
	a.statusBody(w, r, func(id uint64, in updateInput) (store.Incident, error) {
		return a.opts.Incidents.AddUpdate(id, in.Status, in.Body, actor(r))
	})
}

func (a *API) resolve(w http.ResponseWriter, r *http.Request) {
	a.statusBody(w, r, func(id uint64, in updateInput) (store.Incident, error) {
		return a.opts.Incidents.ResolveIncident(id, in.Body, actor(r))
	})
}

func (a *API) discard(w http.ResponseWriter, r *http.Request) {
	a.statusBody(w, r, func(id uint64, _ updateInput) (store.Incident, error) {
		return a.opts.Incidents.DiscardIncident(id, actor(r))
	})
}

func (a *API) respond(w http.ResponseWriter, r *http.Request, inc store.Incident, err error, status int) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpjson.Write(w, status, a.opts.Present.Incidents([]store.Incident{inc})[0])
}

type maintenanceJSON struct {
	ID         string    `json:"id"`
	Components []string  `json:"components"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Status     string    `json:"status"`
	Source     string    `json:"source"` // config or admin
}

func (a *API) maintenanceJSON(m monitor.MaintenanceWindow, now time.Time) maintenanceJSON {
	src := "admin"
	if len(m.ID) > 7 && m.ID[:7] == "config-" {
		src = "config"
	}
	loc := a.opts.Location
	return maintenanceJSON{ID: m.ID, Components: m.Components, Start: m.Start.In(loc), End: m.End.In(loc),
		Title: m.Title, Body: m.Body, Status: m.Status(now), Source: src}
}

func (a *API) listMaintenance(w http.ResponseWriter, _ *http.Request) {
	windows, now := a.opts.Monitor.Maintenance(), a.opts.Now()
	out := make([]maintenanceJSON, 0, len(windows))
	for _, m := range windows {
		out = append(out, a.maintenanceJSON(m, now))
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"maintenances": out})
}

func (a *API) addMaintenance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Components []string  `json:"components"`
		Start      time.Time `json:"start"`
		End        time.Time `json:"end"`
		Title      string    `json:"title"`
		Body       string    `json:"body"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	m, err := a.opts.Monitor.AddMaintenance(monitor.MaintenanceWindow{Components: in.Components, Start: in.Start, End: in.End,
		Title: in.Title, Body: in.Body}, actor(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusCreated, a.maintenanceJSON(m, a.opts.Now()))
}

func (a *API) deleteMaintenance(w http.ResponseWriter, r *http.Request) {
	if err := a.opts.Monitor.DeleteMaintenance(r.PathValue("id"), actor(r)); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) audit(w http.ResponseWriter, r *http.Request) {
	limit := 200
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 10_000 {
			httpjson.Error(w, http.StatusBadRequest, "limit must be a number from 1 to 10000")
			return
		}
		limit = n
	}
	entries, err := a.opts.Store.Audit(limit)
	if err != nil {
		a.fail(w, r, fmt.Errorf("read the audit log: %w", err))
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"audit": entries})
}

func (a *API) backup(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="outpost.db"`)
	if _, err := a.opts.Store.Backup(w); err != nil {
		a.log.Error("backup through the admin API failed", "err", err)
	}
}
