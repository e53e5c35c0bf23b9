package probe

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// SIP timers (RFC 3261 §17.1.1.1): Timer E starts at T1 and doubles up to T2.
const (
	sipT1 = 500 * time.Millisecond
	sipT2 = 4 * time.Second
)

// SIPConfig configures a SIPProber; zero values mean defaults.
type SIPConfig struct {
	Clock     Clock          // default SystemClock
	Resolver  Resolver       // default net.DefaultResolver
	RootCAs   *x509.CertPool // default: the system pool
	UserAgent string         // default "outpost"
}

// SIPProber sends one OPTIONS request per probe (RFC 3261 §11) over a fresh
// socket and waits for the final response: over UDP with Timer E
// retransmissions, over TCP or TLS once.
type SIPProber struct {
	dialer    dialer
	rootCAs   *x509.CertPool
	userAgent string
	datagrams sync.Pool // *[]byte of maxSIPMessage bytes for UDP reads
}

var _ Prober = (*SIPProber)(nil)

// NewSIP returns a SIP prober.
func NewSIP(c SIPConfig) *SIPProber {
	p := &SIPProber{dialer: newDialer(c.Clock, c.Resolver), rootCAs: c.RootCAs,
		userAgent: cmp.Or(c.UserAgent, "outpost")}
	p.datagrams.New = func() any { b := make([]byte, maxSIPMessage); return &b }
	return p
}

// sipTransaction is the client side of one OPTIONS transaction.
type sipTransaction struct {
	req         sipRequest
	final       sipResponse
	provisional sipResponse // the last 1xx; Status 0 if none came
	retransmits int
	strays      int   // responses to other requests
	garbage     error // why the last unparseable reply was rejected
}

// Probe implements Prober.
func (p *SIPProber) Probe(ctx context.Context, t Target) Result {
	clock := p.dialer.clock
	start := clock.Now()
	var (
		phases []Phase
		d      Details
	)
	conn, closeConn, err := p.open(ctx, t, &phases, &d)
	if err != nil {
		r := failure(start, since(clock, start), classify(err), "%s", errorMessage(err))
		r.Phases, r.Details = phases, d
		return r
	}
	defer closeConn()
	x := &sipTransaction{req: newSIPRequest(t, conn.LocalAddr(), p.userAgent)}
	sent := clock.Now()
	if t.Transport == UDP {
		buf := p.datagrams.Get().(*[]byte)
		err = x.runDatagram(ctx, conn, *buf)
		p.datagrams.Put(buf)
	} else {
		err = x.runStream(ctx, conn)
	}
	if err == nil {
		phases = append(phases, Phase{Name: "response", Duration: since(clock, sent)})
	}
	d.Retransmits = x.retransmits
	r := Result{Start: start, Duration: since(clock, start), Phases: phases, Details: d}
	if err != nil {
		class, msg := x.failure(err, r.Duration)
		r.Outcome, r.Class, r.Message = Down, class, redactString(msg)
		return r
	}
	return p.verdict(r, x.final, t.Options)
}

// open connects (and for TLS shakes hands) with ctx's deadline on the
// socket; ctx being done closes the socket, so no read outlives it.
func (p *SIPProber) open(ctx context.Context, t Target, phases *[]Phase, d *Details) (net.Conn, func(), error) {
	var (
		conn net.Conn
		err  error
	)
	if t.Transport == UDP {
		conn, err = p.dialUDP(ctx, t, phases)
	} else {
		conn, err = p.dialer.dial(ctx, "tcp", t.Host, t.Port, phases)
	}
	if err != nil {
		return nil, nil, err
	}
	d.RemoteAddr = conn.RemoteAddr().String()
	raw := conn
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	closeConn := func() { stop(); conn.Close() }
	if err := setDeadline(ctx, raw); err != nil {
		closeConn()
		return nil, nil, err
	}
	if t.Transport != TLS {
		return conn, closeConn, nil
	}
	clock := p.dialer.clock
	start := clock.Now()
	tc := tls.Client(raw, &tls.Config{RootCAs: p.rootCAs, InsecureSkipVerify: t.Options.InsecureSkipVerify,
		ServerName: cmp.Or(t.Options.ServerName, t.Host)})
	err = tc.HandshakeContext(ctx)
	*phases = append(*phases, Phase{Name: "tls", Duration: since(clock, start)})
	if err != nil {
		closeConn()
		return nil, nil, fmt.Errorf("tls handshake: %w", err)
	}
	cs := tc.ConnectionState()
	d.CertExpiry, d.TLSVersion = earliestExpiry(cs), tls.VersionName(cs.Version)
	conn = tc // closeConn now closes the TLS connection
	return conn, closeConn, nil
}

// dialUDP resolves the host and connects a UDP socket to the first
// address; a connected socket turns ICMP port-unreachable into
// ECONNREFUSED on the next read.
func (p *SIPProber) dialUDP(ctx context.Context, t Target, phases *[]Phase) (net.Conn, error) {
	addrs, err := p.dialer.resolve(ctx, t.Host, phases)
	if err != nil {
		return nil, err
	}
	var nd net.Dialer
	return nd.DialContext(ctx, "udp", net.JoinHostPort(addrs[0].Unmap().String(), strconv.Itoa(t.Port)))
}

// runDatagram sends the request and retransmits it per Timer E (T1,
// doubling to T2; T2 once a provisional response came) until a final
// response matches, the socket fails or ctx's deadline passes. Unparseable
// datagrams are remembered but do not end the wait. buf receives datagrams.
func (x *sipTransaction) runDatagram(ctx context.Context, conn net.Conn, buf []byte) error {
	msg := x.req.bytes()
	if _, err := conn.Write(msg); err != nil {
		return x.ioError(ctx, "send", err)
	}
	deadline, hasDeadline := ctx.Deadline()
	interval := sipT1
	next := time.Now().Add(interval)
	for {
		if now := time.Now(); !now.Before(next) {
			if _, err := conn.Write(msg); err != nil {
				return x.ioError(ctx, "retransmit", err)
			}
			x.retransmits++
			interval = min(2*interval, sipT2)
			if x.provisional.Status != 0 {
				interval = sipT2
			}
			next = now.Add(interval)
		}
		wake := next
		if hasDeadline && deadline.Before(wake) {
			wake = deadline
		}
		if err := conn.SetReadDeadline(wake); err != nil {
			return x.ioError(ctx, "set deadline", err)
		}
		n, err := conn.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil &&
				(!hasDeadline || time.Now().Before(deadline)) {
				continue // time to retransmit
			}
			return x.ioError(ctx, "receive", err)
		}
		resp, err := parseSIPResponse(buf[:n])
		if err != nil {
			x.garbage = err
			continue
		}
		if x.consider(resp) {
			return nil
		}
	}
}

// runStream sends the request once and reads Content-Length framed
// messages until a final response matches; garbage ends the probe.
func (x *sipTransaction) runStream(ctx context.Context, conn net.Conn) error {
	if _, err := conn.Write(x.req.bytes()); err != nil {
		return x.ioError(ctx, "send", err)
	}
	br := bufio.NewReaderSize(conn, 4096)
	var head []byte
	for {
		resp, h, err := readSIPMessage(br, head)
		head = h
		if err != nil {
			if errors.Is(err, errSIPMessage) {
				return err
			}
			return x.ioError(ctx, "receive", err)
		}
		if x.consider(resp) {
			return nil
		}
	}
}

// consider records resp and reports whether it is the final response.
func (x *sipTransaction) consider(resp sipResponse) bool {
	switch {
	case !x.req.matches(resp):
		x.strays++
		return false
	case resp.Status < 200:
		x.provisional = resp
		return false
	default:
		x.final = resp
		return true
	}
}

// ioError prefers ctx's error: closing the socket when ctx is done makes
// reads fail with "use of closed network connection".
func (x *sipTransaction) ioError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	return fmt.Errorf("%s: %w", op, err)
}

// failure names the class and message of a transaction that got no final
// response.
func (x *sipTransaction) failure(err error, took time.Duration) (Class, string) {
	class, msg := classify(err), errorMessage(err)
	switch {
	case errors.Is(err, errSIPMessage):
		class, msg = ClassProtocol, err.Error()
	case class == ClassTimeout && x.garbage != nil:
		class = ClassProtocol
		msg = fmt.Sprintf("no valid response within %s; unparseable reply: %v", took.Round(time.Millisecond), x.garbage)
	case class == ClassTimeout && x.provisional.Status != 0:
		msg = fmt.Sprintf("no final response within %s (last provisional: %d %s)",
			took.Round(time.Millisecond), x.provisional.Status, x.provisional.Reason)
	case class == ClassTimeout:
		msg = fmt.Sprintf("no response within %s", took.Round(time.Millisecond))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		msg = "connection closed before a final response"
	}
	if x.retransmits > 0 {
		msg += fmt.Sprintf(" after %d retransmissions", x.retransmits)
	}
	if x.strays > 0 {
		msg += fmt.Sprintf("; ignored %d responses to other requests", x.strays)
	}
	return class, msg
}

// verdict grades a final response.
func (p *SIPProber) verdict(r Result, f sipResponse, o Options) Result {
	r.Details.SIPStatus, r.Details.SIPReason = f.Status, f.Reason
	r.Details.SIPServer = cmp.Or(f.Server, f.UserAgent)
	// By default any final response below 500 passes: 401, 403, 404, 405,
	// 407 and 484 all prove a live server.
	if !statusAccepted(f.Status, o.Expect.Status, StatusRange{Min: 200, Max: 499}) {
		r.Outcome, r.Class = Down, ClassStatus
		r.Message = redactString(fmt.Sprintf("status %d %s not expected", f.Status, f.Reason))
		return r
	}
	r.Outcome = Up
	return grade(r, o, p.dialer.clock.Now())
}
