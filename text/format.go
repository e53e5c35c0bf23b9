package text

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// format expands pattern's placeholders (see Dates); it runs for every
// day bar of the status page, so it avoids building a strings.Replacer.
func (t *Table) format(pattern string, at time.Time) string {
	var sb strings.Builder
	sb.Grow(len(pattern) + 16)
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '{' || i+2 >= len(pattern) || pattern[i+2] != '}' {
			sb.WriteByte(pattern[i])
			continue
		}
		switch pattern[i+1] {
		case 'd':
			sb.WriteString(strconv.Itoa(at.Day()))
		case 'm':
			sb.WriteString(t.Dates.ShortMonths[at.Month()-1])
		case 'M':
			sb.WriteString(t.Dates.Months[at.Month()-1])
		case 'y':
			sb.WriteString(strconv.Itoa(at.Year()))
		case 't':
			sb.WriteString(at.Format("15:04"))
		case 'z':
			zone, _ := at.Zone()
			sb.WriteString(zone)
		default:
			sb.WriteString(pattern[i : i+3])
		}
		i += 2
	}
	return sb.String()
}

// Date formats a calendar day.
func (t *Table) Date(at time.Time) string { return t.format(t.Dates.Date, at) }

// DayMonth formats a calendar day, without the year when it is now's.
func (t *Table) DayMonth(at, now time.Time) string {
	if at.Year() != now.Year() {
		return t.Date(at)
	}
	return t.format(t.Dates.DayMonth, at)
}

// DateTime formats a moment with the zone abbreviation; at must already
// be in the time zone to show.
func (t *Table) DateTime(at time.Time) string { return t.format(t.Dates.DateTime, at) }

// Month formats a month heading.
func (t *Table) Month(at time.Time) string { return t.format(t.Dates.Month, at) }

// Percent formats a ratio as a percentage with two decimals, never
// rounding up to 100 % when something was lost, written as the language
// writes it: 99.87% in English, 99,87 % in German and Swedish.
func (t *Table) Percent(r float64) string {
	p := math.Floor(r*10000) / 100
	s := strconv.FormatFloat(p, 'f', 2, 64)
	if p == 100 {
		s = "100"
	}
	return strings.Replace(s, ".", t.Dates.Decimal, 1) + t.Dates.Percent
}

// Duration formats a number of seconds briefly: "2 h 5 min", "45 s".
func (t *Table) Duration(sec float64) string {
	d := time.Duration(math.Round(sec)) * time.Second
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	u := &t.Dates
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d %s %d %s", h, u.Hours, m, u.Minutes)
	case h > 0:
		return fmt.Sprintf("%d %s", h, u.Hours)
	case m > 0:
		return fmt.Sprintf("%d %s", m, u.Minutes)
	}
	return fmt.Sprintf("%d %s", s, u.Seconds)
}
