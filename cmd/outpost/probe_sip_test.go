package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestProbeSIPFlagErrors(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown method", []string{"-sip-method", "INVITE", "sip:x.example"}, `-sip-method "INVITE" is not supported`},
		{"register without password", []string{"-sip-method", "REGISTER", "sip:alice@x.example"}, "needs -sip-password-file"},
		{"missing password file", []string{"-sip-method", "REGISTER", "-sip-password-file", "/nonexistent/pw", "sip:alice@x.example"}, "-sip-password-file: open /nonexistent/pw"},
		{"empty password file", []string{"-sip-method", "register", "-sip-password-file", empty, "sip:alice@x.example"}, "is empty"},
		{"user without register", []string{"-sip-user", "alice", "sip:x.example"}, "need -sip-method REGISTER"},
		{"resolver name", []string{"-resolver", "dns.example:53", "sip:x.example"}, "is not an IP address and port"},
		{"resolver without port", []string{"-resolver", "9.9.9.9", "sip:x.example"}, "has no port (add :53"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"probe"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
			if strings.Contains(stderr, "s3cret") {
				t.Errorf("password on stderr: %q", stderr)
			}
		})
	}
}

// TestProbeResolverFlag resolves an HTTP target's name through -resolver
// (an in-process DNS server with its own mux) and a SIP name that has
// none as class dns, naming the name.
func TestProbeResolverFlag(t *testing.T) {
	mux := dns.NewServeMux()
	mux.HandleFunc("test.", func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg).SetReply(q)
		if qq := q.Question[0]; qq.Name == "web.test." && qq.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A: net.IPv4(127, 0, 0, 1)})
		} else if qq.Name != "web.test." {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: mux, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	web := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(web.Close)
	port := strings.TrimPrefix(web.URL, "http://127.0.0.1:")
	code, stdout, stderr := runCLI("probe", "-timeout", "3s", "-resolver", pc.LocalAddr().String(),
		"http://web.test:"+port+"/", "sip:nothing.test")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitFail || len(lines) != 2 || !strings.HasPrefix(lines[0], "UP ") ||
		!strings.Contains(lines[1], "via nothing.test:5060/udp; dns: ") || !strings.Contains(lines[1], "nothing.test") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}
