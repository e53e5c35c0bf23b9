package probe

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// dnsWaitDeadline is the deadline of probes that must wait for it to pass
// (silent servers, UDP replies that never match).
const dnsWaitDeadline = time.Second

// dnsWant is what a DNS probe result should show.
type dnsWant struct {
	outcome Outcome
	class   Class
	rcode   string
	answers int
	message string // substring of Result.Message
	phases  string // comma-separated phase names; "" skips the check
}

func checkDNSResult(t *testing.T, r Result, w dnsWant) {
	t.Helper()
	if r.Outcome != w.outcome || r.Class != w.class {
		t.Fatalf("outcome %s class %q (%s), want %s %q", r.Outcome, r.Class, r.Message, w.outcome, w.class)
	}
	if r.Details.DNSRcode != w.rcode || r.Details.DNSAnswers != w.answers {
		t.Errorf("rcode %q answers %d, want %q %d", r.Details.DNSRcode, r.Details.DNSAnswers, w.rcode, w.answers)
	}
	if !strings.Contains(r.Message, w.message) {
		t.Errorf("message %q does not contain %q", r.Message, w.message)
	}
	if w.phases != "" && phaseNames(r.Phases) != w.phases {
		t.Errorf("phases %q, want %q", phaseNames(r.Phases), w.phases)
	}
	for _, ph := range r.Phases {
		if ph.Duration < 0 {
			t.Errorf("phase %s has negative duration %s", ph.Name, ph.Duration)
		}
	}
}

// dnsProbeCase is one TestDNSProbe case, run over udp and tcp.
type dnsProbeCase struct {
	name    string
	qname   string
	params  string
	opts    Options
	timeout time.Duration // default 5s
	want    dnsWant
	wantTCP *dnsWant // when tcp differs from udp
}

func dnsProbeCases() []dnsProbeCase {
	opts := func(edit func(*Options)) Options {
		o := dnsTestOptions()
		if edit != nil {
			edit(&o)
		}
		return o
	}
	up := func(rcode string, answers int) dnsWant { return dnsWant{outcome: Up, rcode: rcode, answers: answers} }
	down := func(class Class, rcode string, answers int, msg string) dnsWant {
		return dnsWant{outcome: Down, class: class, rcode: rcode, answers: answers, message: msg}
	}
	protocol := dnsWant{outcome: Down, class: ClassProtocol, message: "does not match the query"}
	return []dnsProbeCase{
		{name: "noerror with answers", qname: "ok.outpost.test", opts: opts(nil), want: up("NOERROR", 2)},
		{name: "mx", qname: "ok.outpost.test", params: "type=MX", opts: opts(nil), want: up("NOERROR", 2)},
		{name: "nxdomain", qname: "missing.outpost.test", opts: opts(nil),
			want: down(ClassRcode, "NXDOMAIN", 0, "rcode NXDOMAIN not expected")},
		{name: "servfail", qname: "fail.outpost.test", opts: opts(nil),
			want: down(ClassRcode, "SERVFAIL", 0, "rcode SERVFAIL not expected")},
		{name: "zero answers", qname: "empty.outpost.test", opts: opts(nil),
			want: down(ClassAnswer, "NOERROR", 0, "0 answer records, expected at least 1")},
		{name: "zero answers accepted with min_answers 0", qname: "empty.outpost.test",
			opts: opts(func(o *Options) { o.Expect.MinAnswers = 0 }), want: up("NOERROR", 0)},
		{name: "min answers above count", qname: "ok.outpost.test",
			opts: opts(func(o *Options) { o.Expect.MinAnswers = 3 }),
			want: down(ClassAnswer, "NOERROR", 2, "2 answer records, expected at least 3")},
		{name: "answer regex matches", qname: "ok.outpost.test",
			opts: opts(func(o *Options) { o.Expect.Answer = regexp.MustCompile(`\bA\s+192\.0\.2\.2$`) }),
			want: up("NOERROR", 2)},
		{name: "answer regex mismatch", qname: "ok.outpost.test",
			opts: opts(func(o *Options) { o.Expect.Answer = regexp.MustCompile(`198\.51\.100\.7`) }),
			want: down(ClassAnswer, "NOERROR", 2, `no answer record matches "198\\.51\\.100\\.7"`)},
		{name: "expect rcodes accepts nxdomain", qname: "missing.outpost.test",
			opts: opts(func(o *Options) { o.Expect.Rcodes, o.Expect.MinAnswers = []int{dns.RcodeNameError}, 0 }),
			want: up("NXDOMAIN", 0)},
		{name: "expect rcodes without noerror", qname: "ok.outpost.test",
			opts: opts(func(o *Options) { o.Expect.Rcodes = []int{dns.RcodeNameError} }),
			want: down(ClassRcode, "NOERROR", 2, "rcode NOERROR not expected")},
		{name: "refused without question", qname: "noq.outpost.test", opts: opts(nil),
			want: down(ClassRcode, "REFUSED", 0, "rcode REFUSED not expected")},
		{name: "malformed reply", qname: "garbage.outpost.test", opts: opts(nil),
			want: dnsWant{outcome: Down, class: ClassProtocol, message: "malformed reply"}},
		{name: "wrong id ignored over udp", qname: "badid.outpost.test", opts: opts(nil), timeout: dnsWaitDeadline,
			want:    dnsWant{outcome: Down, class: ClassProtocol, message: "ignored 1 datagrams, last: reply does not match the query: id"},
			wantTCP: &protocol},
		{name: "wrong question", qname: "badq.outpost.test", opts: opts(nil), timeout: dnsWaitDeadline,
			want: dnsWant{outcome: Down, class: ClassProtocol, message: "question other.outpost.test."}, wantTCP: &protocol},
		{name: "spoofed reply skipped over udp", qname: "spoof.outpost.test", opts: opts(nil), want: up("NOERROR", 1),
			wantTCP: &protocol},
	}
}

func TestDNSProbe(t *testing.T) {
	server := startDNSTestServer(t, newDNSTestMux())
	p := NewDNS(DNSConfig{})
	for _, tt := range dnsProbeCases() {
		for _, tr := range []Transport{UDP, TCP} {
			t.Run(tt.name+"/"+string(tr), func(t *testing.T) {
				params := "transport=" + string(tr)
				if tt.params != "" {
					params = tt.params + ";" + params
				}
				timeout := tt.timeout
				if timeout == 0 {
					timeout = 5 * time.Second
				}
				r, _ := probeDNSTest(p, dnsTestTarget(t, server, tt.qname, params, tt.opts), timeout)
				want := tt.want
				if tr == TCP && tt.wantTCP != nil {
					want = *tt.wantTCP
				}
				checkDNSResult(t, r, want)
				if r.Details.RemoteAddr != server.String() {
					t.Errorf("RemoteAddr %q, want %q", r.Details.RemoteAddr, server)
				}
			})
		}
	}
}

func TestDNSProbeTruncated(t *testing.T) {
	tests := []struct {
		name  string
		start func(testing.TB) netip.AddrPort
		want  dnsWant
	}{
		{"retried over tcp", func(t testing.TB) netip.AddrPort { return startDNSTestServer(t, newDNSTestMux()) },
			dnsWant{outcome: Up, rcode: "NOERROR", answers: 3, phases: "request,tcp_retry"}},
		{"tcp closed", func(t testing.TB) netip.AddrPort { return startDNSTestUDPOnly(t, newDNSTestMux()) },
			dnsWant{outcome: Down, class: ClassRefused, message: "tcp retry after truncated udp reply: connect:", phases: "request"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := tt.start(t)
			p := NewDNS(DNSConfig{Clock: &dnsStepClock{}})
			r, _ := probeDNSTest(p, dnsTestTarget(t, server, "big.outpost.test", "", dnsTestOptions()), 5*time.Second)
			checkDNSResult(t, r, tt.want)
		})
	}
}

func TestDNSProbeSilence(t *testing.T) {
	const timeout = dnsWaitDeadline
	// Scheduling on an idle machine adds about a millisecond; the margin
	// allows for a heavily loaded one while still catching a probe that
	// waits for some internal timeout instead of the deadline.
	const margin = time.Second
	server := startDNSTestServer(t, newDNSTestMux())
	for _, tr := range []Transport{UDP, TCP} {
		t.Run(string(tr), func(t *testing.T) {
			tg := dnsTestTarget(t, server, "silent.outpost.test", "transport="+string(tr), dnsTestOptions())
			r, took := probeDNSTest(NewDNS(DNSConfig{}), tg, timeout)
			checkDNSResult(t, r, dnsWant{outcome: Down, class: ClassTimeout, message: "await reply"})
			if took < timeout-10*time.Millisecond || took > timeout+margin {
				t.Errorf("probe took %s, want about the %s deadline", took, timeout)
			}
		})
	}
}

func TestDNSProbeRefused(t *testing.T) {
	// A port that was just free: bind it, note it, close it.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udpAddr := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	pc.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	tests := []struct {
		name   string
		server netip.AddrPort
		params string
	}{
		{"udp icmp port unreachable", udpAddr, "transport=udp"},
		{"tcp reset", tcpAddr, "transport=tcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, took := probeDNSTest(NewDNS(DNSConfig{}), dnsTestTarget(t, tt.server, "ok.outpost.test", tt.params, dnsTestOptions()), 5*time.Second)
			checkDNSResult(t, r, dnsWant{outcome: Down, class: ClassRefused, message: "connection refused"})
			if took > time.Second {
				t.Errorf("refusal took %s, want it at once", took)
			}
		})
	}
}

func TestDNSProbeServerByName(t *testing.T) {
	server := startDNSTestServer(t, newDNSTestMux())
	resolver := dnsTestResolver{"dns.outpost.test": {server.Addr()}}
	tests := []struct {
		name string
		host string
		tr   Transport
		want dnsWant
	}{
		{"udp", "dns.outpost.test", UDP, dnsWant{outcome: Up, rcode: "NOERROR", answers: 2, phases: "resolve,request"}},
		{"tcp", "dns.outpost.test", TCP, dnsWant{outcome: Up, rcode: "NOERROR", answers: 2, phases: "resolve,connect,request"}},
		{"ip literal", "127.0.0.1", TCP, dnsWant{outcome: Up, rcode: "NOERROR", answers: 2, phases: "connect,request"}},
		{"transport unset means udp", "127.0.0.1", "", dnsWant{outcome: Up, rcode: "NOERROR", answers: 2, phases: "request"}},
		{"unknown server", "nowhere.outpost.test", UDP,
			dnsWant{outcome: Down, class: ClassDNS, message: "resolve dns server nowhere.outpost.test", phases: "resolve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewDNS(DNSConfig{Clock: &dnsStepClock{}, Resolver: resolver})
			tg := Target{Kind: KindDNS, Host: tt.host, Port: int(server.Port()), Transport: tt.tr, Options: dnsTestOptions(),
				DNS: DNSQuery{Name: "ok.outpost.test.", Type: dns.TypeA, Class: dns.ClassINET}}
			r, _ := probeDNSTest(p, tg, 5*time.Second)
			checkDNSResult(t, r, tt.want)
			for _, ph := range r.Phases {
				if ph.Duration <= 0 {
					t.Errorf("phase %s duration %s, want > 0 with a stepping clock", ph.Name, ph.Duration)
				}
			}
		})
	}
}

func TestDNSProbeSystemResolver(t *testing.T) {
	server := startDNSTestServer(t, newDNSTestMux())
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name       string
		resolvConf string
		target     string
		want       dnsWant
	}{
		{"udp", write("udp.conf", "# test\nsearch outpost.test\nnameserver "+server.String()+"\nnameserver ::1\n"),
			"dns:ok.outpost.test", dnsWant{outcome: Up, rcode: "NOERROR", answers: 2}},
		{"tcp nxdomain", write("tcp.conf", "nameserver "+server.String()+"\n"),
			"dns:missing.outpost.test?transport=tcp", dnsWant{outcome: Down, class: ClassRcode, rcode: "NXDOMAIN", message: "rcode NXDOMAIN"}},
		{"missing file", filepath.Join(dir, "absent.conf"),
			"dns:ok.outpost.test", dnsWant{outcome: Down, class: ClassDNS, message: "system resolver: open"}},
		{"no nameserver", write("empty.conf", "search outpost.test\n"),
			"dns:ok.outpost.test", dnsWant{outcome: Down, class: ClassDNS, message: "no nameserver in"}},
		{"nameserver not an address", write("name.conf", "nameserver dns.outpost.test\n"),
			"dns:ok.outpost.test", dnsWant{outcome: Down, class: ClassDNS, message: "is not an IP address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := NewTarget(tt.target, dnsTestOptions())
			if err != nil {
				t.Fatal(err)
			}
			r, _ := probeDNSTest(NewDNS(DNSConfig{ResolvConf: tt.resolvConf}), tg, 5*time.Second)
			checkDNSResult(t, r, tt.want)
		})
	}
}

func TestDNSServerFromResolvConf(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		content  string
		wantHost string
		wantPort int
	}{
		{"plain ipv4 uses port 53", "nameserver 127.0.0.1\n", "127.0.0.1", 53},
		{"plain ipv6", "nameserver ::1\nnameserver 127.0.0.1\n", "::1", 53},
		{"ipv4 with port", "nameserver 127.0.0.1:5353\n", "127.0.0.1", 5353},
		{"ipv6 with port", "options ndots:2\nnameserver [::1]:5353\n", "::1", 5353},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, string(rune('a'+i))+".conf")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			p := NewDNS(DNSConfig{ResolvConf: path})
			host, port, err := p.server(Target{Kind: KindDNS, DNS: DNSQuery{System: true}})
			if err != nil || host != tt.wantHost || port != tt.wantPort {
				t.Errorf("server() = %q, %d, %v; want %q, %d", host, port, err, tt.wantHost, tt.wantPort)
			}
		})
	}
}

func TestGradeDNSReply(t *testing.T) {
	reply := func(rcode int, answers ...string) *dns.Msg {
		m := new(dns.Msg)
		m.Rcode = rcode
		for _, a := range answers {
			rr, err := dns.NewRR(a)
			if err != nil {
				t.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		return m
	}
	tests := []struct {
		name   string
		msg    *dns.Msg
		expect Expect
		class  Class
	}{
		{"nil reply", nil, Expect{}, ClassProtocol},
		{"noerror default min 0", reply(dns.RcodeSuccess), Expect{}, ClassNone},
		{"noerror min 1", reply(dns.RcodeSuccess), Expect{MinAnswers: 1}, ClassAnswer},
		{"refused", reply(dns.RcodeRefused), Expect{}, ClassRcode},
		{"rcode listed", reply(dns.RcodeRefused), Expect{Rcodes: []int{dns.RcodeRefused}}, ClassNone},
		{"regex on txt", reply(dns.RcodeSuccess, `a.test. 60 IN TXT "v=spf1 -all"`),
			Expect{MinAnswers: 1, Answer: regexp.MustCompile(`v=spf1`)}, ClassNone},
		{"regex second record", reply(dns.RcodeSuccess, "a.test. 60 IN A 192.0.2.1", "a.test. 60 IN A 192.0.2.9"),
			Expect{Answer: regexp.MustCompile(`192\.0\.2\.9$`)}, ClassNone},
		{"regex no record", reply(dns.RcodeSuccess), Expect{Answer: regexp.MustCompile(`.`)}, ClassAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if class, msg := gradeDNSReply(tt.msg, tt.expect); class != tt.class {
				t.Errorf("class %q (%s), want %q", class, msg, tt.class)
			}
		})
	}
}
