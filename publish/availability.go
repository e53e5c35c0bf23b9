package publish

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/store"
)

// HistorySource computes availability; *store.DB implements it.
type HistorySource interface {
	Windows(subjects []store.Subject, windows []time.Duration, now time.Time, partialWeight float64) (map[store.Subject][]store.Window, error)
	Days(s store.Subject, n int, now time.Time, partialWeight float64) ([]store.Day, error)
	DaysFor(subjects []store.Subject, n int, now time.Time, partialWeight float64) (map[store.Subject][]store.Day, error)
}

// AvailabilityOptions configure availability reporting.
type AvailabilityOptions struct {
	History       HistorySource // nil: availability endpoints answer 503
	Windows       []time.Duration
	PartialWeight float64
}

// maxDays bounds days.json (history is kept 400 days by default).
const maxDays = 400

type secondsJSON struct {
	Up          float64 `json:"up"`
	Degraded    float64 `json:"degraded"`
	Partial     float64 `json:"partial"`
	Down        float64 `json:"down"`
	Maintenance float64 `json:"maintenance"`
	Unknown     float64 `json:"unknown"`
}

func secondsOf(s store.Seconds) secondsJSON {
	return secondsJSON{Up: s.Up, Degraded: s.Degraded, Partial: s.Partial, Down: s.Down, Maintenance: s.Maintenance, Unknown: s.Unknown}
}

// windowJSON: availability is a ratio from 0 to 1, uptime_percentage the
// same in percent rounded to 3 decimals; both null when nothing is known.
type windowJSON struct {
	From             time.Time   `json:"from"`
	To               time.Time   `json:"to"`
	Availability     *float64    `json:"availability"`
	UptimePercentage *float64    `json:"uptime_percentage"`
	Seconds          secondsJSON `json:"seconds"`
}

func percentage(r *float64) *float64 {
	if r == nil {
		return nil
	}
	p, _ := strconv.ParseFloat(strconv.FormatFloat(*r*100, 'f', 3, 64), 64)
	return &p
}

func (v *view) windowsJSON(ws []store.Window) map[string]windowJSON {
	out := make(map[string]windowJSON, len(ws))
	for _, w := range ws {
		out[store.WindowLabel(w.Duration)] = windowJSON{From: w.From.In(v.page.Location), To: w.To.In(v.page.Location),
			Availability: w.Ratio, UptimePercentage: percentage(w.Ratio), Seconds: secondsOf(w.Seconds)}
	}
	return out
}

func (s *Server) handleAvailability(w http.ResponseWriter, _ *http.Request, v *view) {
	a := s.opts.Availability
	if a.History == nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "availability is not available without a store")
		return
	}
	checks := s.opts.Monitor.Snapshot()
	subjects := make([]store.Subject, 0, len(v.components)+len(checks))
	for _, c := range v.components {
		subjects = append(subjects, store.ComponentSubject(c.ID))
	}
	for _, c := range checks {
		subjects = append(subjects, store.CheckSubject(c.Key))
	}
	res, err := a.History.Windows(subjects, a.Windows, v.now, a.PartialWeight)
	if err != nil {
		s.log.Error("availability query failed", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "availability temporarily unavailable")
		return
	}
	type compJSON struct {
		ID      string                `json:"id"`
		Name    string                `json:"name"`
		Windows map[string]windowJSON `json:"windows"`
	}
	type checkJSON struct {
		ID        string                `json:"id"`
		Key       string                `json:"key"`
		Name      string                `json:"name"`
		Component string                `json:"component"`
		Windows   map[string]windowJSON `json:"windows"`
	}
	doc := struct {
		GeneratedAt   time.Time   `json:"generated_at"`
		TimeZone      string      `json:"time_zone"`
		PartialWeight float64     `json:"partial_weight"`
		Windows       []string    `json:"windows"`
		Components    []compJSON  `json:"components"`
		Checks        []checkJSON `json:"checks"`
	}{GeneratedAt: v.now.In(v.page.Location), TimeZone: v.page.Location.String(), PartialWeight: a.PartialWeight,
		Components: []compJSON{}, Checks: []checkJSON{}}
	for _, d := range a.Windows {
		doc.Windows = append(doc.Windows, store.WindowLabel(d))
	}
	for _, c := range v.components {
		doc.Components = append(doc.Components, compJSON{ID: c.ID, Name: c.Name, Windows: v.windowsJSON(res[store.ComponentSubject(c.ID)])})
	}
	for _, c := range checks {
		doc.Checks = append(doc.Checks, checkJSON{ID: c.ID, Key: c.Key, Name: c.Name, Component: c.Component,
			Windows: v.windowsJSON(res[store.CheckSubject(c.Key)])})
	}
	httpjson.Write(w, http.StatusOK, doc)
}

func (s *Server) handleDays(w http.ResponseWriter, r *http.Request, v *view) {
	a := s.opts.Availability
	id := r.PathValue("id")
	if _, ok := v.component(id); !ok {
		httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("no component %q", id))
		return
	}
	n := 90
	if q := r.URL.Query().Get("days"); q != "" {
		d, err := strconv.Atoi(q)
		if err != nil || d < 1 || d > maxDays {
			httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("days must be a number from 1 to %d", maxDays))
			return
		}
		n = d
	}
	if a.History == nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "availability is not available without a store")
		return
	}
	days, err := a.History.Days(store.ComponentSubject(id), n, v.now, a.PartialWeight)
	if err != nil {
		s.log.Error("daily availability query failed", "component", id, "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "availability temporarily unavailable")
		return
	}
	type dayJSON struct {
		Date             string      `json:"date"`
		Availability     *float64    `json:"availability"`
		UptimePercentage *float64    `json:"uptime_percentage"`
		Seconds          secondsJSON `json:"seconds"`
	}
	out := make([]dayJSON, 0, len(days))
	for _, d := range days {
		out = append(out, dayJSON{Date: d.Date, Availability: d.Ratio, UptimePercentage: percentage(d.Ratio), Seconds: secondsOf(d.Seconds)})
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"component": id, "time_zone": v.page.Location.String(), "days": out})
}

// historyBars serves the page's day bars and uptime badges from the
// store's rollups. The page asks for every component at once
// (componentsDays); the result is kept for barsTTL, since daily values
// move slowly and a busy page must not cost one read per component.
type historyBars struct {
	opts AvailabilityOptions

	mu      sync.Mutex
	at      time.Time
	n       int
	ids     string
	days    map[string][]DayBar
	uptimes map[string]uptimes
}

// uptimes of a component over all its day bars and over the last
// narrowDays of them (what a narrow screen shows).
type uptimes struct{ all, narrow coverage }

// barsTTL is how long computed day bars are reused.
const barsTTL = 30 * time.Second

var (
	_ DaysSource   = (*historyBars)(nil)
	_ UptimeSource = (*historyBars)(nil)
)

// componentsDays returns day bars and the uptimes over those days for ids.
func (h *historyBars) componentsDays(ids []string, n int, now time.Time) (map[string][]DayBar, map[string]uptimes, error) {
	key := strings.Join(ids, "\x00")
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.days != nil && h.n == n && h.ids == key && now.Sub(h.at) < barsTTL && now.Sub(h.at) >= 0 &&
		now.In(h.loc()).YearDay() == h.at.In(h.loc()).YearDay() {
		return h.days, h.uptimes, nil
	}
	subjects := make([]store.Subject, len(ids))
	for i, id := range ids {
		subjects[i] = store.ComponentSubject(id)
	}
	res, err := h.opts.History.DaysFor(subjects, n, now, h.opts.PartialWeight)
	if err != nil {
		return nil, nil, err
	}
	days := make(map[string][]DayBar, len(ids))
	ups := make(map[string]uptimes, len(ids))
	for i, id := range ids {
		ds := res[subjects[i]]
		bars := make([]DayBar, len(ds))
		for k, d := range ds {
			bars[k] = DayBar{Date: d.Date, Ratio: d.Ratio, DownSeconds: d.Seconds.Down, PartialSeconds: d.Seconds.Partial,
				MaintenanceSeconds: d.Seconds.Maintenance, UnknownSeconds: d.Seconds.Unknown}
		}
		days[id] = bars
		ups[id] = uptimes{all: coverageOf(ds, h.opts.PartialWeight),
			narrow: coverageOf(ds[max(len(ds)-narrowDays, 0):], h.opts.PartialWeight)}
	}
	h.at, h.n, h.ids, h.days, h.uptimes = now, n, key, days, ups
	return days, ups, nil
}

func (h *historyBars) loc() *time.Location {
	if l, ok := h.opts.History.(interface{ Location() *time.Location }); ok && l.Location() != nil {
		return l.Location()
	}
	return time.UTC
}

// ComponentDays implements DaysSource.
func (h *historyBars) ComponentDays(id string, n int, now time.Time) ([]DayBar, error) {
	days, _, err := h.componentsDays([]string{id}, n, now)
	return days[id], err
}

// ComponentUptime implements UptimeSource.
func (h *historyBars) ComponentUptime(id string, window time.Duration, now time.Time) (*float64, error) {
	c, err := h.componentCoverage(id, window, now)
	return c.ratio, err
}
