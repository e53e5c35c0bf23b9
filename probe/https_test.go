package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startHTTPSServer serves h over TLS with cert on 127.0.0.1:0.
func startHTTPSServer(t testing.TB, cert tls.Certificate, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// httpsProbe probes raw with a deadline of timeout (5 s when zero).
func httpsProbe(t testing.TB, p Prober, raw string, o Options, timeout time.Duration) Result {
	t.Helper()
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := p.Probe(ctx, mustTarget(t, raw, o))
	if tt, ok := t.(*testing.T); ok {
		tt.Logf("%s/%s %q status %d phases %s", r.Outcome, r.Class, r.Message, r.Details.HTTPStatus, phaseNames(r.Phases))
	}
	return r
}

// httpsTickClock advances by a millisecond on every reading, so every
// phase that was reached has a positive duration.
type httpsTickClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *httpsTickClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

var httpsOK = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

func TestHTTPSCertificates(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.leaf(t, now.Add(90*24*time.Hour), "127.0.0.1")
	soon := pki.leaf(t, now.Add(3*24*time.Hour), "127.0.0.1")
	expired := pki.leaf(t, now.Add(-24*time.Hour), "127.0.0.1")
	expiredOn := leafNotAfter(t, expired).UTC().Format(time.RFC3339)
	otherPool := newTestPKI(t).Pool()
	tests := []struct {
		name       string
		cert       tls.Certificate
		pool       *x509.CertPool
		opts       Options
		outcome    Outcome
		class      Class
		msg        string
		wantExpiry bool
	}{
		{name: "valid", cert: good, opts: Options{CertMinDays: 14}, outcome: Up, wantExpiry: true},
		{name: "expires in 3 days", cert: soon, opts: Options{CertMinDays: 14}, outcome: Degraded,
			class: ClassCertExpiry, msg: "certificate expires in 3.0 days", wantExpiry: true},
		{name: "expired", cert: expired, opts: Options{CertMinDays: 14}, outcome: Down, class: ClassTLS,
			msg: "certificate expired on " + expiredOn},
		{name: "unknown CA", cert: good, pool: otherPool, outcome: Down, class: ClassTLS,
			msg: `certificate signed by unknown authority (issuer "outpost test CA")`},
		{name: "unknown CA skipped", cert: good, pool: otherPool, opts: Options{InsecureSkipVerify: true},
			outcome: Up, wantExpiry: true},
		{name: "expired skipped", cert: expired, opts: Options{InsecureSkipVerify: true}, outcome: Up, wantExpiry: true},
		{name: "expired skipped but graded", cert: expired, opts: Options{InsecureSkipVerify: true, CertMinDays: 14},
			outcome: Degraded, class: ClassCertExpiry, msg: "certificate expired on " + expiredOn, wantExpiry: true},
		{name: "hostname mismatch", cert: good, opts: Options{ServerName: "other.example"}, outcome: Down,
			class: ClassTLS, msg: "certificate is valid for 127.0.0.1, not other.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startHTTPSServer(t, tc.cert, httpsOK)
			pool := tc.pool
			if pool == nil {
				pool = pki.Pool()
			}
			r := httpsProbe(t, NewHTTP(HTTPConfig{RootCAs: pool}), srv.URL+"/", tc.opts, 0)
			if r.Outcome != tc.outcome || r.Class != tc.class || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s/%s %q, want %s/%s %q", r.Outcome, r.Class, r.Message, tc.outcome, tc.class, tc.msg)
			}
			if !tc.wantExpiry {
				return
			}
			if want := leafNotAfter(t, tc.cert); !r.Details.CertExpiry.Equal(want) {
				t.Errorf("cert expiry %s, want %s", r.Details.CertExpiry, want)
			}
			if r.Details.TLSVersion != "TLS 1.3" || r.Details.HTTPStatus != 200 {
				t.Errorf("tls version %q, status %d", r.Details.TLSVersion, r.Details.HTTPStatus)
			}
		})
	}
}

func TestHTTPSHandshakeFailures(t *testing.T) {
	pki := newTestPKI(t)
	plain := httptest.NewServer(httpsOK)
	t.Cleanup(plain.Close)
	stalled := plainServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	release := make(chan struct{})
	silent := startHTTPSServer(t, pki.leaf(t, time.Now().Add(24*time.Hour), "127.0.0.1"),
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(func() { close(release) }) // runs before silent.Close, which waits for the handler
	tests := []struct {
		name    string
		url     string
		timeout time.Duration
		class   Class
		msg     string
		phases  string
	}{
		{name: "plain http server", url: strings.Replace(plain.URL, "http:", "https:", 1), class: ClassTLS,
			msg: "server answered plain HTTP to an HTTPS request", phases: "connect,tls"},
		{name: "stalled handshake", url: "https://127.0.0.1:" + strconv.Itoa(stalled) + "/", timeout: 300 * time.Millisecond,
			class: ClassTimeout, msg: "in the tls handshake", phases: "connect,tls"},
		{name: "no response", url: silent.URL + "/", timeout: 300 * time.Millisecond,
			class: ClassTimeout, msg: "waiting for the response", phases: "connect,tls,first_byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			began := time.Now()
			r := httpsProbe(t, NewHTTP(HTTPConfig{RootCAs: pki.Pool()}), tc.url, Options{}, tc.timeout)
			if r.Outcome != Down || r.Class != tc.class || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s/%s %q, want down/%s %q", r.Outcome, r.Class, r.Message, tc.class, tc.msg)
			}
			if phaseNames(r.Phases) != tc.phases {
				t.Errorf("phases %q, want %q", phaseNames(r.Phases), tc.phases)
			}
			if tc.timeout > 0 && time.Since(began) > tc.timeout+time.Second {
				t.Errorf("took %s with a %s deadline", time.Since(began), tc.timeout)
			}
		})
	}
}

// hostsHasLocalhost reports whether /etc/hosts maps localhost, so that
// resolving it never asks a DNS server.
func hostsHasLocalhost() bool {
	b, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) > 1 && (f[0] == "127.0.0.1" || f[0] == "::1") && strings.Contains(" "+strings.Join(f[1:], " ")+" ", " localhost ") {
			return true
		}
	}
	return false
}

func TestHTTPSPhases(t *testing.T) {
	pki := newTestPKI(t)
	srv := startHTTPSServer(t, pki.leaf(t, time.Now().Add(24*time.Hour), "127.0.0.1", "localhost"), httpsOK)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name   string
		host   string
		pool   *x509.CertPool
		phases string
	}{
		{name: "ip literal", host: "127.0.0.1", phases: "connect,tls,first_byte,transfer"},
		{name: "host name", host: "localhost", phases: "resolve,connect,tls,first_byte,transfer"},
		{name: "handshake fails", host: "127.0.0.1", pool: x509.NewCertPool(), phases: "connect,tls"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.host == "localhost" && !hostsHasLocalhost() {
				t.Skip("/etc/hosts does not map localhost; resolving it would query DNS")
			}
			pool := tc.pool
			if pool == nil {
				pool = pki.Pool()
			}
			p := NewHTTP(HTTPConfig{Clock: &httpsTickClock{now: time.Now()}, RootCAs: pool})
			r := httpsProbe(t, p, "https://"+net.JoinHostPort(tc.host, strconv.Itoa(port))+"/", Options{}, 0)
			if got := phaseNames(r.Phases); got != tc.phases {
				t.Fatalf("phases %q, want %q (%s %q)", got, tc.phases, r.Outcome, r.Message)
			}
			for _, ph := range r.Phases {
				if ph.Duration <= 0 {
					t.Errorf("phase %s has duration %s", ph.Name, ph.Duration)
				}
			}
		})
	}
}

func TestHTTPSRedirects(t *testing.T) {
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(24*time.Hour), "127.0.0.1")
	tests := []struct {
		name    string
		chain   int
		opts    Options
		outcome Outcome
		class   Class
		msg     string
		status  int
		hits    int64
	}{
		{name: "3 followed", chain: 3, opts: Options{MaxRedirects: 10}, outcome: Up, status: 200, hits: 4},
		{name: "10 followed", chain: 10, opts: Options{MaxRedirects: 10}, outcome: Up, status: 200, hits: 11},
		{name: "11 stopped", chain: 11, opts: Options{MaxRedirects: 10}, outcome: Down, class: ClassStatus,
			msg: "stopped after 10", status: 302, hits: 11},
		{name: "12 stopped", chain: 12, opts: Options{MaxRedirects: 10}, outcome: Down, class: ClassStatus,
			msg: "stopped after 10", status: 302, hits: 11},
		{name: "not followed", chain: 3, opts: Options{MaxRedirects: 0}, outcome: Up, status: 302, hits: 1},
		{name: "not followed, 200 expected", chain: 3, opts: Options{Expect: Expect{Status: []StatusRange{{200, 200}}}},
			outcome: Down, class: ClassStatus, msg: "status 302 Found not expected", status: 302, hits: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("/r/{n}", func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if n, _ := strconv.Atoi(r.PathValue("n")); n > 0 {
					http.Redirect(w, r, "/r/"+strconv.Itoa(n-1), http.StatusFound)
					return
				}
				_, _ = io.WriteString(w, "arrived")
			})
			srv := startHTTPSServer(t, cert, mux)
			r := httpsProbe(t, NewHTTP(HTTPConfig{RootCAs: pki.Pool()}), fmt.Sprintf("%s/r/%d", srv.URL, tc.chain), tc.opts, 0)
			if r.Outcome != tc.outcome || r.Class != tc.class || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s/%s %q, want %s/%s %q", r.Outcome, r.Class, r.Message, tc.outcome, tc.class, tc.msg)
			}
			if r.Details.HTTPStatus != tc.status || hits.Load() != tc.hits {
				t.Errorf("status %d after %d requests, want %d after %d", r.Details.HTTPStatus, hits.Load(), tc.status, tc.hits)
			}
		})
	}
}

// httpsBodyHandler streams size bytes of 'a' with marker written at offset
// at (if at >= 0), without holding the body in memory.
func httpsBodyHandler(size, at int, marker string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		chunk := bytes.Repeat([]byte{'a'}, 32<<10)
		for off := 0; off < size; {
			n := min(len(chunk), size-off)
			if at >= off && at < off+n {
				n = at - off
				if n == 0 {
					if _, err := io.WriteString(w, marker); err != nil {
						return
					}
					off += len(marker)
					continue
				}
			}
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			off += n
		}
	})
}

func TestHTTPSBodyLimit(t *testing.T) {
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(24*time.Hour), "127.0.0.1")
	const marker = "NEEDLE-42"
	contains := Options{Expect: Expect{BodyContains: marker}}
	matches := Options{Expect: Expect{BodyRegex: regexp.MustCompile(`NEEDLE-\d+`)}}
	tests := []struct {
		name    string
		at      int
		opts    Options
		outcome Outcome
		msg     string
	}{
		{name: "contains early marker", at: 1000, opts: contains, outcome: Up},
		{name: "contains marker ending at the cap", at: maxHTTPBody - len(marker), opts: contains, outcome: Up},
		{name: "marker across the cap", at: maxHTTPBody - 3, opts: contains, outcome: Down, msg: "body does not contain"},
		{name: "marker after the cap", at: maxHTTPBody + 10, opts: contains, outcome: Down, msg: "body does not contain"},
		{name: "regex early marker", at: 1000, opts: matches, outcome: Up},
		{name: "regex after the cap", at: maxHTTPBody + 10, opts: matches, outcome: Down, msg: "body does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startHTTPSServer(t, cert, httpsBodyHandler(2*maxHTTPBody, tc.at, marker))
			r := httpsProbe(t, NewHTTP(HTTPConfig{RootCAs: pki.Pool()}), srv.URL+"/", tc.opts, 0)
			if r.Outcome != tc.outcome || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %s/%s %q, want %s %q", r.Outcome, r.Class, r.Message, tc.outcome, tc.msg)
			}
			if r.Outcome == Down && r.Class != ClassBody {
				t.Errorf("class %s, want body", r.Class)
			}
		})
	}
}

// TestHTTPSBodyMemoryBounded probes a 64 MiB body: the probe allocates a
// bounded amount however large the body is.
func TestHTTPSBodyMemoryBounded(t *testing.T) {
	pki := newTestPKI(t)
	srv := startHTTPSServer(t, pki.leaf(t, time.Now().Add(24*time.Hour), "127.0.0.1"), httpsBodyHandler(64<<20, -1, ""))
	p := NewHTTP(HTTPConfig{RootCAs: pki.Pool()})
	o := Options{Expect: Expect{BodyContains: "absent"}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := httpsProbe(t, p, srv.URL+"/", o, 0)
	runtime.ReadMemStats(&after)
	if r.Outcome != Down || r.Class != ClassBody {
		t.Fatalf("got %s/%s %q, want down/body", r.Outcome, r.Class, r.Message)
	}
	const limit = 8 << 20
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("probe of a 64 MiB body allocated %d bytes", alloc)
	if alloc > limit {
		t.Errorf("probe of a 64 MiB body allocated %d bytes, want at most %d", alloc, limit)
	}
}

func TestHTTPSCredentialsRedacted(t *testing.T) {
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(24*time.Hour), "127.0.0.1")
	closed := "127.0.0.1:" + strconv.Itoa(closedPort(t, "tcp"))
	failing := startHTTPSServer(t, cert, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	loop := startHTTPSServer(t, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://user:secret@"+r.Host+"/again?token=tok3n", http.StatusFound)
	}))
	stalled := plainServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	withCreds := func(hostport string) string { return "https://user:secret@" + hostport + "/path?token=tok3n" }
	tests := []struct {
		name    string
		url     string
		pool    *x509.CertPool
		timeout time.Duration
		class   Class
	}{
		{name: "refused", url: withCreds(closed), class: ClassRefused},
		{name: "unknown CA", url: withCreds(failing.Listener.Addr().String()), pool: x509.NewCertPool(), class: ClassTLS},
		{name: "status", url: withCreds(failing.Listener.Addr().String()), class: ClassStatus},
		{name: "redirect loop", url: withCreds(loop.Listener.Addr().String()), class: ClassStatus},
		{name: "timeout", url: withCreds("127.0.0.1:" + strconv.Itoa(stalled)), timeout: 300 * time.Millisecond, class: ClassTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pool := tc.pool
			if pool == nil {
				pool = pki.Pool()
			}
			r := httpsProbe(t, NewHTTP(HTTPConfig{RootCAs: pool}), tc.url, Options{MaxRedirects: 10}, tc.timeout)
			if r.Outcome != Down || r.Class != tc.class || r.Message == "" {
				t.Fatalf("got %s/%s %q, want down/%s", r.Outcome, r.Class, r.Message, tc.class)
			}
			all := fmt.Sprintf("%+v", r)
			for _, secret := range []string{"secret", "tok3n"} {
				if strings.Contains(all, secret) {
					t.Errorf("result mentions %q: %s", secret, all)
				}
			}
		})
	}
}

func BenchmarkHTTPSProbe(b *testing.B) {
	pki := newTestPKI(b)
	srv := startHTTPSServer(b, pki.leaf(b, time.Now().Add(24*time.Hour), "127.0.0.1"), httpsOK)
	p := NewHTTP(HTTPConfig{RootCAs: pki.Pool()})
	target := mustTarget(b, srv.URL+"/", Options{Expect: Expect{BodyContains: "ok"}})
	benchProbes(b, p, target, nil)
}

// TestHTTPProbeFreshConnectionEveryTime: what a customer's first request
// sees, so no connection and no TLS session is reused between probes.
func TestHTTPProbeFreshConnectionEveryTime(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			pki := newTestPKI(t)
			var mu sync.Mutex
			conns, resumed := 0, 0
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.TLS.DidResume {
					mu.Lock()
					resumed++
					mu.Unlock()
				}
			}))
			srv.EnableHTTP2 = proto == "h2"
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.leaf(t, time.Now().Add(24*time.Hour), "127.0.0.1")}}
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					mu.Lock()
					conns++
					mu.Unlock()
				}
			}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			p := NewHTTP(HTTPConfig{RootCAs: pki.Pool()})
			target := mustTarget(t, srv.URL+"/", Options{})
			for range 3 {
				if r := p.Probe(context.Background(), target); r.Outcome != Up {
					t.Fatalf("%s/%s %s", r.Outcome, r.Class, r.Message)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if conns != 3 || resumed != 0 {
				t.Errorf("3 probes made %d connections with %d resumed TLS sessions, want 3 and 0", conns, resumed)
			}
		})
	}
}
