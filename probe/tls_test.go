package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// tlsTestServer is a loopback TLS listener that completes handshakes and
// remembers the SNI of the last one.
type tlsTestServer struct {
	addr *net.TCPAddr
	mu   sync.Mutex
	sni  []string
}

func (s *tlsTestServer) port() int { return s.addr.Port }

func (s *tlsTestServer) lastSNI() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sni) == 0 {
		return "<no handshake>"
	}
	return s.sni[len(s.sni)-1]
}

// startTLSServer serves cfg on 127.0.0.1:0, completing every handshake;
// unless cfg has its own GetConfigForClient it records each SNI.
func startTLSServer(t testing.TB, cfg *tls.Config) *tlsTestServer {
	t.Helper()
	s := &tlsTestServer{}
	cfg = cfg.Clone()
	if cfg.GetConfigForClient == nil {
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			s.mu.Lock()
			s.sni = append(s.sni, hello.ServerName)
			s.mu.Unlock()
			return nil, nil
		}
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().(*net.TCPAddr)
	serveLoopback(t, ln, func(c net.Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if c.(*tls.Conn).HandshakeContext(ctx) == nil {
			_, _ = io.Copy(io.Discard, c) // until the client's close_notify
		}
	})
	return s
}

// serveLoopback accepts on ln and runs handle per connection (closing it
// afterwards) until the test ends; cleanup closes the listener and waits.
func serveLoopback(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					c.Close()
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
				}()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

// tlsTestResolver resolves names from a fixed table; nothing leaves the process.
type tlsTestResolver map[string][]netip.Addr

func (r tlsTestResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func leafNotAfter(t testing.TB, c tls.Certificate) time.Time {
	t.Helper()
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.NotAfter
}

func mustTarget(t testing.TB, raw string, o Options) Target {
	t.Helper()
	tg, err := NewTarget(raw, o)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// tlsCertCase is one case of TestTLSProbeCertificates.
type tlsCertCase struct {
	name       string
	cert       tls.Certificate
	host       string // default 127.0.0.1
	pool       *x509.CertPool
	opts       Options
	outcome    Outcome
	class      Class
	msg        string // substring of Message
	phases     string
	sni        string
	wantExpiry bool
}

func (tc tlsCertCase) check(t *testing.T, r Result, srv *tlsTestServer) {
	t.Helper()
	t.Logf("%s/%s %q phases %s", r.Outcome, r.Class, r.Message, phaseNames(r.Phases))
	if r.Outcome != tc.outcome || r.Class != tc.class {
		t.Fatalf("got %s/%s %q, want %s/%s", r.Outcome, r.Class, r.Message, tc.outcome, tc.class)
	}
	if !strings.Contains(r.Message, tc.msg) {
		t.Errorf("message %q does not contain %q", r.Message, tc.msg)
	}
	if tc.phases != "" && phaseNames(r.Phases) != tc.phases {
		t.Errorf("phases %q, want %q", phaseNames(r.Phases), tc.phases)
	}
	if tc.outcome.Passed() && srv.lastSNI() != tc.sni {
		t.Errorf("server saw SNI %q, want %q", srv.lastSNI(), tc.sni)
	}
	if r.Details.RemoteAddr != srv.addr.String() {
		t.Errorf("remote addr %q, want %q", r.Details.RemoteAddr, srv.addr)
	}
	if tc.wantExpiry {
		if want := leafNotAfter(t, tc.cert); !r.Details.CertExpiry.Equal(want) {
			t.Errorf("cert expiry %s, want %s", r.Details.CertExpiry, want)
		}
		if r.Details.TLSVersion != "TLS 1.3" {
			t.Errorf("tls version %q", r.Details.TLSVersion)
		}
	} else if !r.Details.CertExpiry.IsZero() {
		t.Errorf("cert expiry %s on a failed probe", r.Details.CertExpiry)
	}
}

func TestTLSProbeCertificates(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.leaf(t, now.Add(90*24*time.Hour), "127.0.0.1", "svc.example")
	soon := pki.leaf(t, now.Add(3*24*time.Hour), "127.0.0.1")
	expired := pki.leaf(t, now.Add(-24*time.Hour), "127.0.0.1")
	future := pki.leafBetween(t, now.Add(24*time.Hour), now.Add(48*time.Hour), "127.0.0.1")
	names := pki.leaf(t, now.Add(90*24*time.Hour), "a.example", "b.example")
	onlyName := pki.leaf(t, now.Add(90*24*time.Hour), "localhost")
	otherPool := newTestPKI(t).Pool()
	resolver := tlsTestResolver{"svc.example": {netip.MustParseAddr("127.0.0.1")}}

	tests := []tlsCertCase{
		{name: "valid ip literal", cert: good, outcome: Up, phases: "connect,tls", sni: "", wantExpiry: true},
		{name: "valid name via resolver", cert: good, host: "svc.example", outcome: Up,
			phases: "resolve,connect,tls", sni: "svc.example", wantExpiry: true},
		{name: "server name override", cert: names, opts: Options{ServerName: "b.example"}, outcome: Up,
			phases: "connect,tls", sni: "b.example", wantExpiry: true},
		{name: "expires in 3 days", cert: soon, opts: Options{CertMinDays: 14}, outcome: Degraded,
			class: ClassCertExpiry, msg: "certificate expires in 3.0 days", wantExpiry: true},
		{name: "expires in 3 days without grading", cert: soon, outcome: Up, wantExpiry: true},
		{name: "expired", cert: expired, opts: Options{CertMinDays: 14}, outcome: Down, class: ClassTLS,
			msg: "certificate expired on " + leafNotAfter(t, expired).UTC().Format(time.RFC3339), phases: "connect,tls"},
		{name: "not yet valid", cert: future, outcome: Down, class: ClassTLS, msg: "certificate is not yet valid (valid from "},
		{name: "unknown authority", cert: good, pool: otherPool, outcome: Down, class: ClassTLS,
			msg: `certificate signed by unknown authority (issuer "outpost test CA")`},
		{name: "unknown authority skipped", cert: good, pool: otherPool, opts: Options{InsecureSkipVerify: true},
			outcome: Up, wantExpiry: true},
		{name: "hostname mismatch", cert: names, opts: Options{ServerName: "other.example"}, outcome: Down,
			class: ClassTLS, msg: "certificate is valid for a.example, b.example, not other.example", sni: "other.example"},
		{name: "ip literal not in certificate", cert: onlyName, outcome: Down, class: ClassTLS,
			msg: "certificate is valid for localhost, not 127.0.0.1", sni: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{tc.cert}})
			pool := tc.pool
			if pool == nil {
				pool = pki.Pool()
			}
			host := tc.host
			if host == "" {
				host = "127.0.0.1"
			}
			p := NewTLS(TLSConfig{RootCAs: pool, Resolver: resolver})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r := p.Probe(ctx, mustTarget(t, "tls://"+net.JoinHostPort(host, strconv.Itoa(srv.port())), tc.opts))
			tc.check(t, r, srv)
		})
	}
}

func TestTLSProbeFailures(t *testing.T) {
	pki := newTestPKI(t)
	cert := pki.leaf(t, time.Now().Add(24*time.Hour), "127.0.0.1")
	tests := []struct {
		name    string
		serve   func(t *testing.T) int // returns the port
		timeout time.Duration
		class   Class
		msg     string
		phases  string
	}{
		{name: "stalled handshake", timeout: 300 * time.Millisecond, class: ClassTimeout,
			msg: "tls handshake: no answer within", phases: "connect,tls",
			serve: func(t *testing.T) int {
				return plainServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
			}},
		{name: "refused", class: ClassRefused, msg: "connection refused", phases: "",
			serve: func(t *testing.T) int { return closedPort(t, "tcp") }},
		{name: "not tls", class: ClassTLS, msg: `server did not answer with TLS (got "220 s")`, phases: "connect,tls",
			serve: func(t *testing.T) int {
				return plainServer(t, func(c net.Conn) { _, _ = io.WriteString(c, "220 smtp.example ESMTP\r\n") })
			}},
		{name: "server closes", class: ClassTLS, msg: "tls handshake: server closed the connection", phases: "connect,tls",
			serve: func(t *testing.T) int {
				return plainServer(t, func(c net.Conn) {
					_ = c.(*net.TCPConn).CloseWrite()
					_, _ = io.Copy(io.Discard, c)
				})
			}},
		{name: "server alert", class: ClassTLS, msg: "server aborted the tls handshake: internal error", phases: "connect,tls",
			serve: func(t *testing.T) int {
				return startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{cert},
					GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
						return nil, errors.New("no configuration for this client")
					}}).port()
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			port := tc.serve(t)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			began := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			r := NewTLS(TLSConfig{RootCAs: pki.Pool()}).Probe(ctx, mustTarget(t, "tls://127.0.0.1:"+strconv.Itoa(port), Options{}))
			took := time.Since(began)
			t.Logf("%s/%s %q after %s", r.Outcome, r.Class, r.Message, took)
			if r.Outcome != Down || r.Class != tc.class {
				t.Fatalf("got %s/%s %q, want down/%s", r.Outcome, r.Class, r.Message, tc.class)
			}
			if !strings.Contains(r.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", r.Message, tc.msg)
			}
			if phaseNames(r.Phases) != tc.phases {
				t.Errorf("phases %q, want %q", phaseNames(r.Phases), tc.phases)
			}
			if took > timeout+time.Second {
				t.Errorf("probe took %s with a %s deadline", took, timeout)
			}
			if tc.class == ClassTimeout && took < timeout {
				t.Errorf("timed out after %s, before the %s deadline", took, timeout)
			}
		})
	}
}

// plainServer runs handle for every TCP connection to a loopback port.
func plainServer(t testing.TB, handle func(net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveLoopback(t, ln, handle)
	return ln.Addr().(*net.TCPAddr).Port
}

func BenchmarkTLSProbe(b *testing.B) {
	pki := newTestPKI(b)
	srv := startTLSServer(b, &tls.Config{Certificates: []tls.Certificate{pki.leaf(b, time.Now().Add(24*time.Hour), "127.0.0.1")}})
	p := NewTLS(TLSConfig{RootCAs: pki.Pool()})
	target := mustTarget(b, "tls://127.0.0.1:"+strconv.Itoa(srv.port()), Options{})
	benchProbes(b, p, target, nil)
}
