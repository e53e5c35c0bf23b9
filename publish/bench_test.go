package publish

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

// precomputedDays serves day bars computed once, like a store answering
// from its daily rollups.
type precomputedDays map[string][]DayBar

func (p precomputedDays) ComponentDays(id string, _ int, _ time.Time) ([]DayBar, error) {
	return p[id], nil
}

// discardWriter is a ResponseWriter that only counts, like a socket.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) WriteHeader(status int)      { d.status = status }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func benchmarkStatusPage(b *testing.B, acceptEncoding string) {
	s := newStatusServer(b, pageOptions{extra: manyComponents(198)})
	v, err := s.buildView()
	if err != nil {
		b.Fatal(err)
	}
	days := precomputedDays{}
	for _, c := range v.components {
		days[c.ID], _ = fakeDays{s.opts.Page.Location}.ComponentDays(c.ID, barDays, testNow)
	}
	if len(v.components) != 200 {
		b.Fatalf("%d components", len(v.components))
	}
	s.opts.Days = days
	h := s.Handler()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Encoding", acceptEncoding)
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
		b.SetBytes(int64(w.n))
	}
}

// BenchmarkStatusPage200 renders / with 200 components of 90 day bars
// each and the fixture's incidents (SPEC §14: < 20 ms).
func BenchmarkStatusPage200(b *testing.B) { benchmarkStatusPage(b, "") }

// BenchmarkStatusPage200Gzip is the same page for a browser (gzip).
func BenchmarkStatusPage200Gzip(b *testing.B) { benchmarkStatusPage(b, "gzip") }

// manyChecks returns n up checks over n/50 components, each with a last
// result carrying a certificate expiry, like a fleet of HTTPS checks.
func manyChecks(b testing.TB, n int) fakeChecks {
	b.Helper()
	target, err := probe.ParseTarget("https://www.example.com/health")
	if err != nil {
		b.Fatal(err)
	}
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

// BenchmarkMetricsScrape10k serves /metrics for 10,000 checks, each with
// probes counted, as Prometheus asks for it (gzip). Bytes per op is what
// one scrape allocates: it sets how far a scrape lifts the heap.
func BenchmarkMetricsScrape10k(b *testing.B) {
	checks := manyChecks(b, 10_000)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg, MetricsOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range checks {
		m.ObserveProbe(c.Check, *c.Last)
	}
	h := NewServer(ServerOptions{Monitor: checks, Metrics: m.Handler(reg, checks, nil)}).Handler()
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
	m, err := NewMetrics(prometheus.NewRegistry(), MetricsOptions{})
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
