package probe

import (
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		kind      Kind
		host      string
		port      int
		transport Transport
		redacted  string
	}{
		{"https default port", "https://www.example.com/health", KindHTTP, "www.example.com", 443, TCP, "https://www.example.com/health"},
		{"http explicit port", "http://127.0.0.1:8080/", KindHTTP, "127.0.0.1", 8080, TCP, "http://127.0.0.1:8080/"},
		{"http credentials redacted", "https://user:pw@example.com/x?token=abc&q=1", KindHTTP, "example.com", 443, TCP, "https://redacted@example.com/x?token=redacted&q=1"},
		{"http ipv6", "http://[::1]:9000/", KindHTTP, "::1", 9000, TCP, "http://[::1]:9000/"},
		{"tcp", "tcp://mail.example.com:25", KindTCP, "mail.example.com", 25, TCP, "tcp://mail.example.com:25"},
		{"tls", "tls://mail.example.com:465", KindTLS, "mail.example.com", 465, TLS, "tls://mail.example.com:465"},
		{"tls default port", "tls://example.com", KindTLS, "example.com", 443, TLS, "tls://example.com"},
		{"dns server", "dns://9.9.9.9/example.com?type=MX", KindDNS, "9.9.9.9", 53, UDP, "dns://9.9.9.9/example.com?type=MX"},
		{"dns server port tcp", "dns://[::1]:5353/example.com?type=AAAA;transport=tcp", KindDNS, "::1", 5353, TCP, "dns://[::1]:5353/example.com?type=AAAA;transport=tcp"},
		{"dns over tls", "dns://9.9.9.9/example.com?transport=tls", KindDNS, "9.9.9.9", 853, TLS, "dns://9.9.9.9/example.com?transport=tls"},
		{"dns system resolver", "dns:example.com?type=A", KindDNS, "", 0, UDP, "dns:example.com?type=A"},
		{"sip udp", "sip:sip.example.com;transport=udp", KindSIP, "sip.example.com", 5060, UDP, "sip:sip.example.com;transport=udp"},
		{"sip tcp port", "sip:pbx.example.com:5080;transport=tcp", KindSIP, "pbx.example.com", 5080, TCP, "sip:pbx.example.com:5080;transport=tcp"},
		{"sips", "sips:sip.example.com", KindSIP, "sip.example.com", 5061, TLS, "sips:sip.example.com"},
		{"sip user password", "sip:100:secret@127.0.0.1", KindSIP, "127.0.0.1", 5060, UDP, "sip:100:redacted@127.0.0.1"},
		{"sip ipv6", "sip:[::1]:5070", KindSIP, "::1", 5070, UDP, "sip:[::1]:5070"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTarget(tt.raw)
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.raw, err)
			}
			if got.Kind != tt.kind || got.Host != tt.host || got.Port != tt.port || got.Transport != tt.transport {
				t.Errorf("got kind=%s host=%q port=%d transport=%s, want %s %q %d %s",
					got.Kind, got.Host, got.Port, got.Transport, tt.kind, tt.host, tt.port, tt.transport)
			}
			if got.Redacted != tt.redacted {
				t.Errorf("Redacted = %q, want %q", got.Redacted, tt.redacted)
			}
		})
	}
}

func TestParseTargetDNSQuery(t *testing.T) {
	got, err := ParseTarget("dns://127.0.0.1:53/example.org?type=mx")
	if err != nil {
		t.Fatal(err)
	}
	if got.DNS.Name != "example.org." || got.DNS.Type != dns.TypeMX || got.DNS.System {
		t.Errorf("DNS = %+v", got.DNS)
	}
	sys, err := ParseTarget("dns:example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !sys.DNS.System || sys.DNS.Type != dns.TypeA {
		t.Errorf("system DNS = %+v", sys.DNS)
	}
}

func TestParseTargetSIPRequestURI(t *testing.T) {
	got, err := ParseTarget("sip:busy:pw@127.0.0.1:5070;transport=tcp?subject=x")
	if err != nil {
		t.Fatal(err)
	}
	if got.SIP.RequestURI != "sip:busy@127.0.0.1:5070;transport=tcp" || got.SIP.User != "busy" {
		t.Errorf("SIP = %+v", got.SIP)
	}
}

func TestParseTargetErrors(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", "target is empty"},
		{"no scheme", "www.example.com", "has no scheme"},
		{"unknown scheme", "htp://example.com", `unknown scheme "htp" (use http, https, tcp, tls, dns, sip, sips)`},
		{"http no host", "http:///path", "needs a host"},
		{"tcp no port", "tcp://example.com", "needs a port"},
		{"tcp bad port", "tcp://example.com:99999", "not a number from 1 to 65535"},
		{"tcp path", "tcp://example.com:25/x", "takes no path"},
		{"dns no name", "dns://9.9.9.9/", "no name to query"},
		{"dns bad type", "dns:example.com?type=BOGUS", `dns type "BOGUS" is unknown`},
		{"dns bad transport", "dns://1.1.1.1/x.com?transport=quic", `transport "quic" is unknown`},
		{"dns tls system", "dns:x.com?transport=tls", "needs a server"},
		{"sip slashes", "sip://sip.example.com", "have no //"},
		{"sip bad transport", "sip:x.example.com;transport=sctp", `transport "sctp"`},
		{"sip v6 no brackets", "sip:::1:5060", "must be in brackets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTarget(tt.raw)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseTarget(%q) error = %v, want containing %q", tt.raw, err, tt.want)
			}
		})
	}
	if _, err := ParseTarget("gopher://x"); !errors.Is(err, ErrUnknownScheme) {
		t.Errorf("unknown scheme error does not wrap ErrUnknownScheme: %v", err)
	}
}

func TestRedactErrorMessages(t *testing.T) {
	got := redactString(`Get "https://bob:hunter2@example.com/?api_key=s3cret": refused`)
	if strings.Contains(got, "hunter2") || strings.Contains(got, "s3cret") || strings.Contains(got, "bob") {
		t.Errorf("redactString leaked a secret: %s", got)
	}
}

// FuzzParseTarget checks that parsing never panics and that accepted
// targets are self-consistent and never echo a password.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"https://www.example.com/health", "tcp://h:25", "tls://h:465",
		"dns://9.9.9.9/example.com?type=MX", "dns:example.com?type=A", "sip:sip.example.com;transport=udp",
		"sips:u:p@[::1]:5061;transport=tcp?x=y", "http://u:secretpw@h/?token=secretpw", "sip:", "dns://[", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tgt, err := ParseTarget(raw)
		if err != nil {
			return
		}
		if tgt.Kind == "" || tgt.Redacted == "" {
			t.Fatalf("accepted %q with empty kind or redacted form: %+v", raw, tgt)
		}
		if !tgt.DNS.System && (tgt.Port < 1 || tgt.Port > 65535) {
			t.Fatalf("accepted %q with port %d", raw, tgt.Port)
		}
		if strings.Contains(tgt.Redacted, ":secretpw@") || strings.Contains(tgt.Redacted, "token=secretpw") {
			t.Fatalf("redacted form of %q leaks the password: %s", raw, tgt.Redacted)
		}
		_ = Redact(raw)
	})
}
