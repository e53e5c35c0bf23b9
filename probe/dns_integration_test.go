package probe

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// unboundConf serves only the static zone outpost.test. (plus what a test
// adds as %[3]s) and refuses every other name, so the resolver never
// recurses to the internet.
const unboundConf = `server:
	interface: 127.0.0.1@%[1]d
	port: %[1]d
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "%[2]s"
	pidfile: "%[2]s/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 1
	num-threads: 1
	module-config: "iterator"
	access-control: 127.0.0.0/8 allow
	local-zone: "." refuse
	local-zone: "outpost.test." static
	local-data: "www.outpost.test. 300 IN A 192.0.2.10"
	local-data: "outpost.test. 300 IN MX 10 mail.outpost.test."
	local-data: 'outpost.test. 300 IN TXT "v=outpost probe"'
%[3]s
remote-control:
	control-enable: no
`

func TestIntegrationUnbound(t *testing.T) {
	unbound := requirePeer(t, "unbound", "unbound")
	checkconf := requirePeer(t, "unbound-checkconf", "unbound")
	server := startUnbound(t, unbound, checkconf, "")
	resolvConf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolvConf, []byte("nameserver "+server.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	expect := func(re string) Options {
		o := dnsTestOptions()
		o.Expect.Answer = regexp.MustCompile(re)
		return o
	}
	tests := []struct {
		name   string
		target string
		opts   Options
		want   dnsWant
	}{
		{"a over udp", "dns://%s/www.outpost.test", expect(`\bA\s+192\.0\.2\.10$`),
			dnsWant{outcome: Up, rcode: "NOERROR", answers: 1, phases: "request"}},
		{"a over tcp", "dns://%s/www.outpost.test?transport=tcp", expect(`192\.0\.2\.10$`),
			dnsWant{outcome: Up, rcode: "NOERROR", answers: 1, phases: "connect,request"}},
		{"mx", "dns://%s/outpost.test?type=MX", expect(`\bMX\s+10 mail\.outpost\.test\.$`),
			dnsWant{outcome: Up, rcode: "NOERROR", answers: 1}},
		{"txt over tcp", "dns://%s/outpost.test?type=TXT;transport=tcp", expect(`v=outpost probe`),
			dnsWant{outcome: Up, rcode: "NOERROR", answers: 1}},
		{"missing name", "dns://%s/missing.outpost.test", dnsTestOptions(),
			dnsWant{outcome: Down, class: ClassRcode, rcode: "NXDOMAIN", message: "rcode NXDOMAIN not expected"}},
		{"missing name over tcp", "dns://%s/missing.outpost.test?transport=tcp", dnsTestOptions(),
			dnsWant{outcome: Down, class: ClassRcode, rcode: "NXDOMAIN", message: "rcode NXDOMAIN not expected"}},
		{"no data", "dns://%s/www.outpost.test?type=AAAA", dnsTestOptions(),
			dnsWant{outcome: Down, class: ClassAnswer, rcode: "NOERROR", message: "0 answer records"}},
		{"answer mismatch", "dns://%s/www.outpost.test", expect(`198\.51\.100\.1`),
			dnsWant{outcome: Down, class: ClassAnswer, rcode: "NOERROR", answers: 1, message: "no answer record matches"}},
		{"outside the local zone is refused", "dns://%s/example.com", dnsTestOptions(),
			dnsWant{outcome: Down, class: ClassRcode, rcode: "REFUSED", message: "rcode REFUSED not expected"}},
		{"system resolver", "dns:www.outpost.test", dnsTestOptions(),
			dnsWant{outcome: Up, rcode: "NOERROR", answers: 1}},
	}
	p := NewDNS(DNSConfig{ResolvConf: resolvConf})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.target
			if strings.HasPrefix(raw, "dns://") {
				raw = fmt.Sprintf(raw, server)
			}
			tg, err := NewTarget(raw, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := probeDNSTest(p, tg, 3*time.Second)
			checkDNSResult(t, r, tt.want)
		})
	}
}

// startUnbound writes a config to a temp dir, with extra lines (more
// local-zone and local-data) in its server section, checks it with
// unbound-checkconf, runs unbound in the foreground and waits until it
// answers. It is killed in t.Cleanup.
func startUnbound(t *testing.T, unbound, checkconf, extra string) netip.AddrPort {
	t.Helper()
	dir := t.TempDir()
	server := freeDNSPort(t)
	conf := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(unboundConf, server.Port(), dir, extra)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(checkconf, conf).CombinedOutput(); err != nil {
		t.Fatalf("unbound-checkconf: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "unbound.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(unbound, "-d", "-c", conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start unbound: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	waitForDNS(t, server, exited, logPath)
	return server
}

// waitForDNS polls server until it answers a query for www.outpost.test.
func waitForDNS(t *testing.T, server netip.AddrPort, exited <-chan error, logPath string) {
	t.Helper()
	client := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	query := new(dns.Msg).SetQuestion("www.outpost.test.", dns.TypeA)
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if reply, _, err := client.Exchange(query, server.String()); err == nil && reply.Rcode == dns.RcodeSuccess {
			return
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("unbound exited: %v\n%s", err, log)
		case <-deadline:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("unbound did not answer on %s within 10s\n%s", server, log)
		case <-tick.C:
		}
	}
}

// freeDNSPort finds a 127.0.0.1 port free for both UDP and TCP.
func freeDNSPort(t *testing.T) netip.AddrPort {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().(*net.UDPAddr).AddrPort()
		ln, err := net.Listen("tcp", addr.String())
		pc.Close()
		if err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port for both udp and tcp on 127.0.0.1")
	return netip.AddrPort{}
}
