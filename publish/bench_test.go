package publish

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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
	benchmarkServe(b, s.Handler(), "/", acceptEncoding)
}

// benchmarkServe serves path from h in a loop, as a socket would take it.
func benchmarkServe(b *testing.B, h http.Handler, path, acceptEncoding string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
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
// each and the fixture's incidents; the goal is under 20 ms.
func BenchmarkStatusPage200(b *testing.B) { benchmarkStatusPage(b, "") }

// BenchmarkStatusPage200Gzip is the same page for a browser (gzip).
func BenchmarkStatusPage200Gzip(b *testing.B) { benchmarkStatusPage(b, "gzip") }
