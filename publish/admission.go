package publish

import (
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/outpost-status/outpost/internal/httpjson"
)

// admission bounds how many public documents are rendered at once, so
// that a crowd on the status page cannot take the CPU that the scheduler,
// the probes and the tick need. A request beyond the bound waits in a
// short queue, parked on a channel (a parked goroutine takes no CPU and
// does not delay the probes' goroutines in the run queue); beyond the
// queue, or after waiting too long, it is answered 503 with Retry-After,
// which browsers and Statuspage clients retry.
//
// It bounds rendering into memory, not sending: a slot held while a slow
// client reads would let a few such clients refuse everybody. Cached
// bytes are sent without a slot; they cost tens of microseconds, so the
// bound matters when rendering is expensive (a cold cache, many distinct
// query strings, 404 pages).
type admission struct {
	slots   chan struct{} // one token per request being served
	waiting chan struct{} // one token per request in the queue
	maxWait time.Duration
}

// Admission limits: twice the cores keeps every core busy while one
// request waits on a write; the queue absorbs a burst of a few hundred
// clients arriving together.
const (
	admissionQueue   = 512
	admissionMaxWait = 2 * time.Second
	retryAfter       = 2 // seconds, in the 503's Retry-After
)

func newAdmission() *admission {
	return &admission{
		slots:   make(chan struct{}, 2*runtime.GOMAXPROCS(0)),
		waiting: make(chan struct{}, admissionQueue),
		maxWait: admissionMaxWait,
	}
}

// newScrapeAdmission bounds /metrics: one scrape costs tens of
// milliseconds with thousands of checks, Prometheus scrapes one at a time,
// and a public crowd on /metrics must neither take the CPU nor be refused
// in place of Prometheus for long.
func newScrapeAdmission() *admission {
	return &admission{slots: make(chan struct{}, 2), waiting: make(chan struct{}, 16), maxWait: 10 * time.Second}
}

// wrap admits requests to h.
func (a *admission) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.acquire(r) {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
			w.Header().Set("Cache-Control", "no-store")
			httpjson.Error(w, http.StatusServiceUnavailable, "the status page is very busy; retry in a few seconds")
			return
		}
		defer func() { <-a.slots }()
		h.ServeHTTP(w, r)
	})
}

// acquire takes a slot, waiting in the queue if there is room; false when
// the request must be refused.
func (a *admission) acquire(r *http.Request) bool {
	select {
	case a.slots <- struct{}{}:
		return true
	default:
	}
	select {
	case a.waiting <- struct{}{}:
	default:
		return false // the queue is full
	}
	defer func() { <-a.waiting }()
	timer := time.NewTimer(a.maxWait)
	defer timer.Stop()
	select {
	case a.slots <- struct{}{}:
		return true
	case <-timer.C:
		return false
	case <-r.Context().Done():
		return false
	}
}
