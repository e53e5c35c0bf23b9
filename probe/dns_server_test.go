package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startDNSTestServer serves h over UDP and TCP on the same 127.0.0.1 port.
func startDNSTestServer(t testing.TB, h dns.Handler) netip.AddrPort {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().(*net.UDPAddr).AddrPort()
		ln, err := net.Listen("tcp", addr.String())
		if err != nil { // the port is taken for TCP: try another one
			pc.Close()
			continue
		}
		serveDNSTest(t, &dns.Server{PacketConn: pc, Handler: h})
		serveDNSTest(t, &dns.Server{Listener: ln, Handler: h})
		return addr
	}
	t.Fatal("no free port for both udp and tcp on 127.0.0.1")
	return netip.AddrPort{}
}

// startDNSTestUDPOnly serves h over UDP only (TCP on that port is closed).
func startDNSTestUDPOnly(t testing.TB, h dns.Handler) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveDNSTest(t, &dns.Server{PacketConn: pc, Handler: h})
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// startDoTTestServer serves h over DNS over TLS with cert on 127.0.0.1.
func startDoTTestServer(t testing.TB, h dns.Handler, cert tls.Certificate) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	tl := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	serveDNSTest(t, &dns.Server{Listener: tl, Handler: h})
	return addr
}

// serveDNSTest starts srv, waits for NotifyStartedFunc and shuts it down in
// t.Cleanup.
func serveDNSTest(t testing.TB, srv *dns.Server) {
	t.Helper()
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("dns test server: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("dns test server did not start within 5s")
	}
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Errorf("dns test server shutdown: %v", err)
		}
		<-done
	})
}

// newDNSTestMux returns a fresh mux for outpost.test. whose first label
// picks the behaviour:
//
//	ok       A: 192.0.2.1 and 192.0.2.2; MX: 10 mail.outpost.test.
//	missing  NXDOMAIN          fail    SERVFAIL
//	empty    NOERROR, no answers
//	big      over UDP: TC set and no answers; over TCP: three A records
//	silent   never replies     noq     REFUSED with the question stripped
//	badid    reply with the wrong id
//	badq     reply for another question
//	spoof    a wrong-id reply, then the right one
//	garbage  the right id, then a cut-off answer section
func newDNSTestMux() *dns.ServeMux {
	mux := dns.NewServeMux()
	mux.HandleFunc("outpost.test.", dnsTestHandler)
	return mux
}

func dnsTestHandler(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	label, _, _ := strings.Cut(q.Name, ".")
	_, overUDP := w.RemoteAddr().(*net.UDPAddr)
	switch label {
	case "ok":
		m.Answer = dnsTestAnswers(q, 2)
	case "missing":
		m.Rcode = dns.RcodeNameError
	case "fail":
		m.Rcode = dns.RcodeServerFailure
	case "empty":
	case "big":
		if overUDP {
			m.Truncated = true
		} else {
			m.Answer = dnsTestAnswers(q, 3)
		}
	case "silent":
		return
	case "noq":
		m.Rcode, m.Question = dns.RcodeRefused, nil
	case "badid":
		m.Id++
	case "badq":
		m.Question = []dns.Question{{Name: "other.outpost.test.", Qtype: q.Qtype, Qclass: q.Qclass}}
	case "spoof":
		bad := m.Copy()
		bad.Id++
		_ = w.WriteMsg(bad)
		m.Answer = dnsTestAnswers(q, 1)
	case "garbage":
		m.Answer = dnsTestAnswers(q, 1)
		b, err := m.Pack()
		if err == nil {
			_, _ = w.Write(b[:len(b)-3])
		}
		return
	default:
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

func dnsTestAnswers(q dns.Question, n int) []dns.RR {
	hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 60}
	var rrs []dns.RR
	for i := 1; i <= n; i++ {
		switch q.Qtype {
		case dns.TypeMX:
			rrs = append(rrs, &dns.MX{Hdr: hdr, Preference: uint16(10 * i), Mx: fmt.Sprintf("mail%d.outpost.test.", i)})
		case dns.TypeTXT:
			rrs = append(rrs, &dns.TXT{Hdr: hdr, Txt: []string{fmt.Sprintf("record %d", i)}})
		default:
			hdr.Rrtype = dns.TypeA
			rrs = append(rrs, &dns.A{Hdr: hdr, A: net.IPv4(192, 0, 2, byte(i))})
		}
	}
	return rrs
}

// dnsTestTarget builds a dns:// target for server.
func dnsTestTarget(t testing.TB, server netip.AddrPort, name, params string, opts Options) Target {
	t.Helper()
	raw := fmt.Sprintf("dns://%s/%s", server, name)
	if params != "" {
		raw += "?" + params
	}
	tg, err := NewTarget(raw, opts)
	if err != nil {
		t.Fatalf("NewTarget(%q): %v", raw, err)
	}
	return tg
}

// probeDNSTest runs one probe with timeout and returns the result and how
// long the call took.
func probeDNSTest(p Prober, tg Target, timeout time.Duration) (Result, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	begin := time.Now()
	r := p.Probe(ctx, tg)
	return r, time.Since(begin)
}

// dnsStepClock advances one millisecond per reading, so every reached phase
// has a positive duration.
type dnsStepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *dnsStepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// dnsTestResolver resolves names from a fixed table.
type dnsTestResolver map[string][]netip.Addr

func (r dnsTestResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// dnsTestOptions are DefaultOptions without latency grading, so a slow,
// loaded test machine cannot turn an expected up into degraded.
func dnsTestOptions() Options {
	o := DefaultOptions()
	o.DegradedLatency = 0
	return o
}
