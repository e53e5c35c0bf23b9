package metrics

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
)

// switchableChecks is a CheckSource whose checks a test replaces, as a
// reload does.
type switchableChecks struct {
	mu     sync.Mutex
	checks fakeChecks
}

func (s *switchableChecks) set(c fakeChecks) { s.mu.Lock(); s.checks = c; s.mu.Unlock() }
func (s *switchableChecks) current() fakeChecks {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checks
}
func (s *switchableChecks) Snapshot() []monitor.CheckStatus      { return s.current().Snapshot() }
func (s *switchableChecks) Components() []monitor.ComponentState { return s.current().Components() }
func (s *switchableChecks) Blind() bool                          { return false }

func scrape(t *testing.T, h http.Handler, target string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	resp := w.Result()
	body := io.Reader(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// A check removed by a reload loses every series, its counts included, so
// that dashboards do not show a ghost; one that comes back starts at 0.
func TestMetricsForgetRemovedChecks(t *testing.T) {
	all := testChecks(t)
	src := &switchableChecks{checks: all}
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(reg, src, nil)
	m.ObserveProbe(all[1].Check, probe.Result{Outcome: probe.Up, Duration: 30 * time.Millisecond})
	_, body := scrape(t, h, "/metrics", nil)
	if !strings.Contains(body, `outpost_probes_total{check="sip",component="telephony",result="up"} 1`) {
		t.Fatalf("probe not counted:\n%s", body)
	}
	src.set(all[:1])
	_, body = scrape(t, h, "/metrics", nil)
	if strings.Contains(body, `check="sip"`) {
		t.Fatalf("removed check still exported:\n%s", body)
	}
	src.set(all)
	_, body = scrape(t, h, "/metrics", nil)
	if !strings.Contains(body, `outpost_probes_total{check="sip",component="telephony",result="up"} 0`) {
		t.Fatalf("returning check kept old counts:\n%s", body)
	}
}

// What Prometheus asks for, it gets: gzip, protobuf, and name[] filters,
// as with promhttp.
func TestMetricsNegotiation(t *testing.T) {
	checks := testChecks(t)
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(reg, checks, nil)

	resp, plain := scrape(t, h, "/metrics", nil)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	resp, zipped := scrape(t, h, "/metrics", http.Header{"Accept-Encoding": {"gzip"}})
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(zipped, "outpost_check_state{") ||
		!strings.Contains(zipped, "go_goroutines") {
		t.Errorf("gzip scrape: %v\n%.300s", resp.Header, zipped)
	}
	if !strings.Contains(plain, "outpost_check_state{") {
		t.Errorf("plain scrape lacks check state:\n%.300s", plain)
	}

	_, only := scrape(t, h, "/metrics?name[]=outpost_check_up&name[]=go_goroutines", nil)
	for _, line := range strings.Split(strings.TrimSpace(only), "\n") {
		if !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "outpost_check_up{") && !strings.HasPrefix(line, "go_goroutines ") {
			t.Errorf("name[] filter let through %q", line)
		}
	}

	resp, proto := scrape(t, h, "/metrics", http.Header{"Accept": {
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}})
	if expfmt.ResponseFormat(resp.Header).FormatType() != expfmt.TypeProtoDelim {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	dec := expfmt.NewDecoder(strings.NewReader(proto), expfmt.ResponseFormat(resp.Header))
	found := map[string]int{}
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		found[mf.GetName()] = len(mf.GetMetric())
	}
	if found["outpost_check_state"] != 2*len(monitor.States) || found["outpost_probe_duration_seconds"] != 2 || found["outpost_check_up"] != 1 {
		t.Errorf("protobuf families: %v", found)
	}
}
