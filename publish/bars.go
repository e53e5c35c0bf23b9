package publish

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

// Day bar colour classes, by availability.
const (
	barNoData      = "d0" // grey: no data or only unknown time
	barMaintenance = "dm" // blue: maintenance, nothing failed
	barGood        = "d4" // ≥ 99.95 %
	barFair        = "d3" // ≥ 99 %
	barPoor        = "d2" // ≥ 95 %
	barBad         = "d1" // below
)

func barClass(b DayBar) string {
	failed := b.DownSeconds > 0 || b.PartialSeconds > 0
	switch {
	case b.MaintenanceSeconds > 0 && !failed:
		return barMaintenance
	case b.Ratio == nil:
		return barNoData
	case *b.Ratio >= 0.9995:
		return barGood
	case *b.Ratio >= 0.99:
		return barFair
	case *b.Ratio >= 0.95:
		return barPoor
	}
	return barBad
}

// barDay is one day of the bar range.
type barDay struct {
	key  string // YYYY-MM-DD
	text string // localised date
}

// barDays returns the last n days in loc, oldest first.
func (p pageView) barDays(n int) []barDay {
	dates := barDates(p.now, p.page.Location, n)
	out := make([]barDay, n)
	for i, d := range dates {
		out[i] = barDay{key: d.Format(dayLayout), text: p.l.Date(d)}
	}
	return out
}

// barDates returns the last n days in loc, oldest first, at noon.
func barDates(now time.Time, loc *time.Location, n int) []time.Time {
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, loc)
	out := make([]time.Time, n)
	for i := range n {
		out[i] = today.AddDate(0, 0, i-n+1)
	}
	return out
}

// dayBars renders a component's bars, one per day whatever the source
// returned (missing days show "no data"). With 200 components this is
// 18,000 elements, too slow through the template engine, so they are
// written here; every text goes through html.EscapeString.
func (p pageView) dayBars(days []barDay, src []DayBar) template.HTML {
	byDate := make(map[string]DayBar, len(src))
	for _, b := range src {
		byDate[b.Date] = b
	}
	var sb strings.Builder
	sb.Grow(len(days) * 110)
	for _, d := range days {
		b, ok := byDate[d.key]
		if !ok {
			b = DayBar{Date: d.key}
		}
		sb.WriteString(`<li class="`)
		sb.WriteString(barClass(b))
		sb.WriteString(`" tabindex="0"><span class="tip">`)
		sb.WriteString(html.EscapeString(p.barTip(d.text, b)))
		sb.WriteString("</span></li>")
	}
	return template.HTML(sb.String()) // built from escaped text above
}

// barTip is the text of a bar's tooltip: date, availability and time lost.
func (p pageView) barTip(date string, b DayBar) string {
	var sb strings.Builder
	sb.WriteString(date)
	sb.WriteString(": ")
	if b.Ratio == nil {
		sb.WriteString(p.l.ComponentStatus.NoData)
	} else {
		sb.WriteString(fmt.Sprintf(p.l.Page.BarAvailable, p.l.Percent(*b.Ratio)))
	}
	lost := false
	for _, part := range []struct {
		format string
		sec    float64
	}{{p.l.Page.BarDown, b.DownSeconds}, {p.l.Page.BarPartial, b.PartialSeconds},
		{p.l.Page.BarMaintenance, b.MaintenanceSeconds}, {p.l.Page.BarUnknown, b.UnknownSeconds}} {
		if part.sec >= 1 {
			sb.WriteString(". ")
			sb.WriteString(fmt.Sprintf(part.format, p.l.Duration(part.sec)))
			lost = true
		}
	}
	if !lost && b.Ratio != nil {
		sb.WriteString(". ")
		sb.WriteString(p.l.Page.BarClean)
	}
	return sb.String()
}

// componentRows reads the day bars and uptime of every component. A
// source that fails shows "no data" and is logged: the page must render
// whatever the store does.
func (s *Server) componentRows(p pageView) []componentRow {
	days := p.barDays(barDays)
	rows := make([]componentRow, 0, len(p.components))
	// The store's source answers for all components in one read.
	batch, _ := s.opts.Days.(*historyBars)
	var allBars map[string][]DayBar
	var allUptime map[string]uptimes
	if batch != nil {
		ids := make([]string, len(p.components))
		for i, c := range p.components {
			ids[i] = c.ID
		}
		var err error
		if allBars, allUptime, err = batch.componentsDays(ids, barDays, p.now); err != nil {
			s.log.Warn("reading day bars failed", "err", err)
		}
	}
	uptime := func(c coverage) string { return p.l.uptimeCaption(c, p.now, p.page.Location) }
	for _, c := range p.components {
		st := p.shownStatus(c)
		row := componentRow{ID: c.ID, Name: c.Name, Description: c.Description, Status: st,
			StatusText: p.l.componentStatus(st), BarsLabel: fmt.Sprintf(p.l.Page.Bars, c.Name)}
		var bars []DayBar
		switch {
		case batch != nil:
			bars = allBars[c.ID]
		case s.opts.Days != nil:
			var err error
			if bars, err = s.opts.Days.ComponentDays(c.ID, barDays, p.now); err != nil {
				s.log.Warn("reading day bars failed", "component", c.ID, "err", err)
			}
		}
		row.Bars = p.dayBars(days, bars)
		if u, ok := allUptime[c.ID]; batch != nil && ok {
			row.Uptime, row.Uptime30 = uptime(u.all), uptime(u.narrow)
		} else if s.opts.Uptime != nil {
			for _, w := range []struct {
				days int
				into *string
			}{{barDays, &row.Uptime}, {narrowDays, &row.Uptime30}} {
				cov, err := s.uptimeCoverage(c.ID, time.Duration(w.days)*24*time.Hour, p.now)
				if err != nil {
					s.log.Warn("reading uptime failed", "component", c.ID, "err", err)
					break
				}
				*w.into = uptime(cov)
			}
		}
		rows = append(rows, row)
	}
	return rows
}
