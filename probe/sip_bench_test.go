package probe

import (
	"testing"
	"time"
)

func BenchmarkSIPProbeUDP(b *testing.B) { benchmarkSIPProbe(b, "udp") }

func BenchmarkSIPProbeTCP(b *testing.B) { benchmarkSIPProbe(b, "tcp") }

// benchmarkSIPProbe measures whole probes (socket, request, response)
// against the in-process responder on loopback.
func benchmarkSIPProbe(b *testing.B, network string) {
	srv := startSIPResponder(b, network, nil, func(c *sipCall) { c.Reply(200, "OK", "Server: bench") })
	p := NewSIP(SIPConfig{})
	target := sipTestTarget(b, sipURI("", srv.Port, network), DefaultOptions())
	b.ReportAllocs()
	retransmits := 0
	for b.Loop() {
		r := probeWithin(p, target, 5*time.Second)
		if r.Outcome != Up {
			b.Fatalf("probe: %s/%s %s", r.Outcome, r.Class, r.Message)
		}
		retransmits += r.Details.Retransmits
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "probes/s")
	b.ReportMetric(float64(retransmits), "retransmits")
}
