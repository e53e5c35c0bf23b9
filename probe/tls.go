package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// maxNamesShown caps how many certificate names a hostname-mismatch message lists.
const maxNamesShown = 5

// TLSConfig configures a TLSProber.
type TLSConfig struct {
	Clock    Clock          // default SystemClock
	Resolver Resolver       // default net.DefaultResolver
	RootCAs  *x509.CertPool // default: the system pool
}

// TLSProber connects over TCP, completes a TLS handshake with SNI and checks
// the certificate chain, reporting its earliest expiry.
type TLSProber struct {
	dialer  dialer
	rootCAs *x509.CertPool
}

var _ Prober = (*TLSProber)(nil)

// NewTLS returns a TLS prober.
func NewTLS(c TLSConfig) *TLSProber {
	return &TLSProber{dialer: newDialer(c.Clock, c.Resolver), rootCAs: c.RootCAs}
}

// Probe implements Prober.
func (p *TLSProber) Probe(ctx context.Context, t Target) Result {
	clock := p.dialer.clock
	conn, start, phases, fail := p.dialer.open(ctx, t)
	if fail != nil {
		return *fail
	}
	defer conn.Close()
	remote := conn.RemoteAddr().String()
	if err := setDeadline(ctx, conn); err != nil {
		return failure(start, since(clock, start), ClassNetwork, "%v", err)
	}
	tconn := tls.Client(conn, p.clientConfig(t))
	hsStart := clock.Now()
	err := tconn.HandshakeContext(ctx)
	took := since(clock, hsStart)
	phases = append(phases, Phase{Name: "tls", Duration: took})
	if err != nil {
		class, msg := handshakeFailure(err, took, clock.Now())
		r := failure(start, since(clock, start), class, "%s", msg)
		r.Phases, r.Details.RemoteAddr = phases, remote
		return r
	}
	defer tconn.Close() // sends close_notify before the deferred conn.Close
	cs := tconn.ConnectionState()
	r := Result{Start: start, Duration: since(clock, start), Outcome: Up, Phases: phases,
		Details: Details{CertExpiry: earliestExpiry(cs), TLSVersion: tls.VersionName(cs.Version), RemoteAddr: remote}}
	return grade(r, t.Options, clock.Now())
}

// clientConfig sends SNI for t.Options.ServerName or the target host. For an
// IP literal crypto/tls sends no SNI and verifies the certificate's IP SANs.
func (p *TLSProber) clientConfig(t Target) *tls.Config {
	name := t.Options.ServerName
	if name == "" {
		name = t.Host
	}
	return &tls.Config{ServerName: name, RootCAs: p.rootCAs, InsecureSkipVerify: t.Options.InsecureSkipVerify}
}

// handshakeFailure classifies a failed handshake and says what went wrong.
// Anything that is neither a timeout nor a socket error is a TLS failure:
// crypto/tls reports protocol trouble with plain errors.
func handshakeFailure(err error, took time.Duration, now time.Time) (Class, string) {
	if msg, ok := describeTLSError(err, now); ok {
		return ClassTLS, msg
	}
	var errno syscall.Errno
	switch class := classify(err); {
	case class == ClassTimeout:
		return class, fmt.Sprintf("tls handshake: no answer within %s", took.Round(time.Millisecond))
	case class != ClassNetwork:
		return class, "tls handshake: " + errorMessage(err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ClassTLS, "tls handshake: server closed the connection"
	case errors.As(err, &errno):
		return ClassNetwork, "tls handshake: " + errorMessage(err)
	default:
		return ClassTLS, "tls handshake: " + strings.TrimPrefix(errorMessage(err), "tls: ")
	}
}

// describeTLSError names a certificate or handshake failure in words an
// operator can act on; now is the time the certificate was checked. ok is
// false when err is not a TLS failure (e.g. a timeout or refused connection).
func describeTLSError(err error, now time.Time) (msg string, ok bool) {
	var (
		invalid   x509.CertificateInvalidError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		record    tls.RecordHeaderError
		verify    *tls.CertificateVerificationError
		opErr     *net.OpError
	)
	switch {
	case errors.As(err, &invalid):
		return describeInvalid(invalid, now), true
	case errors.As(err, &unknownCA):
		return fmt.Sprintf("certificate signed by unknown authority (issuer %q)", issuerName(unknownCA.Cert)), true
	case errors.As(err, &hostErr):
		return describeHostname(hostErr), true
	case errors.As(err, &verify):
		return "certificate verification failed: " + strings.TrimPrefix(errorMessage(verify.Err), "x509: "), true
	case errors.As(err, &record):
		return fmt.Sprintf("server did not answer with TLS (got %q)", snippet(record.RecordHeader[:])), true
	case errors.As(err, &opErr) && opErr.Op == "remote error" && opErr.Err != nil:
		// crypto/tls reports a received alert this way; its type is unexported.
		return "server aborted the tls handshake: " + strings.TrimPrefix(opErr.Err.Error(), "tls: "), true
	}
	return "", false
}

// describeInvalid names why a certificate in the chain is not valid.
func describeInvalid(e x509.CertificateInvalidError, now time.Time) string {
	what := "certificate"
	if e.Cert != nil && e.Cert.IsCA {
		what = fmt.Sprintf("issuer certificate %q", snippet([]byte(e.Cert.Subject.String())))
	}
	switch {
	case e.Cert == nil:
	case e.Reason == x509.Expired && now.After(e.Cert.NotAfter):
		return fmt.Sprintf("%s expired on %s", what, e.Cert.NotAfter.UTC().Format(time.RFC3339))
	case e.Reason == x509.Expired && now.Before(e.Cert.NotBefore):
		return fmt.Sprintf("%s is not yet valid (valid from %s)", what, e.Cert.NotBefore.UTC().Format(time.RFC3339))
	case e.Reason == x509.Expired:
		return fmt.Sprintf("%s is outside its validity period (%s to %s)", what,
			e.Cert.NotBefore.UTC().Format(time.RFC3339), e.Cert.NotAfter.UTC().Format(time.RFC3339))
	case e.Reason == x509.IncompatibleUsage:
		return what + " is not valid for server authentication (extended key usage)"
	}
	return what + " is invalid: " + strings.TrimPrefix(e.Error(), "x509: ")
}

// describeHostname lists the names a certificate is valid for.
func describeHostname(e x509.HostnameError) string {
	host := snippet([]byte(e.Host))
	c := e.Certificate
	if c == nil {
		return fmt.Sprintf("certificate is not valid for %s", host)
	}
	names := make([]string, 0, maxNamesShown)
	total := len(c.DNSNames) + len(c.IPAddresses)
	for _, n := range c.DNSNames {
		if len(names) < maxNamesShown {
			names = append(names, snippet([]byte(n)))
		}
	}
	for _, ip := range c.IPAddresses {
		if len(names) < maxNamesShown {
			names = append(names, ip.String())
		}
	}
	if total == 0 {
		return fmt.Sprintf("certificate names no host (no subject alternative names), not %s", host)
	}
	list := strings.Join(names, ", ")
	if total > len(names) {
		list += fmt.Sprintf(" and %d more", total-len(names))
	}
	return fmt.Sprintf("certificate is valid for %s, not %s", list, host)
}

// issuerName returns a short name for the issuer of c.
func issuerName(c *x509.Certificate) string {
	if c == nil {
		return "unknown"
	}
	if c.Issuer.CommonName != "" {
		return snippet([]byte(c.Issuer.CommonName))
	}
	return snippet([]byte(c.Issuer.String()))
}
