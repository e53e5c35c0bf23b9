package publish

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// versionedMonitor is a page monitor with change counters.
type versionedMonitor struct {
	statusMonitor
	state, results *atomic.Uint64
}

func (m versionedMonitor) Versions() monitor.Versions {
	return monitor.Versions{State: m.state.Load(), Results: m.results.Load()}
}

// versionedIncidents is a mutable incident list with a change counter.
type versionedIncidents struct {
	mu      sync.Mutex
	list    []store.Incident
	version atomic.Uint64
}

func (v *versionedIncidents) Incidents(keep func(store.Incident) bool) ([]store.Incident, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]store.Incident(nil), v.list...), nil
}

func (v *versionedIncidents) IncidentsVersion() uint64 { return v.version.Load() }

func (v *versionedIncidents) set(list []store.Incident) {
	v.mu.Lock()
	v.list = list
	v.mu.Unlock()
	v.version.Add(1)
}

// cacheFixture is a render cache over counting handlers, on a fake clock.
type cacheFixture struct {
	cache          *renderCache
	state, results atomic.Uint64
	incidents      *versionedIncidents
	now            time.Time
	renders        atomic.Int64
}

func newCacheFixture(t *testing.T) *cacheFixture {
	t.Helper()
	f := &cacheFixture{incidents: &versionedIncidents{}, now: testNow}
	mon := versionedMonitor{statusMonitor: statusMonitor{pageMonitor: pageMonitor{testChecks(t)}}, state: &f.state, results: &f.results}
	f.cache = newRenderCache(mon, f.incidents)
	if f.cache == nil {
		t.Fatal("no cache for sources with change counters")
	}
	f.cache.clock = func() time.Time { return f.now }
	return f
}

// handler renders a body that tells how many renders there were.
func (f *cacheFixture) handler(kind docKind) http.Handler {
	return f.cache.cached(kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.renders.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "render %d of %s %s", n, r.URL.Path, strings.Repeat("x", 2000))
	}))
}

func serve(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRenderCacheRebuildsOnlyWhenSomethingChanged(t *testing.T) {
	steps := []struct {
		name        string
		change      func(f *cacheFixture)
		live, plain bool // whether a live and a plain document render again
	}{
		{name: "nothing changed", change: func(*cacheFixture) {}},
		{name: "a probe result", change: func(f *cacheFixture) { f.results.Add(1) }, live: true},
		{name: "a state", change: func(f *cacheFixture) { f.state.Add(1) }, live: true, plain: true},
		{name: "an incident", change: func(f *cacheFixture) { f.incidents.set(nil) }, live: true, plain: true},
		{name: "time within maxAge", change: func(f *cacheFixture) { f.now = f.now.Add(maxAge - time.Millisecond) }},
		{name: "time past maxAge", change: func(f *cacheFixture) { f.now = f.now.Add(maxAge) }, live: true, plain: true},
	}
	f := newCacheFixture(t)
	live, plain := f.handler(docKind{live: true}), f.handler(docKind{})
	serve(t, live, "/live")
	serve(t, plain, "/plain")
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change(f) // at most rebuildBurst changes before time moves on
			for _, doc := range []struct {
				path string
				h    http.Handler
				want bool
			}{{"/live", live, st.live}, {"/plain", plain, st.plain}} {
				before := f.renders.Load()
				for range 3 {
					if rec := serve(t, doc.h, doc.path); rec.Code != http.StatusOK {
						t.Fatalf("%s: status %d", doc.path, rec.Code)
					}
				}
				if got := f.renders.Load() - before; got != map[bool]int64{false: 0, true: 1}[doc.want] {
					t.Errorf("%s rendered %d times for three requests, want %v", doc.path, got, doc.want)
				}
			}
		})
	}
}

func TestRenderCacheRebuildsAtMostBurstPerSecond(t *testing.T) {
	f := newCacheFixture(t)
	h := f.handler(docKind{live: true})
	for range 50 {
		f.results.Add(1) // checks.json under thousands of probes a second
		serve(t, h, "/api/v1/checks.json")
	}
	if got := f.renders.Load(); got != rebuildBurst {
		t.Errorf("rendered %d times within one second of changes, want %d", got, rebuildBurst)
	}
	f.now = f.now.Add(time.Second)
	f.results.Add(1)
	body := serve(t, h, "/api/v1/checks.json").Body.String()
	if !strings.HasPrefix(body, fmt.Sprintf("render %d ", rebuildBurst+1)) {
		t.Errorf("a second later the document is %q..., want a new rendering", body[:20])
	}
}

func TestRenderCacheServesStaleWhileOneRequestRebuilds(t *testing.T) {
	f := newCacheFixture(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var n atomic.Int64
	h := f.cache.cached(docKind{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			entered <- struct{}{}
			<-release
		}
		fmt.Fprintf(w, "render %d", n.Load())
	}))
	serve(t, h, "/")
	f.state.Add(1)
	done := make(chan string)
	go func() { done <- serve(t, h, "/").Body.String() }()
	<-entered
	for range 20 {
		if body := serve(t, h, "/").Body.String(); body != "render 1" {
			t.Fatalf("while another request rebuilds, got %q, want the previous rendering", body)
		}
	}
	close(release)
	if body := <-done; body != "render 2" {
		t.Errorf("the rebuilding request got %q", body)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("rendered %d times, want 2", got)
	}
}

func TestRenderCacheETagGzipAndHead(t *testing.T) {
	f := newCacheFixture(t)
	h := f.handler(docKind{})
	plain := serve(t, h, "/")
	zipped := serve(t, h, "/", "Accept-Encoding", "gzip")
	if zipped.Header().Get("Content-Encoding") != "gzip" || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("encodings: plain %q, gzip %q", plain.Header().Get("Content-Encoding"), zipped.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Error("the gzipped body differs from the plain one")
	}
	pt, zt := plain.Header().Get("ETag"), zipped.Header().Get("ETag")
	if pt == "" || zt == "" || pt == zt {
		t.Fatalf("ETags plain %q, gzip %q: want two different ones", pt, zt)
	}
	if rec := serve(t, h, "/", "If-None-Match", pt); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match plain: %d with %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := serve(t, h, "/", "If-None-Match", zt, "Accept-Encoding", "gzip"); rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match gzip: %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodHead, "/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != fmt.Sprint(plain.Body.Len()) {
		t.Errorf("HEAD: %d, %d body bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
	if got := f.renders.Load(); got != 1 {
		t.Errorf("rendered %d times, want 1", got)
	}
}

// TestRenderCacheBoundsHostileQueries: paths and query strings are free
// text; junk must neither grow the cache without bound nor go unanswered.
func TestRenderCacheBoundsHostileQueries(t *testing.T) {
	f := newCacheFixture(t)
	plain := f.handler(docKind{})
	for i := range 500 { // cache busters on a document that reads no query
		if rec := serve(t, plain, fmt.Sprintf("/?nocache=%d", i)); rec.Code != http.StatusOK {
			t.Fatalf("query %d: status %d", i, rec.Code)
		}
	}
	if n, r := len(f.cache.entries), f.renders.Load(); n != 1 || r != 1 {
		t.Errorf("500 cache busters on /: %d entries, %d renders; want 1 and 1", n, r)
	}
	badge := f.handler(docKind{query: []string{"type", "window"}})
	for i := range maxCached + 500 { // junk values of a parameter that is read
		if rec := serve(t, badge, fmt.Sprintf("/badge/web.svg?type=uptime&window=%dd", i)); rec.Code != http.StatusOK {
			t.Fatalf("window %d: status %d", i, rec.Code)
		}
	}
	if n := len(f.cache.entries); n > maxCached {
		t.Errorf("%d entries cached, want at most %d", n, maxCached)
	}
	f.now = f.now.Add(maxAge) // the junk is old now: room again
	serve(t, plain, "/history")
	if n := len(f.cache.entries); n > 1 {
		t.Errorf("%d entries left after the junk expired and a new page was read", n)
	}
}

// TestRenderCacheBoundsBytes: large documents on many paths stay within
// the byte budget and are still answered.
func TestRenderCacheBoundsBytes(t *testing.T) {
	f := newCacheFixture(t)
	big := strings.Repeat("incident timeline ", 64<<10/18) // 64 KiB, gzips well
	h := f.cache.cached(docKind{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.URL.Path, big)
	}))
	for i := range maxCached {
		if rec := serve(t, h, fmt.Sprintf("/incidents/%d", i)); rec.Code != http.StatusOK || rec.Body.Len() < 60<<10 {
			t.Fatalf("incident %d: status %d, %d bytes", i, rec.Code, rec.Body.Len())
		}
	}
	f.cache.mu.Lock()
	n := f.cache.bytes
	f.cache.mu.Unlock()
	if n > maxCachedBytes {
		t.Errorf("%d bytes cached, want at most %d", n, maxCachedBytes)
	}
}

// TestCachedPageShowsPublishedIncidentsNeverDrafts runs the real page
// handlers over the cache: a draft never shows, publishing shows it at the
// next request.
func TestCachedPageShowsPublishedIncidentsNeverDrafts(t *testing.T) {
	var state, results atomic.Uint64
	incs := &versionedIncidents{}
	mon := versionedMonitor{statusMonitor: statusMonitor{pageMonitor: pageMonitor{testChecks(t)}}, state: &state, results: &results}
	s := NewServer(ServerOptions{Monitor: mon, Incidents: incs, Now: func() time.Time { return testNow }})
	if s.cache == nil {
		t.Fatal("the server does not cache")
	}
	draft := store.Incident{ID: 9, State: store.IncidentDraft, Name: draftMarker + " title", Impact: "major",
		Components: []string{"web"}, StartedAt: testNow.Add(-time.Minute), CreatedAt: testNow.Add(-time.Minute)}
	incs.set([]store.Incident{draft})
	h := s.Handler()
	paths := []string{"/", "/history", "/history.atom", "/api/v2/summary.json", "/api/v2/incidents.json"}
	for _, p := range paths {
		if body := serve(t, h, p).Body.String(); strings.Contains(body, draftMarker) {
			t.Fatalf("%s shows the draft", p)
		}
	}
	published := draft
	published.State, published.Status, published.Name = store.IncidentPublished, store.StatusInvestigating, "Website down"
	published.PublishedAt = testNow
	incs.set([]store.Incident{published})
	for _, p := range paths {
		body := serve(t, h, p).Body.String()
		if !strings.Contains(body, "Website down") {
			t.Errorf("%s does not show the incident published just before", p)
		}
		if strings.Contains(body, draftMarker) {
			t.Errorf("%s shows the draft", p)
		}
	}
}

func TestAdmissionQueuesThenRefuses(t *testing.T) {
	a := &admission{slots: make(chan struct{}, 1), waiting: make(chan struct{}, 1), maxWait: time.Hour}
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	h := a.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	codes := make(chan int, 2)
	fetch := func() {
		resp, err := http.Get(srv.URL)
		if err != nil {
			codes <- 0
			return
		}
		resp.Body.Close()
		codes <- resp.StatusCode
	}
	go fetch()
	<-started // the only slot is taken
	go fetch()
	deadline := time.Now().Add(5 * time.Second)
	for len(a.waiting) == 0 { // the second request waits in the queue
		if time.Now().After(deadline) {
			t.Fatal("the second request never queued")
		}
		time.Sleep(time.Millisecond)
	}
	resp, err := http.Get(srv.URL) // the queue is full too
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("beyond the queue: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	close(release)
	for range 2 {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("admitted request answered %d", c)
		}
	}
}

// benchmarkCached serves path from the render cache of a page with 200
// components, as a crowd refreshing it during an outage does: the same
// bytes every time, gzipped.
func benchmarkCached(b *testing.B, path string) {
	var state, results atomic.Uint64
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	mon := versionedMonitor{statusMonitor: statusMonitor{pageMonitor: pageMonitor{testChecksTB(b)}, extra: manyComponents(198)},
		state: &state, results: &results}
	incs := &versionedIncidents{list: testIncidents()}
	s := NewServer(ServerOptions{Monitor: mon, Incidents: incs, Now: func() time.Time { return testNow },
		Page: config.Page{Title: "Example Status", Language: "en", Location: berlin}, Days: fakeDays{berlin}, Uptime: fakeUptime{}})
	benchmarkServe(b, s.Handler(), path, "gzip")
}

// BenchmarkCachedStatusPage200Gzip is / from the cache (issue: serving a
// cached / should cost about what summary.json costs).
func BenchmarkCachedStatusPage200Gzip(b *testing.B) { benchmarkCached(b, "/") }

// BenchmarkCachedSummaryGzip is /api/v2/summary.json from the cache.
func BenchmarkCachedSummaryGzip(b *testing.B) { benchmarkCached(b, "/api/v2/summary.json") }

// TestCachedBytesNeedNoRenderSlot: with every render slot taken (say by
// slow renders), cached documents are still served, a document that must
// be rendered is refused with 503 and Retry-After, and a stale document is
// served rather than refused.
func TestCachedBytesNeedNoRenderSlot(t *testing.T) {
	var state, results atomic.Uint64
	mon := versionedMonitor{statusMonitor: statusMonitor{pageMonitor: pageMonitor{testChecks(t)}}, state: &state, results: &results}
	s := NewServer(ServerOptions{Monitor: mon, Incidents: &versionedIncidents{}, Now: func() time.Time { return testNow }})
	s.admit.maxWait = 10 * time.Millisecond
	h := s.Handler()
	if rec := serve(t, h, "/"); rec.Code != http.StatusOK {
		t.Fatalf("/: %d", rec.Code)
	}
	for range cap(s.admit.slots) {
		s.admit.slots <- struct{}{}
	}
	if rec := serve(t, h, "/"); rec.Code != http.StatusOK {
		t.Errorf("cached / with every slot taken: %d, want 200", rec.Code)
	}
	rec := serve(t, h, "/api/v2/status.json")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("uncached document with every slot taken: %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	state.Add(1) // / is stale now, and cannot be rebuilt
	if rec := serve(t, h, "/"); rec.Code != http.StatusOK {
		t.Errorf("stale / with every slot taken: %d, want the previous bytes", rec.Code)
	}
	for range cap(s.admit.slots) {
		<-s.admit.slots
	}
	if rec := serve(t, h, "/api/v2/status.json"); rec.Code != http.StatusOK {
		t.Errorf("status.json once slots are free: %d", rec.Code)
	}
}

// TestRenderCacheConcurrentReadersAndChanges hammers one document from
// many goroutines while its state changes (run with -race): every answer
// is a whole rendering, and once the changes stop and the rebuild budget
// refills, the next answer shows the last change.
func TestRenderCacheConcurrentReadersAndChanges(t *testing.T) {
	f := newCacheFixture(t)
	var clock sync.Mutex
	f.cache.clock = func() time.Time { clock.Lock(); defer clock.Unlock(); return f.now }
	h := f.cache.cached(docKind{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "state %d", f.state.Load())
	}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 300 {
				if body := serve(t, h, "/").Body.String(); !strings.HasPrefix(body, "state ") {
					t.Errorf("torn answer %q", body)
					return
				}
			}
		})
	}
	for range 200 {
		f.state.Add(1)
	}
	wg.Wait()
	clock.Lock()
	f.now = f.now.Add(time.Second)
	clock.Unlock()
	if body, want := serve(t, h, "/").Body.String(), fmt.Sprintf("state %d", f.state.Load()); body != want {
		t.Errorf("after the changes stopped: %q, want %q", body, want)
	}
}
