package publish

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

type fakeChecks []monitor.CheckStatus

func (f fakeChecks) Snapshot() []monitor.CheckStatus { return f }

func (f fakeChecks) Components() []monitor.ComponentState {
	return []monitor.ComponentState{{Component: monitor.Component{ID: "web", Name: "Website"}, Status: monitor.MajorOutage}}
}

func (f fakeChecks) Blind() bool { return false }

func (f fakeChecks) Started() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

func (f fakeChecks) Maintenance() []monitor.MaintenanceWindow { return nil }

type fakeIncidents []store.Incident

func (f fakeIncidents) Incidents(keep func(store.Incident) bool) ([]store.Incident, error) {
	return f, nil
}

func testChecks(t *testing.T) fakeChecks {
	t.Helper()
	web, err := probe.ParseTarget("https://user:hunter2@www.example.com/?token=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	sip, _ := probe.ParseTarget("sips:sip.example.com")
	since := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	last := probe.Result{Start: since, Duration: 1500 * time.Millisecond, Outcome: probe.Down, Class: probe.ClassStatus,
		Message: "status 503", Details: probe.Details{HTTPStatus: 503, CertExpiry: since.Add(30 * 24 * time.Hour)},
		Phases: []probe.Phase{{Name: "connect", Duration: time.Millisecond}}}
	return fakeChecks{
		{Check: monitor.Check{Key: "web/home", ID: "home", Name: "Home", Component: "web", Target: web},
			CheckState: monitor.CheckState{State: monitor.StateDown, Since: since, Last: &last}},
		{Check: monitor.Check{Key: "telephony/sip", ID: "sip", Name: "SIP", Component: "telephony", Target: sip},
			CheckState: monitor.CheckState{State: monitor.StateUnknown}},
	}
}

func newTestServer(t *testing.T) (*httptest.Server, *Metrics) {
	t.Helper()
	checks := testChecks(t)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg, MetricsOptions{Build: BuildInfo{"v0.1.0", "abc", "go1.26"},
		StoreStats: func() store.WriterStats { return store.WriterStats{Written: 7} },
		StoreSize:  func() (int64, error) { return 32768, nil }})
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(NewStateCollector(checks, fakeIncidents{{State: store.IncidentDraft}}))
	srv := httptest.NewServer(NewServer(ServerOptions{Monitor: checks, Metrics: m.Handler(reg, checks, nil)}).Handler())
	t.Cleanup(srv.Close)
	return srv, m
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestChecksJSON(t *testing.T) {
	srv, _ := newTestServer(t)
	resp, body := get(t, srv.URL+"/api/v1/checks.json")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	if strings.Contains(body, "hunter2") || strings.Contains(body, "s3cret") {
		t.Fatalf("checks.json leaks a credential: %s", body)
	}
	var doc struct {
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Checks) != 2 {
		t.Fatalf("got %d checks", len(doc.Checks))
	}
	home := doc.Checks[0]
	for key, want := range map[string]any{"id": "home", "key": "web/home", "component": "web", "type": "https",
		"state": "down", "since": "2026-11-24T03:00:00Z", "target": "https://redacted@www.example.com/?token=redacted"} {
		if home[key] != want {
			t.Errorf("%s = %v, want %v", key, home[key], want)
		}
	}
	last, _ := home["last_result"].(map[string]any)
	if last["outcome"] != "down" || last["class"] != "status" || last["duration_seconds"] != 1.5 {
		t.Errorf("last_result = %v", last)
	}
	if sip := doc.Checks[1]; sip["state"] != "unknown" || sip["since"] != nil || sip["last_result"] != nil || sip["type"] != "sips" {
		t.Errorf("unknown check = %v", sip)
	}
}

func TestMetrics(t *testing.T) {
	srv, m := newTestServer(t)
	checks := testChecks(t)
	m.ObserveProbe(checks[0].Check, probe.Result{Outcome: probe.Down, Duration: 2 * time.Second})
	m.ObserveSchedulerLag(3 * time.Millisecond)
	_, body := get(t, srv.URL+"/metrics")
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
		`outpost_tls_cert_expiry_timestamp_seconds{check="home",component="web"} 1.7980812e+09`,
		`outpost_build_info{goversion="go1.26",revision="abc",version="v0.1.0"} 1`,
		`outpost_store_results_written_total 7`,
		`outpost_store_file_size_bytes 32768`,
		`outpost_scheduler_lag_seconds_count 1`,
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
	cmd := exec.Command(requirePeer(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestHealthzAndNotFound(t *testing.T) {
	srv, _ := newTestServer(t)
	if resp, body := get(t, srv.URL+"/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	resp, body := get(t, srv.URL+"/api/nope")
	if resp.StatusCode != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("API 404: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, srv.URL+"/nope")
	if resp.StatusCode != 404 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "</html>") {
		t.Errorf("page 404: %d %.200q", resp.StatusCode, body)
	}
}
