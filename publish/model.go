package publish

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// MonitorSource is everything publish reads from the monitor: the live
// state of checks and components, its start and maintenance windows;
// *monitor.Monitor implements it.
type MonitorSource interface {
	Snapshot() []monitor.CheckStatus
	Components() []monitor.ComponentState
	Blind() bool
	Started() time.Time
	Maintenance() []monitor.MaintenanceWindow
}

// IncidentSource lists incidents; *store.DB implements it.
type IncidentSource interface {
	Incidents(keep func(store.Incident) bool) ([]store.Incident, error)
}

// view is one consistent reading of what the public may see. Every
// public document and page is rendered from it, so drafts are filtered in
// exactly one place (publicIncidents).
type view struct {
	page        config.Page
	now         time.Time
	updatedAt   time.Time
	indicator   monitor.Indicator
	blind       bool
	components  []monitor.ComponentState
	noData      map[string]bool  // components whose every check is unknown (noDataComponents)
	incidents   []store.Incident // public only, newest first, draft updates removed
	maintenance []monitor.MaintenanceWindow
	started     time.Time
}

// buildView reads the monitor and the store.
func (s *Server) buildView() (*view, error) {
	now := s.opts.Now()
	src := s.opts.Monitor
	v := &view{page: s.opts.Page, now: now, blind: src.Blind(), components: src.Components(),
		maintenance: src.Maintenance(), started: src.Started()}
	v.noData = noDataComponents(v.components, src.Snapshot())
	var statuses []monitor.ComponentStatus
	for _, c := range v.components {
		statuses = append(statuses, c.Status)
		v.updatedAt = store.Latest(v.updatedAt, c.Since)
	}
	v.indicator = monitor.PageIndicator(statuses)
	if s.opts.Incidents != nil {
		all, err := s.opts.Incidents.Incidents(func(i store.Incident) bool { return i.Public() })
		if err != nil {
			return nil, fmt.Errorf("read incidents: %w", err)
		}
		v.incidents = publicIncidents(all)
	}
	for _, inc := range v.incidents {
		v.updatedAt = store.Latest(v.updatedAt, inc.LastPublishedUpdate())
	}
	if v.updatedAt.IsZero() {
		v.updatedAt = v.started
	}
	return v, nil
}

// publicIncidents keeps published (or published and resolved) incidents and
// strips every draft update. This is the only gate between drafts and the
// public.
func publicIncidents(all []store.Incident) []store.Incident {
	out := make([]store.Incident, 0, len(all))
	for _, inc := range all {
		if !inc.Public() || inc.State == store.IncidentDraft || inc.State == store.IncidentDiscarded {
			continue
		}
		inc.Updates = slices.DeleteFunc(slices.Clone(inc.Updates), func(u store.IncidentUpdate) bool { return u.Draft })
		if inc.State == store.IncidentPublished {
			inc.ResolvedAt = time.Time{}
		}
		out = append(out, inc)
	}
	return out
}

// indicatorDescriptions are Statuspage's own (English) descriptions; JSON
// clients compare them, so they are not localised.
var indicatorDescriptions = map[monitor.Indicator]string{
	monitor.IndicatorNone:     "All Systems Operational",
	monitor.IndicatorMinor:    "Minor Service Outage",
	monitor.IndicatorMajor:    "Partial System Outage",
	monitor.IndicatorCritical: "Major System Outage",
}

// unresolved returns the public incidents still open.
func (v *view) unresolved() []store.Incident {
	var out []store.Incident
	for _, inc := range v.incidents {
		if inc.State == store.IncidentPublished {
			out = append(out, inc)
		}
	}
	return out
}

func (v *view) component(id string) (monitor.ComponentState, bool) {
	for _, c := range v.components {
		if c.ID == id {
			return c, true
		}
	}
	return monitor.ComponentState{}, false
}

// incidentURL is the public link of an incident (site-absolute without
// a page URL, as Statuspage's shortlink).
func incidentURL(p config.Page, id uint64) string {
	return strings.TrimSuffix(p.URL, "/") + "/incidents/" + strconv.FormatUint(id, 10)
}
