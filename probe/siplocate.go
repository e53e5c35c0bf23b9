package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// maxSIPHops caps how many SRV targets one probe tries, however many
// records a zone holds.
const maxSIPHops = 16

// sipHop is one place a SIP request can go: a host name (or IP literal)
// still to be resolved to addresses, its port and its transport.
type sipHop struct {
	host      string
	port      int
	transport Transport
}

// String is host:port/transport, as Details and `outpost probe` show it.
func (h sipHop) String() string {
	return net.JoinHostPort(h.host, fmt.Sprint(h.port)) + "/" + string(h.transport)
}

// sipService is a transport RFC 3263 can select, with its NAPTR service
// field and SRV prefix.
type sipService struct {
	naptr     string // SIP+D2U
	srv       string // _sip._udp.
	transport Transport
}

// sipServices lists, in the order tried when a domain has no NAPTR
// records, the transports outpost speaks: UDP first because it is the
// default of sip: URIs. sips: URIs use only TLS (RFC 3263 §4.1).
var sipServices = []sipService{
	{"SIP+D2U", "_sip._udp.", UDP},
	{"SIP+D2T", "_sip._tcp.", TCP},
	{"SIPS+D2T", "_sips._tcp.", TLS},
}

// usableServices are the services a target may use: one when the URI
// names the transport, TLS alone for sips:, all three otherwise.
func usableServices(t Target) []sipService {
	var out []sipService
	for _, s := range sipServices {
		switch {
		case t.SIP.ExplicitTransport && s.transport != t.Transport:
		case t.SIP.Secure && s.transport != TLS:
		default:
			out = append(out, s)
		}
	}
	return out
}

// needsLocation reports whether t's host must be located per RFC 3263: a
// name without a port. IP literals and explicit ports are used as given.
func needsLocation(t Target) bool {
	if _, err := netip.ParseAddr(t.Host); err == nil {
		return false
	}
	return !t.SIP.ExplicitPort
}

// locateError is a failed NAPTR or SRV lookup: class dns, naming the name.
type locateError struct {
	qtype string
	name  string
	err   error
}

func (e *locateError) Error() string {
	return fmt.Sprintf("%s lookup for %s failed: %s", e.qtype, strings.TrimSuffix(e.name, "."), dnsErrorText(e.err))
}
func (e *locateError) Unwrap() error { return e.err }

// dnsErrorText drops the "lookup NAME on SERVER:" prefix of a DNSError.
func dnsErrorText(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Err
	}
	return errorMessage(err)
}

// sipLocator finds the hops of a SIP target per RFC 3263 §4: NAPTR when
// the URI names no transport, then SRV, then the host itself with the
// transport's default port.
type sipLocator struct {
	records RecordResolver
	intn    func(n int) int // random in [0, n) for SRV weights
}

// locate returns the hops to try, in order; a target that needs no
// location is its own single hop. Only failed lookups are errors: a name
// without NAPTR or SRV records falls through to A/AAAA, whose failure
// the dialer reports.
func (l sipLocator) locate(ctx context.Context, t Target) ([]sipHop, error) {
	if !needsLocation(t) {
		return []sipHop{{host: t.Host, port: t.Port, transport: t.Transport}}, nil
	}
	domain := dns.Fqdn(t.Host)
	services := usableServices(t)
	if !t.SIP.ExplicitTransport {
		hops, err := l.fromNAPTR(ctx, domain, services)
		if err != nil || len(hops) > 0 {
			return hops, err
		}
	}
	var hops []sipHop
	for _, s := range services {
		found, err := l.fromSRV(ctx, s.srv+domain, s.transport)
		if err != nil {
			return nil, err
		}
		hops = append(hops, found...)
	}
	if len(hops) > 0 {
		return capHops(hops), nil
	}
	// No records: the host itself on the transport's default port.
	port := DefaultSIPPort
	if t.Transport == TLS {
		port = DefaultSIPTLSPort
	}
	return []sipHop{{host: t.Host, port: port, transport: t.Transport}}, nil
}

// fromNAPTR returns the hops of the domain's NAPTR records (RFC 3403) for
// the usable services, by order then preference; records for other
// services (SCTP, WebSocket) or with other flags are skipped.
func (l sipLocator) fromNAPTR(ctx context.Context, domain string, services []sipService) ([]sipHop, error) {
	rrs, err := l.records.LookupRecords(ctx, domain, dns.TypeNAPTR)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, &locateError{qtype: "NAPTR", name: domain, err: err}
	}
	var naptrs []*dns.NAPTR
	for _, rr := range rrs {
		if n, ok := rr.(*dns.NAPTR); ok && strings.EqualFold(n.Flags, "s") && n.Replacement != "." {
			naptrs = append(naptrs, n)
		}
	}
	slices.SortStableFunc(naptrs, func(a, b *dns.NAPTR) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Preference, b.Preference))
	})
	var hops []sipHop
	for _, n := range naptrs {
		i := slices.IndexFunc(services, func(s sipService) bool { return strings.EqualFold(s.naptr, n.Service) })
		if i < 0 {
			continue
		}
		found, err := l.fromSRV(ctx, n.Replacement, services[i].transport)
		if err != nil {
			return nil, err
		}
		hops = append(hops, found...)
	}
	return capHops(hops), nil
}

// fromSRV returns the hops of name's SRV records in RFC 2782 order. A
// lone "." target says the service is not offered: no hops.
func (l sipLocator) fromSRV(ctx context.Context, name string, transport Transport) ([]sipHop, error) {
	rrs, err := l.records.LookupRecords(ctx, name, dns.TypeSRV)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, &locateError{qtype: "SRV", name: name, err: err}
	}
	var srvs []*dns.SRV
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SRV); ok && s.Target != "." && s.Port != 0 {
			srvs = append(srvs, s)
		}
	}
	var hops []sipHop
	for _, s := range orderSRV(srvs, l.intn) {
		hops = append(hops, sipHop{host: strings.TrimSuffix(s.Target, "."), port: int(s.Port), transport: transport})
	}
	return hops, nil
}

// orderSRV sorts records by priority and, within a priority, by RFC 2782's
// weighted random selection: zero weights first in the list, then pick
// the first record whose running weight sum reaches a random number from
// 0 to the sum, remove it, repeat. intn(n) returns a number in [0, n).
func orderSRV(srvs []*dns.SRV, intn func(n int) int) []*dns.SRV {
	byPrio := slices.Clone(srvs)
	slices.SortStableFunc(byPrio, func(a, b *dns.SRV) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(min(a.Weight, 1), min(b.Weight, 1)))
	})
	out := make([]*dns.SRV, 0, len(byPrio))
	for start := 0; start < len(byPrio); {
		end := start
		for end < len(byPrio) && byPrio[end].Priority == byPrio[start].Priority {
			end++
		}
		group := slices.Clone(byPrio[start:end])
		for len(group) > 0 {
			sum := 0
			for _, s := range group {
				sum += int(s.Weight)
			}
			pick, running := intn(sum+1), 0
			i := 0
			for ; i < len(group)-1; i++ {
				running += int(group[i].Weight)
				if running >= pick {
					break
				}
			}
			out = append(out, group[i])
			group = slices.Delete(group, i, i+1)
		}
		start = end
	}
	return out
}

func capHops(h []sipHop) []sipHop { return h[:min(len(h), maxSIPHops)] }

func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// connectHop tries the located hops in order: a hop whose name does not
// resolve, or whose stream connection fails, gives way to the next. A UDP
// socket "connects" at once, so the first hop that resolves is used.
// Phases: resolve (NAPTR, SRV and address lookups together), connect.
func (p *SIPProber) connectHop(ctx context.Context, t Target, run *sipRun) (net.Conn, sipHop, error) {
	clock := run.clock
	start := clock.Now()
	hops, err := p.locator.locate(ctx, t)
	resolving, connecting := since(clock, start), time.Duration(0)
	defer func() {
		if _, ipErr := netip.ParseAddr(t.Host); ipErr != nil {
			run.phases = append(run.phases, Phase{Name: "resolve", Duration: resolving})
		}
		if connecting > 0 {
			run.phases = append(run.phases, Phase{Name: "connect", Duration: connecting})
		}
	}()
	if err != nil {
		return nil, sipHop{}, err
	}
	var lastErr error
	for _, hop := range hops {
		if needsLocation(t) {
			run.d.SIPTarget = hop.String()
		}
		begin := clock.Now()
		addrs, err := p.dialer.lookup(ctx, hop.host)
		resolving += since(clock, begin)
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		begin = clock.Now()
		conn, err := dialAddrs(ctx, hop, addrs)
		if hop.transport != UDP {
			connecting += since(clock, begin)
		}
		if err == nil {
			return conn, hop, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if len(hops) > 1 {
		return nil, sipHop{}, &hopsError{tried: len(hops), err: lastErr}
	}
	return nil, sipHop{}, lastErr
}

// hopsError says that every located server failed; the last error tells why.
type hopsError struct {
	tried int
	err   error
}

func (e *hopsError) Error() string {
	return fmt.Sprintf("all %d located servers failed, the last: %s", e.tried, errorMessage(e.err))
}
func (e *hopsError) Unwrap() error { return e.err }

// dialAddrs connects a UDP socket to the first address (a connected socket
// turns ICMP port-unreachable into ECONNREFUSED on the next read), or a
// TCP connection to the first address that accepts one.
func dialAddrs(ctx context.Context, hop sipHop, addrs []netip.Addr) (net.Conn, error) {
	nd := net.Dialer{KeepAlive: -1}
	if hop.transport == UDP {
		return nd.DialContext(ctx, "udp", netip.AddrPortFrom(addrs[0].Unmap(), uint16(hop.port)).String())
	}
	var lastErr error
	for _, a := range addrs {
		conn, err := nd.DialContext(ctx, "tcp", netip.AddrPortFrom(a.Unmap(), uint16(hop.port)).String())
		if err == nil {
			return conn, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}
