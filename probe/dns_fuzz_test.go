package probe

import (
	"regexp"
	"testing"

	"github.com/miekg/dns"
)

// FuzzDNSReply feeds arbitrary bytes through Unpack, the reply matcher and
// the grader: whatever a server sends, none of them may panic, and a pass
// must really satisfy the expectation.
func FuzzDNSReply(f *testing.F) {
	query := newDNSQuery(DNSQuery{Name: "ok.outpost.test.", Type: dns.TypeA, Class: dns.ClassINET})
	for _, seed := range dnsFuzzSeeds(f, query) {
		f.Add(seed, int8(1), false)
		f.Add(seed, int8(0), true)
	}
	f.Add([]byte{}, int8(1), false)
	f.Add([]byte{0, 1, 0x81, 0x80, 0, 0, 0, 5, 0, 0, 0, 0}, int8(2), true)
	answerRe := regexp.MustCompile(`192\.0\.2\.[0-9]+|outpost`)
	f.Fuzz(func(t *testing.T, data []byte, minAnswers int8, nxdomainOK bool) {
		e := Expect{MinAnswers: int(minAnswers), Answer: answerRe}
		if nxdomainOK {
			e.Rcodes = []int{dns.RcodeSuccess, dns.RcodeNameError}
		}
		msg := new(dns.Msg)
		_ = msg.Unpack(data) // a partial message is graded too
		class, text := gradeDNSReply(msg, e)
		switch class {
		case ClassNone:
			if !rcodeAccepted(msg.Rcode, e.Rcodes) || len(msg.Answer) < e.MinAnswers {
				t.Fatalf("passed rcode %d with %d answers against %+v", msg.Rcode, len(msg.Answer), e)
			}
		case ClassRcode, ClassAnswer:
			if text == "" {
				t.Fatalf("class %s without a message", class)
			}
		default:
			t.Fatalf("unexpected class %q", class)
		}
		_ = dnsRcodeText(msg.Rcode)
		q := query.Copy()
		if len(data) >= 2 {
			q.Id = uint16(data[0])<<8 | uint16(data[1]) // let the id match so the rest is checked
		}
		if reply, err := checkDNSReply(q, data); err == nil {
			if reply.Id != q.Id || !reply.Response {
				t.Fatalf("accepted reply id %d response %v for query id %d", reply.Id, reply.Response, q.Id)
			}
			gradeDNSReply(reply, e)
		} else if dnsClass(err) != ClassProtocol {
			t.Fatalf("rejection %v is not a protocol error", err)
		}
	})
}

// dnsFuzzSeeds packs realistic replies to query.
func dnsFuzzSeeds(f *testing.F, query *dns.Msg) [][]byte {
	q := query.Question[0]
	var seeds [][]byte
	add := func(edit func(m *dns.Msg)) {
		m := new(dns.Msg)
		m.SetReply(query)
		m.SetEdns0(dnsUDPSize, false)
		edit(m)
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	add(func(m *dns.Msg) { m.Answer = dnsTestAnswers(q, 2) })
	add(func(m *dns.Msg) { m.Rcode = dns.RcodeNameError })
	add(func(m *dns.Msg) { m.Truncated = true })
	add(func(m *dns.Msg) {
		m.Answer = dnsTestAnswers(dns.Question{Name: q.Name, Qtype: dns.TypeTXT, Qclass: dns.ClassINET}, 1)
		m.Answer = append(m.Answer, dnsTestAnswers(dns.Question{Name: q.Name, Qtype: dns.TypeMX, Qclass: dns.ClassINET}, 1)...)
	})
	add(func(m *dns.Msg) { m.Rcode, m.Question = dns.RcodeRefused, nil })
	full := seeds[0]
	seeds = append(seeds, full[:len(full)-5]) // cut inside the OPT record
	return seeds
}

func benchmarkDNSProbe(b *testing.B, tr Transport) {
	server := startDNSTestServer(b, newDNSTestMux())
	p := NewDNS(DNSConfig{})
	tg := dnsTestTarget(b, server, "ok.outpost.test", "transport="+string(tr), dnsTestOptions())
	benchProbes(b, p, tg, nil)
}

func BenchmarkDNSProbeUDP(b *testing.B) { benchmarkDNSProbe(b, UDP) }
func BenchmarkDNSProbeTCP(b *testing.B) { benchmarkDNSProbe(b, TCP) }
