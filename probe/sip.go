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
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
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
	Clock    Clock    // default SystemClock
	Resolver Resolver // addresses; default net.DefaultResolver
	// Records answers RFC 3263's NAPTR and SRV queries; default Resolver
	// when it is a RecordResolver (a *NameResolver), else the system's.
	Records   RecordResolver
	RootCAs   *x509.CertPool // default: the system pool
	UserAgent string         // default "outpost"
	// Logger receives what a result cannot carry, such as a REGISTER
	// binding that could not be removed; default: discarded.
	Logger *slog.Logger
	// IntN returns a random number in [0, n) for SRV weights; default
	// math/rand/v2's IntN. Tests make it deterministic.
	IntN func(n int) int
}

// SIPProber sends one OPTIONS request per probe (RFC 3261 §11), or a
// REGISTER with digest authentication and its removal (see register),
// over a fresh socket: over UDP with Timer E retransmissions, over TCP or
// TLS once. A host name without a port is located per RFC 3263 first.
type SIPProber struct {
	dialer    dialer
	locator   sipLocator
	rootCAs   *x509.CertPool
	userAgent string
	log       *slog.Logger
	datagrams sync.Pool // *[]byte of maxSIPMessage bytes for UDP reads
}

var _ Prober = (*SIPProber)(nil)

// NewSIP returns a SIP prober.
func NewSIP(c SIPConfig) *SIPProber {
	p := &SIPProber{dialer: newDialer(c.Clock, c.Resolver), rootCAs: c.RootCAs,
		userAgent: cmp.Or(c.UserAgent, "outpost"), log: c.Logger}
	p.locator = sipLocator{records: c.Records, intn: c.IntN}
	if p.locator.records == nil {
		if rr, ok := c.Resolver.(RecordResolver); ok {
			p.locator.records = rr
		} else {
			p.locator.records, _ = NewNameResolver("") // the system's: cannot fail
		}
	}
	if p.locator.intn == nil {
		p.locator.intn = rand.IntN
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.datagrams.New = func() any { b := make([]byte, maxSIPMessage); return &b }
	return p
}

// sipTransaction is the client side of one transaction.
type sipTransaction struct {
	req         sipRequest
	final       sipResponse
	provisional sipResponse // the last 1xx; Status 0 if none came
	retransmits int
	strays      int   // responses to other requests
	garbage     error // why the last unparseable reply was rejected
}

// sipLink is the socket of one probe, for its one or more transactions.
// A stream keeps its reader between transactions, so bytes of the next
// response that arrived early are not lost.
type sipLink struct {
	conn      net.Conn
	transport Transport
	br        *bufio.Reader
	head      []byte
	datagrams *sync.Pool
	// retransmits sums the UDP retransmissions of every transaction.
	retransmits int
}

// transact sends req and waits for its final response.
func (l *sipLink) transact(ctx context.Context, req sipRequest) (*sipTransaction, error) {
	x := &sipTransaction{req: req}
	var err error
	if l.transport == UDP {
		buf := l.datagrams.Get().(*[]byte)
		err = x.runDatagram(ctx, l.conn, *buf)
		l.datagrams.Put(buf)
	} else {
		if l.br == nil {
			l.br = bufio.NewReaderSize(l.conn, 4096)
		}
		err = x.runStream(ctx, l.conn, l.br, &l.head)
	}
	l.retransmits += x.retransmits
	return x, err
}

// sipRun is what one probe learnt so far, for success and failure alike.
type sipRun struct {
	clock  Clock
	start  time.Time
	phases []Phase
	d      Details
}

func (r *sipRun) phase(name string, since0 time.Time) {
	r.phases = append(r.phases, Phase{Name: name, Duration: since(r.clock, since0)})
}

func (r *sipRun) result() Result {
	return Result{Start: r.start, Duration: since(r.clock, r.start), Phases: r.phases, Details: r.d}
}

func (r *sipRun) down(class Class, msg string) Result {
	res := r.result()
	res.Outcome, res.Class, res.Message = Down, class, redactString(msg)
	return res
}

// Probe implements Prober.
func (p *SIPProber) Probe(ctx context.Context, t Target) Result {
	run := &sipRun{clock: p.dialer.clock, start: p.dialer.clock.Now()}
	link, hopTarget, closeLink, err := p.open(ctx, t, run)
	if err != nil {
		class, msg := classify(err), errorMessage(err)
		var (
			le *locateError
			he *hopsError
		)
		if errors.As(err, &le) {
			class = ClassDNS // a lookup that timed out is still the name's failure
		}
		if errors.As(err, &he) {
			msg = he.Error() // errorMessage would keep only the last server's error
		}
		return run.down(class, msg)
	}
	defer closeLink()
	if hopTarget.Options.Method == "REGISTER" {
		return p.register(ctx, link, hopTarget, run)
	}
	sent := run.clock.Now()
	x, err := link.transact(ctx, newSIPRequest(hopTarget, link.conn.LocalAddr(), p.userAgent))
	run.d.Retransmits = link.retransmits
	if err != nil {
		class, msg := x.failure(err, since(run.clock, run.start))
		return run.down(class, msg)
	}
	run.phase("response", sent)
	return p.verdict(run.result(), x.final, t.Options)
}

// open locates the target's server (RFC 3263), connects to the first hop
// that resolves and, over TCP, accepts a connection, and for TLS shakes
// hands, with ctx's deadline on the socket; ctx being done closes the
// socket, so no read outlives it. The returned target is t with the
// hop's host, port and transport.
func (p *SIPProber) open(ctx context.Context, t Target, run *sipRun) (*sipLink, Target, func(), error) {
	conn, hop, err := p.connectHop(ctx, t, run)
	if err != nil {
		return nil, t, nil, err
	}
	run.d.RemoteAddr = conn.RemoteAddr().String()
	raw := conn
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	closeConn := func() { stop(); conn.Close() }
	if err := setDeadline(ctx, raw); err != nil {
		closeConn()
		return nil, t, nil, err
	}
	hopTarget := t
	hopTarget.Host, hopTarget.Port, hopTarget.Transport = hop.host, hop.port, hop.transport
	link := &sipLink{conn: conn, transport: hop.transport, datagrams: &p.datagrams}
	if hop.transport != TLS {
		return link, hopTarget, closeConn, nil
	}
	start := run.clock.Now()
	// The certificate must name the domain of the URI, not the SRV target
	// (RFC 5922 §4).
	tc := tls.Client(raw, &tls.Config{RootCAs: p.rootCAs, InsecureSkipVerify: t.Options.InsecureSkipVerify,
		ServerName: cmp.Or(t.Options.ServerName, t.Host)})
	err = tc.HandshakeContext(ctx)
	run.phase("tls", start)
	if err != nil {
		closeConn()
		return nil, t, nil, fmt.Errorf("tls handshake: %w", err)
	}
	cs := tc.ConnectionState()
	run.d.CertExpiry, run.d.TLSVersion = earliestExpiry(cs), tls.VersionName(cs.Version)
	link.conn = tc // closeConn now closes the TLS connection
	return link, hopTarget, closeConn, nil
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
// messages from br until a final response matches; garbage ends the
// probe. head is scratch space kept between transactions.
func (x *sipTransaction) runStream(ctx context.Context, conn net.Conn, br *bufio.Reader, head *[]byte) error {
	if _, err := conn.Write(x.req.bytes()); err != nil {
		return x.ioError(ctx, "send", err)
	}
	for {
		resp, h, err := readSIPMessage(br, *head)
		*head = h
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
