package publish

import (
	"encoding/xml"
	"html"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// The tables of the tests that compare with one language.
var localeEN, localeDE, localeSV = *localeFor("en"), *localeFor("de"), *localeFor("sv")

// TestTemplateKeysAreKnown: every key web/page.html looks up exists in
// every language (an unknown key would show as itself).
func TestTemplateKeysAreKnown(t *testing.T) {
	page, err := fs.ReadFile(webFiles, "web/page.html")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`\.L\.Tf? "([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(keys) < 20 {
		t.Fatalf("found only %d keys in page.html", len(keys))
	}
	for _, lang := range text.Languages() {
		l := localeFor(lang)
		for _, k := range keys {
			if s, ok := l.lookup(k[1]); !ok || s == "" {
				t.Errorf("%s: page.html uses %q, which has no text", lang, k[1])
			}
		}
		for _, key := range []string{"banner.none", "banner.minor", "banner.major", "banner.critical", overallMaintenance,
			overallBlind, "blind.note", overallNoData, overallNoData + ".note", overallSomeNoData, overallSomeNoData + ".note"} {
			if s, ok := l.lookup(key); !ok || s == "" {
				t.Errorf("%s: banner %q has no text", lang, key)
			}
		}
	}
}

// TestEveryStatusHasAText: the monitor's and the store's enums against
// the table.
func TestEveryStatusHasAText(t *testing.T) {
	for _, lang := range text.Languages() {
		l := localeFor(lang)
		for _, st := range append(monitor.ComponentStatuses, statusNoData) {
			if s := l.componentStatus(string(st)); s == string(st) || s == "" {
				t.Errorf("%s: no text for component status %s", lang, st)
			}
		}
		for _, st := range []string{store.StatusInvestigating, store.StatusIdentified, store.StatusMonitoring, store.StatusResolved} {
			if s, ok := l.IncidentStatus.Lookup(st); !ok || s == "" {
				t.Errorf("%s: no text for incident status %s", lang, st)
			}
		}
		for _, imp := range []string{"none", "minor", "major", "critical", "maintenance"} {
			if s, ok := l.Impact.Lookup(imp); !ok || s == "" {
				t.Errorf("%s: no text for impact %s", lang, imp)
			}
		}
	}
}

// wordsSource shows one component per status and one incident per
// incident status.
type wordsSource struct {
	comps     []monitor.ComponentState
	checks    []monitor.CheckStatus
	incidents []store.Incident
}

func (w wordsSource) Snapshot() []monitor.CheckStatus          { return w.checks }
func (w wordsSource) Components() []monitor.ComponentState     { return w.comps }
func (w wordsSource) Blind() bool                              { return false }
func (w wordsSource) Started() time.Time                       { return wordsNow.Add(-time.Hour) }
func (w wordsSource) Maintenance() []monitor.MaintenanceWindow { return nil }

func (w wordsSource) Incidents(keep func(store.Incident) bool) ([]store.Incident, error) {
	var out []store.Incident
	for _, inc := range w.incidents {
		if keep == nil || keep(inc) {
			out = append(out, inc)
		}
	}
	return out, nil
}

var wordsNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// wordsStatuses are the incident statuses, with the incident id that
// carries each.
var wordsStatuses = []string{store.StatusInvestigating, store.StatusIdentified, store.StatusMonitoring, store.StatusResolved}

func newWordsSource() wordsSource {
	var w wordsSource
	for i, st := range monitor.ComponentStatuses {
		w.comps = append(w.comps, monitor.ComponentState{Component: monitor.Component{ID: string(st), Name: "Service " + strconv.Itoa(i)},
			Status: st, Since: wordsNow, Position: i + 1})
	}
	w.comps = append(w.comps, monitor.ComponentState{Component: monitor.Component{ID: statusNoData, Name: "Fresh"},
		Status: monitor.Operational, Since: wordsNow, Position: len(w.comps) + 1})
	w.checks = []monitor.CheckStatus{{Check: monitor.Check{Key: statusNoData + "/probe", ID: "probe", Component: statusNoData},
		CheckState: monitor.CheckState{State: monitor.StateUnknown}}}
	for i, st := range wordsStatuses {
		at := wordsNow.Add(-time.Duration(len(wordsStatuses)-i) * time.Hour)
		inc := store.Incident{ID: uint64(i + 1), State: store.IncidentPublished, Status: st, Name: "Incident " + st,
			Body: "Body.", Impact: "minor", Components: []string{"operational", "major_outage"},
			StartedAt: at, PublishedAt: at, CreatedAt: at,
			Updates: []store.IncidentUpdate{{ID: 1, Status: st, Body: "Update " + st + ".", CreatedAt: at.Add(time.Minute)}}}
		if st == store.StatusResolved {
			inc.State, inc.ResolvedAt = store.IncidentResolved, at.Add(time.Minute)
		}
		w.incidents = append(w.incidents, inc)
	}
	return w
}

func getBody(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// find returns the first submatch of pattern in s, HTML-unescaped.
func find(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Errorf("no match for %s", pattern)
		return ""
	}
	return html.UnescapeString(m[1])
}

// TestEveryOutputSaysWhatTheTableSays renders every component status and
// every incident status in every language on every public output that
// shows it (status page, history, incident page, Atom and RSS feeds,
// badges) and compares the words with package text's table. The mail,
// chat and webhook side is notify's TestEveryMessageSaysWhatTheTableSays.
func TestEveryOutputSaysWhatTheTableSays(t *testing.T) {
	src := newWordsSource()
	for _, lang := range text.Languages() {
		t.Run(lang, func(t *testing.T) {
			tb := text.For(lang)
			h := NewServer(ServerOptions{Monitor: src, Incidents: src, Now: func() time.Time { return wordsNow },
				Page: config.Page{Title: "Example", URL: "https://status.example.com", Language: lang, Location: time.UTC}}).Handler()
			components := map[string]string{
				"operational": tb.ComponentStatus.Operational, "degraded_performance": tb.ComponentStatus.DegradedPerformance,
				"partial_outage": tb.ComponentStatus.PartialOutage, "major_outage": tb.ComponentStatus.MajorOutage,
				"under_maintenance": tb.ComponentStatus.UnderMaintenance, statusNoData: tb.ComponentStatus.NoData,
			}
			incidents := map[string]string{
				store.StatusInvestigating: tb.IncidentStatus.Investigating, store.StatusIdentified: tb.IncidentStatus.Identified,
				store.StatusMonitoring: tb.IncidentStatus.Monitoring, store.StatusResolved: tb.IncidentStatus.Resolved,
			}
			affects := tb.Affects + ": " + tb.Join([]string{"Service 0", "Service 3"})

			index := getBody(t, h, "/")
			if len(components) != len(monitor.ComponentStatuses)+1 {
				t.Fatalf("the test misses a component status")
			}
			for st, want := range components {
				page := find(t, index, `id="c-`+st+`">\s*<div class="comp-head"><h3 class="comp-name">[^<]*</h3><p class="status st-`+st+
					`"><span class="dot" aria-hidden="true"></span>([^<]*)</p>`)
				badge := find(t, getBody(t, h, "/badge/"+st+".svg"), `<title>[^<:]*: ([^<]*)</title>`)
				if page != want || badge != want {
					t.Errorf("component %s: page %q, badge %q, table %q", st, page, badge, want)
				}
			}

			history, atom, rss := getBody(t, h, "/history/"), getBody(t, h, "/history.atom"), getBody(t, h, "/history.rss")
			var feed struct {
				Entries []struct {
					Title   string `xml:"title"`
					Content string `xml:"content"`
				} `xml:"entry"`
			}
			var channel struct {
				Items []struct {
					Title       string `xml:"title"`
					Description string `xml:"description"`
				} `xml:"channel>item"`
			}
			if err := xml.Unmarshal([]byte(atom), &feed); err != nil {
				t.Fatal(err)
			}
			if err := xml.Unmarshal([]byte(rss), &channel); err != nil {
				t.Fatal(err)
			}
			for i, st := range wordsStatuses {
				want, id := incidents[st], strconv.Itoa(i+1)
				card := `<a href="[^"]*incidents/` + id + `/">[^<]*</a></h3>\s*<p class="meta"><span class="pill pill-` + st + `">([^<]*)</span>`
				one := getBody(t, h, "/incidents/"+id+"/")
				got := map[string]string{
					"history":           find(t, history, card),
					"incident":          find(t, one, `<span class="pill pill-`+st+`">([^<]*)</span>`),
					"incident timeline": find(t, one, `<p class="upd-head"><strong>([^<]*)</strong>`),
					"incident affects":  find(t, one, `<dt>([^<]*</dt><dd>[^<]*)</dd>\s*</dl>`),
				}
				if st != store.StatusResolved { // the front page lists open incidents with their status
					got["front page"] = find(t, index, card)
					got["front page affects"] = find(t, index, `incidents/`+id+`/">(?s:.*?)<span>([^<]*)</span></p>`)
				}
				for _, e := range feed.Entries {
					if e.Title == "Incident "+st {
						got["atom"], _, _ = strings.Cut(e.Content, " – ")
					}
				}
				for _, it := range channel.Items {
					if it.Title == "Incident "+st {
						got["rss"], _, _ = strings.Cut(it.Description, " – ")
					}
				}
				for _, output := range []string{"history", "incident", "incident timeline", "front page", "atom", "rss"} {
					if s, ok := got[output]; (ok || output != "front page") && s != want {
						t.Errorf("incident status %s on the %s: %q, table %q", st, output, s, want)
					}
				}
				for _, output := range []string{"front page affects", "incident affects"} {
					s, ok := got[output]
					s = strings.Replace(s, "</dt><dd>", ": ", 1)
					if ok && s != affects {
						t.Errorf("%s of %s: %q, want %q", output, st, s, affects)
					}
				}
			}
		})
	}
}
