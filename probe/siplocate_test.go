package probe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fakeRecords answers from zone-file lines; names listed in fail answer
// SERVFAIL, names with no line NXDOMAIN.
type fakeRecords struct {
	rrs  []dns.RR
	fail map[string]bool
}

func newFakeRecords(t testing.TB, lines ...string) *fakeRecords {
	t.Helper()
	f := &fakeRecords{fail: map[string]bool{}}
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		f.rrs = append(f.rrs, rr)
	}
	return f
}

func (f *fakeRecords) LookupRecords(_ context.Context, name string, qtype uint16) ([]dns.RR, error) {
	if f.fail[name] {
		return nil, &net.DNSError{Err: "server answered SERVFAIL", Name: name}
	}
	var out []dns.RR
	exists := false
	for _, rr := range f.rrs {
		if strings.EqualFold(rr.Header().Name, name) {
			exists = true
			if rr.Header().Rrtype == qtype {
				out = append(out, rr)
			}
		}
	}
	if !exists {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return out, nil
}

// seeded is a deterministic IntN for SRV weights, safe for concurrent use.
func seeded(seed uint64) func(int) int {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed))
	return func(n int) int { mu.Lock(); defer mu.Unlock(); return r.IntN(n) }
}

func hopsText(hs []sipHop) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return strings.Join(s, " ")
}

func TestLocate(t *testing.T) {
	zone := newFakeRecords(t,
		// NAPTR: SCTP first (not spoken), then TCP, then UDP; a non-"s" flag is skipped.
		`n.test. 60 IN NAPTR 5 10 "s" "SIP+D2S" "" _sip._sctp.n.test.`,
		`n.test. 60 IN NAPTR 10 10 "s" "SIP+D2T" "" _sip._tcp.n.test.`,
		`n.test. 60 IN NAPTR 20 10 "s" "SIP+D2U" "" _sip._udp.n.test.`,
		`n.test. 60 IN NAPTR 1 10 "a" "SIP+D2U" "" other.n.test.`,
		`_sip._tcp.n.test. 60 IN SRV 10 0 5070 tcp1.n.test.`,
		`_sip._udp.n.test. 60 IN SRV 10 0 5080 udp1.n.test.`,
		`_sips._tcp.n.test. 60 IN SRV 10 0 5061 tls1.n.test.`,
		// SRV only, by priority.
		`s.test. 60 IN A 192.0.2.1`,
		`_sip._udp.s.test. 60 IN SRV 20 0 5062 second.s.test.`,
		`_sip._udp.s.test. 60 IN SRV 10 0 5061 first.s.test.`,
		`_sip._tcp.s.test. 60 IN SRV 10 0 5063 tcp.s.test.`,
		`_sips._tcp.s.test. 60 IN SRV 10 0 5064 tls.s.test.`,
		// "." says: not offered.
		`dot.test. 60 IN A 192.0.2.2`,
		`_sip._udp.dot.test. 60 IN SRV 0 0 0 .`,
		`plain.test. 60 IN A 192.0.2.3`,
		`broken.test. 60 IN A 192.0.2.4`,
	)
	zone.fail["_sip._udp.broken.test."] = true
	tests := []struct{ uri, want, err string }{
		{"sip:n.test", "tcp1.n.test:5070/tcp udp1.n.test:5080/udp", ""},
		{"sips:n.test", "tls1.n.test:5061/tls", ""}, // no SIPS NAPTR: SRV _sips._tcp
		{"sip:s.test", "first.s.test:5061/udp second.s.test:5062/udp tcp.s.test:5063/tcp tls.s.test:5064/tls", ""},
		{"sip:s.test;transport=tcp", "tcp.s.test:5063/tcp", ""},
		{"sip:s.test;transport=tls", "tls.s.test:5064/tls", ""},
		{"sips:s.test", "tls.s.test:5064/tls", ""},
		{"sip:s.test:5999", "s.test:5999/udp", ""},
		{"sip:192.0.2.9", "192.0.2.9:5060/udp", ""},
		{"sip:dot.test", "dot.test:5060/udp", ""},
		{"sip:plain.test", "plain.test:5060/udp", ""},
		{"sips:plain.test", "plain.test:5061/tls", ""},
		{"sip:missing.test", "missing.test:5060/udp", ""}, // the A lookup reports the name
		{"sip:broken.test", "", "SRV lookup for _sip._udp.broken.test failed: server answered SERVFAIL"},
	}
	l := sipLocator{records: zone, intn: seeded(1)}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			hops, err := l.locate(context.Background(), sipTestTarget(t, tt.uri, DefaultOptions()))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || hopsText(hops) != tt.want {
				t.Fatalf("got %q, %v; want %q", hopsText(hops), err, tt.want)
			}
		})
	}
	zone.fail["n.test."] = true
	if _, err := l.locate(context.Background(), sipTestTarget(t, "sip:n.test", DefaultOptions())); err == nil ||
		err.Error() != "NAPTR lookup for n.test failed: server answered SERVFAIL" {
		t.Errorf("NAPTR failure: %v", err)
	}
}

// TestOrderSRVWeights checks RFC 2782's selection: lower priority
// first, and within a priority each record first in proportion to its
// weight (a zero weight almost never).
func TestOrderSRVWeights(t *testing.T) {
	srv := func(prio, weight uint16, target string) *dns.SRV {
		return &dns.SRV{Priority: prio, Weight: weight, Target: target}
	}
	in := []*dns.SRV{srv(20, 100, "late."), srv(10, 0, "zero."), srv(10, 30, "light."), srv(10, 70, "heavy.")}
	intn := seeded(42)
	first := map[string]int{}
	const n = 4000
	for range n {
		out := orderSRV(in, intn)
		if len(out) != 4 || out[3].Target != "late." {
			t.Fatalf("priority 20 not last: %v", out)
		}
		first[out[0].Target]++
	}
	if h, l := float64(first["heavy."])/n, float64(first["light."])/n; h < 0.62 || h > 0.76 || l < 0.24 || l > 0.37 {
		t.Errorf("first picks heavy %.2f light %.2f, want about 0.70 and 0.30 (%v)", h, l, first)
	}
	if first["zero."] > n/50 {
		t.Errorf("weight 0 first %d times of %d", first["zero."], n)
	}
}

// TestSIPAllLocatedServersFail says how many servers were tried and why
// the last one failed, with the last one in details.
func TestSIPAllLocatedServersFail(t *testing.T) {
	a, b := closedPort(t, "tcp"), closedPort(t, "tcp")
	zone := newFakeRecords(t,
		fmt.Sprintf(`all.test. 60 IN SRV 10 0 %d 127.0.0.1.`, a),
		fmt.Sprintf(`_sip._tcp.all.test. 60 IN SRV 10 0 %d 127.0.0.1.`, a),
		fmt.Sprintf(`_sip._tcp.all.test. 60 IN SRV 20 0 %d 127.0.0.1.`, b))
	p := NewSIP(SIPConfig{Records: zone, IntN: seeded(3)})
	r := probeWithin(p, sipTestTarget(t, "sip:all.test;transport=tcp", DefaultOptions()), 2*time.Second)
	if r.Outcome != Down || r.Class != ClassRefused || r.Message != "all 2 located servers failed, the last: dial: connection refused" ||
		r.Details.SIPTarget != fmt.Sprintf("127.0.0.1:%d/tcp", b) || phaseNames(r.Phases) != "resolve,connect" {
		t.Errorf("got %s/%s %q via %q phases %s", r.Outcome, r.Class, r.Message, r.Details.SIPTarget, phaseNames(r.Phases))
	}
}
