package publish

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// The Statuspage API v2 documents. Field sets and names are exactly
// Statuspage's: strict clients reject unknown keys, so nothing of
// outpost's own goes here (that lives under /api/v1/).

// spTime is a Statuspage timestamp: RFC 3339 with milliseconds, in the
// page time zone; the zero time encodes as null.
type spTime struct{ time.Time }

func (t spTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Format("2006-01-02T15:04:05.000Z07:00"))
}

type spPage struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt spTime `json:"updated_at"`
}

type spStatus struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type spComponent struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Status             string  `json:"status"`
	CreatedAt          spTime  `json:"created_at"`
	UpdatedAt          spTime  `json:"updated_at"`
	Position           int     `json:"position"`
	Description        *string `json:"description"`
	Showcase           bool    `json:"showcase"`
	StartDate          *string `json:"start_date"`
	GroupID            *string `json:"group_id"`
	PageID             string  `json:"page_id"`
	Group              bool    `json:"group"`
	OnlyShowIfDegraded bool    `json:"only_show_if_degraded"`
}

type spUpdate struct {
	ID                   string  `json:"id"`
	Status               string  `json:"status"`
	Body                 string  `json:"body"`
	IncidentID           string  `json:"incident_id"`
	CreatedAt            spTime  `json:"created_at"`
	UpdatedAt            spTime  `json:"updated_at"`
	DisplayAt            spTime  `json:"display_at"`
	AffectedComponents   *[]any  `json:"affected_components"`
	DeliverNotifications bool    `json:"deliver_notifications"`
	CustomTweet          *string `json:"custom_tweet"`
	TweetID              *string `json:"tweet_id"`
}

type spIncident struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Status          string        `json:"status"`
	CreatedAt       spTime        `json:"created_at"`
	UpdatedAt       spTime        `json:"updated_at"`
	MonitoringAt    spTime        `json:"monitoring_at"`
	ResolvedAt      spTime        `json:"resolved_at"`
	Impact          string        `json:"impact"`
	Shortlink       string        `json:"shortlink"`
	StartedAt       spTime        `json:"started_at"`
	PageID          string        `json:"page_id"`
	IncidentUpdates []spUpdate    `json:"incident_updates"`
	Components      []spComponent `json:"components"`
}

type spMaintenance struct {
	spIncident
	ScheduledFor   spTime `json:"scheduled_for"`
	ScheduledUntil spTime `json:"scheduled_until"`
}

func (v *view) spPage() spPage {
	return spPage{ID: v.page.ID(), Name: v.page.Title, URL: v.page.URL, TimeZone: v.page.Location.String(),
		UpdatedAt: v.at(v.updatedAt)}
}

func (v *view) at(t time.Time) spTime {
	if t.IsZero() {
		return spTime{}
	}
	return spTime{t.In(v.page.Location)}
}

func (v *view) spStatus() spStatus {
	return spStatus{Indicator: string(v.indicator), Description: v.statusDescription()}
}

func (v *view) spComponent(c monitor.ComponentState) spComponent {
	out := spComponent{ID: c.ID, Name: c.Name, Status: string(c.Status), CreatedAt: v.at(v.started),
		UpdatedAt: v.at(c.Since), Position: c.Position, PageID: v.page.ID()}
	if c.Description != "" {
		d := c.Description
		out.Description = &d
	}
	return out
}

func (v *view) spComponents() []spComponent {
	out := make([]spComponent, 0, len(v.components))
	for _, c := range v.components {
		out = append(out, v.spComponent(c))
	}
	return out
}

func (v *view) affected(ids []string) []spComponent {
	out := []spComponent{}
	for _, id := range ids {
		if c, ok := v.component(id); ok {
			out = append(out, v.spComponent(c))
		}
	}
	return out
}

func (v *view) spIncident(inc store.Incident) spIncident {
	id := strconv.FormatUint(inc.ID, 10)
	out := spIncident{ID: id, Name: inc.Name, Status: inc.Status, CreatedAt: v.at(inc.PublishedAt),
		UpdatedAt: v.at(inc.LastPublishedUpdate()), ResolvedAt: v.at(inc.ResolvedAt), Impact: inc.Impact,
		Shortlink: incidentURL(v.page, inc.ID), StartedAt: v.at(inc.StartedAt), PageID: v.page.ID(),
		IncidentUpdates: []spUpdate{}, Components: v.affected(inc.Components)}
	for k := len(inc.Updates) - 1; k >= 0; k-- { // newest first, as Statuspage
		u := inc.Updates[k]
		if u.Status == store.StatusMonitoring && (out.MonitoringAt.IsZero() || u.CreatedAt.Before(out.MonitoringAt.Time)) {
			out.MonitoringAt = v.at(u.CreatedAt)
		}
		out.IncidentUpdates = append(out.IncidentUpdates, spUpdate{ID: id + "-" + strconv.FormatUint(u.ID, 10),
			Status: u.Status, Body: u.Body, IncidentID: id, CreatedAt: v.at(u.CreatedAt), UpdatedAt: v.at(u.CreatedAt),
			DisplayAt: v.at(u.CreatedAt), DeliverNotifications: true})
	}
	return out
}

func (v *view) spIncidents(incs []store.Incident) []spIncident {
	out := make([]spIncident, 0, len(incs))
	for _, inc := range incs {
		out = append(out, v.spIncident(inc))
	}
	return out
}

func (v *view) spMaintenance(w monitor.MaintenanceWindow) spMaintenance {
	id := "maintenance-" + w.ID
	status := w.Status(v.now)
	body := w.Body
	if body == "" {
		body = w.Title
	}
	inc := spIncident{ID: id, Name: w.Title, Status: status, CreatedAt: v.at(w.Start), UpdatedAt: v.at(w.Start),
		Impact: "maintenance", Shortlink: v.page.URL, StartedAt: v.at(w.Start), PageID: v.page.ID(),
		Components: v.affected(w.Components),
		IncidentUpdates: []spUpdate{{ID: id + "-1", Status: status, Body: body, IncidentID: id,
			CreatedAt: v.at(w.Start), UpdatedAt: v.at(w.Start), DisplayAt: v.at(w.Start), DeliverNotifications: true}}}
	if status == monitor.MaintenanceCompleted {
		inc.ResolvedAt = v.at(w.End)
	}
	return spMaintenance{spIncident: inc, ScheduledFor: v.at(w.Start), ScheduledUntil: v.at(w.End)}
}

// maintenances returns windows whose status passes keep, soonest first.
func (v *view) maintenances(keep func(status string) bool) []spMaintenance {
	out := []spMaintenance{}
	for _, w := range v.maintenance {
		if keep(w.Status(v.now)) {
			out = append(out, v.spMaintenance(w))
		}
	}
	return out
}

// registerStatuspage adds the /api/v2 documents.
func (s *Server) registerStatuspage() {
	for path, doc := range statuspageDocuments() {
		s.mux.Handle("GET /api/v2/"+path, s.public(docKind{}, s.viewHandler(func(w http.ResponseWriter, r *http.Request, v *view) {
			httpjson.Write(w, http.StatusOK, doc(v))
		})))
	}
}

// statuspageDocuments are the /api/v2 documents by path: the one list the
// routes and the static export (v2Documents) are made from.
func statuspageDocuments() map[string]func(v *view) any {
	all := func(string) bool { return true }
	upcomingOrActive := func(st string) bool { return st != monitor.MaintenanceCompleted }
	return map[string]func(v *view) any{
		"summary.json": func(v *view) any {
			return struct {
				Page                  spPage          `json:"page"`
				Components            []spComponent   `json:"components"`
				Incidents             []spIncident    `json:"incidents"`
				ScheduledMaintenances []spMaintenance `json:"scheduled_maintenances"`
				Status                spStatus        `json:"status"`
			}{v.spPage(), v.spComponents(), v.spIncidents(v.unresolved()), v.maintenances(upcomingOrActive), v.spStatus()}
		},
		"status.json": func(v *view) any {
			return struct {
				Page   spPage   `json:"page"`
				Status spStatus `json:"status"`
			}{v.spPage(), v.spStatus()}
		},
		"components.json": func(v *view) any {
			return struct {
				Page       spPage        `json:"page"`
				Components []spComponent `json:"components"`
			}{v.spPage(), v.spComponents()}
		},
		"incidents.json":            func(v *view) any { return incidentsDoc{v.spPage(), v.spIncidents(first(v.incidents, 50))} },
		"incidents/unresolved.json": func(v *view) any { return incidentsDoc{v.spPage(), v.spIncidents(v.unresolved())} },
		"scheduled-maintenances.json": func(v *view) any {
			return maintenancesDoc{v.spPage(), first(v.maintenances(all), 50)}
		},
		"scheduled-maintenances/upcoming.json": func(v *view) any {
			return maintenancesDoc{v.spPage(), v.maintenances(func(st string) bool { return st == monitor.MaintenanceScheduled })}
		},
		"scheduled-maintenances/active.json": func(v *view) any {
			return maintenancesDoc{v.spPage(), v.maintenances(func(st string) bool { return st == monitor.MaintenanceInProgress })}
		},
	}
}

type incidentsDoc struct {
	Page      spPage       `json:"page"`
	Incidents []spIncident `json:"incidents"`
}

type maintenancesDoc struct {
	Page                  spPage          `json:"page"`
	ScheduledMaintenances []spMaintenance `json:"scheduled_maintenances"`
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// viewHandler builds the view for each request.
func (s *Server) viewHandler(h func(http.ResponseWriter, *http.Request, *view)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.buildView()
		if err != nil {
			s.log.Error("building the public view failed", "err", err)
			httpjson.Error(w, http.StatusInternalServerError, "status temporarily unavailable")
			return
		}
		h(w, r, v)
	})
}
