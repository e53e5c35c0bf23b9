package probe

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSIPOverTLS(t *testing.T) {
	pki := newTestPKI(t)
	valid := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	soon := time.Now().Add(3 * 24 * time.Hour).Truncate(time.Second)
	ok := func(c *sipCall) { c.Reply(200, "OK", "Server: tls-responder") }
	tests := []struct {
		name       string
		cert       tls.Certificate
		rootCAs    bool
		insecure   bool
		serverName string
		outcome    Outcome
		class      Class
		expiry     time.Time
	}{
		{name: "trusted", cert: pki.leaf(t, valid, "127.0.0.1"), rootCAs: true, outcome: Up, expiry: valid},
		{name: "server name override", cert: pki.leaf(t, valid, "sip.example.test"), rootCAs: true,
			serverName: "sip.example.test", outcome: Up, expiry: valid},
		{name: "wrong name", cert: pki.leaf(t, valid, "sip.example.test"), rootCAs: true, outcome: Down, class: ClassTLS},
		{name: "unknown authority", cert: pki.leaf(t, valid, "127.0.0.1"), outcome: Down, class: ClassTLS},
		{name: "insecure skip verify", cert: pki.leaf(t, valid, "127.0.0.1"), insecure: true, outcome: Up, expiry: valid},
		{name: "expires soon", cert: pki.leaf(t, soon, "127.0.0.1"), rootCAs: true, outcome: Degraded, class: ClassCertExpiry, expiry: soon},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startSIPResponder(t, "tls", &tls.Config{Certificates: []tls.Certificate{tt.cert}}, ok)
			cfg := SIPConfig{}
			if tt.rootCAs {
				cfg.RootCAs = pki.Pool()
			}
			opts := DefaultOptions()
			opts.InsecureSkipVerify, opts.ServerName = tt.insecure, tt.serverName
			r := probeWithin(NewSIP(cfg), sipTestTarget(t, sipURI("", srv.Port, "tls"), opts), 10*time.Second)
			if r.Outcome != tt.outcome || r.Class != tt.class {
				t.Fatalf("got %s/%q (%s), want %s/%q", r.Outcome, r.Class, r.Message, tt.outcome, tt.class)
			}
			if !hasPhase(r, "connect") || !hasPhase(r, "tls") {
				t.Errorf("phases %+v lack connect or tls", r.Phases)
			}
			if !r.Details.CertExpiry.Equal(tt.expiry) {
				t.Errorf("CertExpiry = %s, want %s", r.Details.CertExpiry, tt.expiry)
			}
			if tt.outcome.Passed() && (r.Details.TLSVersion != "TLS 1.3" || r.Details.SIPStatus != 200 || r.Details.SIPServer != "tls-responder") {
				t.Errorf("details %+v", r.Details)
			}
		})
	}
}

func TestSIPOverTLSRequest(t *testing.T) {
	pki := newTestPKI(t)
	conf := &tls.Config{Certificates: []tls.Certificate{pki.leaf(t, time.Now().Add(time.Hour*24*90), "127.0.0.1")}}
	srv := startSIPResponder(t, "tls", conf, func(c *sipCall) { c.Reply(200, "OK") })
	tests := []struct {
		name, uri, via, contact string
	}{
		{"sips", fmt.Sprintf("sips:127.0.0.1:%d", srv.Port), "SIP/2.0/TLS ", "<sips:outpost@127.0.0.1:"},
		{"sip transport tls", fmt.Sprintf("sip:127.0.0.1:%d;transport=tls", srv.Port), "SIP/2.0/TLS ", ";transport=tls>"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := probeWithin(NewSIP(SIPConfig{RootCAs: pki.Pool()}), sipTestTarget(t, tt.uri, DefaultOptions()), 10*time.Second)
			if r.Outcome != Up {
				t.Fatalf("got %s/%s %s", r.Outcome, r.Class, r.Message)
			}
			req := srv.Received()[i].Req
			if !strings.HasPrefix(req.get("via"), tt.via) || !strings.Contains(req.get("contact"), tt.contact) {
				t.Errorf("Via %q, Contact %q; want %q…, …%q…", req.get("via"), req.get("contact"), tt.via, tt.contact)
			}
		})
	}
}
