package probe

import (
	"context"
	"crypto/x509"
	"testing"
	"time"
)

func TestDNSProbeDoT(t *testing.T) {
	pki := newTestPKI(t)
	notAfter := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	server := startDoTTestServer(t, newDNSTestMux(), pki.leaf(t, notAfter, "dns.outpost.test", "127.0.0.1"))
	soon := startDoTTestServer(t, newDNSTestMux(), pki.leaf(t, time.Now().Add(72*time.Hour), "127.0.0.1"))
	withOpts := func(edit func(*Options)) Options {
		o := dnsTestOptions()
		edit(&o)
		return o
	}
	tests := []struct {
		name    string
		rootCAs *x509.CertPool
		soon    bool
		opts    Options
		want    dnsWant
	}{
		{name: "verified", rootCAs: pki.Pool(), opts: dnsTestOptions(),
			want: dnsWant{outcome: Up, rcode: "NOERROR", answers: 2, phases: "connect,tls,request"}},
		{name: "unknown authority", opts: dnsTestOptions(),
			want: dnsWant{outcome: Down, class: ClassTLS, message: "tls handshake", phases: "connect"}},
		{name: "insecure skip verify", opts: withOpts(func(o *Options) { o.InsecureSkipVerify = true }),
			want: dnsWant{outcome: Up, rcode: "NOERROR", answers: 2, phases: "connect,tls,request"}},
		{name: "server name override", rootCAs: pki.Pool(), opts: withOpts(func(o *Options) { o.ServerName = "dns.outpost.test" }),
			want: dnsWant{outcome: Up, rcode: "NOERROR", answers: 2}},
		{name: "server name mismatch", rootCAs: pki.Pool(), opts: withOpts(func(o *Options) { o.ServerName = "other.outpost.test" }),
			want: dnsWant{outcome: Down, class: ClassTLS, message: "other.outpost.test"}},
		{name: "rcode over tls", rootCAs: pki.Pool(), opts: dnsTestOptions(),
			want: dnsWant{outcome: Down, class: ClassRcode, rcode: "NXDOMAIN", message: "rcode NXDOMAIN not expected"}},
		{name: "certificate expires soon", rootCAs: pki.Pool(), soon: true, opts: dnsTestOptions(),
			want: dnsWant{outcome: Degraded, class: ClassCertExpiry, rcode: "NOERROR", answers: 2, message: "certificate expires in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, qname := server, "ok.outpost.test"
			if tt.soon {
				addr = soon
			}
			if tt.want.class == ClassRcode {
				qname = "missing.outpost.test"
			}
			p := NewDNS(DNSConfig{RootCAs: tt.rootCAs})
			r, _ := probeDNSTest(p, dnsTestTarget(t, addr, qname, "transport=tls", tt.opts), 5*time.Second)
			checkDNSResult(t, r, tt.want)
			if tt.want.outcome == Down && tt.want.class == ClassTLS {
				return
			}
			if r.Details.TLSVersion != "TLS 1.3" {
				t.Errorf("TLSVersion %q, want TLS 1.3", r.Details.TLSVersion)
			}
			if !tt.soon && !r.Details.CertExpiry.Equal(notAfter) {
				t.Errorf("CertExpiry %s, want the leaf's %s", r.Details.CertExpiry, notAfter)
			}
		})
	}
}

// TestDNSProbeCancel checks that cancelling a context without a deadline
// ends a probe blocked on a silent server.
func TestDNSProbeCancel(t *testing.T) {
	server := startDNSTestServer(t, newDNSTestMux())
	for _, tr := range []Transport{UDP, TCP} {
		t.Run(string(tr), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan Result, 1)
			tg := dnsTestTarget(t, server, "silent.outpost.test", "transport="+string(tr), dnsTestOptions())
			go func() { done <- NewDNS(DNSConfig{}).Probe(ctx, tg) }()
			timer := time.AfterFunc(50*time.Millisecond, cancel)
			defer timer.Stop()
			select {
			case r := <-done:
				if r.Outcome != Down || r.Class != ClassTimeout {
					t.Errorf("outcome %s class %q (%s), want down timeout", r.Outcome, r.Class, r.Message)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("probe did not return within 5s of cancellation")
			}
		})
	}
}

func TestDNSProbeDegradedLatency(t *testing.T) {
	server := startDNSTestServer(t, newDNSTestMux())
	o := dnsTestOptions()
	o.DegradedLatency = time.Nanosecond // the stepping clock makes every probe take milliseconds
	p := NewDNS(DNSConfig{Clock: &dnsStepClock{}})
	r, _ := probeDNSTest(p, dnsTestTarget(t, server, "ok.outpost.test", "", o), 5*time.Second)
	checkDNSResult(t, r, dnsWant{outcome: Degraded, class: ClassLatency, rcode: "NOERROR", answers: 2, message: "above degraded_latency"})
}
