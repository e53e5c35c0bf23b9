package publish

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
)

// fakeDays returns deterministic day bars: no data before the monitor
// existed, a bad day, a partial day, a maintenance day, the rest clean.
type fakeDays struct{ loc *time.Location }

func (f fakeDays) ComponentDays(id string, days int, now time.Time) ([]DayBar, error) {
	dates := barDates(now, f.loc, days)
	out := make([]DayBar, 0, days)
	for i, d := range dates {
		b := DayBar{Date: d.Format(dayLayout)}
		ratio := 1.0
		switch {
		case i < 20:
			out = append(out, b) // no data yet
			continue
		case i == 41 && id == "telephony":
			ratio, b.DownSeconds = 0.93, 6048
		case i == 60:
			ratio, b.PartialSeconds = 0.996, 1150
		case i == 75:
			b.MaintenanceSeconds = 7200
		case i == days-1 && id == "telephony":
			ratio, b.DownSeconds, b.UnknownSeconds = 0.97, 1200, 60
		}
		b.Ratio = &ratio
		out = append(out, b)
	}
	return out, nil
}

type fakeUptime struct{}

func (fakeUptime) ComponentUptime(id string, window time.Duration, now time.Time) (*float64, error) {
	if id == "web" {
		r := 0.99991
		return &r, nil
	}
	r := 0.9987
	return &r, nil
}

// statusMonitor wraps pageMonitor with a blind flag and optional extra
// components.
type statusMonitor struct {
	pageMonitor
	blind bool
	extra []monitor.ComponentState
}

func (m statusMonitor) Blind() bool { return m.blind }

// Snapshot reads unknown for every check while blind, as the monitor's.
func (m statusMonitor) Snapshot() []monitor.CheckStatus {
	out := m.pageMonitor.Snapshot()
	for i := range out {
		if m.blind {
			out[i].State = monitor.StateUnknown
		}
	}
	return out
}

func (m statusMonitor) Components() []monitor.ComponentState {
	return append(m.pageMonitor.Components(), m.extra...)
}

// pageOptions vary the status page server of a test.
type pageOptions struct {
	lang  string
	blind bool
	url   string
	extra []monitor.ComponentState
	noSrc bool // no Days and Uptime sources
}

func newStatusServer(t testing.TB, o pageOptions) *Server {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if o.lang == "" {
		o.lang = "en"
	}
	opts := ServerOptions{Monitor: statusMonitor{pageMonitor: pageMonitor{testChecksTB(t)}, blind: o.blind, extra: o.extra},
		Incidents: testIncidents(), Now: func() time.Time { return testNow },
		Page: config.Page{Title: "Example Status", URL: o.url, Language: o.lang, Location: berlin}}
	if !o.noSrc {
		opts.Days, opts.Uptime = fakeDays{berlin}, fakeUptime{}
	}
	return NewServer(opts)
}

func newStatusHTTP(t testing.TB, o pageOptions) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newStatusServer(t, o).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// manyComponents makes n extra components for the benchmark.
func manyComponents(n int) []monitor.ComponentState {
	out := make([]monitor.ComponentState, n)
	for i := range out {
		st := monitor.Operational
		if i%17 == 0 {
			st = monitor.DegradedPerformance
		}
		out[i] = monitor.ComponentState{Component: monitor.Component{ID: fmt.Sprintf("svc-%03d", i),
			Name: fmt.Sprintf("Service %03d", i), Description: "A service"}, Status: st, Since: testNow, Position: 3 + i}
	}
	return out
}

// testChecksTB is testChecks for tests; benchmarks need no checks.
func testChecksTB(t testing.TB) fakeChecks {
	if tt, ok := t.(*testing.T); ok {
		return testChecks(tt)
	}
	return nil
}
