package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// RecordResolver answers the NAPTR and SRV queries of SIP server location
// (RFC 3263). *NameResolver satisfies it.
type RecordResolver interface {
	// LookupRecords returns the answer records of type qtype for name (a
	// fully qualified name). A name that does not exist is a
	// *net.DNSError with IsNotFound; a name without such records is an
	// empty slice and no error.
	LookupRecords(ctx context.Context, name string, qtype uint16) ([]dns.RR, error)
}

// NameResolver is the DNS that every prober's lookups go to: addresses for
// dialling (it satisfies Resolver; NetResolver serves the HTTP prober) and
// the NAPTR and SRV records of SIP server location.
//
// With a server (the config's resolver:, `outpost probe -resolver`) every
// query goes to that server, so operators can pin a public resolver instead
// of the VPS provider's. Without one, addresses come from the system's
// resolver (net.DefaultResolver, which also reads /etc/hosts) and NAPTR and
// SRV queries, which the standard library cannot ask, go to the first
// nameserver of /etc/resolv.conf, read at each lookup so that an edit
// applies at once.
type NameResolver struct {
	server     string // IP:port, or "" for the system's
	resolvConf string
	ip         *net.Resolver
}

var (
	_ Resolver       = (*NameResolver)(nil)
	_ RecordResolver = (*NameResolver)(nil)
)

// NewNameResolver returns a resolver that asks server (an IP literal and a
// port: "9.9.9.9:53", "[2620:fe::fe]:53"), or the system's when server is
// empty. A name is not accepted: it would need a resolver to find the
// resolver.
func NewNameResolver(server string) (*NameResolver, error) {
	r := &NameResolver{resolvConf: DefaultResolvConf, ip: net.DefaultResolver}
	if server == "" {
		return r, nil
	}
	ap, err := ParseResolverAddr(server)
	if err != nil {
		return nil, err
	}
	r.server = ap.String()
	r.ip = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, r.server)
	}}
	return r, nil
}

// ParseResolverAddr checks a resolver address: an IP literal and a port.
func ParseResolverAddr(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 {
		if _, ipErr := netip.ParseAddr(strings.Trim(s, "[]")); ipErr == nil {
			return netip.AddrPort{}, fmt.Errorf("resolver %q has no port (add :53, e.g. 9.9.9.9:53 or [2620:fe::fe]:53)", s)
		}
		return netip.AddrPort{}, fmt.Errorf("resolver %q is not an IP address and port (e.g. 9.9.9.9:53 or [2620:fe::fe]:53; a name would need a resolver itself)", s)
	}
	return netip.AddrPortFrom(ap.Addr().WithZone(""), ap.Port()), nil
}

// Server returns the configured server, or "" for the system's.
func (r *NameResolver) Server() string { return r.server }

// NetResolver returns the *net.Resolver that asks the same server, for
// dialers that take one (net.Dialer.Resolver).
func (r *NameResolver) NetResolver() *net.Resolver { return r.ip }

// LookupNetIP implements Resolver.
func (r *NameResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	addrs, err := r.ip.LookupNetIP(ctx, network, host)
	r.nameServer(err)
	return addrs, err
}

// nameServer corrects the server a lookup error names: Go's resolver
// names the nameserver of /etc/resolv.conf even when Dial sent the query
// to the configured server.
func (r *NameResolver) nameServer(err error) {
	var dnsErr *net.DNSError
	if r.server != "" && errors.As(err, &dnsErr) && dnsErr.Server != "" {
		dnsErr.Server = r.server
	}
}

// LookupRecords implements RecordResolver: one query with recursion
// desired over UDP, repeated over TCP when the reply is truncated.
func (r *NameResolver) LookupRecords(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	server, err := r.recordServer()
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: strings.TrimSuffix(name, ".")}
	}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.SetEdns0(dnsUDPSize, false)
	reply, _, err := (&dns.Client{Net: "udp", UDPSize: dnsUDPSize}).ExchangeContext(ctx, q, server)
	if err == nil && reply.Truncated {
		reply, _, err = (&dns.Client{Net: "tcp"}).ExchangeContext(ctx, q, server)
	}
	short := strings.TrimSuffix(dns.Fqdn(name), ".")
	if err != nil {
		var netErr net.Error
		timeout := errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout()
		return nil, &net.DNSError{Err: errorMessage(err), Name: short, Server: server, IsTimeout: timeout}
	}
	switch reply.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, &net.DNSError{Err: "no such host", Name: short, Server: server, IsNotFound: true}
	default:
		return nil, &net.DNSError{Err: "server answered " + dnsRcodeText(reply.Rcode), Name: short, Server: server}
	}
	var out []dns.RR
	for _, rr := range reply.Answer {
		if rr != nil && rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	return out, nil
}

// recordServer is the server NAPTR and SRV queries go to.
func (r *NameResolver) recordServer() (string, error) {
	if r.server != "" {
		return r.server, nil
	}
	cfg, err := dns.ClientConfigFromFile(r.resolvConf)
	if err != nil {
		return "", fmt.Errorf("system resolver: %v (set resolver: in the configuration)", err)
	}
	if len(cfg.Servers) == 0 {
		return "", fmt.Errorf("system resolver: no nameserver in %s (set resolver: in the configuration)", r.resolvConf)
	}
	ns := cfg.Servers[0]
	if a, err := netip.ParseAddr(ns); err == nil {
		return net.JoinHostPort(a.String(), cfg.Port), nil
	}
	if ap, err := netip.ParseAddrPort(ns); err == nil {
		return ap.String(), nil
	}
	return "", fmt.Errorf("system resolver: nameserver %q in %s is not an IP address", ns, r.resolvConf)
}
