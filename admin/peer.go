package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/monitor"
)

// PeerProber probes checks now for a peer and lists the checks;
// *monitor.Monitor implements it.
type PeerProber interface {
	ProbeNow(ctx context.Context, keys []string) map[string]monitor.PeerVerdict
	CheckKeys() []string
}

var _ PeerProber = (*monitor.Monitor)(nil)

// PeerOptions configure the peer API.
type PeerOptions struct {
	Prober   PeerProber
	Location string // this outpost's location.id, named in every answer
	// Token is the token peers present (peer_api.token_file); the peer
	// API is off (404) while it is empty. SetToken replaces it.
	Token  string
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
	// Rate and Burst limit requests per client address after
	// authentication: a peer holding the token still cannot make this
	// outpost probe its targets without pause. Defaults peerRate and
	// peerBurst.
	Rate  float64
	Burst int
	// MaxWait bounds how long a confirmation waits for its probes;
	// default peerMaxWait, inside the server's write timeout.
	MaxWait time.Duration
}

// Defaults and limits of the peer API.
const (
	peerRate    = 10 // requests per second and client
	peerBurst   = 50 // a publisher asks about many checks when a whole site goes down
	peerMaxWait = 25 * time.Second
	// maxPeerKey is the longest check key: two ids of 63 characters.
	maxPeerKey = 127
)

// PeerAPI serves the peer API under /api/peer/v1/ (SPEC §17): other
// outposts of the deployment ask this one to probe checks now.
type PeerAPI struct {
	opts    PeerOptions
	log     *slog.Logger
	mux     *http.ServeMux
	token   atomic.Pointer[string]
	limiter *authLimiter // failed tokens per client address
	rate    *rateLimiter // requests per client address
}

// NewPeerAPI builds the peer API's routes.
func NewPeerAPI(o PeerOptions) *PeerAPI {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rate <= 0 {
		o.Rate = peerRate
	}
	if o.Burst <= 0 {
		o.Burst = peerBurst
	}
	if o.MaxWait <= 0 {
		o.MaxWait = peerMaxWait
	}
	p := &PeerAPI{opts: o, log: o.Logger, mux: http.NewServeMux(),
		limiter: &authLimiter{failures: map[string]*failureCount{}},
		rate:    &rateLimiter{rate: o.Rate, burst: float64(o.Burst), buckets: map[string]*bucket{}}}
	p.SetToken(o.Token)
	p.mux.HandleFunc("POST "+monitor.PeerConfirmPath, p.confirm)
	p.mux.HandleFunc("GET "+monitor.PeerChecksPath, p.checks)
	p.mux.HandleFunc("/api/peer/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusNotFound, "no such peer endpoint: "+r.Method+" "+r.URL.Path)
	})
	return p
}

// SetToken replaces the token peers present (a reload read a new
// peer_api.token_file); the old one stops working at once. Empty turns
// the peer API off. Safe for concurrent use.
func (p *PeerAPI) SetToken(token string) { p.token.Store(&token) }

// Handler serves every path under /api/peer/, authenticated and rate
// limited; mount it there.
func (p *PeerAPI) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		current := *p.token.Load()
		if current == "" || p.opts.Prober == nil {
			httpjson.Error(w, http.StatusNotFound, "the peer API is off: set peer_api.token_file")
			return
		}
		now := p.opts.Now()
		if !p.limiter.bearer(w, r, current, now, "outpost peer",
			"missing or wrong bearer token: present the content of this outpost's peer_api.token_file (peers[].token_file)") {
			return
		}
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		if wait, ok := p.rate.allow(ip, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()+0.999))))
			httpjson.Error(w, http.StatusTooManyRequests, "too many peer requests; slow down")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, monitor.MaxPeerRequestBody)
		p.mux.ServeHTTP(w, r)
	})
}

// confirm answers POST /api/peer/v1/confirm {"keys": [...]} with fresh
// verdicts for every key.
func (p *PeerAPI) confirm(w http.ResponseWriter, r *http.Request) {
	keys, err := DecodeConfirmRequest(r.Body)
	if err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		httpjson.Error(w, status, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.opts.MaxWait)
	defer cancel()
	start := time.Now()
	results := p.opts.Prober.ProbeNow(ctx, keys)
	p.log.Debug("peer confirmation", "keys", len(keys), "duration", time.Since(start))
	httpjson.Write(w, http.StatusOK, monitor.PeerConfirmAnswer{Location: p.opts.Location, Results: results})
}

// checks answers GET /api/peer/v1/checks with the sorted check keys.
func (p *PeerAPI) checks(w http.ResponseWriter, _ *http.Request) {
	httpjson.Write(w, http.StatusOK, monitor.PeerChecksAnswer{Location: p.opts.Location, Checks: p.opts.Prober.CheckKeys()})
}

// DecodeConfirmRequest reads a confirmation request strictly: one JSON
// object {"keys": [...]} with 1 to monitor.MaxPeerKeys check keys of at
// most maxPeerKey bytes, no other fields. Duplicates are dropped.
func DecodeConfirmRequest(body io.Reader) ([]string, error) {
	var req struct {
		Keys []string `json:"keys"`
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return nil, fmt.Errorf("body larger than %d bytes: %w", monitor.MaxPeerRequestBody, err)
		case errors.Is(err, io.EOF):
			return nil, errors.New(`empty body; send {"keys": ["component/check", ...]}`)
		}
		return nil, fmt.Errorf(`not a confirmation request {"keys": ["component/check", ...]}: %v`, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("one JSON object expected")
	}
	switch {
	case len(req.Keys) == 0:
		return nil, errors.New(`keys is empty; name the checks to probe: {"keys": ["component/check"]}`)
	case len(req.Keys) > monitor.MaxPeerKeys:
		return nil, fmt.Errorf("%d keys; at most %d per request", len(req.Keys), monitor.MaxPeerKeys)
	}
	seen := make(map[string]bool, len(req.Keys))
	keys := req.Keys[:0]
	for _, k := range req.Keys {
		if len(k) == 0 || len(k) > maxPeerKey {
			return nil, fmt.Errorf("key of %d bytes; a check key is component/check, 3 to %d bytes", len(k), maxPeerKey)
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// rateLimiter is a token bucket per client address.
type rateLimiter struct {
	rate, burst float64
	mu          sync.Mutex
	buckets     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// allow takes a token from ip's bucket; when none is left it returns how
// long until one is.
func (l *rateLimiter) allow(ip string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 10_000 {
		l.buckets = map[string]*bucket{} // bounded memory under a spray of addresses
	}
	b := l.buckets[ip]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[ip] = b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
	}
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}
