package metrics

import (
	"errors"
	"log/slog"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

var testNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// fakeChecks is a CheckSource of fixed checks. Its components are
// telephony (operational) and web (in a major outage).
type fakeChecks []monitor.CheckStatus

func (f fakeChecks) Snapshot() []monitor.CheckStatus { return f }

func (f fakeChecks) Components() []monitor.ComponentState {
	return []monitor.ComponentState{
		{Component: monitor.Component{ID: "telephony", Name: "Telephony"}, Status: monitor.Operational},
		{Component: monitor.Component{ID: "web", Name: "Website"}, Status: monitor.MajorOutage},
	}
}

func (f fakeChecks) Blind() bool { return false }

type fakeIncidents []store.Incident

func (f fakeIncidents) Incidents(func(store.Incident) bool) ([]store.Incident, error) { return f, nil }

func parseTarget(t testing.TB, raw string) probe.Target {
	t.Helper()
	target, err := probe.ParseTarget(raw)
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// testChecks are web's HTTPS check, down, with credentials in its target
// and a certificate, and telephony's SIPS check, not probed yet.
func testChecks(t testing.TB) fakeChecks {
	since := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	last := probe.Result{Start: since, Duration: 1500 * time.Millisecond, Outcome: probe.Down, Class: probe.ClassStatus,
		Message: "status 503", Details: probe.Details{HTTPStatus: 503, CertExpiry: since.Add(30 * 24 * time.Hour)}}
	web := monitor.Check{Key: "web/home", ID: "home", Name: "Home", Component: "web",
		Target: parseTarget(t, "https://user:hunter2@www.example.com/?token=s3cret")}
	sip := monitor.Check{Key: "telephony/sip", ID: "sip", Name: "SIP", Component: "telephony",
		Target: parseTarget(t, "sips:sip.example.com")}
	return fakeChecks{
		{Check: web, CheckState: monitor.CheckState{State: monitor.StateDown, Since: since, Last: &last}},
		{Check: sip, CheckState: monitor.CheckState{State: monitor.StateUnknown}},
	}
}

func TestMetrics(t *testing.T) {
	checks := testChecks(t)
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{Build: BuildInfo{"v0.1.0", "abc", "go1.26"},
		StoreStats: func() store.WriterStats { return store.WriterStats{Written: 7} },
		StoreSize:  func() (int64, error) { return 32768, nil }})
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(NewStateCollector(checks, fakeIncidents{{State: store.IncidentDraft}}))
	m.ObserveProbe(checks[0].Check, probe.Result{Outcome: probe.Down, Duration: 2 * time.Second})
	m.ObserveSchedulerLag(3 * time.Millisecond)
	m.ObserveInconclusive(monitor.Check{Key: "web/home"})
	_, body := scrape(t, m.Handler(reg, checks, nil), "/metrics", nil)
	for _, want := range []string{
		`outpost_check_up{check="home",component="web"} 0`,
		`outpost_probes_total{check="home",component="web",result="down"} 1`,
		`outpost_probes_total{check="sip",component="telephony",result="up"} 0`, // before the first probe
		`outpost_probe_duration_seconds_bucket{check="home",component="web",le="1"} 0`,
		`outpost_probe_duration_seconds_bucket{check="home",component="web",le="2.5"} 1`,
		`outpost_probe_duration_seconds_bucket{check="home",component="web",le="+Inf"} 1`,
		`outpost_probe_duration_seconds_sum{check="home",component="web"} 2`,
		`outpost_probe_duration_seconds_count{check="sip",component="telephony"} 0`,
		`outpost_check_state{check="sip",component="telephony",state="unknown"} 1`,
		`outpost_check_info{check="home",component="web",target="https://redacted@www.example.com/?token=redacted",type="https"} 1`,
		`outpost_check_info{check="sip",component="telephony",target="sips:sip.example.com",type="sips"} 1`,
		`outpost_tls_cert_expiry_timestamp_seconds{check="home",component="web"} 1.7980812e+09`,
		`outpost_build_info{goversion="go1.26",revision="abc",version="v0.1.0"} 1`,
		`outpost_store_results_written_total 7`,
		`outpost_store_file_size_bytes 32768`,
		`outpost_scheduler_lag_seconds_count 1`,
		`outpost_probes_inconclusive_total 1`,
		`go_goroutines`, `process_cpu_seconds_total`,
		`outpost_component_status{component="web",status="major_outage"} 1`,
		`outpost_component_status{component="web",status="operational"} 0`,
		`outpost_blind 0`,
		`outpost_incidents{state="draft"} 1`,
		`outpost_incidents{state="published"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, `outpost_check_up{check="sip"`) {
		t.Error("outpost_check_up exported for an unknown check")
	}
	if strings.Contains(body, "hunter2") {
		t.Error("/metrics leaks a credential")
	}
	cmd := exec.Command(testpeer.Require(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// windowsFunc is a WindowSource.
type windowsFunc func(subjects []store.Subject, windows []time.Duration, now time.Time, partialWeight float64) (map[store.Subject][]store.Window, error)

func (f windowsFunc) Windows(subjects []store.Subject, windows []time.Duration, now time.Time, partialWeight float64) (map[store.Subject][]store.Window, error) {
	return f(subjects, windows, now, partialWeight)
}

func TestAvailabilityMetric(t *testing.T) {
	// web was available 75% of its known time in every window;
	// telephony has no data.
	history := windowsFunc(func(subjects []store.Subject, windows []time.Duration, now time.Time, pw float64) (map[store.Subject][]store.Window, error) {
		if !now.Equal(testNow) || pw != 0.3 {
			t.Errorf("Windows(now %v, partial weight %v)", now, pw)
		}
		ratio := 0.75
		out := map[store.Subject][]store.Window{}
		for _, s := range subjects {
			for _, d := range windows {
				w := store.Window{Duration: d}
				if s == store.ComponentSubject("web") {
					w.Ratio = &ratio
				}
				out[s] = append(out[s], w)
			}
		}
		return out, nil
	})
	avail := AvailabilityOptions{History: history, Windows: []time.Duration{24 * time.Hour, 7 * 24 * time.Hour}, PartialWeight: 0.3}
	c := NewAvailabilityCollector(testChecks(t), avail, func() time.Time { return testNow })
	text, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain, "outpost_availability_ratio")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		if !strings.HasPrefix(line, "#") {
			got = append(got, line)
		}
	}
	want := []string{`outpost_availability_ratio{component="web",window="24h"} 0.75`,
		`outpost_availability_ratio{component="web",window="7d"} 0.75`}
	if !slices.Equal(got, want) {
		t.Errorf("availability series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A failing store fails the family, not the scrape: the handler logs the
// error and serves the rest.
func TestAvailabilityMetricStoreError(t *testing.T) {
	history := windowsFunc(func([]store.Subject, []time.Duration, time.Time, float64) (map[store.Subject][]store.Window, error) {
		return nil, errors.New("disk on fire")
	})
	checks := testChecks(t)
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(NewAvailabilityCollector(checks, AvailabilityOptions{History: history, Windows: []time.Duration{time.Hour}}, nil))
	var log strings.Builder
	resp, body := scrape(t, m.Handler(reg, checks, slog.New(slog.NewTextHandler(&log, nil))), "/metrics", nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "outpost_availability_ratio") ||
		!strings.Contains(body, "outpost_check_up{") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("status %d, body:\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(log.String(), "disk on fire") {
		t.Errorf("log lacks the store's error: %s", log.String())
	}
}
