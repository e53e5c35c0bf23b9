package probe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileServer is a loopback TCP or UDP server that misbehaves on purpose.
// Its behaviour may sleep and dribble: that is what is under test.
type hostileServer struct {
	Addr netip.AddrPort
	stop chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
}

// startHostileTCP serves every accepted connection with serve until the
// test ends.
func startHostileTCP(t testing.TB, serve func(c net.Conn, stop <-chan struct{})) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hostileServer{Addr: ln.Addr().(*net.TCPAddr).AddrPort(), stop: make(chan struct{})}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Go(func() {
				defer c.Close()
				serve(c, s.stop)
			})
		}
	})
	t.Cleanup(func() {
		close(s.stop)
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// startHostileUDP answers every datagram with reply(query) (which may send
// many datagrams through send) until the test ends.
func startHostileUDP(t testing.TB, reply func(q []byte, send func([]byte) error, stop <-chan struct{})) *hostileServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hostileServer{Addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(), stop: make(chan struct{})}
	s.wg.Go(func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := bytes.Clone(buf[:n])
			s.wg.Go(func() {
				reply(q, func(b []byte) error { _, err := pc.WriteTo(b, from); return err }, s.stop)
			})
		}
	})
	t.Cleanup(func() {
		close(s.stop)
		pc.Close()
		s.wg.Wait()
	})
	return s
}

// dribble writes prefix, then one byte of fill a second until stopped.
func dribble(prefix string, fill byte) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, stop <-chan struct{}) {
		if _, err := io.WriteString(c, prefix); err != nil {
			return
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte{fill}); err != nil {
					return
				}
			}
		}
	}
}

// flood writes prefix, then chunk as fast as the client reads it.
func flood(prefix string, chunk []byte) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, stop <-chan struct{}) {
		if _, err := io.WriteString(c, prefix); err != nil {
			return
		}
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
}

// afterHead reads an HTTP request head, then behaves as serve: a server
// that answers before the request makes net/http log the bytes as an
// unsolicited response, which is not the behaviour under test.
func afterHead(serve func(net.Conn, <-chan struct{})) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, stop <-chan struct{}) {
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		serve(c, stop)
	}
}

// stall accepts and never answers.
func stall(_ net.Conn, stop <-chan struct{}) { <-stop }

// hugeHeaders is a response head of about 1 MiB: many long header lines.
func hugeHeaders() []byte {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	line := strings.Repeat("h", 1000)
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "X-Pad-%d: %s\r\n", i, line)
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

// dnsGarbageReply answers a UDP query with its id and then junk.
func dnsGarbageReply(q []byte, send func([]byte) error, _ <-chan struct{}) {
	if len(q) < 2 {
		return
	}
	_ = send(append([]byte{q[0], q[1], 0x81, 0x80, 0xff, 0xff}, bytes.Repeat([]byte{0xc0}, 500)...))
}

// dnsStrayFlood answers a UDP query with endless datagrams of the wrong id.
func dnsStrayFlood(q []byte, send func([]byte) error, stop <-chan struct{}) {
	if len(q) < 12 {
		return
	}
	stray := bytes.Clone(q)
	stray[0] ^= 0xff
	stray[2] |= 0x80
	for {
		select {
		case <-stop:
			return
		default:
		}
		if send(stray) != nil {
			return
		}
	}
}

// dnsHugeTCP claims a 65535-byte reply over TCP and sends that much junk
// (carrying no valid message), then keeps the connection open.
func dnsHugeTCP(c net.Conn, stop <-chan struct{}) {
	msg := make([]byte, 2+65535)
	binary.BigEndian.PutUint16(msg, 65535)
	for i := 2; i < len(msg); i++ {
		msg[i] = 0xc0
	}
	if _, err := c.Write(msg); err != nil {
		return
	}
	<-stop
}

// sipProvisionalForever answers 100 Trying until the connection fails.
func sipProvisionalForever(c *sipCall) {
	for {
		select {
		case <-c.Done():
			return
		default:
		}
		if c.Reply(100, "Trying") != nil {
			return
		}
	}
}

// hostileCase is one misbehaving target and what probing it must give.
type hostileCase struct {
	name   string
	target func(t testing.TB) Target
	prober Prober
	class  Class
	msg    string // substring of the message
}

func hostileCases(t testing.TB) []hostileCase {
	httpT := func(s *hostileServer, scheme string) func(testing.TB) Target {
		return func(t testing.TB) Target {
			o := DefaultOptions()
			o.DegradedLatency = 0
			o.InsecureSkipVerify = true
			o.Expect.BodyContains = "never-sent"
			return mustTarget(t, scheme+"://"+s.Addr.String()+"/", o)
		}
	}
	raw := func(s *hostileServer, format string, o Options) func(testing.TB) Target {
		return func(t testing.TB) Target { return mustTarget(t, fmt.Sprintf(format, s.Addr), o) }
	}
	sipT := func(port int, network string) func(testing.TB) Target {
		return func(t testing.TB) Target { return sipTestTarget(t, sipURI("", port, network), DefaultOptions()) }
	}
	tcpExpect := DefaultOptions()
	tcpExpect.Expect.BodyContains = "never-sent"
	head := hugeHeaders()
	junk := bytes.Repeat([]byte("junk "), 8<<10)
	status := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"

	httpP := NewHTTP(HTTPConfig{})
	tlsP := NewTLS(TLSConfig{})
	tcpP := NewTCP(nil, nil)
	sipP := NewSIP(SIPConfig{})
	dnsP := NewDNS(DNSConfig{})
	return []hostileCase{
		{name: "http headers dribble", prober: httpP, class: ClassTimeout, msg: "timed out after",
			target: httpT(startHostileTCP(t, afterHead(dribble(status+"X-Slow: ", 'a'))), "http")},
		{name: "http body dribble", prober: httpP, class: ClassTimeout, msg: "reading body",
			target: httpT(startHostileTCP(t, afterHead(dribble(status+"Content-Length: 100000\r\n\r\n", 'a'))), "http")},
		{name: "http endless body", prober: httpP, class: ClassBody, msg: "body does not contain",
			target: httpT(startHostileTCP(t, afterHead(flood(status+"Connection: close\r\n\r\n", junk))), "http")},
		{name: "http 1 MiB of headers", prober: httpP, class: ClassProtocol, msg: "headers exceeded",
			target: httpT(startHostileTCP(t, afterHead(flood("", head))), "http")},
		{name: "http malformed chunked body", prober: httpP, class: ClassProtocol, msg: "reading body: invalid byte in chunk length",
			target: httpT(startHostileTCP(t, afterHead(flood(status+"Transfer-Encoding: chunked\r\n\r\nzz\r\n", junk))), "http")},
		{name: "http garbage", prober: httpP, class: ClassProtocol, msg: "malformed HTTP",
			target: httpT(startHostileTCP(t, afterHead(flood("NOT HTTP AT ALL\r\n\r\n", junk))), "http")},
		{name: "https handshake stalls", prober: httpP, class: ClassTimeout, msg: "tls handshake",
			target: httpT(startHostileTCP(t, stall), "https")},
		{name: "tls handshake stalls", prober: tlsP, class: ClassTimeout, msg: "tls handshake: no answer",
			target: raw(startHostileTCP(t, stall), "tls://%s", DefaultOptions())},
		{name: "tls handshake dribble", prober: tlsP, class: ClassTimeout, msg: "tls handshake: no answer",
			target: raw(startHostileTCP(t, dribble("\x16\x03\x03", 0)), "tls://%s", DefaultOptions())},
		{name: "tcp endless reply", prober: tcpP, class: ClassBody, msg: "does not match",
			target: raw(startHostileTCP(t, flood("", junk)), "tcp://%s", tcpExpect)},
		{name: "tcp reply dribble", prober: tcpP, class: ClassTimeout, msg: "while waiting for reply",
			target: raw(startHostileTCP(t, dribble("", 'x')), "tcp://%s", tcpExpect)},
		{name: "sip tcp 1xx flood", prober: sipP, class: ClassTimeout, msg: "no final response",
			target: sipT(startSIPResponder(t, "tcp", nil, sipProvisionalForever).Port, "tcp")},
		{name: "sip tcp endless garbage", prober: sipP, class: ClassProtocol,
			target: raw(startHostileTCP(t, flood("", junk)), "sip:%s;transport=tcp", DefaultOptions())},
		{name: "sip tcp dribble", prober: sipP, class: ClassTimeout, msg: "no response",
			target: raw(startHostileTCP(t, dribble("SIP/2.0 200 OK\r\nVia: ", 'x')), "sip:%s;transport=tcp", DefaultOptions())},
		{name: "sip tcp endless header", prober: sipP, class: ClassProtocol,
			target: raw(startHostileTCP(t, flood("SIP/2.0 200 OK\r\nX-Long: ", bytes.Repeat([]byte{'x'}, 4096))), "sip:%s;transport=tcp", DefaultOptions())},
		{name: "dns udp garbage with the query id", prober: dnsP, class: ClassProtocol,
			target: raw(startHostileUDP(t, dnsGarbageReply), "dns://%s/example.org?type=A", dnsTestOptions())},
		{name: "dns udp stray flood", prober: dnsP, class: ClassProtocol, msg: "datagrams",
			target: raw(startHostileUDP(t, dnsStrayFlood), "dns://%s/example.org?type=A", dnsTestOptions())},
		{name: "dns tcp 64 KiB of junk", prober: dnsP, class: ClassProtocol,
			target: raw(startHostileTCP(t, dnsHugeTCP), "dns://%s/example.org?type=A&transport=tcp", dnsTestOptions())},
		{name: "dns tcp dribble", prober: dnsP, class: ClassTimeout,
			target: raw(startHostileTCP(t, dribble("\xff", 0)), "dns://%s/example.org?type=A&transport=tcp", dnsTestOptions())},
	}
}

// hostileTimeout is every hostile probe's deadline; hostileMargin is how
// late past it a probe may return on a loaded machine.
const (
	hostileTimeout = 1500 * time.Millisecond
	hostileMargin  = time.Second
)

// TestHostileTargets probes each misbehaving target once: every probe
// ends by its deadline, down, with the expected class and message.
func TestHostileTargets(t *testing.T) {
	for _, tc := range hostileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := tc.target(t)
			begin := time.Now()
			r := probeWithin(tc.prober, tg, hostileTimeout)
			took := time.Since(begin)
			if took > hostileTimeout+hostileMargin {
				t.Errorf("probe took %s, deadline %s", took, hostileTimeout)
			}
			if r.Outcome != Down || r.Class != tc.class || !strings.Contains(r.Message, tc.msg) {
				t.Errorf("got %s/%s %q, want down/%s containing %q", r.Outcome, r.Class, r.Message, tc.class, tc.msg)
			}
		})
	}
}

// TestHostileTargetsConcurrentMemory runs 200 hostile probes at once and
// checks the heap in use stays under 64 MiB and every probe ends by its
// deadline.
func TestHostileTargetsConcurrentMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200 concurrent probes")
	}
	cases := hostileCases(t)
	targets := make([]Target, len(cases))
	for i, tc := range cases {
		targets[i] = tc.target(t)
	}
	const probes = 200
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	peak := make(chan uint64)
	done := make(chan struct{})
	go func() { // samples the heap while the probes run
		var m runtime.MemStats
		var highest uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			highest = max(highest, m.HeapInuse)
			select {
			case <-done:
				peak <- highest
				return
			case <-tick.C:
			}
		}
	}()
	var wg sync.WaitGroup
	late := make(chan string, probes)
	begin := time.Now()
	for i := range probes {
		tc, tg := cases[i%len(cases)], targets[i%len(cases)]
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
			defer cancel()
			start := time.Now()
			r := tc.prober.Probe(ctx, tg)
			if took := time.Since(start); took > hostileTimeout+2*hostileMargin {
				late <- fmt.Sprintf("%s took %s", tc.name, took)
			}
			if r.Outcome != Down {
				late <- fmt.Sprintf("%s: %s %q, want down", tc.name, r.Outcome, r.Message)
			}
		})
	}
	wg.Wait()
	close(done)
	maxHeap := <-peak
	close(late)
	for msg := range late {
		t.Error(msg)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(maxHeap) - int64(before.HeapInuse)
	// Allocation per probe is logged, not bounded: it counts the hostile
	// servers too, and a 1xx or stray-datagram flood churns memory at the
	// rate the peer sends for the whole deadline (the heap stays small).
	perProbe := (after.TotalAlloc - before.TotalAlloc) / probes
	t.Logf("%d probes in %s: heap in use grew at most %d KiB, allocated %d KiB per probe",
		probes, time.Since(begin).Round(time.Millisecond), grown>>10, perProbe>>10)
	if grown > 64<<20 {
		t.Errorf("heap in use grew by %d MiB, want under 64 MiB", grown>>20)
	}
}
