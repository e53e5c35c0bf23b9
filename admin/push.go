package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/monitor"
)

// The push endpoint of push checks (SPEC §18), for cron jobs and
// internal checks: POST (or GET, for curl one-liners)
// /api/v1/push/{component}/{check}?status=up|down&msg=…&duration=…
// with Authorization: Bearer TOKEN, the check's token_file or token_env.
// It lives beside the admin API because it shares its defences (the
// failed-token limiter, body limits); it sits under the public /api/v1/
// prefix because jobs push to the public address.
//
//   - A token in the URL (a query key such as token, access_token, key,
//     or the check's token anywhere in the query) is refused with 400
//     before anything else: URLs end up in proxy logs and shell history.
//   - An unknown check and a wrong token get the same 401, so a caller
//     without a token cannot find out which checks exist; failures count
//     toward the admin API's per-client limit (10 a minute, then 429).
//   - The query is at most 2 KiB (414 beyond), the body is read and
//     discarded up to 4 KiB (413 beyond); parameters are strict: status
//     up (default) or down, duration a Go duration or seconds, msg
//     cleaned and cut by the monitor; anything else is a 400.
//   - Each check takes about one push a second (a burst of 5), then 429
//     with Retry-After.
//   - Answers are JSON, {"ok": true, "state": "up"} or {"error": …},
//     never cached.

// PushReceiver takes the pushes of push checks; *monitor.Monitor
// implements it.
type PushReceiver interface {
	// PushToken returns the token of push check key, false when there
	// is no such push check.
	PushToken(key string) (config.Secret, bool)
	Push(ctx context.Context, key string, p monitor.Push) (monitor.State, error)
}

var _ PushReceiver = (*monitor.Monitor)(nil)

// PushCounter counts pushes by result (accepted, unauthorized or
// rejected); the metrics package implements it.
type PushCounter interface {
	ObservePush(result string)
}

// Push results, the values of outpost_pushes_total's result label.
const (
	PushAccepted     = "accepted"     // recorded
	PushUnauthorized = "unauthorized" // no or a wrong token (or unknown check), or too many such
	PushRejected     = "rejected"     // anything else refused: method, path, query, body, rate
)

// PushResults lists every result, for pre-creating series.
var PushResults = []string{PushAccepted, PushUnauthorized, PushRejected}

// PushOptions configure the push endpoint.
type PushOptions struct {
	Receiver PushReceiver
	Counter  PushCounter // nil: not counted
	Logger   *slog.Logger
	Now      func() time.Time // default time.Now
}

// Limits of the push endpoint.
const (
	maxPushQuery = 2 << 10
	maxPushBody  = 4 << 10
	pushRate     = time.Second // one push per check and this much time, sustained
	pushBurst    = 5
)

// PushAPI serves /api/v1/push/.
type PushAPI struct {
	opts    PushOptions
	log     *slog.Logger
	limiter *authLimiter
	dummy   []byte // compared against when the check does not exist

	mu      sync.Mutex
	buckets map[string]*pushBucket // per check key
}

// pushBucket is a token bucket: tokens refill one per pushRate up to
// pushBurst.
type pushBucket struct {
	tokens float64
	at     time.Time
}

// NewPushAPI builds the push endpoint; mount Handler at /api/v1/push/.
func NewPushAPI(o PushOptions) *PushAPI {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dummy := make([]byte, 32)
	_, _ = rand.Read(dummy)
	return &PushAPI{opts: o, log: o.Logger, limiter: &authLimiter{failures: map[string]*failureCount{}},
		dummy: dummy, buckets: map[string]*pushBucket{}}
}

// Handler serves POST and GET /api/v1/push/{component}/{check}.
func (p *PushAPI) Handler() http.Handler { return http.HandlerFunc(p.serve) }

func (p *PushAPI) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	result, status, msg, state := p.handle(r)
	if p.opts.Counter != nil {
		p.opts.Counter.ObservePush(result)
	}
	switch status {
	case http.StatusOK:
		httpjson.Write(w, status, map[string]any{"ok": true, "state": state})
		return
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", "GET, POST")
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="outpost push"`)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		if result == PushUnauthorized {
			w.Header().Set("Retry-After", strconv.Itoa(int(authWindow.Seconds())))
		}
	}
	httpjson.Error(w, status, msg)
}

// handle decides one push: its result for the counter, the status code,
// the error message and, when accepted, the check's state.
func (p *PushAPI) handle(r *http.Request) (result string, status int, msg string, state monitor.State) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return PushRejected, http.StatusMethodNotAllowed, "push with POST (or GET)", ""
	}
	key, ok := pushKey(r.URL.Path)
	if !ok {
		return PushRejected, http.StatusNotFound, "no such push endpoint: use /api/v1/push/COMPONENT/CHECK", ""
	}
	if len(r.URL.RawQuery) > maxPushQuery {
		return PushRejected, http.StatusRequestURITooLong, "the query is longer than 2048 bytes; shorten msg", ""
	}
	token, known := p.opts.Receiver.PushToken(key)
	if tokenInQuery(r.URL.RawQuery, token.Reveal()) {
		return PushRejected, http.StatusBadRequest,
			"do not put the token in the URL (it ends up in logs); send it as the header Authorization: Bearer TOKEN", ""
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := p.opts.Now()
	if p.limiter.blocked(ip, now) {
		return PushUnauthorized, http.StatusTooManyRequests, "too many failed attempts; wait a minute", ""
	}
	if !p.authorized(r.Header.Get("Authorization"), token.Reveal(), known) {
		p.limiter.fail(ip, now)
		return PushUnauthorized, http.StatusUnauthorized, "missing or wrong bearer token for this check", ""
	}
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(nil, r.Body, maxPushBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return PushRejected, http.StatusRequestEntityTooLarge, "a push needs no body; send at most 4096 bytes", ""
		}
		return PushRejected, http.StatusBadRequest, "reading the body failed", ""
	}
	push, err := parsePushQuery(r.URL.RawQuery)
	if err != nil {
		return PushRejected, http.StatusBadRequest, err.Error(), ""
	}
	if !p.allow(key, now) {
		return PushRejected, http.StatusTooManyRequests, "more than one push a second for this check; slow down", ""
	}
	st, err := p.opts.Receiver.Push(r.Context(), key, push)
	switch {
	case errors.Is(err, monitor.ErrNoPushCheck): // removed by a reload meanwhile
		return PushRejected, http.StatusNotFound, "no such push check", ""
	case err != nil:
		p.log.Error("push failed", "check", key, "err", err)
		return PushRejected, http.StatusInternalServerError, "internal error; see the outpost log", ""
	}
	return PushAccepted, http.StatusOK, "", st
}

// pushKey returns the check key "component/check" of a push path, false
// when the path is not /api/v1/push/ID/ID.
func pushKey(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/api/v1/push/")
	if !ok {
		return "", false
	}
	comp, check, ok := strings.Cut(rest, "/")
	if !ok || !validID(comp) || !validID(check) {
		return "", false
	}
	return comp + "/" + check, true
}

// validID matches config's ids: 1-63 lower case letters, digits, - or
// _, starting with a letter or digit.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// authorized compares the bearer token of header with token in constant
// time (over SHA-256 sums, so the length is not told either). Without a
// check (known false) a random value stands in, so that an unknown check
// costs the same and fails the same.
func (p *PushAPI) authorized(header, token string, known bool) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		got = ""
	}
	want := []byte(token)
	if !known || token == "" {
		want = p.dummy
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256(want)
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && known && token != ""
}

// allow takes a token from the bucket of check key.
func (p *PushAPI) allow(key string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buckets[key]
	if b == nil {
		if len(p.buckets) > 10_000 { // only authenticated keys get here; bounded anyway
			p.buckets = map[string]*pushBucket{}
		}
		b = &pushBucket{tokens: pushBurst, at: now}
		p.buckets[key] = b
	}
	if now.After(b.at) { // a clock set back refills nothing
		b.tokens = min(pushBurst, b.tokens+float64(now.Sub(b.at))/float64(pushRate))
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
