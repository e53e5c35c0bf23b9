package publish

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/store"
)

// An uptime figure says what it covers (outpost states only what it
// knows): availability is computed over known time only, so a page
// monitored for 30 seconds would otherwise show a "90 day" figure for those 30 seconds. Where less than
// 99 % of a range was monitored, the figure says since when there is data
// if that is after the range's first day (a new page, a component added
// later, a monitor blind at first: "99.87% uptime since Dec 2"), else how
// much of the range was seen (a long blind period or a stopped daemon:
// "..., 61% of the time monitored"). Maintenance is monitored time: SPEC
// §8 excludes it from availability by definition, so it is not a gap.
// Shorter gaps (restarts) move a figure too little to mention.

// minMonitored is the monitored share of a range below which a figure
// says how much of its range it covers.
const minMonitored = 0.99

// coverage is an uptime figure and the part of its range it covers.
type coverage struct {
	ratio *float64 // nil: nothing known
	since string   // YYYY-MM-DD: the first day with data, when after the range's first day
	share float64  // monitored share of the range, 0 to 1
}

// coverageOf sums days, oldest first, into one figure.
func coverageOf(days []store.Day, partialWeight float64) coverage {
	var sum store.Seconds
	first := -1
	for i, d := range days {
		sum.Add(d.Seconds)
		if first < 0 && d.Seconds.Total() > d.Seconds.Unknown {
			first = i
		}
	}
	c := coverage{ratio: sum.Ratio(partialWeight), share: monitoredShare(sum)}
	if first > 0 {
		c.since = days[first].Date
	}
	return c
}

// monitoredShare is the part of s that was not unknown.
func monitoredShare(s store.Seconds) float64 {
	if total := s.Total(); total > 0 {
		return (total - s.Unknown) / total
	}
	return 1
}

// coverageNote says what c leaves out when it covers less than
// minMonitored of its range: "since" with the first day with data, else
// "share" with the monitored share; "" when c covers its range.
func (l *locale) coverageNote(c coverage, now time.Time, loc *time.Location) (kind, arg string) {
	if c.share >= minMonitored {
		return "", ""
	}
	if d, err := time.ParseInLocation(dayLayout, c.since, loc); err == nil {
		return "since", l.DayMonth(d.Add(12*time.Hour), now.In(loc))
	}
	return "share", strconv.Itoa(int(math.Floor(c.share*100))) + l.Dates.Percent
}

// uptimeCaption is the page's text for c: "99.87% uptime", "... since
// Dec 2" or "..., 61% of the time monitored"; "" when nothing is known.
func (l *locale) uptimeCaption(c coverage, now time.Time, loc *time.Location) string {
	if c.ratio == nil {
		return ""
	}
	pct := l.Percent(*c.ratio)
	switch kind, arg := l.coverageNote(c, now, loc); kind {
	case "since":
		return fmt.Sprintf(l.Page.UptimeSince, pct, arg)
	case "share":
		return fmt.Sprintf(l.Page.UptimeShare, pct, arg)
	}
	return fmt.Sprintf(l.Page.Uptime, pct)
}

// badgeUptime is an uptime badge's message for c over window: "99.87%
// (30d)", "99.87% (since Dec 2)" or "99.87% (30d, 61% monitored)".
func (l *locale) badgeUptime(c coverage, window string, now time.Time, loc *time.Location) string {
	if c.ratio == nil {
		return l.Page.BadgeNA + " (" + window + ")"
	}
	pct := l.Percent(*c.ratio)
	switch kind, arg := l.coverageNote(c, now, loc); kind {
	case "since":
		return fmt.Sprintf(l.Page.BadgeSince, pct, arg)
	case "share":
		return fmt.Sprintf(l.Page.BadgeShare, pct, window, arg)
	}
	return pct + " (" + window + ")"
}

// coverageSource is an UptimeSource that also tells what its figures
// cover; historyBars implements it.
type coverageSource interface {
	componentCoverage(id string, window time.Duration, now time.Time) (coverage, error)
}

var _ coverageSource = (*historyBars)(nil)

// uptimeCoverage reads a component's uptime over window, with its
// coverage when the source knows it.
func (s *Server) uptimeCoverage(id string, window time.Duration, now time.Time) (coverage, error) {
	if cs, ok := s.opts.Uptime.(coverageSource); ok {
		return cs.componentCoverage(id, window, now)
	}
	ratio, err := s.opts.Uptime.ComponentUptime(id, window, now)
	return coverage{ratio: ratio, share: 1}, err
}

// componentCoverage implements coverageSource: the figure from the
// window, and where its unknown time lies from the days it spans.
func (h *historyBars) componentCoverage(id string, window time.Duration, now time.Time) (coverage, error) {
	s := store.ComponentSubject(id)
	res, err := h.opts.History.Windows([]store.Subject{s}, []time.Duration{window}, now, h.opts.PartialWeight)
	if err != nil || len(res[s]) == 0 {
		return coverage{share: 1}, err
	}
	w := res[s][0]
	c := coverage{ratio: w.Ratio, share: monitoredShare(w.Seconds)}
	if c.ratio == nil || c.share >= minMonitored {
		return c, nil
	}
	loc := h.loc()
	days, err := h.opts.History.Days(s, calendarDays(w.From.In(loc), now.In(loc)), now, h.opts.PartialWeight)
	if err != nil {
		return c, err
	}
	c.since = coverageOf(days, h.opts.PartialWeight).since
	return c, nil
}

// calendarDays counts the calendar days from a's to b's, both included.
func calendarDays(a, b time.Time) int {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	return int(day(b).Sub(day(a))/(24*time.Hour)) + 1
}
