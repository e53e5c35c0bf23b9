package probe

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// sipNamed answers OPTIONS with 200 and a Server header naming the
// responder, so a test can tell which located server answered.
func sipNamed(name string) sipHandler {
	return func(c *sipCall) { c.Reply(200, "OK", "Server: "+name) }
}

// TestIntegrationUnboundSIPLocation resolves sip: names through a real
// unbound serving NAPTR, SRV and A records (RFC 3263) that point at
// in-process SIP servers on loopback, with every lookup sent to unbound
// as resolver: does.
func TestIntegrationUnboundSIPLocation(t *testing.T) {
	unbound := requirePeer(t, "unbound", "unbound")
	checkconf := requirePeer(t, "unbound-checkconf", "unbound")
	udpA := startSIPResponder(t, "udp", nil, sipNamed("udp-a"))
	udpB := startSIPResponder(t, "udp", nil, sipNamed("udp-b"))
	tcpA := startSIPResponder(t, "tcp", nil, sipNamed("tcp-a"))
	web := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(web.Close)
	closedTCP := closedPort(t, "tcp")
	lines := []string{
		`local-zone: "sip.test." static`,
		`local-data: "a.sip.test. 60 IN A 127.0.0.1"`,
		`local-data: "b.sip.test. 60 IN A 127.0.0.1"`,
		`local-data: "web.sip.test. 60 IN A 127.0.0.1"`,
		`local-data: "plain.sip.test. 60 IN A 127.0.0.1"`,
		// NAPTR: SCTP (not spoken) before TCP before UDP.
		`local-data: 'naptr.sip.test. 60 IN NAPTR 5 10 "s" "SIP+D2S" "" _sip._sctp.naptr.sip.test.'`,
		`local-data: 'naptr.sip.test. 60 IN NAPTR 10 10 "s" "SIP+D2T" "" _sip._tcp.naptr.sip.test.'`,
		`local-data: 'naptr.sip.test. 60 IN NAPTR 20 10 "s" "SIP+D2U" "" _sip._udp.naptr.sip.test.'`,
		fmt.Sprintf(`local-data: "_sip._tcp.naptr.sip.test. 60 IN SRV 10 0 %d a.sip.test."`, tcpA.Port),
		fmt.Sprintf(`local-data: "_sip._udp.naptr.sip.test. 60 IN SRV 10 0 %d a.sip.test."`, udpA.Port),
		// SRV only: priority 10 before 20.
		fmt.Sprintf(`local-data: "_sip._udp.prio.sip.test. 60 IN SRV 20 0 %d b.sip.test."`, udpB.Port),
		fmt.Sprintf(`local-data: "_sip._udp.prio.sip.test. 60 IN SRV 10 0 %d a.sip.test."`, udpA.Port),
		// One priority: weight 65535 almost always before weight 0.
		fmt.Sprintf(`local-data: "_sip._udp.weight.sip.test. 60 IN SRV 10 0 %d b.sip.test."`, udpB.Port),
		fmt.Sprintf(`local-data: "_sip._udp.weight.sip.test. 60 IN SRV 10 65535 %d a.sip.test."`, udpA.Port),
		// The first target has no address: the next one is used.
		fmt.Sprintf(`local-data: "_sip._udp.failover.sip.test. 60 IN SRV 10 0 %d nohost.sip.test."`, udpA.Port),
		fmt.Sprintf(`local-data: "_sip._udp.failover.sip.test. 60 IN SRV 20 0 %d b.sip.test."`, udpB.Port),
		// The first target refuses the connection: the next one is used.
		fmt.Sprintf(`local-data: "_sip._tcp.refused.sip.test. 60 IN SRV 10 0 %d a.sip.test."`, closedTCP),
		fmt.Sprintf(`local-data: "_sip._tcp.refused.sip.test. 60 IN SRV 20 0 %d a.sip.test."`, tcpA.Port),
	}
	server := startUnbound(t, unbound, checkconf, "\t"+strings.Join(lines, "\n\t"))
	resolver, err := NewNameResolver(server.String())
	if err != nil {
		t.Fatal(err)
	}
	p := NewSIP(SIPConfig{Resolver: resolver, IntN: seeded(7)})
	tests := []struct {
		uri     string
		outcome Outcome
		class   Class
		server  string // the responder that answered
		hop     string // details.sip_target; PORT is replaced
		message string
	}{
		{"sip:naptr.sip.test", Up, ClassNone, "tcp-a", fmt.Sprintf("a.sip.test:%d/tcp", tcpA.Port), ""},
		{"sip:naptr.sip.test;transport=udp", Up, ClassNone, "udp-a", fmt.Sprintf("a.sip.test:%d/udp", udpA.Port), ""},
		{"sip:prio.sip.test", Up, ClassNone, "udp-a", fmt.Sprintf("a.sip.test:%d/udp", udpA.Port), ""},
		{"sip:weight.sip.test", Up, ClassNone, "udp-a", fmt.Sprintf("a.sip.test:%d/udp", udpA.Port), ""},
		{"sip:failover.sip.test", Up, ClassNone, "udp-b", fmt.Sprintf("b.sip.test:%d/udp", udpB.Port), ""},
		{"sip:refused.sip.test;transport=tcp", Up, ClassNone, "tcp-a", fmt.Sprintf("a.sip.test:%d/tcp", tcpA.Port), ""},
		{"sip:plain.sip.test", Down, "", "", "plain.sip.test:5060/udp", ""}, // whatever listens on 5060, if anything
		{"sip:missing.sip.test", Down, ClassDNS, "", "missing.sip.test:5060/udp", "missing.sip.test"},
		{"sip:prio.sip.test;transport=tcp", Down, ClassDNS, "", "prio.sip.test:5060/tcp", "prio.sip.test"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			for range 3 { // weights are drawn per probe
				r := probeWithin(p, sipTestTarget(t, tt.uri, DefaultOptions()), 3*time.Second)
				if r.Details.SIPTarget != tt.hop || !hasPhase(r, "resolve") {
					t.Fatalf("sip_target %q phases %s, want %q (%s/%s %s)", r.Details.SIPTarget, phaseNames(r.Phases), tt.hop, r.Outcome, r.Class, r.Message)
				}
				if tt.server == "" {
					if tt.class != "" && (r.Outcome != tt.outcome || r.Class != tt.class || !strings.Contains(r.Message, tt.message)) {
						t.Fatalf("got %s/%s %q, want %s/%s containing %q", r.Outcome, r.Class, r.Message, tt.outcome, tt.class, tt.message)
					}
					return
				}
				if r.Outcome != Up || r.Details.SIPServer != tt.server {
					t.Fatalf("got %s/%s %q from %q, want up from %q", r.Outcome, r.Class, r.Message, r.Details.SIPServer, tt.server)
				}
			}
		})
	}
	t.Run("http, tcp and dns through the resolver", func(t *testing.T) {
		port := strings.TrimPrefix(web.URL, "http://127.0.0.1:")
		h := NewHTTP(HTTPConfig{Resolver: resolver})
		tg, err := ParseTarget("http://web.sip.test:" + port + "/")
		if err != nil {
			t.Fatal(err)
		}
		if r := probeWithin(h, tg, 3*time.Second); r.Outcome != Up || !hasPhase(r, "resolve") {
			t.Errorf("http: %s/%s %q phases %s", r.Outcome, r.Class, r.Message, phaseNames(r.Phases))
		}
		tg, _ = ParseTarget("http://missing.sip.test:" + port + "/")
		if r := probeWithin(h, tg, 3*time.Second); r.Class != ClassDNS || !strings.Contains(r.Message, "missing.sip.test on "+server.String()) {
			t.Errorf("http to a missing name: %s/%s %q", r.Outcome, r.Class, r.Message)
		}
		tg, err = ParseTarget("tcp://web.sip.test:" + port)
		if err != nil {
			t.Fatal(err)
		}
		if r := probeWithin(NewTCP(nil, resolver), tg, 3*time.Second); r.Outcome != Up {
			t.Errorf("tcp: %s/%s %q", r.Outcome, r.Class, r.Message)
		}
		tg, _ = ParseTarget("dns:a.sip.test") // the system's resolver is the configured one
		if r := probeWithin(NewDNS(DNSConfig{Resolver: resolver, ResolvConf: "/nonexistent"}), tg, 3*time.Second); r.Outcome != Up {
			t.Errorf("dns:name: %s/%s %q", r.Outcome, r.Class, r.Message)
		}
		tg, _ = ParseTarget("tcp://missing.sip.test:" + port)
		if r := probeWithin(NewTCP(nil, resolver), tg, 3*time.Second); r.Class != ClassDNS ||
			!strings.Contains(r.Message, "missing.sip.test on "+server.String()) {
			t.Errorf("tcp to a missing name: %s/%s %q", r.Outcome, r.Class, r.Message)
		}
	})
}
