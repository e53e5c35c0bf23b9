package publish

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
)

// knownMonitor is a monitor whose checks' states are given per test.
type knownMonitor struct {
	comps  []monitor.ComponentState
	checks []monitor.CheckStatus
	blind  bool
}

func (m knownMonitor) Snapshot() []monitor.CheckStatus {
	out := make([]monitor.CheckStatus, len(m.checks))
	for i, c := range m.checks {
		if out[i] = c; m.blind {
			out[i].State = monitor.StateUnknown // as monitor.Snapshot does
		}
	}
	return out
}
func (m knownMonitor) Components() []monitor.ComponentState     { return m.comps }
func (m knownMonitor) Blind() bool                              { return m.blind }
func (m knownMonitor) Started() time.Time                       { return testNow.Add(-time.Minute) }
func (m knownMonitor) Maintenance() []monitor.MaintenanceWindow { return nil }
func (m knownMonitor) with(id string, st monitor.ComponentStatus, check monitor.State) knownMonitor {
	m.comps = append(m.comps, monitor.ComponentState{Component: monitor.Component{ID: id, Name: strings.ToUpper(id),
		Checks: []string{id + "/main"}}, Status: st, Since: testNow.Add(-time.Minute), Position: len(m.comps) + 1})
	m.checks = append(m.checks, monitor.CheckStatus{Check: monitor.Check{Key: id + "/main", ID: "main", Name: "Main", Component: id},
		CheckState: monitor.CheckState{State: check}})
	return m
}

// Scenarios of missing data, each shown in every language.
var (
	neverSeen = knownMonitor{}.with("api", monitor.Operational, monitor.StateUnknown).
			with("web", monitor.Operational, monitor.StateUnknown)
	someSeen = knownMonitor{}.with("api", monitor.Operational, monitor.StateUnknown).
			with("web", monitor.Operational, monitor.StateUp)
	blindAfterOutage = func() knownMonitor {
		m := knownMonitor{}.with("api", monitor.MajorOutage, monitor.StateDown).with("web", monitor.Operational, monitor.StateUp)
		m.blind = true
		return m
	}()
)

// noDataWords are the status and banners in each language.
var noDataWords = map[string]struct{ noData, operational, notYet, some, delayed string }{
	"en": {"No data", "Operational", "Monitoring data is not yet available", "Some systems have no monitoring data yet", "Monitoring data is delayed"},
	"de": {"Keine Daten", "Betriebsbereit", "Überwachungsdaten liegen noch nicht vor", "Für einige Systeme liegen noch keine Überwachungsdaten vor", "Überwachungsdaten sind verzögert"},
	"sv": {"Inga data", "I drift", "Övervakningsdata saknas ännu", "Vissa system saknar ännu övervakningsdata", "Övervakningsdata är försenade"},
}

func TestUnknownIsNotOperational(t *testing.T) {
	tests := []struct {
		name        string
		mon         knownMonitor
		banner      func(lang string) string
		noData      []string // components shown as "No data"
		operational []string // ... and as operational
		indicator   string
		description string
		spStatus    map[string]string // components.json status by id
	}{
		{"never seen", neverSeen, func(l string) string { return noDataWords[l].notYet }, []string{"api", "web"}, nil,
			"none", "Monitoring data is not yet available", map[string]string{"api": "operational", "web": "operational"}},
		{"some never seen", someSeen, func(l string) string { return noDataWords[l].some }, []string{"api"}, []string{"web"},
			"none", "Some systems have no monitoring data yet", map[string]string{"api": "operational", "web": "operational"}},
		{"blind", blindAfterOutage, func(l string) string { return noDataWords[l].delayed }, []string{"api", "web"}, nil,
			"major", "Monitoring data is delayed", map[string]string{"api": "major_outage", "web": "operational"}},
	}
	for _, tt := range tests {
		for _, lang := range []string{"en", "de", "sv"} {
			t.Run(tt.name+"/"+lang, func(t *testing.T) {
				s := NewServer(ServerOptions{Monitor: tt.mon, Now: func() time.Time { return testNow },
					Page: config.Page{Title: "Example", Language: lang, Location: time.UTC}})
				words := noDataWords[lang]
				_, page := fetch(t, s, "/")
				checkHTML(t, page)
				page = styleRE.ReplaceAllString(page, "") // the stylesheet names every class
				if want := `id="banner-text" role="status">` + tt.banner(lang) + "<"; !strings.Contains(page, want) {
					t.Errorf("page lacks banner %q", want)
				}
				if strings.Contains(page, "ind-none") {
					t.Error("the banner is green")
				}
				for _, id := range tt.noData {
					checkShown(t, s, page, id, "nodata", words.noData)
				}
				for _, id := range tt.operational {
					checkShown(t, s, page, id, "operational", words.operational)
				}
				if len(tt.operational) == 0 && (strings.Contains(page, "st-operational") || strings.Contains(page, words.operational)) {
					t.Error("the page shows a component as operational")
				}
				checkStatusDocs(t, s, tt.indicator, tt.description, tt.spStatus)
			})
		}
	}
}

// checkShown finds component id on the page and its badge with status st.
func checkShown(t *testing.T, s *Server, page, id, st, text string) {
	t.Helper()
	row := fmt.Sprintf(`id="c-%s">`, id)
	i := strings.Index(page, row)
	if i < 0 || !strings.Contains(page[i:], fmt.Sprintf(`class="status st-%s"><span class="dot" aria-hidden="true"></span>%s<`, st, text)) {
		t.Errorf("component %s is not shown as %q", id, text)
	}
	_, svg := fetch(t, s, "/badge/"+id+".svg")
	colour := map[string]string{"nodata": badgeGrey, "operational": "#1a7f37"}[st]
	if label := fmt.Sprintf(`aria-label="%s: %s"`, strings.ToUpper(id), text); !strings.Contains(svg, label) ||
		!strings.Contains(svg, `fill="`+colour+`"`) {
		t.Errorf("badge of %s lacks %s in %s: %s", id, label, colour, svg)
	}
}

// checkStatusDocs reads status.json, summary.json and components.json: a
// valid Statuspage indicator and component status, Statuspage's exact
// keys, and a description that says what is missing.
func checkStatusDocs(t *testing.T, s *Server, indicator, description string, statuses map[string]string) {
	t.Helper()
	for _, doc := range []string{"status.json", "summary.json", "components.json"} {
		_, body := fetch(t, s, "/api/v2/"+doc)
		var top map[string]any
		if err := json.Unmarshal([]byte(body), &top); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if doc != "components.json" {
			sameKeys(t, doc+" status", top["status"], []string{"indicator", "description"})
			if st, _ := top["status"].(map[string]any); st["indicator"] != indicator || st["description"] != description {
				t.Errorf("%s status = %v, want %s, %q", doc, st, indicator, description)
			}
		}
		comps, _ := top["components"].([]any)
		if doc != "status.json" && len(comps) != len(statuses) {
			t.Errorf("%s has %d components, want %d", doc, len(comps), len(statuses))
		}
		for _, c := range comps {
			sameKeys(t, doc+" component", c, componentKeys)
			m := c.(map[string]any)
			if m["status"] != statuses[m["id"].(string)] {
				t.Errorf("%s: component %v has status %v, want %s", doc, m["id"], m["status"], statuses[m["id"].(string)])
			}
		}
	}
}

func TestOverall(t *testing.T) {
	comp := func(id string, st monitor.ComponentStatus) monitor.ComponentState {
		return monitor.ComponentState{Component: monitor.Component{ID: id}, Status: st}
	}
	tests := []struct {
		name    string
		comps   []monitor.ComponentState
		noData  []string
		blind   bool
		want    string
		wantDsc string
	}{
		{"all known", []monitor.ComponentState{comp("a", monitor.Operational)}, nil, false, "banner.none", "All Systems Operational"},
		{"all unknown", []monitor.ComponentState{comp("a", monitor.Operational), comp("b", monitor.Operational)},
			[]string{"a", "b"}, false, overallNoData, "Monitoring data is not yet available"},
		{"some unknown", []monitor.ComponentState{comp("a", monitor.Operational), comp("b", monitor.Operational)},
			[]string{"a"}, false, overallSomeNoData, "Some systems have no monitoring data yet"},
		{"unknown besides maintenance", []monitor.ComponentState{comp("a", monitor.UnderMaintenance), comp("b", monitor.Operational)},
			[]string{"a", "b"}, false, overallNoData, "Monitoring data is not yet available"},
		{"maintenance", []monitor.ComponentState{comp("a", monitor.UnderMaintenance), comp("b", monitor.Operational)},
			nil, false, overallMaintenance, "All Systems Operational"},
		{"outage beside unknown", []monitor.ComponentState{comp("a", monitor.Operational), comp("b", monitor.MajorOutage)},
			[]string{"a"}, false, "banner.major", "Partial System Outage"},
		{"blind", []monitor.ComponentState{comp("a", monitor.MajorOutage)}, []string{"a"}, true, overallBlind, "Monitoring data is delayed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &view{blind: tt.blind, components: tt.comps, noData: map[string]bool{}}
			var statuses []monitor.ComponentStatus
			for _, c := range tt.comps {
				statuses = append(statuses, c.Status)
			}
			for _, id := range tt.noData {
				v.noData[id] = true
			}
			v.indicator = monitor.PageIndicator(statuses)
			if got := v.overall(); got != tt.want {
				t.Errorf("overall = %q, want %q", got, tt.want)
			}
			if got := v.statusDescription(); got != tt.wantDsc {
				t.Errorf("description = %q, want %q", got, tt.wantDsc)
			}
		})
	}
}

func TestNoDataComponents(t *testing.T) {
	m := knownMonitor{}.with("a", monitor.Operational, monitor.StateUnknown).with("b", monitor.Operational, monitor.StateUp).
		with("c", monitor.MajorOutage, monitor.StateDown)
	m.checks = append(m.checks, monitor.CheckStatus{Check: monitor.Check{Key: "b/second", Component: "b"},
		CheckState: monitor.CheckState{State: monitor.StateUnknown}})
	m.comps = append(m.comps, monitor.ComponentState{Component: monitor.Component{ID: "nochecks"}})
	tests := []struct {
		name  string
		blind bool
		want  string
	}{
		{"seeing", false, "a"},
		{"blind", true, "a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.blind = tt.blind
			got := noDataComponents(m.Components(), m.Snapshot())
			var ids []string
			for _, c := range m.comps {
				if got[c.ID] {
					ids = append(ids, c.ID)
				}
			}
			if strings.Join(ids, " ") != tt.want {
				t.Errorf("no data = %v, want %s", ids, tt.want)
			}
		})
	}
}
