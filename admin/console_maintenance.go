package admin

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/outpost-status/outpost/monitor"
)

// maxPastWindows is how many ended windows the maintenance page lists.
const maxPastWindows = 20

// maintenanceData fills maintenance.html.
type maintenanceData struct {
	Sections   []maintenanceSection // in progress, upcoming, past
	Components []monitor.ComponentState
	Zone       string // the page time zone the form's times are in
	Form       maintenanceForm
	Error      string
}

// maintenanceSection is a list of windows under a heading.
type maintenanceSection struct {
	ID, Heading string
	Rows        []maintenanceRow
}

// maintenanceRow is a window as listed.
type maintenanceRow struct {
	monitor.MaintenanceWindow
	Names       string // the components' names
	Config      bool   // from the configuration file: not cancelled here
	Cancellable bool   // not over yet
}

// maintenanceForm is the schedule form's input, shown again after an error.
type maintenanceForm struct {
	Components              map[string]bool
	Start, End, Title, Body string
}

func (c *console) maintenance(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderMaintenance(w, r, s, http.StatusOK, maintenanceForm{}, "")
}

func (c *console) renderMaintenance(w http.ResponseWriter, r *http.Request, s *session, status int, form maintenanceForm, problem string) {
	comps := c.api.opts.Monitor.Components()
	names := map[string]string{}
	for _, comp := range comps {
		names[comp.ID] = comp.Name
	}
	d := maintenanceData{Components: comps, Zone: c.api.opts.Location.String(), Form: form, Error: problem}
	var upcoming, active, past []maintenanceRow
	now := c.api.opts.Now()
	windows := c.api.opts.Monitor.Maintenance()
	slices.SortStableFunc(windows, func(a, b monitor.MaintenanceWindow) int { return a.Start.Compare(b.Start) })
	for _, m := range windows {
		row := maintenanceRow{MaintenanceWindow: m, Config: !strings.HasPrefix(m.ID, "w"), Cancellable: m.End.After(now)}
		var list []string
		for _, id := range m.Components {
			list = append(list, cmpName(names, id))
		}
		row.Names = c.t.Join(list)
		switch m.Status(now) {
		case monitor.MaintenanceScheduled:
			upcoming = append(upcoming, row)
		case monitor.MaintenanceInProgress:
			active = append(active, row)
		default:
			past = append(past, row)
		}
	}
	slices.Reverse(past) // most recent first
	ct := c.t.Console
	d.Sections = []maintenanceSection{{"active", ct.InProgress, active}, {"upcoming", ct.Upcoming, upcoming},
		{"past", ct.Past, past[:min(len(past), maxPastWindows)]}}
	c.render(w, r, s, status, "maintenance", d)
}

// cmpName is a component's name, or its id when it has none (any more).
func cmpName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// scheduleMaintenance adds a window from the form, in the page time
// zone. Bad input shows the form again with what was wrong.
func (c *console) scheduleMaintenance(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	form := maintenanceForm{Components: map[string]bool{}, Start: f.Get("start"), End: f.Get("end"),
		Title: strings.TrimSpace(f.Get("title")), Body: strings.TrimSpace(strings.ReplaceAll(f.Get("body"), "\r\n", "\n"))}
	for _, id := range f["components"] {
		form.Components[id] = true
	}
	loc, ct, it := c.api.opts.Location, &c.t.Console, &c.t.Console.IncidentPage
	start, okStart := parseInputTime(form.Start, loc)
	end, okEnd := parseInputTime(form.End, loc)
	problem := ""
	switch { // the window's title and text go to the public page and the notifications, as an incident's do
	case !okStart:
		problem = fmt.Sprintf(ct.BadTime, ct.Start)
	case !okEnd:
		problem = fmt.Sprintf(ct.BadTime, ct.End)
	case !cleanText(form.Title, false):
		problem = fmt.Sprintf(it.ControlChars, ct.MaintTitle)
	case utf8.RuneCountInString(form.Title) > maxIncidentTitle:
		problem = fmt.Sprintf(it.TitleInvalid, maxIncidentTitle)
	case !cleanText(form.Body, true):
		problem = fmt.Sprintf(it.ControlChars, ct.Body)
	case utf8.RuneCountInString(form.Body) > maxIncidentText:
		problem = fmt.Sprintf(it.BodyInvalid, maxIncidentText)
	}
	if problem != "" {
		c.renderMaintenance(w, r, s, http.StatusBadRequest, form, problem)
		return
	}
	_, err := c.api.opts.Monitor.AddMaintenance(monitor.MaintenanceWindow{Components: f["components"], Start: start, End: end,
		Title: form.Title, Body: form.Body}, s.Actor())
	if err != nil {
		if isInvalid(err) {
			c.renderMaintenance(w, r, s, http.StatusBadRequest, form, err.Error())
			return
		}
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, "/admin/maintenance", "scheduled")
}

func (c *console) cancelMaintenance(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.api.opts.Monitor.DeleteMaintenance(r.PathValue("id"), s.Actor()); err != nil {
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, "/admin/maintenance", "cancelled")
}
