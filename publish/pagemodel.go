package publish

import (
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// Page ranges (written down in the package doc of page.go).
const (
	barDays     = 90                       // day bars per component
	narrowDays  = 30                       // ... of which a narrow screen shows the last 30 (style.css)
	historyDays = 90                       // /history and the feeds cover this many days
	historyMax  = 100                      // ... and at most this many incidents
	pastDays    = 7                        // "past incidents" on the front page
	pastMax     = 5                        // ... at most this many
	dayLayout   = "2006-01-02"             // DayBar.Date
	timeAttr    = "2006-01-02T15:04Z07:00" // <time datetime>
)

// DayBar is one day of a component's availability, in the page time zone.
type DayBar struct {
	Date  string   // YYYY-MM-DD
	Ratio *float64 // nil: no data
	// Seconds of the day in each state.
	DownSeconds, PartialSeconds, MaintenanceSeconds, UnknownSeconds float64
}

// DaysSource gives a component's daily availability, oldest first, today
// last.
type DaysSource interface {
	ComponentDays(componentID string, days int, now time.Time) ([]DayBar, error)
}

// UptimeSource gives a component's availability over a window ending at
// now; nil means no data.
type UptimeSource interface {
	ComponentUptime(id string, window time.Duration, now time.Time) (*float64, error)
}

// pageBase is what every HTML page shows around its content.
type pageBase struct {
	L        *locale
	Title    string // page title from the configuration
	DocTitle string // <title>
	Root     string // relative prefix to the page root: "", "../", "../../"
	Home     string // link to the front page: Root, or "./"
	CSS      template.CSS
	Icon     template.URL
	Updated  timeText
	// SubscribeHref is the subscription form when subscriptions are on;
	// the header's "Subscribe" then leads there instead of to the feed.
	SubscribeHref string
}

// timeText is a moment for <time>: machine and human forms.
type timeText struct{ Attr, Text string }

// banner is the overall state at the top of the front page.
type banner struct {
	Class, Symbol, Text, Note string
}

// componentRow is one component with its bars.
type componentRow struct {
	ID, Name, Description string
	Status, StatusText    string
	BarsLabel             string
	Uptime                string        // over barDays; empty: not known
	Uptime30              string        // over the last narrowDays, for narrow screens
	Bars                  template.HTML // the <li> elements, see dayBars
}

// updateItem is one published incident update.
type updateItem struct {
	Status, StatusText, Body string
	At                       timeText
}

// incidentCard is a public incident for the page.
type incidentCard struct {
	ID, Href, Name     string
	Impact, ImpactText string
	Status, StatusText string
	Components         []string
	Started, Resolved  timeText
	Updates            []updateItem
	Latest             *updateItem
}

// maintenanceCard is an upcoming or active window.
type maintenanceCard struct {
	Title, Body, Status, StatusText, Window string
	Start                                   timeText
	Components                              []string
}

// monthGroup is a history heading with its incidents.
type monthGroup struct {
	Month     string
	Incidents []incidentCard
}

// pageView converts the public view into page data; it carries the
// locale and the relative root.
type pageView struct {
	*view
	l    *locale
	root string
}

func (p pageView) at(t time.Time) timeText {
	if t.IsZero() {
		return timeText{}
	}
	t = t.In(p.page.Location)
	return timeText{Attr: t.Format(timeAttr), Text: p.l.DateTime(t)}
}

func (p pageView) banner() banner {
	key := p.overall()
	b := banner{Class: "ind-" + string(p.indicator), Symbol: "!", Text: p.l.T(key)}
	switch key {
	case "banner.none":
		b.Symbol = "✓"
	case overallMaintenance:
		b.Class, b.Symbol = "ind-maintenance", "i"
	case overallBlind:
		b.Class, b.Symbol, b.Note = "ind-blind", "?", p.l.T("blind.note")
	case overallNoData, overallSomeNoData:
		b.Class, b.Symbol, b.Note = "ind-nodata", "?", p.l.T(key+".note")
	}
	return b
}

func (p pageView) componentNames(ids []string) []string {
	var out []string
	for _, id := range ids {
		if c, ok := p.component(id); ok {
			out = append(out, c.Name)
		}
	}
	return out
}

// incidentCard renders an incident; updates come newest first.
func (p pageView) incidentCard(inc store.Incident) incidentCard {
	id := strconv.FormatUint(inc.ID, 10)
	impact := inc.Impact
	impactText, ok := p.l.Impact.Lookup(impact)
	if !ok {
		impact, impactText = "none", p.l.Impact.None
	}
	c := incidentCard{ID: id, Href: p.root + "incidents/" + id + "/", Name: inc.Name,
		Impact: impact, ImpactText: impactText, Status: inc.Status,
		StatusText: p.l.IncidentStatus.Text(inc.Status), Components: p.componentNames(inc.Components),
		Started: p.at(firstNonZero(inc.StartedAt, inc.PublishedAt)), Resolved: p.at(inc.ResolvedAt)}
	for k := len(inc.Updates) - 1; k >= 0; k-- {
		u := inc.Updates[k]
		c.Updates = append(c.Updates, updateItem{Status: u.Status, StatusText: p.l.IncidentStatus.Text(u.Status),
			Body: u.Body, At: p.at(u.CreatedAt)})
	}
	if len(c.Updates) > 0 {
		c.Latest = &c.Updates[0]
	}
	return c
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func (p pageView) incidentCards(incs []store.Incident) []incidentCard {
	out := make([]incidentCard, 0, len(incs))
	for _, inc := range incs {
		out = append(out, p.incidentCard(inc))
	}
	return out
}

// maintenanceCards lists upcoming and active windows, soonest first.
func (p pageView) maintenanceCards() []maintenanceCard {
	var out []maintenanceCard
	for _, w := range p.maintenance {
		st := w.Status(p.now)
		if st == monitor.MaintenanceCompleted {
			continue
		}
		start, end := p.at(w.Start), p.at(w.End)
		if s, e := w.Start.In(p.page.Location), w.End.In(p.page.Location); s.YearDay() == e.YearDay() && s.Year() == e.Year() {
			zone, _ := e.Zone()
			end.Text = e.Format("15:04") + " " + zone // same day: the end time only
		}
		stText := p.l.Page.MaintScheduled
		if st == monitor.MaintenanceInProgress {
			stText = p.l.Page.MaintInProgress
		}
		out = append(out, maintenanceCard{Title: w.Title, Body: w.Body, Status: st, StatusText: stText,
			Window: fmt.Sprintf(p.l.Page.MaintWindow, start.Text, end.Text), Start: start, Components: p.componentNames(w.Components)})
	}
	return out
}

// recent returns public incidents that started within days of now, at
// most max, newest first (the view's order).
func (p pageView) recent(days, max int) []store.Incident {
	cutoff := p.now.AddDate(0, 0, -days)
	sorted := slices.Clone(p.incidents)
	slices.SortStableFunc(sorted, func(a, b store.Incident) int {
		return firstNonZero(b.StartedAt, b.PublishedAt).Compare(firstNonZero(a.StartedAt, a.PublishedAt))
	})
	var out []store.Incident
	for _, inc := range sorted {
		if len(out) == max {
			break
		}
		if firstNonZero(inc.StartedAt, inc.PublishedAt).Before(cutoff) && inc.State != store.IncidentPublished {
			continue
		}
		out = append(out, inc)
	}
	return out
}

// pastIncidents are the recently resolved ones for the front page.
func (p pageView) pastIncidents() []incidentCard {
	var out []incidentCard
	for _, inc := range p.recent(pastDays, historyMax) {
		if inc.State == store.IncidentResolved && len(out) < pastMax {
			out = append(out, p.incidentCard(inc))
		}
	}
	return out
}

// history groups the history range by month, newest first.
func (p pageView) history() []monthGroup {
	var out []monthGroup
	for _, inc := range p.recent(historyDays, historyMax) {
		card := p.incidentCard(inc)
		month := p.l.Month(firstNonZero(inc.StartedAt, inc.PublishedAt).In(p.page.Location))
		if len(out) == 0 || out[len(out)-1].Month != month {
			out = append(out, monthGroup{Month: month})
		}
		g := &out[len(out)-1]
		g.Incidents = append(g.Incidents, card)
	}
	return out
}
