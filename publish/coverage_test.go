package publish

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// coverageServer has three components over a real store, "now" being
// testNow (Nov 24, 11:00 in Berlin): young, monitored for the last 30
// seconds and down for 14 of them; gap, monitored for 95 days but blind
// from 60 to 20 days ago (so its last 30 days have data since Nov 4);
// full, monitored for 100 days.
func coverageServer(t *testing.T, lang string) *Server {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{Location: berlin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	day := 24 * time.Hour
	tr := func(id string, st store.State, ago time.Duration) store.Transition {
		return store.Transition{Subject: store.ComponentSubject(id), State: st, At: testNow.Add(-ago)}
	}
	err = db.RecordTransitions([]store.Transition{
		tr("young", store.StateUp, 30*time.Second), tr("young", store.StateDown, 14*time.Second),
		tr("gap", store.StateUp, 95*day), tr("gap", store.StateUnknown, 60*day), tr("gap", store.StateUp, 20*day),
		tr("full", store.StateUp, 100*day),
	})
	if err != nil {
		t.Fatal(err)
	}
	mon := knownMonitor{}.with("young", monitor.PartialOutage, monitor.StateDown).
		with("gap", monitor.Operational, monitor.StateUp).with("full", monitor.Operational, monitor.StateUp)
	return NewServer(ServerOptions{Monitor: mon, Now: func() time.Time { return testNow },
		Availability: AvailabilityOptions{History: db, PartialWeight: 0.3},
		Page:         config.Page{Title: "Example", Language: lang, Location: berlin}})
}

func TestUptimeSaysWhatItCovers(t *testing.T) {
	type captions struct{ days90, days30, badge30d, badge90d string }
	tests := map[string]map[string]captions{
		"en": {
			"young": {"53.33% uptime since Nov 24", "53.33% uptime since Nov 24", "53.33% (since Nov 24)", "53.33% (since Nov 24)"},
			"gap":   {"100% uptime, 55% of the time monitored", "100% uptime since Nov 4", "100% (since Nov 4)", "100% (90d, 55% monitored)"},
			"full":  {"100% uptime", "100% uptime", "100% (30d)", "100% (90d)"},
		},
		"de": {
			"young": {"53,33 % Verfügbarkeit seit 24. Nov.", "53,33 % Verfügbarkeit seit 24. Nov.", "53,33 % (seit 24. Nov.)", "53,33 % (seit 24. Nov.)"},
			"gap":   {"100 % Verfügbarkeit, 55 % der Zeit überwacht", "100 % Verfügbarkeit seit 4. Nov.", "100 % (seit 4. Nov.)", "100 % (90d, 55 % überwacht)"},
			"full":  {"100 % Verfügbarkeit", "100 % Verfügbarkeit", "100 % (30d)", "100 % (90d)"},
		},
		"sv": {
			"young": {"53,33 % tillgänglighet sedan 24 nov.", "53,33 % tillgänglighet sedan 24 nov.", "53,33 % (sedan 24 nov.)", "53,33 % (sedan 24 nov.)"},
			"gap":   {"100 % tillgänglighet, 55 % av tiden övervakad", "100 % tillgänglighet sedan 4 nov.", "100 % (sedan 4 nov.)", "100 % (90d, 55 % övervakat)"},
			"full":  {"100 % tillgänglighet", "100 % tillgänglighet", "100 % (30d)", "100 % (90d)"},
		},
	}
	for lang, comps := range tests {
		s := coverageServer(t, lang)
		_, page := fetch(t, s, "/")
		for id, want := range comps {
			t.Run(lang+"/"+id, func(t *testing.T) {
				row := page[strings.Index(page, `id="c-`+id+`"`):]
				row = row[:strings.Index(row, "</li>\n")]
				for _, w := range []string{`class="up n90">` + want.days90 + "<", `class="up n30">` + want.days30 + "<"} {
					if !strings.Contains(row, w) {
						t.Errorf("row lacks %q", w)
					}
				}
				for window, text := range map[string]string{"30d": want.badge30d, "90d": want.badge90d} {
					_, svg := fetch(t, s, "/badge/"+id+".svg?type=uptime&window="+window)
					if !strings.Contains(svg, `aria-label="`+strings.ToUpper(id)+": "+text+`"`) {
						t.Errorf("badge lacks %q: %s", text, svg)
					}
				}
			})
		}
	}
}

func TestCoverageNote(t *testing.T) {
	now := time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		c      coverage
		kind   string
		en, de string
	}{
		{"covered", coverage{share: 1}, "", "", ""},
		{"restart gap", coverage{share: 0.995, since: "2027-01-02"}, "", "", ""},
		{"young", coverage{share: 0.1, since: "2027-01-02"}, "since", "Jan 2", "2. Jan."},
		{"young across the year", coverage{share: 0.5, since: "2026-12-02"}, "since", "Dec 2, 2026", "2. Dez. 2026"},
		{"blind", coverage{share: 0.619}, "share", "61%", "61 %"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range []struct {
				loc  *locale
				want string
			}{{&localeEN, tt.en}, {&localeDE, tt.de}} {
				kind, arg := l.loc.coverageNote(tt.c, now, time.UTC)
				if kind != tt.kind || arg != l.want {
					t.Errorf("%s: note = %q %q, want %q %q", l.loc.code, kind, arg, tt.kind, l.want)
				}
			}
		})
	}
}
