package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// dnsUDPSize is the EDNS0 UDP payload size advertised in queries (the DNS
// flag day 2020 value, which avoids IP fragmentation).
const dnsUDPSize = 1232

// dnsMaxIgnored bounds how many non-matching UDP datagrams one probe reads
// before giving up, so a flood cannot keep a probe without deadline busy.
const dnsMaxIgnored = 64

// DefaultResolvConf is where a system-resolver query finds its server.
const DefaultResolvConf = "/etc/resolv.conf"

var (
	// errDNSMalformed means the reply to our query id could not be parsed.
	errDNSMalformed = errors.New("malformed reply")
	// errDNSMismatch means a reply did not belong to our query (id,
	// question, opcode or QR bit differ).
	errDNSMismatch = errors.New("reply does not match the query")
)

// DNSConfig configures a DNSProber.
type DNSConfig struct {
	Clock      Clock          // default SystemClock
	Resolver   Resolver       // resolves a server given by name; default net.DefaultResolver
	RootCAs    *x509.CertPool // DNS over TLS; default: the system pool
	ResolvConf string         // system resolver config; default /etc/resolv.conf
}

// DNSProber sends one DNS query per probe over a fresh socket (udp, tcp or
// DNS over TLS) and grades the reply's rcode and answer section.
//
// Phases: resolve (only when the server is a host name), connect (tcp and
// tls), tls, request (query sent to matching reply received) and, when a UDP
// reply came back truncated (TC bit), tcp_retry: the whole TCP connect and
// query that replaced it; the graded reply is then the TCP one.
//
// Over UDP, datagrams whose id or question do not match the query are
// ignored (they may be spoofed); if only such datagrams arrive the probe is
// down with class protocol at the deadline. Over TCP and TLS any mismatch is
// a protocol failure at once. A reply that carries the query id but cannot
// be parsed is a protocol failure on every transport.
type DNSProber struct {
	dialer     dialer
	rootCAs    *x509.CertPool
	resolvConf string
	// resolver is the configured resolver's address (resolver:), which
	// replaces the system's for dns:name targets; "" when unset.
	resolver string
}

var _ Prober = (*DNSProber)(nil)

// NewDNS returns a DNS prober.
func NewDNS(c DNSConfig) *DNSProber {
	if c.ResolvConf == "" {
		c.ResolvConf = DefaultResolvConf
	}
	p := &DNSProber{dialer: newDialer(c.Clock, c.Resolver), rootCAs: c.RootCAs, resolvConf: c.ResolvConf}
	if nr, ok := c.Resolver.(*NameResolver); ok {
		p.resolver = nr.Server()
	}
	return p
}

// dnsStepError names the step of an exchange that failed.
type dnsStepError struct {
	step string
	err  error
}

func (e *dnsStepError) Error() string { return e.step + ": " + errorMessage(e.err) }
func (e *dnsStepError) Unwrap() error { return e.err }

// dnsClass classifies an exchange error.
func dnsClass(err error) Class {
	if errors.Is(err, errDNSMalformed) || errors.Is(err, errDNSMismatch) || errors.Is(err, dns.ErrShortRead) {
		return ClassProtocol
	}
	return classify(err)
}

// dnsExchange is one query over one fresh connection.
type dnsExchange struct {
	transport Transport
	host      string // the server as given, for TLS verification
	addrs     []netip.Addr
	port      int
	query     *dns.Msg
	opts      Options
}

// dnsRun accumulates what one probe learnt, for success and failure alike.
type dnsRun struct {
	clock   Clock
	start   time.Time
	phases  []Phase
	details Details
}

func (r *dnsRun) fail(class Class, format string, args ...any) Result {
	f := failure(r.start, since(r.clock, r.start), class, format, args...)
	f.Phases, f.Details = r.phases, r.details
	return f
}

// Probe implements Prober.
func (p *DNSProber) Probe(ctx context.Context, t Target) Result {
	clock := p.dialer.clock
	run := &dnsRun{clock: clock, start: clock.Now()}
	host, port, err := p.server(t)
	if err != nil {
		return run.fail(ClassDNS, "%v", err)
	}
	addrs, err := p.dialer.resolve(ctx, host, &run.phases)
	if err != nil {
		return run.fail(classify(err), "resolve dns server %s: %s", host, errorMessage(err))
	}
	x := dnsExchange{transport: t.Transport, host: host, addrs: addrs, port: port,
		query: newDNSQuery(t.DNS), opts: t.Options}
	if x.transport == "" {
		x.transport = UDP
	}
	reply, err := p.exchange(ctx, x, run, &run.phases)
	if err != nil {
		return run.fail(dnsClass(err), "%v", err)
	}
	if x.transport == UDP && reply.Truncated {
		retryStart := clock.Now()
		x.transport = TCP
		var scratch []Phase // connect and request of the retry fold into tcp_retry
		if reply, err = p.exchange(ctx, x, run, &scratch); err != nil {
			return run.fail(dnsClass(err), "tcp retry after truncated udp reply: %v", err)
		}
		run.phases = append(run.phases, Phase{Name: "tcp_retry", Duration: since(clock, retryStart)})
	}
	run.details.DNSRcode = dnsRcodeText(reply.Rcode)
	run.details.DNSAnswers = len(reply.Answer)
	if class, msg := gradeDNSReply(reply, t.Options.Expect); class != ClassNone {
		return run.fail(class, "%s", msg)
	}
	r := Result{Start: run.start, Duration: since(clock, run.start), Outcome: Up,
		Details: run.details, Phases: run.phases}
	return grade(r, t.Options, clock.Now())
}

// server returns the host and port to query: the target's, or for
// system-resolver queries (dns:name) the configured resolver, else the
// first nameserver of the resolv.conf file. A
// nameserver may carry a port ("127.0.0.1:5353", "[::1]:5353"), an
// extension to resolv.conf(5), which only knows port 53.
func (p *DNSProber) server(t Target) (string, int, error) {
	if !t.DNS.System {
		return t.Host, t.Port, nil
	}
	if ap, err := netip.ParseAddrPort(p.resolver); err == nil {
		return ap.Addr().String(), int(ap.Port()), nil
	}
	cfg, err := dns.ClientConfigFromFile(p.resolvConf)
	if err != nil {
		return "", 0, fmt.Errorf("system resolver: %w", err)
	}
	if len(cfg.Servers) == 0 {
		return "", 0, fmt.Errorf("system resolver: no nameserver in %s; add one or name a server (dns://9.9.9.9/name)", p.resolvConf)
	}
	ns := cfg.Servers[0]
	if a, err := netip.ParseAddr(ns); err == nil {
		port, err := strconv.Atoi(cfg.Port)
		if err != nil {
			return "", 0, fmt.Errorf("system resolver: port %q is not a number", cfg.Port)
		}
		return a.String(), port, nil
	}
	if ap, err := netip.ParseAddrPort(ns); err == nil && ap.Port() != 0 {
		return ap.Addr().String(), int(ap.Port()), nil
	}
	return "", 0, fmt.Errorf("system resolver: nameserver %q in %s is not an IP address", ns, p.resolvConf)
}

// newDNSQuery builds the query: RD set, EDNS0 with a 1232-byte UDP size and
// a fresh random id.
func newDNSQuery(q DNSQuery) *dns.Msg {
	m := new(dns.Msg)
	m.Id = dns.Id()
	m.RecursionDesired = true
	m.Question = []dns.Question{{Name: q.Name, Qtype: q.Type, Qclass: q.Class}}
	m.SetEdns0(dnsUDPSize, false)
	return m
}

// exchange connects, runs the TLS handshake for DNS over TLS, sends the
// query and waits for the matching reply. Phases go to phases, facts to
// run.details.
func (p *DNSProber) exchange(ctx context.Context, x dnsExchange, run *dnsRun, phases *[]Phase) (*dns.Msg, error) {
	conn, err := p.connect(ctx, x, phases)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	run.details.RemoteAddr = conn.RemoteAddr().String()
	if err := setDeadline(ctx, conn); err != nil {
		return nil, err
	}
	// Cancellation without a deadline must end blocked reads too.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if x.transport == TLS {
		if conn, err = p.handshake(ctx, conn, x, run, phases); err != nil {
			return nil, err
		}
	}
	begin := p.dialer.clock.Now()
	reply, err := roundTrip(conn, x.query, x.transport == UDP)
	if err != nil {
		return nil, err
	}
	*phases = append(*phases, Phase{Name: "request", Duration: since(p.dialer.clock, begin)})
	return reply, nil
}

// connect opens a UDP socket to the first address, or a TCP connection to
// the first address that accepts one (timed as the connect phase).
func (p *DNSProber) connect(ctx context.Context, x dnsExchange, phases *[]Phase) (net.Conn, error) {
	var nd net.Dialer
	if x.transport == UDP {
		conn, err := nd.DialContext(ctx, "udp", netip.AddrPortFrom(x.addrs[0].Unmap(), uint16(x.port)).String())
		if err != nil {
			return nil, &dnsStepError{step: "open udp socket", err: err}
		}
		return conn, nil
	}
	start := p.dialer.clock.Now()
	var lastErr error
	for _, a := range x.addrs {
		conn, err := nd.DialContext(ctx, "tcp", netip.AddrPortFrom(a.Unmap(), uint16(x.port)).String())
		if err == nil {
			*phases = append(*phases, Phase{Name: "connect", Duration: since(p.dialer.clock, start)})
			return conn, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, &dnsStepError{step: "connect", err: lastErr}
}

// handshake runs the DNS over TLS handshake; SNI is Options.ServerName or
// the server host.
func (p *DNSProber) handshake(ctx context.Context, conn net.Conn, x dnsExchange, run *dnsRun, phases *[]Phase) (net.Conn, error) {
	name := x.opts.ServerName
	if name == "" {
		name = x.host
	}
	tc := tls.Client(conn, &tls.Config{ServerName: name, RootCAs: p.rootCAs,
		InsecureSkipVerify: x.opts.InsecureSkipVerify}) // skipped only when the check asks for it
	begin := p.dialer.clock.Now()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, &dnsStepError{step: "tls handshake", err: err}
	}
	*phases = append(*phases, Phase{Name: "tls", Duration: since(p.dialer.clock, begin)})
	cs := tc.ConnectionState()
	run.details.CertExpiry = earliestExpiry(cs)
	run.details.TLSVersion = tls.VersionName(cs.Version)
	return tc, nil
}

// roundTrip sends q and reads until the matching reply. Over UDP,
// non-matching datagrams are skipped; over a stream they are fatal.
func roundTrip(conn net.Conn, q *dns.Msg, udp bool) (*dns.Msg, error) {
	co := &dns.Conn{Conn: conn, UDPSize: dns.MaxMsgSize} // the read cap; TCP is capped by its 16-bit length
	if err := co.WriteMsg(q); err != nil {
		return nil, &dnsStepError{step: "send query", err: err}
	}
	var (
		ignored     int
		lastIgnored error
	)
	for {
		raw, err := co.ReadMsgHeader(nil)
		if err != nil && !(udp && errors.Is(err, dns.ErrShortRead)) {
			if ignored > 0 && dnsClass(err) == ClassTimeout {
				return nil, fmt.Errorf("no matching reply before the deadline; ignored %d datagrams, last: %w", ignored, lastIgnored)
			}
			return nil, &dnsStepError{step: "await reply", err: err}
		}
		var reply *dns.Msg
		if err == nil {
			reply, err = checkDNSReply(q, raw)
		}
		if err == nil {
			return reply, nil
		}
		if !udp || errors.Is(err, errDNSMalformed) {
			return nil, err
		}
		if ignored++; ignored >= dnsMaxIgnored {
			return nil, fmt.Errorf("ignored %d datagrams that do not answer the query, last: %w", ignored, err)
		}
		lastIgnored = err
	}
}

// checkDNSReply parses raw and accepts it only as the reply to q: same id,
// QR set, same opcode and the same question. An empty question section is
// accepted only in an error or truncated reply (some servers strip it there).
func checkDNSReply(q *dns.Msg, raw []byte) (*dns.Msg, error) {
	reply := new(dns.Msg)
	err := reply.Unpack(raw)
	switch {
	case len(raw) < 12:
		return nil, fmt.Errorf("%w: %d-byte datagram is shorter than a dns header", errDNSMismatch, len(raw))
	case reply.Id != q.Id:
		return nil, fmt.Errorf("%w: id %d, query id %d", errDNSMismatch, reply.Id, q.Id)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", errDNSMalformed, err)
	case !reply.Response:
		return nil, fmt.Errorf("%w: QR bit not set", errDNSMismatch)
	case reply.Opcode != q.Opcode:
		return nil, fmt.Errorf("%w: opcode %d", errDNSMismatch, reply.Opcode)
	}
	if len(reply.Question) == 0 && (reply.Rcode != dns.RcodeSuccess || reply.Truncated) {
		return reply, nil
	}
	want := q.Question[0]
	if len(reply.Question) != 1 || !strings.EqualFold(reply.Question[0].Name, want.Name) ||
		reply.Question[0].Qtype != want.Qtype || reply.Question[0].Qclass != want.Qclass {
		return nil, fmt.Errorf("%w: question %s (rcode %s), asked %s", errDNSMismatch,
			questionText(reply.Question), dnsRcodeText(reply.Rcode), questionText(q.Question))
	}
	return reply, nil
}

func questionText(qs []dns.Question) string {
	if len(qs) == 0 {
		return "(none)"
	}
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = strings.TrimPrefix(q.String(), ";")
	}
	return strings.Join(parts, ", ")
}

// gradeDNSReply decides whether msg passes e: rcode in e.Rcodes (NOERROR
// when empty), at least e.MinAnswers answers and, if e.Answer is set, an
// answer record whose text matches. It returns ClassNone and "" on success.
func gradeDNSReply(msg *dns.Msg, e Expect) (Class, string) {
	if msg == nil {
		return ClassProtocol, "no reply"
	}
	if !rcodeAccepted(msg.Rcode, e.Rcodes) {
		return ClassRcode, fmt.Sprintf("rcode %s not expected", dnsRcodeText(msg.Rcode))
	}
	if n := len(msg.Answer); n < e.MinAnswers {
		return ClassAnswer, fmt.Sprintf("%d answer records, expected at least %d", n, e.MinAnswers)
	}
	if e.Answer == nil {
		return ClassNone, ""
	}
	for _, rr := range msg.Answer {
		if rr != nil && e.Answer.MatchString(rr.String()) {
			return ClassNone, ""
		}
	}
	return ClassAnswer, fmt.Sprintf("no answer record matches %q", e.Answer.String())
}

func rcodeAccepted(rcode int, accepted []int) bool {
	if len(accepted) == 0 {
		return rcode == dns.RcodeSuccess
	}
	for _, a := range accepted {
		if a == rcode {
			return true
		}
	}
	return false
}

// dnsRcodeText returns the rcode mnemonic ("NOERROR"), or RCODE<n>.
func dnsRcodeText(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}
