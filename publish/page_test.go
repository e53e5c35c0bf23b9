package publish

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/monitor"
)

// fetch renders one path through the server's handler.
func fetch(t testing.TB, s *Server, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result(), rec.Body.String()
}

func TestStatusPageContent(t *testing.T) {
	tests := []struct {
		name     string
		opts     pageOptions
		path     string
		want     []string
		wantNot  []string
		wantCode int
	}{
		{"front page", pageOptions{}, "/", []string{
			`<html lang="en">`, "Example Status", "Partial system outage",
			"Telephony", "Major outage", "Website", "Operational", "Calls and SIP trunks",
			"Active incidents", "Telephony unavailable", "Calls may fail to connect.", "We found the cause.",
			"Identified", "Investigating", "Nov 24, 2026, 10:50 CET", // update time in Europe/Berlin
			"Scheduled maintenance", "SBC upgrade", "Calls may drop briefly.", "Nov 25, 2026, 11:00 CET – 13:00 CET",
			"Past incidents", "Website slow", `href="history/"`, `href="incidents/3/"`, `href="incidents/1/"`,
			"99.87% uptime", "Oct 7, 2026: 93.00% available. Outage: 1 h 40 min", "No data", "Maintenance: 2 h",
			`class="skip" href="#main"`, `<main id="main"`, "Last updated",
		}, []string{"All systems operational", "CMS update", "Monitoring data is delayed"}, 200},
		{"blind", pageOptions{blind: true}, "/", []string{"Monitoring data is delayed", "the systems below show no data",
			"st-nodata\"><span class=\"dot\" aria-hidden=\"true\"></span>No data<"},
			[]string{"All systems operational", "Major outage<", "Operational<"}, 200},
		{"german", pageOptions{lang: "de"}, "/", []string{`<html lang="de">`, "Teilweiser Systemausfall",
			"Schwerer Ausfall", "Betriebsbereit", "Aktuelle Störungen", "Ursache gefunden", "24. Nov. 2026, 10:50 CET",
			"Geplante Wartungen", "99,87 % Verfügbarkeit", "Vergangene Störungen", "Zum Inhalt springen"},
			[]string{"Partial system outage", "Major outage"}, 200},
		{"swedish", pageOptions{lang: "sv"}, "/", []string{`<html lang="sv">`, "Delvis systemavbrott",
			"Större avbrott", "I drift", "Pågående störningar", "Orsak hittad", "24 nov. 2026 10:50 CET",
			"Planerat underhåll", "99,87 % tillgänglighet", "Hoppa till innehållet"},
			[]string{"Partial system outage"}, 200},
		{"no sources", pageOptions{noSrc: true}, "/", []string{"No data"}, []string{"uptime", "% available"}, 200},
		{"history", pageOptions{}, "/history", []string{"Incident history", "November 2026", "Telephony unavailable",
			"Website slow", `href="incidents/1/"`, "Incidents of the last 90 days"}, nil, 200},
		{"history dir", pageOptions{}, "/history/", []string{`href="../incidents/1/"`, `href="../"`}, nil, 200},
		{"history german", pageOptions{lang: "de"}, "/history/", []string{"Störungsverlauf", "November 2026"}, nil, 200},
		{"incident", pageOptions{}, "/incidents/1/", []string{"<h1>Website slow</h1>", "Pages load slowly.",
			"A fix is in place.", "All good again.", "Resolved", "Minor impact", `href="../../"`}, nil, 200},
		{"open incident", pageOptions{}, "/incidents/3", []string{"Telephony unavailable", "We found the cause."},
			[]string{"Resolved"}, 200},
		{"draft is 404", pageOptions{}, "/incidents/4", []string{"Page not found"}, nil, 404},
		{"discarded is 404", pageOptions{}, "/incidents/2/", []string{"Page not found"}, nil, 404},
		{"unknown is 404", pageOptions{}, "/incidents/99", []string{"Page not found"}, nil, 404},
		{"bad id is 404", pageOptions{}, "/incidents/x", []string{"Page not found"}, nil, 404},
		{"unknown page", pageOptions{lang: "sv"}, "/nope/deeper", []string{"Sidan hittades inte", `href="../"`}, nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetch(t, newStatusServer(t, tt.opts), tt.path)
			if resp.StatusCode != tt.wantCode || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(body, w) {
					t.Errorf("page contains %q", w)
				}
			}
			checkHTML(t, body)
		})
	}
}

func TestBannerNeverOperationalWhenFailing(t *testing.T) {
	ok := monitor.ComponentState{Component: monitor.Component{ID: "a", Name: "A"}, Status: monitor.Operational}
	tests := []struct {
		name     string
		statuses []monitor.ComponentStatus
		blind    bool
		want     string
	}{
		{"all up", []monitor.ComponentStatus{monitor.Operational}, false, "banner.none"},
		{"degraded", []monitor.ComponentStatus{monitor.DegradedPerformance}, false, "banner.minor"},
		{"partial", []monitor.ComponentStatus{monitor.PartialOutage, monitor.Operational}, false, "banner.minor"},
		{"major", []monitor.ComponentStatus{monitor.MajorOutage, monitor.Operational}, false, "banner.major"},
		{"critical", []monitor.ComponentStatus{monitor.MajorOutage}, false, "banner.critical"},
		{"maintenance", []monitor.ComponentStatus{monitor.UnderMaintenance, monitor.Operational}, false, "banner.maintenance"},
		{"blind and up", []monitor.ComponentStatus{monitor.Operational}, true, "banner.blind"},
		{"blind and down", []monitor.ComponentStatus{monitor.MajorOutage}, true, "banner.blind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &view{blind: tt.blind}
			for i, st := range tt.statuses {
				c := ok
				c.ID, c.Status = fmt.Sprint(i), st
				v.components = append(v.components, c)
			}
			v.indicator = monitor.PageIndicator(tt.statuses)
			b := pageView{view: v, l: &localeEN}.banner()
			if b.Text != localeEN.T(tt.want) {
				t.Errorf("banner = %q, want %q", b.Text, localeEN.T(tt.want))
			}
			if tt.want != "banner.none" && b.Text == localeEN.T("banner.none") {
				t.Error("all systems operational while something is wrong")
			}
		})
	}
}

func TestNoExternalAssets(t *testing.T) {
	s := newStatusServer(t, pageOptions{url: "https://status.example.com"})
	attr := regexp.MustCompile(`(?i)\b(?:src|href|action|poster|srcset)\s*=\s*"([^"]*)"`)
	for _, path := range []string{"/", "/history", "/incidents/3", "/incidents/4"} {
		t.Run(path, func(t *testing.T) {
			_, body := fetch(t, s, path)
			lower := strings.ToLower(body)
			for _, bad := range []string{"<script", "<link href=http", "@import", "url(http", "url(//", "<iframe", "<img", "<object", "<embed"} {
				if strings.Contains(lower, bad) {
					t.Errorf("page contains %q", bad)
				}
			}
			for _, m := range attr.FindAllStringSubmatch(body, -1) {
				u := m[1]
				switch {
				case strings.HasPrefix(u, "https://status.example.com/"), strings.HasPrefix(u, "data:image/png;base64,"):
				case strings.Contains(u, ":") || strings.HasPrefix(u, "//"):
					t.Errorf("reference leaves the origin: %q", u)
				}
			}
		})
	}
}

var (
	tagRE   = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>`)
	styleRE = regexp.MustCompile(`(?s)<style>.*?</style>`)
	voidTag = map[string]bool{"meta": true, "link": true, "br": true, "img": true, "input": true, "hr": true}
)

// checkHTML is a structure smoke test: one doctype, elements nest
// properly, headings start at h1 and never skip a level.
func checkHTML(t *testing.T, body string) {
	t.Helper()
	if !strings.HasPrefix(body, "<!DOCTYPE html>\n<html lang=") || strings.Count(body, "<main") != 1 {
		t.Fatalf("not a complete HTML page: %.80q", body)
	}
	var stack []string
	level := 0
	for _, m := range tagRE.FindAllStringSubmatch(styleRE.ReplaceAllString(body, "<style></style>"), -1) {
		name := strings.ToLower(m[2])
		if voidTag[name] {
			continue
		}
		if m[1] == "" {
			stack = append(stack, name)
			if len(name) == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6' {
				h := int(name[1] - '0')
				if h > level+1 {
					t.Errorf("heading h%d follows h%d", h, level)
				}
				level = h
			}
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != name {
			t.Fatalf("</%s> closes %v", name, stack)
		}
		stack = stack[:len(stack)-1]
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements %v", stack)
	}
}
