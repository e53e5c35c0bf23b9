package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// Resolver looks up host addresses; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// dialer opens connections with separately timed resolve and connect phases.
type dialer struct {
	clock    Clock
	resolver Resolver
}

// dial resolves host (unless it is an IP literal) and connects to the first
// address that answers. Phases are appended to phases.
func (d dialer) dial(ctx context.Context, network, host string, port int, phases *[]Phase) (net.Conn, error) {
	addrs, err := d.resolve(ctx, host, phases)
	if err != nil {
		return nil, err
	}
	start := d.clock.Now()
	nd := net.Dialer{KeepAlive: -1} // a probe's connection lives seconds
	var lastErr error
	for _, a := range addrs {
		conn, err := nd.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), strconv.Itoa(port)))
		if err == nil {
			*phases = append(*phases, Phase{Name: "connect", Duration: d.clock.Now().Sub(start)})
			return conn, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func (d dialer) resolve(ctx context.Context, host string, phases *[]Phase) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	start := d.clock.Now()
	addrs, err := d.lookup(ctx, host)
	*phases = append(*phases, Phase{Name: "resolve", Duration: d.clock.Now().Sub(start)})
	return addrs, err
}

// lookup returns host's addresses (host itself for an IP literal), or an
// error naming host; it records no phase.
func (d dialer) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := d.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// setDeadline copies ctx's deadline onto conn: sockets ignore contexts.
func setDeadline(ctx context.Context, conn net.Conn) error {
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return fmt.Errorf("set deadline: %w", err)
		}
	}
	return nil
}

// since returns the time elapsed on clock since start.
func since(c Clock, start time.Time) time.Duration { return c.Now().Sub(start) }

// open starts a probe of t with a TCP connection. On failure it returns the
// finished down result instead of a connection.
func (d dialer) open(ctx context.Context, t Target) (conn net.Conn, start time.Time, phases []Phase, fail *Result) {
	start = d.clock.Now()
	conn, err := d.dial(ctx, "tcp", t.Host, t.Port, &phases)
	if err != nil {
		r := failure(start, since(d.clock, start), classify(err), "%s", errorMessage(err))
		r.Phases = phases
		return nil, start, phases, &r
	}
	return conn, start, phases, nil
}
