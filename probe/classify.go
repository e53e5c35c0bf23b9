package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// classify maps a dial, handshake or I/O error to a failure class.
func classify(err error) Class {
	var (
		dnsErr     *net.DNSError
		netErr     net.Error
		certErr    *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return ClassTimeout
		}
		return ClassDNS
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return ClassTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	default:
		return ClassNetwork
	}
}

// failure builds a down result from an error, with a message safe to show.
func failure(start time.Time, d time.Duration, class Class, format string, args ...any) Result {
	return Result{Start: start, Duration: d, Outcome: Down, Class: class,
		Message: redactString(fmt.Sprintf(format, args...))}
}

// errorMessage shortens common wrapped errors to what an operator needs.
func errorMessage(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		var sysErr *os.SyscallError
		if errors.As(opErr.Err, &sysErr) {
			return fmt.Sprintf("%s: %v", opErr.Op, sysErr.Err)
		}
		return fmt.Sprintf("%s: %v", opErr.Op, opErr.Err)
	}
	return err.Error()
}

// grade turns a passing result into degraded when it was slow or its
// certificate expires soon; now is the time the probe finished.
func grade(r Result, o Options, now time.Time) Result {
	if r.Outcome != Up {
		return r
	}
	if !r.Details.CertExpiry.IsZero() && o.CertMinDays > 0 {
		left := r.Details.CertExpiry.Sub(now)
		if left < time.Duration(o.CertMinDays)*24*time.Hour {
			r.Outcome, r.Class = Degraded, ClassCertExpiry
			r.Message = fmt.Sprintf("certificate expires in %.1f days (at %s)", left.Hours()/24,
				r.Details.CertExpiry.UTC().Format(time.RFC3339))
			if left <= 0 { // only seen when verification is skipped
				r.Message = "certificate expired on " + r.Details.CertExpiry.UTC().Format(time.RFC3339)
			}
			return r
		}
	}
	if o.DegradedLatency > 0 && r.Duration > o.DegradedLatency {
		r.Outcome, r.Class = Degraded, ClassLatency
		r.Message = fmt.Sprintf("took %s, above degraded_latency %s", r.Duration.Round(time.Millisecond), o.DegradedLatency)
	}
	return r
}

// Discount records that the probe's goroutine may have waited up to delay
// for a CPU during r, and grades its latency on the rest: a result that
// is degraded only because Duration−delay would be within
// o.DegradedLatency is up, with a message that says why. Other verdicts
// stay; failures are for the caller to judge, which knows the timeout.
func Discount(r Result, o Options, delay time.Duration) Result {
	if delay <= 0 {
		return r
	}
	r.SchedDelay = delay
	if r.Outcome != Degraded || r.Class != ClassLatency || r.Duration-delay > o.DegradedLatency {
		return r
	}
	r.Outcome, r.Class = Up, ClassNone
	r.Message = fmt.Sprintf("took %s, of which up to %s waiting for a CPU; within degraded_latency %s",
		r.Duration.Round(time.Millisecond), delay.Round(time.Millisecond), o.DegradedLatency)
	return r
}

// earliestExpiry returns the earliest NotAfter over the verified chains, or
// over the peer certificates when verification was skipped.
func earliestExpiry(cs tls.ConnectionState) time.Time {
	var earliest time.Time
	consider := func(c *x509.Certificate) {
		if earliest.IsZero() || c.NotAfter.Before(earliest) {
			earliest = c.NotAfter
		}
	}
	if len(cs.VerifiedChains) > 0 {
		for _, c := range cs.VerifiedChains[0] {
			consider(c)
		}
		return earliest
	}
	for _, c := range cs.PeerCertificates {
		consider(c)
	}
	return earliest
}
