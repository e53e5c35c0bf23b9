package admin

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// auditPageSize is the number of audit entries on one console page.
const auditPageSize = 50

// overviewData fills overview.html.
type overviewData struct {
	Drafts     []draftRow
	Published  []publishedRow
	Components []componentRow
	Blind      bool
	// Peers are the other locations (SPEC §17), nil without; Loc words them.
	Peers []peerRow
	Loc   text.Locations
}

// peerRow is another location and its last answer.
type peerRow struct {
	ID         string
	Up         bool
	LastAnswer time.Time // zero: never answered
}

// locator is a Monitor with other locations; *monitor.Monitor
// implements it. Without it the overview shows no locations.
type locator interface {
	PeerStatus() []monitor.PeerStatus
	LocationVerdicts(key string) []monitor.LocationVerdict
}

// draftRow is a draft waiting for review.
type draftRow struct {
	Incident store.Incident
	Waiting  string // how long, in words
	Auto     string // the auto_publish_after countdown, "" when off
}

// publishedRow is a published incident that is not resolved yet.
type publishedRow struct {
	Incident   store.Incident
	LastUpdate string // time since the last public update, in words
	Overdue    string // set when that is longer than remind_after
}

// componentRow is a component with its checks.
type componentRow struct {
	monitor.ComponentState
	Checks []checkRow
}

type checkRow struct {
	Name, Key  string
	State      monitor.State
	LastResult string
	Locations  []monitor.LocationVerdict // each location's last verdict; nil without peers
}

// overview shows what needs a person: drafts oldest first with their
// countdown, published incidents with the time since their last update
// (overdue past remind_after), then the live state of everything and
// whether outpost can see at all.
func (c *console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	incs, err := c.api.opts.Store.Incidents(func(i store.Incident) bool { return i.Open() })
	if err != nil {
		c.fail(w, r, s, fmt.Errorf("read incidents: %w", err))
		return
	}
	now, settings, ct := c.api.opts.Now(), c.api.opts.Incidents.Settings(), c.t.Console
	d := overviewData{Blind: c.api.opts.Monitor.Blind()}
	slices.SortStableFunc(incs, func(a, b store.Incident) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, inc := range incs {
		switch inc.State {
		case store.IncidentDraft:
			row := draftRow{Incident: inc, Waiting: fmt.Sprintf(ct.Waiting, c.t.Duration(now.Sub(inc.CreatedAt).Seconds()))}
			if after := settings.AutoPublishAfter; after > 0 {
				if left := inc.CreatedAt.Add(after).Sub(now); left > 0 {
					row.Auto = fmt.Sprintf(ct.AutoIn, c.t.Duration(left.Seconds()))
				} else {
					row.Auto = ct.AutoDue
				}
			}
			d.Drafts = append(d.Drafts, row)
		case store.IncidentPublished:
			since := now.Sub(inc.LastPublishedUpdate())
			row := publishedRow{Incident: inc, LastUpdate: fmt.Sprintf(ct.LastUpdate, c.t.Duration(since.Seconds()))}
			if after := settings.RemindAfter; after > 0 && since > after {
				row.Overdue = fmt.Sprintf(ct.Overdue, c.t.Duration(after.Seconds()))
			}
			d.Published = append(d.Published, row)
		}
	}
	d.Components = c.componentRows()
	if l, ok := c.api.opts.Monitor.(locator); ok {
		for _, p := range l.PeerStatus() {
			d.Peers = append(d.Peers, peerRow{ID: p.Peer, Up: p.Up, LastAnswer: p.LastAnswer})
		}
		d.Loc = text.LocationsFor(c.t.Lang)
	}
	c.render(w, r, s, http.StatusOK, "overview", d)
}

// componentRows pairs every component with its checks' live state.
func (c *console) componentRows() []componentRow {
	checks := map[string][]checkRow{}
	l, _ := c.api.opts.Monitor.(locator)
	for _, st := range c.api.opts.Monitor.Snapshot() {
		row := checkRow{Name: cmp.Or(st.Name, st.ID), Key: st.Key, State: st.State, LastResult: c.t.Console.NoResult}
		if l != nil {
			row.Locations = l.LocationVerdicts(st.Key)
		}
		if st.Last != nil {
			row.LastResult = cmp.Or(st.Last.Message, string(st.Last.Outcome))
		}
		checks[st.Component] = append(checks[st.Component], row)
	}
	var out []componentRow
	for _, comp := range c.api.opts.Monitor.Components() {
		out = append(out, componentRow{ComponentState: comp, Checks: checks[comp.ID]})
	}
	return out
}

// auditData fills audit.html.
type auditData struct {
	Entries []store.AuditEntry
	Older   uint64 // before= of the next page; 0 on the last
	Paged   bool   // this is not the newest page
}

// audit shows the audit log newest first, auditPageSize entries a page;
// ?before=N starts below entry N.
func (c *console) audit(w http.ResponseWriter, r *http.Request, s *session) {
	var before uint64
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseUint(b, 10, 64)
		if err != nil {
			c.message(w, r, s, http.StatusBadRequest, c.t.Console.BadRequest, fmt.Sprintf("before=%q is not an entry number", b))
			return
		}
		before = n
	}
	entries, err := c.api.opts.Store.AuditBefore(before, auditPageSize+1)
	if err != nil {
		c.fail(w, r, s, fmt.Errorf("read the audit log: %w", err))
		return
	}
	d := auditData{Entries: entries, Paged: before != 0}
	if len(entries) > auditPageSize {
		d.Entries = entries[:auditPageSize]
		d.Older = d.Entries[auditPageSize-1].ID
	}
	c.render(w, r, s, http.StatusOK, "audit", d)
}

// Times of the maintenance form: datetime-local, in the page time zone;
// browsers send seconds only when the user typed them.
const (
	inputTimeLayout        = "2006-01-02T15:04"
	inputTimeSecondsLayout = "2006-01-02T15:04:05"
)

// parseInputTime reads a datetime-local value in loc.
func parseInputTime(v string, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{inputTimeLayout, inputTimeSecondsLayout} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
