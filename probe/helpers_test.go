package probe

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// phaseNames lists phase names in order, comma separated.
func phaseNames(ps []Phase) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ",")
}

// closedPort returns a loopback port nothing listens on (it was just freed)
// for network "tcp" or "udp".
func closedPort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// closedAddr is closedPort as a host:port.
func closedAddr(t testing.TB, network string) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(closedPort(t, network)))
}

// benchProbes runs p against t b.N times, each with a 5 s deadline, fails
// on anything but up, and reports allocations and probes per second. each,
// if not nil, sees every result.
func benchProbes(b *testing.B, p Prober, t Target, each func(Result)) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r := p.Probe(ctx, t)
		cancel()
		if r.Outcome != Up {
			b.Fatalf("probe: %s/%s %s", r.Outcome, r.Class, r.Message)
		}
		if each != nil {
			each(r)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "probes/s")
}
