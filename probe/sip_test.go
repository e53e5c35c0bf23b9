package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// sipTestTarget parses a sip: or sips: target with opts.
func sipTestTarget(t testing.TB, raw string, opts Options) Target {
	t.Helper()
	tg, err := NewTarget(raw, opts)
	if err != nil {
		t.Fatalf("NewTarget(%q): %v", raw, err)
	}
	return tg
}

// sipURI is the target URI for a responder on port with the given transport.
func sipURI(user string, port int, network string) string {
	if user != "" {
		user += "@"
	}
	if network == "tls" {
		return fmt.Sprintf("sips:%s127.0.0.1:%d", user, port)
	}
	return fmt.Sprintf("sip:%s127.0.0.1:%d;transport=%s", user, port, network)
}

func probeWithin(p Prober, t Target, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx, t)
}

func hasPhase(r Result, name string) bool {
	for _, ph := range r.Phases {
		if ph.Name == name {
			return true
		}
	}
	return false
}

// sipFloodThenOK answers 100 Trying a hundred times, then 200.
func sipFloodThenOK(c *sipCall) {
	// 100 datagrams fit a default loopback receive buffer, so none of
	// them (and not the 200) is dropped.
	for range 100 {
		if c.Reply(100, "Trying") != nil {
			return
		}
	}
	c.Reply(200, "OK")
}

// sipStraysThenOK sends a 503 with a foreign Call-ID, one with a foreign
// branch, then the real answer.
func sipStraysThenOK(c *sipCall) {
	ok := c.Response(503, "Stray")
	c.Send(strings.Replace(ok, c.Req.get("call-id"), "other@127.0.0.1", 1))
	branch := viaBranch(c.Req.get("via"))
	c.Send(strings.Replace(ok, branch, "z9hG4bKsomeoneelse", 1))
	c.Reply(200, "OK")
}

// sipCompactOK answers with compact header names and a body.
func sipCompactOK(c *sipCall) {
	c.Send(fmt.Sprintf("SIP/2.0 200 OK\r\nv: %s\r\nf: %s\r\nt: %s\r\ni: %s\r\nCSeq: 1 OPTIONS\r\nuser-agent: compact-ua\r\nl: 4\r\n\r\nbody",
		c.Req.get("via"), c.Req.get("from"), c.Req.get("to"), c.Req.get("call-id")))
}

// sipBehaviour is one scripted responder behaviour and what the probe
// should make of it.
type sipBehaviour struct {
	name       string
	handler    sipHandler
	opts       *Options
	outcome    Outcome
	class      Class
	status     int
	server     string
	waits      bool // the probe runs until its deadline (on tcp too unless quickOnTCP)
	quickOnTCP bool // stream transports end before the deadline
}

func TestSIPProbeBehaviours(t *testing.T) {
	only200 := DefaultOptions()
	only200.Expect.Status = []StatusRange{{200, 200}}
	tests := []sipBehaviour{
		{name: "200 ok", handler: func(c *sipCall) { c.Reply(200, "OK", "Server: responder/1.0") },
			outcome: Up, status: 200, server: "responder/1.0"},
		{name: "404 proves a live server", handler: func(c *sipCall) { c.Reply(404, "Not Found") }, outcome: Up, status: 404},
		{name: "407 proves a live server", handler: func(c *sipCall) { c.Reply(407, "Proxy Authentication Required") }, outcome: Up, status: 407},
		{name: "503 is down", handler: func(c *sipCall) { c.Reply(503, "Service Unavailable") }, outcome: Down, class: ClassStatus, status: 503},
		{name: "603 is down", handler: func(c *sipCall) { c.Reply(603, "Decline") }, outcome: Down, class: ClassStatus, status: 603},
		{name: "404 not in expect", handler: func(c *sipCall) { c.Reply(404, "Not Found") }, opts: &only200, outcome: Down, class: ClassStatus, status: 404},
		{name: "user agent when no server", handler: func(c *sipCall) { c.Reply(200, "OK", "User-Agent: ua/2") }, outcome: Up, status: 200, server: "ua/2"},
		{name: "silence", handler: func(*sipCall) {}, outcome: Down, class: ClassTimeout, waits: true},
		{name: "garbage", handler: func(c *sipCall) { c.Send("HTTP/1.1 400 Bad Request\r\n\r\n") }, outcome: Down, class: ClassProtocol, waits: true, quickOnTCP: true},
		{name: "garbage without a line end", handler: func(c *sipCall) { c.Send("\x16\x03\x01 hello") }, outcome: Down, class: ClassProtocol, waits: true, quickOnTCP: true},
		{name: "provisional flood then 200", handler: sipFloodThenOK, outcome: Up, status: 200},
		{name: "provisional only", handler: func(c *sipCall) { c.Reply(180, "Ringing") }, outcome: Down, class: ClassTimeout, waits: true},
		{name: "strays then the answer", handler: sipStraysThenOK, outcome: Up, status: 200},
		{name: "compact headers", handler: sipCompactOK, outcome: Up, status: 200, server: "compact-ua"},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				srv := startSIPResponder(t, network, nil, tt.handler)
				opts := DefaultOptions()
				if tt.opts != nil {
					opts = *tt.opts
				}
				// Probes that end early get a generous deadline so a loaded
				// machine cannot fail them; those that wait get a short one.
				timeout := 10 * time.Second
				if tt.waits {
					timeout = 500 * time.Millisecond
				}
				r := probeWithin(NewSIP(SIPConfig{}), sipTestTarget(t, sipURI("", srv.Port, network), opts), timeout)
				tt.check(t, r, network, srv.Port, timeout)
			})
		}
	}
}

func (tt sipBehaviour) check(t *testing.T, r Result, network string, port int, timeout time.Duration) {
	t.Helper()
	if r.Outcome != tt.outcome || r.Class != tt.class || r.Details.SIPStatus != tt.status {
		t.Fatalf("got %s/%q status %d (%s), want %s/%q status %d",
			r.Outcome, r.Class, r.Details.SIPStatus, r.Message, tt.outcome, tt.class, tt.status)
	}
	if r.Details.SIPServer != tt.server {
		t.Errorf("SIPServer = %q, want %q", r.Details.SIPServer, tt.server)
	}
	if r.Details.RemoteAddr != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Errorf("RemoteAddr = %q", r.Details.RemoteAddr)
	}
	if got := hasPhase(r, "response"); got != (tt.status != 0) {
		t.Errorf("response phase present = %v, want %v: %+v", got, tt.status != 0, r.Phases)
	}
	if got, want := hasPhase(r, "connect"), network != "udp"; got != want {
		t.Errorf("connect phase present = %v, want %v", got, want)
	}
	if tt.class != ClassNone && r.Message == "" {
		t.Error("failure without a message")
	}
	if tt.quickOnTCP && network == "tcp" && r.Duration > timeout/2 {
		t.Errorf("tcp garbage took %s, want it to end the probe at once", r.Duration)
	}
	if tt.waits && !(tt.quickOnTCP && network == "tcp") && r.Duration < timeout-50*time.Millisecond {
		t.Errorf("timeout after %s, want about %s", r.Duration, timeout)
	}
}

func TestSIPProbeRequest(t *testing.T) {
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			srv := startSIPResponder(t, network, nil, func(c *sipCall) { c.Reply(486, "Busy Here") })
			p := NewSIP(SIPConfig{UserAgent: "outpost-test"})
			target := sipTestTarget(t, sipURI("busy", srv.Port, network), DefaultOptions())
			for range 2 {
				if r := probeWithin(p, target, time.Second); r.Outcome != Up || r.Details.SIPStatus != 486 {
					t.Fatalf("probe: %+v", r)
				}
			}
			got := srv.Received()
			if len(got) != 2 {
				t.Fatalf("responder saw %d requests, want 2", len(got))
			}
			req := got[0].Req
			checks := []struct{ name, got, want string }{
				{"method", req.Method, "OPTIONS"},
				{"request uri", req.URI, target.SIP.RequestURI},
				{"max-forwards", req.get("max-forwards"), "70"},
				{"to", req.get("to"), "<" + target.SIP.RequestURI + ">"},
				{"cseq", req.get("cseq"), "1 OPTIONS"},
				{"accept", req.get("accept"), "application/sdp"},
				{"user-agent", req.get("user-agent"), "outpost-test"},
				{"content-length", req.get("content-length"), "0"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			via := req.get("via")
			wantVia := "SIP/2.0/" + strings.ToUpper(network) + " 127.0.0.1:"
			if !strings.HasPrefix(via, wantVia) || !strings.Contains(via, ";branch=z9hG4bK") || !strings.HasSuffix(via, ";rport") {
				t.Errorf("Via = %q, want %s<port>;branch=z9hG4bK…;rport", via, wantVia)
			}
			if from := req.get("from"); !strings.HasPrefix(from, "<sip:outpost@127.0.0.1>;tag=") {
				t.Errorf("From = %q", from)
			}
			if !strings.HasSuffix(req.get("call-id"), "@127.0.0.1") || req.get("contact") == "" {
				t.Errorf("Call-ID = %q, Contact = %q", req.get("call-id"), req.get("contact"))
			}
			second := got[1].Req
			for _, h := range []string{"via", "from", "call-id"} {
				if req.get(h) == second.get(h) {
					t.Errorf("%s repeated across probes: %q", h, req.get(h))
				}
			}
		})
	}
}

func TestSIPTimerE(t *testing.T) {
	srv := startSIPResponder(t, "udp", nil, func(c *sipCall) {
		if c.N == 3 { // the second retransmission
			c.Reply(200, "OK")
		}
	})
	opts := DefaultOptions()
	opts.DegradedLatency = 0
	r := probeWithin(NewSIP(SIPConfig{}), sipTestTarget(t, sipURI("", srv.Port, "udp"), opts), 5*time.Second)
	if r.Outcome != Up || r.Details.Retransmits != 2 {
		t.Fatalf("got %s retransmits %d (%s), want up after 2 retransmits", r.Outcome, r.Details.Retransmits, r.Message)
	}
	got := srv.Received()
	if len(got) != 3 {
		t.Fatalf("responder saw %d copies, want 3", len(got))
	}
	first, second := got[1].At.Sub(got[0].At), got[2].At.Sub(got[1].At)
	// A loaded machine can only make timers late, never early: the lower
	// bounds prove T1 and its doubling; the upper bounds only catch a stall.
	if first < 350*time.Millisecond || first > 3*time.Second ||
		second < 850*time.Millisecond || second > 6*time.Second {
		t.Errorf("retransmission gaps %s, %s; want about T1=500ms then 2*T1=1s", first, second)
	}
	if got[0].Req.Raw != got[2].Req.Raw {
		t.Error("retransmission differs from the original request")
	}
}

func TestSIPProvisionalFloodEndsAtDeadline(t *testing.T) {
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			srv := startSIPResponder(t, network, nil, func(c *sipCall) {
				// One 100 Trying per millisecond: a flood for the probe,
				// but paced so the responder does not starve the probe of
				// CPU on a small test machine.
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				for c.Reply(100, "Trying") == nil {
					select {
					case <-tick.C:
					case <-c.Done():
						return
					}
				}
			})
			const timeout = 300 * time.Millisecond
			r := probeWithin(NewSIP(SIPConfig{}), sipTestTarget(t, sipURI("", srv.Port, network), DefaultOptions()), timeout)
			if r.Outcome != Down || r.Class != ClassTimeout || !strings.Contains(r.Message, "100 Trying") {
				t.Fatalf("got %s/%s %q, want a timeout naming the last provisional", r.Outcome, r.Class, r.Message)
			}
			if r.Duration > 2*timeout {
				t.Errorf("probe took %s, past its %s deadline", r.Duration, timeout)
			}
		})
	}
}

func TestSIPRefused(t *testing.T) {
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			port := closedPort(t, network)
			start := time.Now()
			r := probeWithin(NewSIP(SIPConfig{}), sipTestTarget(t, sipURI("", port, network), DefaultOptions()), 2*time.Second)
			took := time.Since(start)
			if r.Outcome != Down || r.Class != ClassRefused {
				t.Fatalf("got %s/%s %q, want down/refused", r.Outcome, r.Class, r.Message)
			}
			if took > 100*time.Millisecond {
				t.Errorf("refused after %s, want well under 100ms", took)
			}
		})
	}
}

func TestSIPStreamFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler sipHandler
		class   Class
		message string
	}{
		{"peer closes", func(*sipCall) {}, ClassNetwork, "connection closed before a final response"},
		{"oversized header", func(c *sipCall) {
			c.Send("SIP/2.0 200 OK\r\nX-Pad: " + strings.Repeat("a", maxSIPMessage) + "\r\n\r\n")
		}, ClassProtocol, "exceeds"},
		{"oversized body", func(c *sipCall) {
			c.Send(strings.Replace(c.Response(200, "OK"), "Content-Length: 0", "Content-Length: 65536", 1))
		}, ClassProtocol, "exceeds"},
		{"truncated body", func(c *sipCall) {
			c.Send(strings.Replace(c.Response(200, "OK"), "Content-Length: 0", "Content-Length: 10", 1) + "abc")
		}, ClassNetwork, "connection closed before a final response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startSIPResponder(t, "tcp", nil, func(c *sipCall) {
				tt.handler(c)
				c.Close()
			})
			r := probeWithin(NewSIP(SIPConfig{}), sipTestTarget(t, sipURI("", srv.Port, "tcp"), DefaultOptions()), time.Second)
			if r.Outcome != Down || r.Class != tt.class || !strings.Contains(r.Message, tt.message) {
				t.Fatalf("got %s/%s %q, want down/%s containing %q", r.Outcome, r.Class, r.Message, tt.class, tt.message)
			}
		})
	}
}

// sipTestResolver answers from a fixed table.
type sipTestResolver map[string][]netip.Addr

func (r sipTestResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestSIPResolve(t *testing.T) {
	srv := startSIPResponder(t, "udp", nil, func(c *sipCall) { c.Reply(200, "OK") })
	p := NewSIP(SIPConfig{Resolver: sipTestResolver{"sip.test": {netip.MustParseAddr("127.0.0.1")}}})
	tests := []struct {
		name  string
		host  string
		class Class
	}{
		{"resolves", "sip.test", ClassNone},
		{"unknown name", "nowhere.test", ClassDNS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := probeWithin(p, sipTestTarget(t, fmt.Sprintf("sip:%s:%d", tt.host, srv.Port), DefaultOptions()), time.Second)
			if r.Class != tt.class || !hasPhase(r, "resolve") {
				t.Fatalf("got %s/%s %q phases %+v, want class %q with a resolve phase", r.Outcome, r.Class, r.Message, r.Phases, tt.class)
			}
		})
	}
}

func TestSIPCancel(t *testing.T) {
	got := make(chan struct{}, 8)
	srv := startSIPResponder(t, "udp", nil, func(*sipCall) { got <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result, 1)
	target := sipTestTarget(t, sipURI("", srv.Port, "udp"), DefaultOptions())
	go func() { done <- NewSIP(SIPConfig{}).Probe(ctx, target) }()
	<-got
	cancel()
	select {
	case r := <-done:
		if r.Outcome != Down || !strings.Contains(r.Message, "canceled") {
			t.Errorf("got %s/%s %q", r.Outcome, r.Class, r.Message)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("probe kept running after its context was cancelled")
	}
}
