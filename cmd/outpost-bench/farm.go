package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Behaviour of a farm target.
const (
	behaveOK      = "ok"
	behaveSlow    = "slow"    // answers after slowDelay
	behaveFailing = "failing" // answers with an error (HTTP 503, SIP 503, DNS SERVFAIL)
	behaveSilent  = "silent"  // never answers
	slowDelay     = 300 * time.Millisecond
)

// targetFarm serves HTTP, TCP, DNS and SIP targets on loopback and counts
// every probe that arrives, per check id, with the time of the first one.
type targetFarm struct {
	httpURL, tcpAddr, dnsAddr, sipAddr string

	arrived atomic.Int64
	mu      sync.Mutex
	first   map[string]time.Time
	// arrivals holds every probe's time per check id once keepArrivals
	// has been called (nil before).
	arrivals map[string][]time.Time
	closers  []io.Closer
	dnsSrv   []*dns.Server
}

// hit records a probe for check id (empty when unknown).
func (f *targetFarm) hit(id string) {
	f.arrived.Add(1)
	if id == "" {
		return
	}
	f.mu.Lock()
	now := time.Now()
	if _, seen := f.first[id]; !seen {
		f.first[id] = now
	}
	if f.arrivals != nil {
		f.arrivals[id] = append(f.arrivals[id], now)
	}
	f.mu.Unlock()
}

// keepArrivals makes the farm keep the time of every probe from now on.
func (f *targetFarm) keepArrivals() {
	f.mu.Lock()
	f.arrivals = map[string][]time.Time{}
	f.mu.Unlock()
}

// arrivalTimes returns a copy of the kept probe times per check id, each
// in order of arrival.
func (f *targetFarm) arrivalTimes() map[string][]time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string][]time.Time, len(f.arrivals))
	for id, ts := range f.arrivals {
		out[id] = slices.Clone(ts)
	}
	return out
}

// firstHits returns how many distinct checks arrived and when the last of
// them first did.
func (f *targetFarm) firstHits() (int, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var last time.Time
	for _, t := range f.first {
		if t.After(last) {
			last = t
		}
	}
	return len(f.first), last
}

// behaviour reads "id.behaviour" names such as "c42.slow".
func behaviour(name string) (id, b string) {
	id, b, _ = strings.Cut(name, ".")
	if b == "" {
		b = behaveOK
	}
	return id, b
}

func newFarm() (*targetFarm, error) {
	f := &targetFarm{first: map[string]time.Time{}}
	for _, start := range []func() error{f.startHTTP, f.startTCP, f.startDNS, f.startSIP} {
		if err := start(); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

func (f *targetFarm) Close() {
	for _, c := range f.closers {
		_ = c.Close()
	}
	for _, s := range f.dnsSrv {
		_ = s.Shutdown()
	}
}

func (f *targetFarm) startHTTP() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, b := behaviour(strings.TrimPrefix(r.URL.Path, "/"))
		f.hit(id)
		switch b {
		case behaveSlow:
			time.Sleep(slowDelay) // the target's own slowness, not a test wait
		case behaveFailing:
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case behaveSilent:
			<-r.Context().Done()
			return
		}
		_, _ = io.WriteString(w, "Welcome to the bench target")
	})}
	go func() { _ = srv.Serve(ln) }()
	f.httpURL = "http://" + ln.Addr().String()
	f.closers = append(f.closers, srv)
	return nil
}

// startTCP answers "220 ok" after reading the check id line the probe sends.
func (f *targetFarm) startTCP() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(30 * time.Second))
				line, _ := bufio.NewReader(c).ReadString('\n')
				id, b := behaviour(strings.TrimSpace(line))
				f.hit(id)
				switch b {
				case behaveSlow:
					time.Sleep(slowDelay)
				case behaveFailing:
					_, _ = io.WriteString(c, "554 no\r\n")
					return
				case behaveSilent:
					_, _ = io.Copy(io.Discard, c)
					return
				}
				_, _ = io.WriteString(c, "220 ok\r\n")
			}()
		}
	}()
	f.tcpAddr = ln.Addr().String()
	f.closers = append(f.closers, ln)
	return nil
}

func (f *targetFarm) startDNS() error {
	mux := dns.NewServeMux()
	mux.HandleFunc("bench.test.", func(w dns.ResponseWriter, q *dns.Msg) {
		name := strings.TrimSuffix(q.Question[0].Name, ".bench.test.")
		id, b := behaviour(name)
		f.hit(id)
		m := new(dns.Msg)
		m.SetReply(q)
		switch b {
		case behaveSlow:
			time.Sleep(slowDelay)
		case behaveFailing:
			m.Rcode = dns.RcodeServerFailure
		case behaveSilent:
			return
		}
		if m.Rcode == dns.RcodeSuccess {
			rr, _ := dns.NewRR(q.Question[0].Name + " 60 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ready := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: mux, NotifyStartedFunc: func() { close(ready) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-ready
	f.dnsAddr = pc.LocalAddr().String()
	f.dnsSrv = append(f.dnsSrv, srv)
	return nil
}

// startSIP answers OPTIONS on UDP; the user part names the check.
func (f *targetFarm) startSIP() error {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := string(buf[:n])
			line, _, _ := strings.Cut(req, "\r\n")
			user := ""
			if _, rest, ok := strings.Cut(line, "sip:"); ok {
				user, _, _ = strings.Cut(rest, "@")
			}
			id, b := behaviour(user)
			f.hit(id)
			code := "200 OK"
			switch b {
			case behaveSilent:
				continue
			case behaveFailing:
				code = "503 Service Unavailable"
			case behaveSlow:
				time.Sleep(slowDelay)
			}
			_, _ = pc.WriteTo([]byte(sipReply(req, code)), from)
		}
	}()
	f.sipAddr = pc.LocalAddr().String()
	f.closers = append(f.closers, pc)
	return nil
}

// sipReply echoes the headers a response must copy (RFC 3261 §8.2.6.2).
func sipReply(req, code string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %s\r\n", code)
	for _, line := range strings.Split(req, "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "from", "to", "call-id", "cseq":
			b.WriteString(line + "\r\n")
		}
	}
	b.WriteString("Server: outpost-bench\r\nContent-Length: 0\r\n\r\n")
	return b.String()
}
