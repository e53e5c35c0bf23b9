package probe

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sipTestRequest is a request the in-process responder received.
type sipTestRequest struct {
	Method, URI string
	Raw         string
	headers     [][2]string // lower-case name, value; in order
}

// get returns the first value of header name (lower case).
func (r *sipTestRequest) get(name string) string {
	for _, h := range r.headers {
		if h[0] == name {
			return h[1]
		}
	}
	return ""
}

func (r *sipTestRequest) all(name string) []string {
	var out []string
	for _, h := range r.headers {
		if h[0] == name {
			out = append(out, h[1])
		}
	}
	return out
}

func parseSIPTestRequest(b []byte) (*sipTestRequest, error) {
	head, _, _ := bytes.Cut(b, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	parts := strings.SplitN(lines[0], " ", 3)
	if len(parts) != 3 || parts[2] != "SIP/2.0" {
		return nil, fmt.Errorf("bad request line %q", lines[0])
	}
	r := &sipTestRequest{Method: parts[0], URI: parts[1], Raw: string(b)}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		r.headers = append(r.headers, [2]string{strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)})
	}
	return r, nil
}

// sipCall is one received request and the means to answer it.
type sipCall struct {
	Req   *sipTestRequest
	N     int // how many times this Call-ID has arrived; 1 for the first
	send  func([]byte) error
	close func() // closes a stream connection; nil for udp
	stop  <-chan struct{}
}

// Close closes the connection the request came on (streams only).
func (c *sipCall) Close() {
	if c.close != nil {
		c.close()
	}
}

// Send writes raw bytes back to the client.
func (c *sipCall) Send(raw string) error { return c.send([]byte(raw)) }

// Reply sends a well-formed response with extra header lines.
func (c *sipCall) Reply(code int, reason string, extra ...string) error {
	return c.Send(c.Response(code, reason, extra...))
}

// Response builds a response to the request (RFC 3261 §8.2.6).
func (c *sipCall) Response(code int, reason string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", code, reason)
	for _, v := range c.Req.all("via") {
		fmt.Fprintf(&b, "Via: %s;received=127.0.0.1\r\n", v)
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s;tag=responder\r\nCall-ID: %s\r\nCSeq: %s\r\n",
		c.Req.get("from"), c.Req.get("to"), c.Req.get("call-id"), c.Req.get("cseq"))
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// Done is closed when the responder shuts down (for endless floods).
func (c *sipCall) Done() <-chan struct{} { return c.stop }

// sipHandler scripts the responder's behaviour for one request.
type sipHandler func(c *sipCall)

// sipReceipt is a request and when it arrived.
type sipReceipt struct {
	At  time.Time
	Req *sipTestRequest
}

// sipResponder is an in-process SIP server on loopback for udp, tcp or
// tls, answering as its handler says.
type sipResponder struct {
	Port    int
	handler sipHandler
	stop    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	received []sipReceipt
	calls    map[string]int
	conns    []net.Conn
}

// startSIPResponder listens on 127.0.0.1 port 0; the socket is bound (and
// so ready) when it returns. It stops in t.Cleanup.
func startSIPResponder(t testing.TB, network string, tlsConf *tls.Config, h sipHandler) *sipResponder {
	t.Helper()
	s := &sipResponder{handler: h, stop: make(chan struct{}), calls: map[string]int{}}
	var closer io.Closer
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.Port, closer = pc.LocalAddr().(*net.UDPAddr).Port, pc
		s.wg.Go(func() { s.serveUDP(pc) })
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.Port, closer = ln.Addr().(*net.TCPAddr).Port, ln
		if network == "tls" {
			ln = tls.NewListener(ln, tlsConf)
		}
		s.wg.Go(func() { s.serveStream(ln) })
	}
	t.Cleanup(func() {
		close(s.stop)
		closer.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// Received returns the requests seen so far.
func (s *sipResponder) Received() []sipReceipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sipReceipt(nil), s.received...)
}

func (s *sipResponder) handle(b []byte, send func([]byte) error, closeConn func()) {
	req, err := parseSIPTestRequest(b)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.received = append(s.received, sipReceipt{At: time.Now(), Req: req})
	s.calls[req.get("call-id")]++
	n := s.calls[req.get("call-id")]
	s.mu.Unlock()
	s.handler(&sipCall{Req: req, N: n, send: send, close: closeConn, stop: s.stop})
}

func (s *sipResponder) serveUDP(pc net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		s.handle(buf[:n], func(b []byte) error {
			_, err := pc.WriteTo(b, from)
			return err
		}, nil)
	}
}

func (s *sipResponder) serveStream(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, conn)
		s.mu.Unlock()
		select {
		case <-s.stop: // accepted while Cleanup was closing the others
			conn.Close()
			return
		default:
		}
		s.wg.Go(func() {
			defer conn.Close()
			br := bufio.NewReader(conn)
			for {
				msg, err := readSIPTestRequest(br)
				if err != nil {
					return
				}
				s.handle(msg, func(b []byte) error {
					_, err := conn.Write(b)
					return err
				}, func() { conn.Close() })
			}
		})
	}
}

// readSIPTestRequest reads one Content-Length framed request.
func readSIPTestRequest(br *bufio.Reader) ([]byte, error) {
	var msg []byte
	length := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		msg = append(msg, line...)
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "content-length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" {
			break
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, errors.Join(errors.New("short body"), err)
	}
	return append(msg, body...), nil
}
