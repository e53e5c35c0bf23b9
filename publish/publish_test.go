package publish

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "outpost_blind 0\n") })
	srv := httptest.NewServer(NewServer(ServerOptions{Monitor: testChecks(t), Metrics: metrics}).Handler())
	t.Cleanup(srv.Close)
	return srv
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
	srv := newTestServer(t)
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
	if _, ok := last["sched_delay_seconds"]; ok {
		t.Errorf("last_result of a probe that waited for no CPU has sched_delay_seconds: %v", last)
	}
	starved := ResultToJSON(probe.Result{Outcome: probe.Up, Duration: 2400 * time.Millisecond, SchedDelay: 900 * time.Millisecond})
	if starved.SchedDelaySeconds != 0.9 {
		t.Errorf("sched_delay_seconds = %v, want 0.9", starved.SchedDelaySeconds)
	}
	if sip := doc.Checks[1]; sip["state"] != "unknown" || sip["since"] != nil || sip["last_result"] != nil || sip["type"] != "sips" {
		t.Errorf("unknown check = %v", sip)
	}
}

// /metrics is served by ServerOptions.Metrics (main passes the metrics
// package's handler) and is not found without it.
func TestMetricsRoute(t *testing.T) {
	if resp, body := get(t, newTestServer(t).URL+"/metrics"); resp.StatusCode != 200 || body != "outpost_blind 0\n" {
		t.Errorf("/metrics: %d %q", resp.StatusCode, body)
	}
	srv := httptest.NewServer(NewServer(ServerOptions{Monitor: testChecks(t)}).Handler())
	defer srv.Close()
	if resp, _ := get(t, srv.URL+"/metrics"); resp.StatusCode != 404 {
		t.Errorf("/metrics without a handler: %d", resp.StatusCode)
	}
}

func TestHealthzAndNotFound(t *testing.T) {
	srv := newTestServer(t)
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
