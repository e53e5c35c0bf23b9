package probe

import (
	"testing"
)

func BenchmarkSIPProbeUDP(b *testing.B) { benchmarkSIPProbe(b, "udp") }

func BenchmarkSIPProbeTCP(b *testing.B) { benchmarkSIPProbe(b, "tcp") }

// benchmarkSIPProbe measures whole probes (socket, request, response)
// against the in-process responder on loopback.
func benchmarkSIPProbe(b *testing.B, network string) {
	srv := startSIPResponder(b, network, nil, func(c *sipCall) { c.Reply(200, "OK", "Server: bench") })
	p := NewSIP(SIPConfig{})
	target := sipTestTarget(b, sipURI("", srv.Port, network), DefaultOptions())
	retransmits := 0
	benchProbes(b, p, target, func(r Result) { retransmits += r.Details.Retransmits })
	b.ReportMetric(float64(retransmits), "retransmits")
}
