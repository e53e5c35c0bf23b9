package publish

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/monitor"
)

// Badges are flat, shields-like SVGs: /badge/{component}.svg shows the
// component's status, ?type=uptime&window=30d its availability over the
// window. Every text is XML-escaped.

const (
	badgeGrey      = "#6e7781"
	maxBadgeWindow = 400 * 24 * time.Hour
)

// statusColours by shownStatus.
var statusColours = map[string]string{
	string(monitor.Operational):         "#1a7f37",
	string(monitor.DegradedPerformance): "#9a6700",
	string(monitor.PartialOutage):       "#bc4c00",
	string(monitor.MajorOutage):         "#cf222e",
	string(monitor.UnderMaintenance):    "#0b5cad",
	statusNoData:                        badgeGrey,
}

func uptimeColour(r float64) string {
	switch {
	case r >= 0.999:
		return "#1a7f37"
	case r >= 0.99:
		return "#5a8a00"
	case r >= 0.95:
		return "#9a6700"
	}
	return "#cf222e"
}

func (s *Server) handleBadge(w http.ResponseWriter, r *http.Request, v *view) {
	l := localeFor(s.opts.Page.Language)
	id, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	c, found := v.component(id)
	if !ok || !found {
		writeSVG(w, http.StatusNotFound, badge("outpost", l.Page.BadgeUnknown, badgeGrey))
		return
	}
	switch r.URL.Query().Get("type") {
	case "", "status":
		st := v.shownStatus(c)
		writeSVG(w, http.StatusOK, badge(c.Name, l.componentStatus(st), statusColours[st]))
	case "uptime":
		window, err := parseWindow(r.URL.Query().Get("window"))
		if err != nil {
			httpjson.Error(w, http.StatusBadRequest, err.Error())
			return
		}
		var cov coverage
		if s.opts.Uptime != nil {
			if cov, err = s.uptimeCoverage(c.ID, window, v.now); err != nil {
				s.log.Warn("reading uptime failed", "component", c.ID, "err", err)
				cov = coverage{}
			}
		}
		colour := badgeGrey
		if cov.ratio != nil {
			colour = uptimeColour(*cov.ratio)
		}
		writeSVG(w, http.StatusOK, badge(c.Name, l.badgeUptime(cov, formatWindow(window), v.now, v.page.Location), colour))
	default:
		httpjson.Error(w, http.StatusBadRequest, "type must be status or uptime")
	}
}

// parseWindow reads "30d", "24h" or any Go duration; empty is 30 days.
func parseWindow(s string) (time.Duration, error) {
	if s == "" {
		return 30 * 24 * time.Hour, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("window %q: use a number of days like 30d or a duration like 24h", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("window %q: use a number of days like 30d or a duration like 24h", s)
		}
	}
	if d < time.Hour || d > maxBadgeWindow {
		return 0, fmt.Errorf("window %q: must be between 1h and 400d", s)
	}
	return d, nil
}

func formatWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// textWidth approximates the width of s in 11 px Verdana.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("iljI.,:;'|!", r):
			w += 3.4
		case r == ' ' || strings.ContainsRune("frt()[]", r):
			w += 4.6
		case r == 'm' || r == 'w' || r == 'M' || r == 'W' || r == '%':
			w += 10.2
		case r >= 'A' && r <= 'Z':
			w += 7.6
		default:
			w += 6.6
		}
	}
	return w
}

// badge draws a flat two-part badge.
func badge(label, message, colour string) []byte {
	lw, mw := textWidth(label)+12, textWidth(message)+12
	total := lw + mw
	title := esc(label + ": " + message)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="20" role="img" aria-label="%s">`, total, title)
	fmt.Fprintf(&sb, `<title>%s</title>`, title)
	sb.WriteString(`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	fmt.Fprintf(&sb, `<clipPath id="r"><rect width="%.0f" height="20" rx="3" fill="#fff"/></clipPath>`, total)
	fmt.Fprintf(&sb, `<g clip-path="url(#r)"><rect width="%.0f" height="20" fill="#555"/><rect x="%.0f" width="%.0f" height="20" fill="%s"/><rect width="%.0f" height="20" fill="url(#s)"/></g>`,
		lw, lw, mw, esc(colour), total)
	sb.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`)
	for _, t := range []struct {
		x    float64
		text string
	}{{lw / 2, label}, {lw + mw/2, message}} {
		fmt.Fprintf(&sb, `<text x="%.1f" y="15" fill="#010101" fill-opacity=".3">%s</text><text x="%.1f" y="14">%s</text>`,
			t.x, esc(t.text), t.x, esc(t.text))
	}
	sb.WriteString("</g></svg>\n")
	return []byte(sb.String())
}

func esc(s string) string {
	var sb strings.Builder
	_ = xml.EscapeText(&sb, []byte(s)) // a strings.Builder does not fail
	return sb.String()
}

func writeSVG(w http.ResponseWriter, status int, svg []byte) {
	w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(svg)
}
