package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestDescribeTLSError(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	leaf := &x509.Certificate{
		NotBefore: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		NotAfter:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Issuer:    pkix.Name{CommonName: "Example CA"},
		DNSNames:  []string{"a.example", "b.example"},
	}
	future := &x509.Certificate{NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour)}
	current := &x509.Certificate{NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	root := &x509.Certificate{IsCA: true, Subject: pkix.Name{CommonName: "Old Root"}, NotAfter: leaf.NotAfter}
	many := &x509.Certificate{DNSNames: []string{"a", "b", "c", "d", "e", "f"},
		IPAddresses: []net.IP{net.ParseIP("192.0.2.1")}}
	verify := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://u:p@x/", Err: &tls.CertificateVerificationError{Err: err}}
	}
	tests := []struct {
		name string
		err  error
		want string // "" means not a TLS failure
	}{
		{"expired", verify(x509.CertificateInvalidError{Cert: leaf, Reason: x509.Expired}),
			"certificate expired on 2026-01-02T03:04:05Z"},
		{"not yet valid", verify(x509.CertificateInvalidError{Cert: future, Reason: x509.Expired}),
			"certificate is not yet valid (valid from 2026-03-02T12:00:00Z)"},
		{"clock disagrees with verifier", verify(x509.CertificateInvalidError{Cert: current, Reason: x509.Expired}),
			"certificate is outside its validity period (2026-03-01T11:00:00Z to 2026-03-01T13:00:00Z)"},
		{"expired root", verify(x509.CertificateInvalidError{Cert: root, Reason: x509.Expired}),
			`issuer certificate "CN=Old Root" expired on 2026-01-02T03:04:05Z`},
		{"wrong key usage", verify(x509.CertificateInvalidError{Cert: leaf, Reason: x509.IncompatibleUsage}),
			"certificate is not valid for server authentication (extended key usage)"},
		{"not a CA", verify(x509.CertificateInvalidError{Cert: leaf, Reason: x509.NotAuthorizedToSign}),
			"certificate is invalid: certificate is not authorized to sign other certificates"},
		{"unknown authority", verify(x509.UnknownAuthorityError{Cert: leaf}),
			`certificate signed by unknown authority (issuer "Example CA")`},
		{"unknown authority without common name",
			verify(x509.UnknownAuthorityError{Cert: &x509.Certificate{Issuer: pkix.Name{Organization: []string{"Acme"}}}}),
			`certificate signed by unknown authority (issuer "O=Acme")`},
		{"unknown authority without certificate", verify(x509.UnknownAuthorityError{}),
			`certificate signed by unknown authority (issuer "unknown")`},
		{"hostname", verify(x509.HostnameError{Certificate: leaf, Host: "c.example"}),
			"certificate is valid for a.example, b.example, not c.example"},
		{"hostname many names", verify(x509.HostnameError{Certificate: many, Host: "x"}),
			"certificate is valid for a, b, c, d, e and 2 more, not x"},
		{"hostname no names", verify(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "x"}),
			"certificate names no host (no subject alternative names), not x"},
		{"hostname no certificate", verify(x509.HostnameError{Host: "x"}), "certificate is not valid for x"},
		{"other verification error", verify(x509.SystemRootsError{}),
			"certificate verification failed: failed to load system roots and no roots provided"},
		{"plain http", tls.RecordHeaderError{RecordHeader: [5]byte{'H', 'T', 'T', 'P', '/'}},
			`server did not answer with TLS (got "HTTP/")`},
		{"remote alert", fmt.Errorf("handshake: %w", &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}),
			"server aborted the tls handshake: handshake failure"},
		{"timeout", context.DeadlineExceeded, ""},
		{"eof", io.EOF, ""},
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := describeTLSError(tc.err, now)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("describeTLSError = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

func TestHandshakeFailure(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		err   error
		class Class
		msg   string
	}{
		{"deadline", context.DeadlineExceeded, ClassTimeout, "tls handshake: no answer within 2s"},
		{"socket deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, ClassTimeout, "tls handshake: no answer within 2s"},
		{"eof", io.EOF, ClassTLS, "tls handshake: server closed the connection"},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, ClassNetwork,
			"tls handshake: read: connection reset by peer"},
		{"protocol", errors.New("tls: server selected unsupported protocol version 301"), ClassTLS,
			"tls handshake: server selected unsupported protocol version 301"},
		{"certificate", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, ClassTLS,
			`certificate signed by unknown authority (issuer "unknown")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			class, msg := handshakeFailure(tc.err, 2*time.Second, now)
			if class != tc.class || msg != tc.msg {
				t.Errorf("handshakeFailure = %s, %q; want %s, %q", class, msg, tc.class, tc.msg)
			}
		})
	}
}

// FuzzTLSProbeReply answers the TLS prober's ClientHello with arbitrary
// bytes: the probe must end down with a known class and a message, never
// hang or panic.
func FuzzTLSProbeReply(f *testing.F) {
	for _, seed := range []string{
		"",
		"220 smtp.example ESMTP\r\n",
		"HTTP/1.1 400 Bad Request\r\n\r\n",
		"\x15\x03\x03\x00\x02\x02\x28", // fatal handshake_failure alert
		"\x16\x03\x03\x00\x05\x02\x00\x00\x01\x00", // truncated ServerHello
		"\x16\x03\x03\xff\xff",                     // oversized record
		"\x17\x03\x03\x00\x01\x00",                 // application data before the handshake
	} {
		f.Add([]byte(seed))
	}
	payloads := make(chan []byte, 1)
	port := plainServer(f, func(c net.Conn) {
		_, _ = c.Write(<-payloads)
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c)
	})
	p := NewTLS(TLSConfig{RootCAs: x509.NewCertPool()})
	target := mustTarget(f, "tls://127.0.0.1:"+strconv.Itoa(port), Options{})
	f.Fuzz(func(t *testing.T, reply []byte) {
		select {
		case <-payloads: // left over from a probe that did not connect
		default:
		}
		payloads <- reply
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r := p.Probe(ctx, target)
		if r.Outcome != Down || r.Class == ClassNone || r.Class == ClassTimeout || !slices.Contains(Classes, r.Class) {
			t.Fatalf("reply %q: got %s/%s %q", reply, r.Outcome, r.Class, r.Message)
		}
		if r.Message == "" {
			t.Fatalf("reply %q: no message", reply)
		}
	})
}
