package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// maxTCPReply caps how much of a TCP reply is read while waiting for a match.
const maxTCPReply = 64 << 10

// TCPProber connects and optionally sends a string and matches the reply
// (e.g. an SMTP "220" banner).
type TCPProber struct {
	dialer dialer
}

var _ Prober = (*TCPProber)(nil)

// NewTCP returns a TCP prober; a nil resolver means net.DefaultResolver.
func NewTCP(clock Clock, resolver Resolver) *TCPProber {
	return &TCPProber{dialer: newDialer(clock, resolver)}
}

func newDialer(clock Clock, resolver Resolver) dialer {
	if clock == nil {
		clock = SystemClock{}
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	return dialer{clock: clock, resolver: resolver}
}

// Probe implements Prober.
func (p *TCPProber) Probe(ctx context.Context, t Target) Result {
	clock := p.dialer.clock
	conn, start, phases, fail := p.dialer.open(ctx, t)
	if fail != nil {
		return *fail
	}
	defer conn.Close()
	r := Result{Start: start, Outcome: Up, Phases: phases,
		Details: Details{RemoteAddr: conn.RemoteAddr().String()}}
	if err := setDeadline(ctx, conn); err != nil {
		return failure(start, since(clock, start), ClassNetwork, "%v", err)
	}
	o := t.Options
	if o.Send != "" {
		if _, err := io.WriteString(conn, o.Send); err != nil {
			r = failure(start, since(clock, start), classify(err), "send: %s", errorMessage(err))
			r.Phases = phases
			return r
		}
	}
	if o.Expect.BodyRegex != nil || o.Expect.BodyContains != "" {
		replyStart := clock.Now()
		reply, err := readUntil(conn, func(b []byte) bool { return replyMatches(b, o.Expect) })
		r.Phases = append(r.Phases, Phase{Name: "reply", Duration: since(clock, replyStart)})
		if !replyMatches(reply, o.Expect) {
			class, msg := ClassBody, fmt.Sprintf("reply %q does not match", snippet(reply))
			if err != nil && !errors.Is(err, io.EOF) {
				class = classify(err)
				msg = fmt.Sprintf("%s while waiting for reply (got %q)", errorMessage(err), snippet(reply))
			}
			f := failure(start, since(clock, start), class, "%s", msg)
			f.Phases, f.Details = r.Phases, r.Details
			return f
		}
	}
	r.Duration = since(clock, start)
	return grade(r, o, clock.Now())
}

func replyMatches(b []byte, e Expect) bool {
	if e.BodyContains != "" && !bytes.Contains(b, []byte(e.BodyContains)) {
		return false
	}
	if e.BodyRegex != nil && !e.BodyRegex.Match(b) {
		return false
	}
	return true
}

// readUntil reads from conn until done reports true, EOF, an error or
// maxTCPReply bytes.
func readUntil(conn net.Conn, done func([]byte) bool) ([]byte, error) {
	buf := make([]byte, 0, 512)
	chunk := make([]byte, 4096)
	for len(buf) < maxTCPReply {
		n, err := conn.Read(chunk[:min(len(chunk), maxTCPReply-len(buf))])
		buf = append(buf, chunk[:n]...)
		if done(buf) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// snippet returns a short, printable prefix of b for messages.
func snippet(b []byte) string {
	const max = 80
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
