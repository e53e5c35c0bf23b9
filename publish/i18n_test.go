package publish

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

func TestLocalesComplete(t *testing.T) {
	var want []string
	for k := range localeEN.text {
		want = append(want, k)
	}
	slices.Sort(want)
	for _, l := range []*locale{&localeEN, &localeDE, &localeSV} {
		t.Run(l.code, func(t *testing.T) {
			for _, k := range want {
				if l.text[k] == "" {
					t.Errorf("missing %q", k)
				}
				if strings.Count(l.text[k], "%s") != strings.Count(localeEN.text[k], "%s") {
					t.Errorf("%q: placeholders differ from English", k)
				}
			}
			if len(l.text) != len(want) {
				t.Errorf("%d strings, English has %d", len(l.text), len(want))
			}
			for _, st := range monitor.ComponentStatuses {
				if _, ok := l.text["status."+string(st)]; !ok {
					t.Errorf("no text for status %s", st)
				}
			}
			for _, st := range []string{store.StatusInvestigating, store.StatusIdentified, store.StatusMonitoring, store.StatusResolved} {
				if _, ok := l.text["update."+st]; !ok {
					t.Errorf("no text for update status %s", st)
				}
			}
		})
	}
}

func TestLocaleFormats(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	summer := time.Date(2026, 7, 3, 7, 5, 0, 0, time.UTC).In(berlin)
	tests := []struct {
		lang, dateTime, date, month, pct, dur string
	}{
		{"en", "Jul 3, 2026, 09:05 CEST", "Jul 3, 2026", "July 2026", "99.95%", "1 h 1 min"},
		{"de", "3. Juli 2026, 09:05 CEST", "3. Juli 2026", "Juli 2026", "99,95 %", "1 Std. 1 Min."},
		{"sv", "3 juli 2026 09:05 CEST", "3 juli 2026", "juli 2026", "99,95 %", "1 tim 1 min"},
		{"xx", "Jul 3, 2026, 09:05 CEST", "Jul 3, 2026", "July 2026", "99.95%", "1 h 1 min"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			l := localeFor(tt.lang)
			got := []string{l.DateTime(summer), l.Date(summer), l.Month(summer), l.Percent(0.99959), l.Duration(3660)}
			want := []string{tt.dateTime, tt.date, tt.month, tt.pct, tt.dur}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if p := localeEN.Percent(0.99999); p != "99.99%" {
		t.Errorf("Percent rounds up to %s", p)
	}
	if p := localeEN.Percent(1); p != "100%" {
		t.Errorf("Percent(1) = %s", p)
	}
}
