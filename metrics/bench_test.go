package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
)

// manyChecks returns n up checks over n/50 components, each with a last
// result carrying a certificate expiry, like a fleet of HTTPS checks.
func manyChecks(b testing.TB, n int) fakeChecks {
	target := parseTarget(b, "https://www.example.com/health")
	last := probe.Result{Start: testNow, Duration: 80 * time.Millisecond, Outcome: probe.Up,
		Details: probe.Details{HTTPStatus: 200, CertExpiry: testNow.Add(60 * 24 * time.Hour)}}
	checks := make(fakeChecks, n)
	for i := range checks {
		id, comp := fmt.Sprintf("c%d", i), fmt.Sprintf("service-%d", i/50)
		checks[i] = monitor.CheckStatus{
			Check:      monitor.Check{Key: comp + "/" + id, ID: id, Name: id, Component: comp, Target: target},
			CheckState: monitor.CheckState{State: monitor.StateUp, Since: testNow, Last: &last}}
	}
	return checks
}

// discardWriter is a ResponseWriter that drops the body, like a socket.
type discardWriter struct {
	header http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) WriteHeader(status int)      { d.status = status }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkMetricsScrape10k serves /metrics for 10,000 checks, each with
// probes counted, as Prometheus asks for it (gzip). Bytes per op is what
// one scrape allocates: it sets how far a scrape lifts the heap.
func BenchmarkMetricsScrape10k(b *testing.B) {
	checks := manyChecks(b, 10_000)
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range checks {
		m.ObserveProbe(c.Check, *c.Last)
	}
	h := m.Handler(reg, checks, nil)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkObserveProbe is the metrics' share of every probe.
func BenchmarkObserveProbe(b *testing.B) {
	checks := manyChecks(b, 10_000)
	m, err := New(prometheus.NewRegistry(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := &checks[i%len(checks)]
		m.ObserveProbe(c.Check, *c.Last)
		i++
	}
}
