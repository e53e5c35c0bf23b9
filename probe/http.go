package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxHTTPBody caps how much of a response body is read and matched.
const maxHTTPBody = 1 << 20

// maxHTTPHeaderBytes caps response headers so a hostile server cannot make
// the monitor buffer megabytes.
const maxHTTPHeaderBytes = 256 << 10

var errTooManyRedirects = errors.New("too many redirects")

// HTTPConfig configures an HTTPProber.
type HTTPConfig struct {
	Clock     Clock          // default SystemClock
	RootCAs   *x509.CertPool // default: the system pool
	UserAgent string         // default "outpost"
	// Resolver resolves the URL's host (and redirect targets); nil means
	// the system's.
	Resolver *NameResolver
}

// HTTPProber sends one HTTP request per probe over a fresh connection, which
// is what a customer's first request sees.
type HTTPProber struct {
	clock     Clock
	rootCAs   *x509.CertPool
	userAgent string
	resolver  *NameResolver

	// transports holds one Transport per TLS setting. Keep-alives are off,
	// so every request still dials a new connection and makes a full TLS
	// handshake (there is no session cache); sharing only saves building
	// a Transport per probe.
	mu         sync.Mutex
	transports map[tlsKey]*http.Transport
}

// tlsKey is what distinguishes transports.
type tlsKey struct {
	insecure   bool
	serverName string
}

func (p *HTTPProber) transport(o Options) *http.Transport {
	key := tlsKey{o.InsecureSkipVerify, o.ServerName}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.transports[key]; ok {
		return t
	}
	t := &http.Transport{
		Proxy:                  nil,                                                                          // probe the target itself, never via an environment proxy
		DialContext:            (&net.Dialer{KeepAlive: -1, Resolver: p.resolver.NetResolver()}).DialContext, // a probe's connection lives seconds: no keep-alive probes, four setsockopt calls fewer
		TLSClientConfig:        &tls.Config{RootCAs: p.rootCAs, InsecureSkipVerify: key.insecure, ServerName: key.serverName},
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      true,
		MaxResponseHeaderBytes: maxHTTPHeaderBytes,
		// Every probe is a new connection with its own buffers. A probe's
		// request is a few hundred bytes, and longer response lines are
		// still read whole, so the 4 KiB defaults only cost allocation.
		WriteBufferSize: 1 << 10,
		ReadBufferSize:  2 << 10,
	}
	if p.transports == nil {
		p.transports = map[tlsKey]*http.Transport{}
	}
	p.transports[key] = t
	return t
}

var _ Prober = (*HTTPProber)(nil)

// NewHTTP returns an HTTP(S) prober.
func NewHTTP(c HTTPConfig) *HTTPProber {
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.UserAgent == "" {
		c.UserAgent = "outpost"
	}
	if c.Resolver == nil {
		c.Resolver, _ = NewNameResolver("") // the system's: cannot fail
	}
	return &HTTPProber{clock: c.Clock, rootCAs: c.RootCAs, userAgent: c.UserAgent, resolver: c.Resolver}
}

// Probe implements Prober.
func (p *HTTPProber) Probe(ctx context.Context, t Target) Result {
	start := p.clock.Now()
	o := t.Options
	tracer := newHTTPTracer(p.clock)
	req, err := p.newRequest(httptrace.WithClientTrace(ctx, tracer.trace()), t)
	if err != nil {
		return failure(start, since(p.clock, start), ClassProtocol, "build request: %v", err)
	}
	client := &http.Client{Transport: p.transport(o), CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if o.MaxRedirects <= 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > o.MaxRedirects {
			return fmt.Errorf("%w: stopped after %d", errTooManyRedirects, o.MaxRedirects)
		}
		return nil
	}}
	resp, err := client.Do(req)
	if err != nil {
		r := p.requestFailed(start, tracer, err)
		if resp != nil { // a redirect CheckRedirect refused; its body is closed
			r.Details.HTTPStatus = resp.StatusCode
		}
		return r
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
	tracer.bodyDone()
	r := Result{Start: start, Duration: since(p.clock, start), Outcome: Up, Phases: tracer.phases(),
		Details: Details{HTTPStatus: resp.StatusCode, RemoteAddr: tracer.remoteAddr()}}
	if resp.TLS != nil {
		r.Details.CertExpiry = earliestExpiry(*resp.TLS)
		r.Details.TLSVersion = tls.VersionName(resp.TLS.Version)
	}
	if readErr != nil {
		class := classify(readErr)
		if class == ClassNetwork && isHTTPProtocolError(readErr) {
			class = ClassProtocol
		}
		return p.fail(r, class, "reading body: %s", errorMessage(readErr))
	}
	if !statusAccepted(resp.StatusCode, o.Expect.Status, StatusRange{200, 399}) {
		return p.fail(r, ClassStatus, "status %d %s not expected", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if e := o.Expect; e.BodyContains != "" && !bytes.Contains(body, []byte(e.BodyContains)) {
		return p.fail(r, ClassBody, "body does not contain %q", e.BodyContains)
	}
	if e := o.Expect; e.BodyRegex != nil && !e.BodyRegex.Match(body) {
		return p.fail(r, ClassBody, "body does not match %q", e.BodyRegex.String())
	}
	return grade(r, o, p.clock.Now())
}

func (p *HTTPProber) newRequest(ctx context.Context, t Target) (*http.Request, error) {
	o := t.Options
	method := o.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if o.Body != "" {
		body = strings.NewReader(o.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", p.userAgent)
	for k, vs := range o.Headers {
		if strings.EqualFold(k, "Host") && len(vs) > 0 {
			req.Host = vs[0]
			continue
		}
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	return req, nil
}

func (p *HTTPProber) requestFailed(start time.Time, tracer *httpTracer, err error) Result {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // url.Error repeats the URL, which may hold credentials
	}
	p.resolver.nameServer(err)
	during := tracer.abort()
	d := since(p.clock, start)
	class := classify(err)
	msg := errorMessage(err)
	if m, ok := describeTLSError(err, p.clock.Now()); ok {
		class, msg = ClassTLS, m
	}
	switch {
	case errors.Is(err, errTooManyRedirects):
		class = ClassStatus
	case errors.Is(err, http.ErrSchemeMismatch):
		class, msg = ClassTLS, "server answered plain HTTP to an HTTPS request (use http:// or the TLS port)"
	case class == ClassNetwork && isHTTPProtocolError(err):
		class = ClassProtocol
	case class == ClassTimeout && during != "":
		msg = fmt.Sprintf("timed out after %s %s", d.Round(time.Millisecond), phaseActivity(during))
	}
	r := failure(start, d, class, "%s", msg)
	r.Phases = tracer.phases()
	r.Details.RemoteAddr = tracer.remoteAddr()
	return r
}

// isHTTPProtocolError reports whether err says the server did not speak
// HTTP (garbage, headers over the cap, a broken chunked body) rather than
// a socket failure. net/http has no exported sentinels for these, so the
// fragments of its messages are matched.
func isHTTPProtocolError(err error) bool {
	fragments := [...]string{
		"net/http: server response headers exceeded",
		"malformed HTTP",
		"malformed MIME header",
		"chunked encoding", // net/internal/chunked: malformed, too much non-data
		"chunk length",     // invalid byte in chunk length, chunk length too large
	}
	msg := err.Error()
	for _, f := range fragments {
		if strings.Contains(msg, f) {
			return true
		}
	}
	return false
}

func (p *HTTPProber) fail(r Result, class Class, format string, args ...any) Result {
	r.Outcome, r.Class = Down, class
	r.Message = redactString(fmt.Sprintf(format, args...))
	return r
}

// httpPhases are the phases an HTTP probe reports, in the order they
// normally happen.
var httpPhases = [...]string{"resolve", "connect", "tls", "first_byte", "transfer"}

// Indexes into httpPhases.
const (
	phaseResolve = iota
	phaseConnect
	phaseTLS
	phaseFirstByte
	phaseTransfer
)

// httpTracer collects phase timings over all requests of one probe
// (redirects add up). Hooks may run on other goroutines, even after the
// request failed, hence the mutex. Fixed arrays rather than maps: this
// runs for every probe.
type httpTracer struct {
	clock   Clock
	mu      sync.Mutex
	sums    [len(httpPhases)]time.Duration
	opened  [len(httpPhases)]time.Time // when a phase not yet ended started
	isOpen  [len(httpPhases)]bool
	order   [len(httpPhases)]int8 // phases in the order they first started
	started int                   // entries of order in use
	done    bool                  // set by abort: late hooks change nothing
	addr    string
}

func newHTTPTracer(c Clock) *httpTracer { return &httpTracer{clock: c} }

// start opens phase i.
func (h *httpTracer) start(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return
	}
	if !slices.Contains(h.order[:h.started], int8(i)) {
		h.order[h.started] = int8(i)
		h.started++
	}
	h.opened[i], h.isOpen[i] = h.clock.Now(), true
}

// end closes phase i if it is open.
func (h *httpTracer) end(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.isOpen[i] {
		return
	}
	h.isOpen[i] = false
	h.sums[i] += h.clock.Now().Sub(h.opened[i])
}

func (h *httpTracer) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { h.start(phaseResolve) },
		DNSDone:           func(httptrace.DNSDoneInfo) { h.end(phaseResolve) },
		ConnectStart:      func(_, _ string) { h.start(phaseConnect) },
		ConnectDone:       func(_, _ string, _ error) { h.end(phaseConnect) },
		TLSHandshakeStart: func() { h.start(phaseTLS) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { h.end(phaseTLS) },
		GotConn: func(info httptrace.GotConnInfo) {
			h.start(phaseFirstByte)
			h.mu.Lock()
			h.addr = info.Conn.RemoteAddr().String()
			h.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			h.end(phaseFirstByte)
			h.start(phaseTransfer)
		},
	}
}

func (h *httpTracer) bodyDone() { h.end(phaseTransfer) }

// abort ends the phases still open when the request failed (the transport
// may still be dialling in the background) and returns the latest of them.
func (h *httpTracer) abort() (during string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = true
	now := h.clock.Now()
	for _, i := range h.order[:h.started] {
		if h.isOpen[i] {
			h.sums[i] += now.Sub(h.opened[i])
			h.isOpen[i] = false
			during = httpPhases[i]
		}
	}
	return during
}

func (h *httpTracer) remoteAddr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr
}

func (h *httpTracer) phases() []Phase {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Phase, 0, h.started)
	for _, i := range h.order[:h.started] {
		out = append(out, Phase{Name: httpPhases[i], Duration: h.sums[i]})
	}
	return out
}

// phaseActivity describes what a probe was doing during phase name.
func phaseActivity(name string) string {
	switch name {
	case "resolve":
		return "resolving the host name"
	case "connect":
		return "connecting"
	case "tls":
		return "in the tls handshake"
	case "first_byte":
		return "waiting for the response"
	}
	return "reading the response"
}
