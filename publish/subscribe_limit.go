package publish

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// clientLimiter counts sign-ups per client network in fixed windows:
// at most n per window. IPv6 clients are counted per /64, the usual
// allocation of one household or host, so cycling through addresses of
// one network gains nothing.
type clientLimiter struct {
	n      int
	window time.Duration
	mu     sync.Mutex
	counts map[netip.Prefix]*windowCount
}

type windowCount struct {
	since time.Time
	n     int
}

// maxLimiterEntries bounds the limiter's memory under a spray of
// addresses: past it, windows that ended are dropped, and if none has,
// all are (a flood from that many networks is beyond a per-client limit).
const maxLimiterEntries = 10_000

func newClientLimiter(n int, window time.Duration) *clientLimiter {
	return &clientLimiter{n: n, window: window, counts: map[netip.Prefix]*windowCount{}}
}

// allow counts one sign-up of client at now and reports whether it is
// within the limit.
func (l *clientLimiter) allow(client netip.Prefix, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counts[client]
	if c == nil || now.Sub(c.since) >= l.window || now.Before(c.since) {
		if c == nil && len(l.counts) >= maxLimiterEntries {
			l.sweep(now)
		}
		c = &windowCount{since: now}
		l.counts[client] = c
	}
	if c.n >= l.n {
		return false
	}
	c.n++
	return true
}

// sweep drops ended windows, or all when none has ended.
func (l *clientLimiter) sweep(now time.Time) {
	for k, c := range l.counts {
		if now.Sub(c.since) >= l.window {
			delete(l.counts, k)
		}
	}
	if len(l.counts) >= maxLimiterEntries {
		clear(l.counts)
	}
}

// clientAddr is the address the request came from, as the server sees it
// (RemoteAddr: outpost has no trusted-proxy setting, so X-Forwarded-For,
// which any client can send, is not believed). Behind a reverse proxy
// every client shares the proxy's address and so its limit.
func clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// clientNet is the network a client's sign-ups are counted under: the
// address itself for IPv4, its /64 for IPv6.
func clientNet(a netip.Addr) netip.Prefix {
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}
