package publish

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestClientLimiterIsBounded(t *testing.T) {
	l := newClientLimiter(1, time.Hour)
	t0 := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	for i := range maxLimiterEntries + 500 { // a spray of addresses
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if !l.allow(clientNet(a), t0) {
			t.Fatalf("address %d refused on its first sign-up", i)
		}
	}
	if n := len(l.counts); n > maxLimiterEntries {
		t.Errorf("%d entries kept, want at most %d", n, maxLimiterEntries)
	}
	a := clientNet(netip.MustParseAddr("192.0.2.1"))
	if !l.allow(a, t0) || l.allow(a, t0.Add(59*time.Minute)) || !l.allow(a, t0.Add(time.Hour)) {
		t.Error("one sign-up an hour is not what the limiter allows")
	}
}

func TestClientAddrAndNet(t *testing.T) {
	for _, tc := range []struct{ remote, addr, net string }{
		{"198.51.100.7:4000", "198.51.100.7", "198.51.100.7/32"},
		{"[::ffff:198.51.100.7]:4000", "198.51.100.7", "198.51.100.7/32"},
		{"[2001:db8:1:2:3:4:5:6]:1", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:1", "fe80::1", "fe80::/64"},
		{"garbage", "invalid IP", "invalid Prefix"},
	} {
		r := httptest.NewRequest("POST", "/subscribe", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set("X-Forwarded-For", "203.0.113.1")
		a := clientAddr(r)
		if a.String() != tc.addr || clientNet(a).String() != tc.net {
			t.Errorf("%s: %s %s, want %s %s", tc.remote, a, clientNet(a), tc.addr, tc.net)
		}
	}
}
