package publish

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// adminIncident is the Statuspage incident object plus outpost's own
// fields: lifecycle state, draft text and draft updates (SPEC §10).
type adminIncident struct {
	spIncident
	State        string     `json:"state"`
	Body         string     `json:"body"`
	Auto         bool       `json:"auto"`
	Edited       bool       `json:"edited"`
	DraftUpdates []spUpdate `json:"draft_updates"`
}

func (v *view) adminIncident(inc store.Incident) adminIncident {
	public := inc
	public.Updates = nil
	var drafts []store.IncidentUpdate
	for _, u := range inc.Updates {
		if u.Draft {
			drafts = append(drafts, u)
		} else {
			public.Updates = append(public.Updates, u)
		}
	}
	out := adminIncident{spIncident: v.spIncident(public), State: inc.State, Body: inc.Body, Auto: inc.Auto,
		Edited: inc.Edited, DraftUpdates: v.spIncident(store.Incident{ID: inc.ID, Updates: drafts}).IncidentUpdates}
	out.CreatedAt = v.at(inc.CreatedAt)
	out.UpdatedAt = v.at(inc.UpdatedAt)
	return out
}

func (s *Server) registerAdmin() {
	routes := map[string]func(http.ResponseWriter, *http.Request, *view){
		"GET /api/admin/incidents":               s.adminListIncidents,
		"POST /api/admin/incidents":              s.adminCreateIncident,
		"GET /api/admin/incidents/{id}":          s.adminShowIncident,
		"PATCH /api/admin/incidents/{id}":        s.adminEditIncident,
		"POST /api/admin/incidents/{id}/publish": s.adminPublish,
		"POST /api/admin/incidents/{id}/updates": s.adminAddUpdate,
		"POST /api/admin/incidents/{id}/resolve": s.adminResolve,
		"POST /api/admin/incidents/{id}/discard": s.adminDiscard,
		"GET /api/admin/maintenances":            s.adminListMaintenance,
		"POST /api/admin/maintenances":           s.adminAddMaintenance,
		"DELETE /api/admin/maintenances/{id}":    s.adminDeleteMaintenance,
		"GET /api/admin/audit":                   s.adminAudit,
		"GET /api/admin/backup":                  s.adminBackup,
	}
	for pattern, h := range routes {
		s.mux.Handle(pattern, s.adminAuth(s.viewHandler(h)))
	}
	s.mux.Handle("/api/admin/", s.adminAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such admin endpoint: "+r.Method+" "+r.URL.Path)
	})))
}

func (s *Server) adminListIncidents(w http.ResponseWriter, r *http.Request, v *view) {
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
		writeError(w, http.StatusBadRequest, fmt.Sprintf("state %q is unknown (use draft, published, resolved, discarded or all)", state))
		return
	}
	incs, err := s.opts.AdminStore.Incidents(keep)
	if err != nil {
		writeAdminError(w, err)
		return
	}
	out := make([]adminIncident, 0, len(incs))
	for _, inc := range incs {
		out = append(out, v.adminIncident(inc))
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": out})
}

type incidentInput struct {
	Name       *string   `json:"name"`
	Body       *string   `json:"body"`
	Impact     *string   `json:"impact"`
	Components *[]string `json:"components"`
	Status     string    `json:"status"`
	Publish    bool      `json:"publish"`
}

func (s *Server) adminCreateIncident(w http.ResponseWriter, r *http.Request, v *view) {
	var in incidentInput
	if err := decode(r, &in); err != nil {
		writeAdminError(w, err)
		return
	}
	inc := store.Incident{Status: in.Status}
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
	created, err := s.opts.Admin.CreateIncident(inc, in.Publish, actor(r))
	s.respond(w, v, created, err, http.StatusCreated)
}

func (s *Server) adminShowIncident(w http.ResponseWriter, r *http.Request, v *view) {
	id, err := incidentID(r)
	if err == nil {
		var inc store.Incident
		inc, err = s.opts.AdminStore.Incident(id)
		s.respond(w, v, inc, err, http.StatusOK)
		return
	}
	writeAdminError(w, err)
}

func (s *Server) adminEditIncident(w http.ResponseWriter, r *http.Request, v *view) {
	id, err := incidentID(r)
	var in incidentInput
	if err == nil {
		err = decode(r, &in)
	}
	if err == nil && (in.Status != "" || in.Publish) {
		err = fmt.Errorf("%w: PATCH edits name, body, impact and components; use /publish or /updates for status", monitor.ErrInvalid)
	}
	if err != nil {
		writeAdminError(w, err)
		return
	}
	inc, err := s.opts.Admin.EditIncident(id, monitor.IncidentEdit{Name: in.Name, Body: in.Body, Impact: in.Impact,
		Components: in.Components}, actor(r))
	s.respond(w, v, inc, err, http.StatusOK)
}

type updateInput struct {
	Status string `json:"status"`
	Body   string `json:"body"`
}

// statusBody runs op with the incident id and the optional body fields.
func (s *Server) statusBody(w http.ResponseWriter, r *http.Request, v *view, op func(id uint64, in updateInput) (store.Incident, error)) {
	id, err := incidentID(r)
	var in updateInput
	if err == nil && r.ContentLength != 0 {
		err = decode(r, &in)
	}
	if err != nil {
		writeAdminError(w, err)
		return
	}
	inc, err := op(id, in)
	s.respond(w, v, inc, err, http.StatusOK)
}

func (s *Server) adminPublish(w http.ResponseWriter, r *http.Request, v *view) {
	s.statusBody(w, r, v, func(id uint64, in updateInput) (store.Incident, error) {
		return s.opts.Admin.PublishIncident(id, in.Status, in.Body, actor(r))
	})
}

func (s *Server) adminAddUpdate(w http.ResponseWriter, r *http.Request, v *view) {
	s.statusBody(w, r, v, func(id uint64, in updateInput) (store.Incident, error) {
		return s.opts.Admin.AddUpdate(id, in.Status, in.Body, actor(r))
	})
}

func (s *Server) adminResolve(w http.ResponseWriter, r *http.Request, v *view) {
	s.statusBody(w, r, v, func(id uint64, in updateInput) (store.Incident, error) {
		return s.opts.Admin.ResolveIncident(id, in.Body, actor(r))
	})
}

func (s *Server) adminDiscard(w http.ResponseWriter, r *http.Request, v *view) {
	s.statusBody(w, r, v, func(id uint64, _ updateInput) (store.Incident, error) {
		return s.opts.Admin.DiscardIncident(id, actor(r))
	})
}

func (s *Server) respond(w http.ResponseWriter, v *view, inc store.Incident, err error, status int) {
	if err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, status, v.adminIncident(inc))
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

func (v *view) maintenanceJSON(m monitor.MaintenanceWindow) maintenanceJSON {
	src := "admin"
	if len(m.ID) > 7 && m.ID[:7] == "config-" {
		src = "config"
	}
	return maintenanceJSON{ID: m.ID, Components: m.Components, Start: m.Start.In(v.page.Location), End: m.End.In(v.page.Location),
		Title: m.Title, Body: m.Body, Status: maintenanceStatus(m, v.now), Source: src}
}

func (s *Server) adminListMaintenance(w http.ResponseWriter, _ *http.Request, v *view) {
	out := make([]maintenanceJSON, 0, len(v.maintenance))
	for _, m := range v.maintenance {
		out = append(out, v.maintenanceJSON(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"maintenances": out})
}

func (s *Server) adminAddMaintenance(w http.ResponseWriter, r *http.Request, v *view) {
	var in struct {
		Components []string  `json:"components"`
		Start      time.Time `json:"start"`
		End        time.Time `json:"end"`
		Title      string    `json:"title"`
		Body       string    `json:"body"`
	}
	if err := decode(r, &in); err != nil {
		writeAdminError(w, err)
		return
	}
	m, err := s.opts.Admin.AddMaintenance(monitor.MaintenanceWindow{Components: in.Components, Start: in.Start, End: in.End,
		Title: in.Title, Body: in.Body}, actor(r))
	if err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, v.maintenanceJSON(m))
}

func (s *Server) adminDeleteMaintenance(w http.ResponseWriter, r *http.Request, _ *view) {
	if err := s.opts.Admin.DeleteMaintenance(r.PathValue("id"), actor(r)); err != nil {
		writeAdminError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, _ *view) {
	limit := 200
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 10_000 {
			writeError(w, http.StatusBadRequest, "limit must be a number from 1 to 10000")
			return
		}
		limit = n
	}
	entries, err := s.opts.AdminStore.Audit(limit)
	if err != nil {
		writeAdminError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit": entries})
}

func (s *Server) adminBackup(w http.ResponseWriter, _ *http.Request, _ *view) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="outpost.db"`)
	if _, err := s.opts.AdminStore.Backup(w); err != nil {
		s.log.Error("backup through the admin API failed", "err", err)
	}
}
