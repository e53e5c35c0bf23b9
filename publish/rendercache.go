package publish

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-status/outpost/internal/accept"
	"github.com/outpost-status/outpost/monitor"
)

// The render cache: public documents are served from bytes rendered once
// (identity and gzip, each with its ETag) and rebuilt when what they show
// changes. An outage is when the status page is read most; rendering the
// page per request cost about 1.6 ms of CPU each, so a crowd of refreshing
// customers took the CPU the probes needed. Serving cached bytes costs
// what net/http itself costs.
//
// Freshness comes from change counters, not from timers: the monitor's
// Versions and the store's IncidentsVersion are read (two atomic loads)
// before a document is built and compared at every request. What moves
// with time alone (availability seconds, uptime, day bars, maintenance
// status) is brought up to date by rebuilding every document at least
// every maxAge while it is read. Rebuilds of one document are limited to
// rebuildBurst per second; beyond that the previous bytes are served until
// the next rebuild is allowed, so a document that changes with every probe
// (checks.json at thousands of probes a second) costs at most a few
// renders a second. Only one request rebuilds a document at a time; the
// others are served the previous bytes meanwhile.

// Cache limits.
const (
	// maxAge bounds how old a document may be when nothing it depends on
	// changed: time alone moves uptime figures and day bars.
	maxAge = 5 * time.Second
	// rebuildBurst rebuilds of one document are allowed per second.
	rebuildBurst = 4
	// maxCached documents are kept; paths are free text, so the key
	// space is bounded here. Beyond it documents are rendered per request
	// (and the concurrency bound still applies).
	maxCached = 1024
	// maxCachedBytes bounds the bytes kept (plain and gzipped): a
	// thousand copies of a large page would otherwise be a way to make
	// outpost hold a hundred megabytes.
	maxCachedBytes = 32 << 20
)

// stamp is the change counters a rendered document was built from.
type stamp struct {
	state, results, incidents uint64
}

// versionSource is implemented by *monitor.Monitor.
type versionSource interface{ Versions() monitor.Versions }

// incidentsVersionSource is implemented by *store.DB.
type incidentsVersionSource interface{ IncidentsVersion() uint64 }

// renderCache holds rendered public documents by request path and query.
type renderCache struct {
	monitor   versionSource
	incidents incidentsVersionSource // nil: no incidents are shown
	clock     func() time.Time       // monotonic: ages and rebuild budgets

	mu      sync.Mutex
	entries map[string]*cacheEntry
	bytes   int64 // of the documents kept in entries

	zips sync.Pool
}

// newRenderCache returns a cache when the sources can tell that something
// changed, nil otherwise (a source without counters is rendered per
// request, as test fakes are).
func newRenderCache(m MonitorSource, incidents IncidentSource) *renderCache {
	mv, ok := m.(versionSource)
	if !ok {
		return nil
	}
	c := &renderCache{monitor: mv, clock: time.Now, entries: map[string]*cacheEntry{}}
	if incidents != nil {
		iv, ok := incidents.(incidentsVersionSource)
		if !ok {
			return nil
		}
		c.incidents = iv
	}
	c.zips.New = func() any { zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return zw }
	return c
}

// current reads the counters; a document built after this call shows at
// least what they count.
func (c *renderCache) current() stamp {
	v := c.monitor.Versions()
	st := stamp{state: v.State, results: v.Results}
	if c.incidents != nil {
		st.incidents = c.incidents.IncidentsVersion()
	}
	return st
}

// bypassCache marks an in-process request that must see the present
// rather than the cached bytes (the static export, which has just seen
// the content change). Only code in this package can set it.
type bypassCache struct{}

func withoutCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, bypassCache{}, true)
}

// cacheEntry is one document: the bytes served now and the right to
// rebuild them.
type cacheEntry struct {
	key      string
	doc      atomic.Pointer[renderedDoc] // stored under renderCache.mu
	building sync.Mutex
	builds   [rebuildBurst]time.Time // ring of the latest rebuild times
	next     int
}

// renderedDoc is an immutable rendering of one document.
type renderedDoc struct {
	status       int
	header       http.Header
	body, gz     []byte // gz nil: not worth compressing
	etag, gzETag string
	stamp        stamp
	built        time.Time
}

// fresh reports whether d still shows what the counters say.
func (d *renderedDoc) fresh(kind docKind, now stamp, at time.Time) bool {
	if d.stamp.state != now.state || d.stamp.incidents != now.incidents {
		return false
	}
	if kind.live && d.stamp.results != now.results {
		return false
	}
	return at.Sub(d.built) < maxAge
}

// docKind says what a document depends on beyond its path, states,
// incidents and time.
type docKind struct {
	live bool // every probe result (checks.json)
	// query names the query parameters the document reads; any others
	// (cache busters, junk) are the same document.
	query []string
}

// key is the cache key of r for a document of kind k.
func (k docKind) key(r *http.Request) string {
	if len(k.query) == 0 || r.URL.RawQuery == "" {
		return r.URL.Path
	}
	q := r.URL.Query()
	var b strings.Builder
	b.WriteString(r.URL.Path)
	for _, name := range k.query {
		b.WriteString("?" + name + "=" + q.Get(name))
	}
	return b.String()
}

// cached serves h's output from the cache. h must depend only on the
// request's method-independent path and query.
func (c *renderCache) cached(kind docKind, h http.Handler) http.Handler {
	uncached := conditional(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e *cacheEntry
		if r.Context().Value(bypassCache{}) == nil {
			e = c.entry(kind.key(r))
		}
		if e == nil {
			uncached.ServeHTTP(w, r)
			return
		}
		serveRendered(w, r, c.get(e, kind, h, r))
	})
}

// entry returns the cache entry for key, nil when the cache is full.
func (c *renderCache) entry(key string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		return e
	}
	if len(c.entries) >= maxCached {
		c.evictLocked()
		if len(c.entries) >= maxCached {
			return nil
		}
	}
	e := &cacheEntry{key: key}
	c.entries[key] = e
	return e
}

// evictLocked drops entries not rebuilt within maxAge: pages that are
// not being read (or junk query strings).
func (c *renderCache) evictLocked() {
	now := c.clock()
	for k, e := range c.entries {
		if d := e.doc.Load(); d != nil && now.Sub(d.built) >= maxAge {
			delete(c.entries, k)
			c.bytes -= d.size()
		}
	}
}

// get returns the document to serve: the cached one while fresh (or
// while another request rebuilds it, or while the rebuild budget is
// spent), else a new rendering.
func (c *renderCache) get(e *cacheEntry, kind docKind, h http.Handler, r *http.Request) *renderedDoc {
	now := c.current()
	at := c.clock()
	d := e.doc.Load()
	if d != nil && d.fresh(kind, now, at) {
		return d
	}
	if d != nil {
		if !e.building.TryLock() {
			return d // another request is rebuilding it
		}
	} else {
		e.building.Lock() // nothing to serve yet: wait for the first rendering
	}
	defer e.building.Unlock()
	if cur := e.doc.Load(); cur != d && cur != nil {
		return cur // rebuilt while we waited
	}
	if d != nil && at.Sub(e.builds[e.next]) < time.Second {
		return d // rebuilt rebuildBurst times within the last second
	}
	now = c.current()
	nd := c.render(h, r, now)
	if nd.status == http.StatusServiceUnavailable && d != nil {
		return d // too busy to rebuild: the previous bytes beat a refusal
	}
	nd.built = c.clock()
	e.builds[e.next] = nd.built
	e.next = (e.next + 1) % rebuildBurst
	if nd.status == http.StatusOK || nd.status == http.StatusNotFound {
		c.keep(e, nd)
	}
	return nd
}

// keep makes nd the entry's document, within the byte budget: over it,
// stale documents are dropped first, and nd is served this once without
// being kept if there is still no room, or if its entry was dropped while
// it was rendered. Documents are stored under c.mu, so the byte count is
// exact.
func (c *renderCache) keep(e *cacheEntry, nd *renderedDoc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	grow := func() int64 {
		if old := e.doc.Load(); old != nil {
			return nd.size() - old.size()
		}
		return nd.size()
	}
	if c.bytes+grow() > maxCachedBytes {
		c.evictLocked()
	}
	if c.entries[e.key] != e || c.bytes+grow() > maxCachedBytes {
		return
	}
	c.bytes += grow()
	e.doc.Store(nd)
}

// size is what d holds in memory.
func (d *renderedDoc) size() int64 { return int64(len(d.body) + len(d.gz)) }

// render runs h into memory and prepares both encodings.
func (c *renderCache) render(h http.Handler, r *http.Request, st stamp) *renderedDoc {
	get := r.Clone(r.Context())
	get.Method = http.MethodGet
	buf := newBufferedResponse(new(bytes.Buffer))
	h.ServeHTTP(buf, get)
	if buf.status == 0 {
		buf.status = http.StatusOK
	}
	d := &renderedDoc{status: buf.status, header: buf.header, body: buf.body.Bytes(), stamp: st}
	d.header.Add("Vary", "Accept-Encoding")
	sum := sha256.Sum256(d.body)
	tag := hex.EncodeToString(sum[:12])
	d.etag = `"` + tag + `"`
	if len(d.body) >= minGzip {
		var zbuf bytes.Buffer
		zw := c.zips.Get().(*gzip.Writer)
		zw.Reset(&zbuf)
		_, _ = zw.Write(d.body) // writes to memory
		_ = zw.Close()
		c.zips.Put(zw)
		d.gz = zbuf.Bytes()
		d.gzETag = `"` + tag + `-gz"`
	}
	return d
}

// serveRendered writes d for r: 304 on a matching ETag, gzip when
// accepted, no body for HEAD.
func serveRendered(w http.ResponseWriter, r *http.Request, d *renderedDoc) {
	h := w.Header()
	for k, vs := range d.header {
		h[k] = vs[:len(vs):len(vs)] // shared: an append must copy
	}
	body, etag := d.body, d.etag
	gz := d.gz != nil && accept.Gzip(r.Header.Get("Accept-Encoding"))
	if gz {
		body, etag = d.gz, d.gzETag
	}
	if d.status == http.StatusOK {
		h.Set("ETag", etag)
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(d.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
