package probe

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxSIPMessage caps one SIP message (header and body) read from the peer.
const maxSIPMessage = 64 << 10

// maxSIPText caps the reason phrase and Server value kept in Details.
const maxSIPText = 128

var (
	errSIPMessage  = errors.New("malformed sip response")
	errSIPTooLarge = fmt.Errorf("%w: message exceeds %d bytes", errSIPMessage, maxSIPMessage)
)

// sipResponse holds what the probe needs from a SIP response; everything
// else in the message is checked for syntax and dropped.
type sipResponse struct {
	Status        int
	Reason        string
	Via           string // the topmost Via header field value
	CallID        string
	Server        string
	UserAgent     string
	ContentLength int // -1 when absent
	// WWWAuth and ProxyAuth are the raw challenge values, at most
	// maxChallenges of both together; more are dropped.
	WWWAuth, ProxyAuth []string
}

// parseSIPResponse parses a SIP response's status line and header fields up
// to the first empty line or the end of b; the body is ignored. Header names
// are case-insensitive, compact forms (v, i, l) are understood and folded
// continuation lines are joined with a space.
func parseSIPResponse(b []byte) (sipResponse, error) {
	r := sipResponse{ContentLength: -1}
	line, rest := cutLine(b)
	if err := r.parseStatusLine(line); err != nil {
		return sipResponse{}, err
	}
	var name, value []byte
	for len(rest) > 0 {
		line, rest = cutLine(rest)
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name == nil {
				return sipResponse{}, fmt.Errorf("%w: continuation line %q before any header", errSIPMessage, snippet(line))
			}
			value = append(append(value[:len(value):len(value)], ' '), bytes.Trim(line, " \t")...)
			continue
		}
		if name != nil {
			if err := r.setHeader(name, value); err != nil {
				return sipResponse{}, err
			}
		}
		var ok bool
		if name, value, ok = splitHeader(line); !ok {
			return sipResponse{}, fmt.Errorf("%w: header line %q", errSIPMessage, snippet(line))
		}
	}
	if name != nil {
		if err := r.setHeader(name, value); err != nil {
			return sipResponse{}, err
		}
	}
	return r, nil
}

// parseStatusLine parses "SIP/2.0 200 OK".
func (r *sipResponse) parseStatusLine(line []byte) error {
	version, rest, _ := bytes.Cut(line, []byte(" "))
	code, reason, _ := bytes.Cut(rest, []byte(" "))
	if !bytes.EqualFold(version, []byte("SIP/2.0")) || len(code) != 3 {
		return fmt.Errorf("%w: status line %q is not SIP/2.0 <code> <reason>", errSIPMessage, snippet(line))
	}
	n := 0
	for _, c := range code {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: status code %q is not a number", errSIPMessage, snippet(code))
		}
		n = n*10 + int(c-'0')
	}
	if n < 100 || n > 699 {
		return fmt.Errorf("%w: status code %d is out of range", errSIPMessage, n)
	}
	r.Status, r.Reason = n, cleanText(reason)
	return nil
}

// setHeader records the header fields the probe uses.
func (r *sipResponse) setHeader(name, value []byte) error {
	is := func(long, compact string) bool {
		return bytes.EqualFold(name, []byte(long)) || (compact != "" && bytes.EqualFold(name, []byte(compact)))
	}
	switch {
	case is("via", "v"):
		if r.Via == "" {
			top, _, _ := bytes.Cut(value, []byte(","))
			r.Via = string(bytes.Trim(top, " \t"))
		}
	case is("call-id", "i"):
		if r.CallID == "" {
			r.CallID = string(value)
		}
	case is("server", ""):
		r.Server = cleanText(value)
	case is("user-agent", ""):
		r.UserAgent = cleanText(value)
	case is("www-authenticate", ""), is("proxy-authenticate", ""):
		if len(r.WWWAuth)+len(r.ProxyAuth) >= maxChallenges {
			break
		}
		if is("www-authenticate", "") {
			r.WWWAuth = append(r.WWWAuth, string(value))
		} else {
			r.ProxyAuth = append(r.ProxyAuth, string(value))
		}
	case is("content-length", "l"):
		n, err := strconv.Atoi(string(value))
		if err != nil || n < 0 || n > maxSIPMessage {
			return fmt.Errorf("%w: Content-Length %q", errSIPMessage, snippet(value))
		}
		if r.ContentLength >= 0 && r.ContentLength != n {
			return fmt.Errorf("%w: conflicting Content-Length headers", errSIPMessage)
		}
		r.ContentLength = n
	}
	return nil
}

// cutLine splits b after the first LF; the line loses its CRLF or LF.
func cutLine(b []byte) (line, rest []byte) {
	line, rest, _ = bytes.Cut(b, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), rest
}

// splitHeader splits "Name : value" (RFC 3261 HCOLON) into a token name and
// a trimmed value.
func splitHeader(line []byte) (name, value []byte, ok bool) {
	name, value, ok = bytes.Cut(line, []byte(":"))
	name = bytes.TrimRight(name, " \t")
	if !ok || len(name) == 0 {
		return nil, nil, false
	}
	for _, c := range name {
		if !isTokenChar(c) {
			return nil, nil, false
		}
	}
	return name, bytes.Trim(value, " \t"), true
}

func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("-.!%*_+`'~", c) >= 0
}

// cleanText makes peer-supplied text safe to store and show: valid UTF-8,
// no control characters, at most maxSIPText bytes.
func cleanText(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(b), "?"))
	if len(s) > maxSIPText {
		cut := maxSIPText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// viaBranch returns the branch parameter of a Via header field value.
func viaBranch(via string) string {
	_, params, _ := strings.Cut(via, ";")
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "branch") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// readSIPMessage reads one response from a stream: optional keep-alive
// CRLFs, the header (at most maxSIPMessage bytes; its first bytes are
// checked as soon as they arrive so garbage fails fast) and Content-Length
// body bytes, which are discarded. head is scratch space reused between
// calls.
func readSIPMessage(br *bufio.Reader, head []byte) (sipResponse, []byte, error) {
	head = head[:0]
	if err := skipSIPKeepAlive(br); err != nil {
		return sipResponse{}, head, err
	}
	for {
		start := len(head)
		var err error
		if head, err = readLine(br, head, maxSIPMessage); err != nil {
			return sipResponse{}, head, err
		}
		line := bytes.TrimRight(head[start:], "\r\n")
		if start == 0 {
			var r sipResponse
			if err := r.parseStatusLine(line); err != nil {
				return sipResponse{}, head, err
			}
			continue
		}
		if len(line) == 0 {
			break
		}
	}
	r, err := parseSIPResponse(head)
	if err != nil {
		return sipResponse{}, head, err
	}
	body := max(r.ContentLength, 0)
	if len(head)+body > maxSIPMessage {
		return sipResponse{}, head, errSIPTooLarge
	}
	if _, err := br.Discard(body); err != nil {
		return sipResponse{}, head, fmt.Errorf("reading %d body bytes: %w", body, noEOF(err))
	}
	return r, head, nil
}

// skipSIPKeepAlive drops CRLF keep-alives (RFC 5626 §3.5.1) before a
// message, then fails at once if the bytes already received cannot start a
// status line, instead of waiting for a line end that may never come.
func skipSIPKeepAlive(br *bufio.Reader) error {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return err
		}
		if b[0] != '\r' && b[0] != '\n' {
			break
		}
		br.Discard(1)
	}
	const version = "SIP/2.0 "
	p, _ := br.Peek(min(br.Buffered(), len(version)))
	if !bytes.EqualFold(p, []byte(version[:len(p)])) {
		return fmt.Errorf("%w: reply starts with %q, not SIP/2.0", errSIPMessage, snippet(p))
	}
	return nil
}

// noEOF turns a clean EOF inside a message into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLine appends one LF-terminated line to buf, failing once buf would
// exceed limit.
func readLine(br *bufio.Reader, buf []byte, limit int) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > limit {
			return buf, errSIPTooLarge
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return buf, io.ErrUnexpectedEOF
		default:
			return buf, err
		}
	}
}

// sipRequest is one request (OPTIONS or REGISTER) with fresh identifiers.
// The requests of one REGISTER probe share Call-ID and From tag; each has
// its own branch and the next CSeq.
type sipRequest struct {
	method     string
	transport  Transport
	secure     bool
	requestURI string
	local      netip.AddrPort
	userAgent  string
	branch     string
	tag        string
	callID     string
	cseq       int
	// REGISTER only: the address of record (To and From), the Contact
	// user, Expires and the Authorization line ("" for none).
	aor         string
	contactUser string
	expires     int
	auth        string
}

// newSIPRequest builds an OPTIONS request from local's address with fresh
// random branch, tag and Call-ID (crypto/rand).
func newSIPRequest(t Target, local net.Addr, userAgent string) sipRequest {
	var ap netip.AddrPort
	switch a := local.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case *net.TCPAddr:
		ap = a.AddrPort()
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
	r := sipRequest{method: "OPTIONS", transport: t.Transport, secure: t.SIP.Secure, requestURI: t.SIP.RequestURI,
		local: ap, userAgent: userAgent, branch: "z9hG4bK" + rand.Text(), tag: rand.Text(), cseq: 1,
		contactUser: "outpost"}
	r.callID = rand.Text() + "@" + r.host()
	return r
}

// next returns the following request of the same dialog-less exchange:
// a new branch and the next CSeq, no Authorization.
func (r sipRequest) next() sipRequest {
	r.branch = "z9hG4bK" + rand.Text()
	r.cseq++
	r.auth = ""
	return r
}

// host is the local address as it appears in a SIP URI ([v6] bracketed).
func (r sipRequest) host() string {
	if r.local.Addr().Is6() {
		return "[" + r.local.Addr().String() + "]"
	}
	return r.local.Addr().String()
}

// bytes renders the request (RFC 3261 §8.1.1, §10.2, §11).
func (r sipRequest) bytes() []byte {
	hostport := r.host() + ":" + strconv.Itoa(int(r.local.Port()))
	contact := "sip:" + r.contactUser + "@" + hostport
	switch {
	case r.secure:
		contact = "sips:" + r.contactUser + "@" + hostport
	case r.transport != UDP:
		contact += ";transport=" + string(r.transport)
	}
	from, to := "sip:outpost@"+r.host(), r.requestURI
	if r.aor != "" {
		from, to = r.aor, r.aor
	}
	var b bytes.Buffer
	b.Grow(512 + 2*len(r.requestURI) + len(r.auth))
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", r.method, r.requestURI)
	fmt.Fprintf(&b, "Via: SIP/2.0/%s %s;branch=%s;rport\r\n", strings.ToUpper(string(r.transport)), hostport, r.branch)
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: <%s>;tag=%s\r\n", from, r.tag)
	fmt.Fprintf(&b, "To: <%s>\r\n", to)
	fmt.Fprintf(&b, "Call-ID: %s\r\n", r.callID)
	fmt.Fprintf(&b, "CSeq: %d %s\r\n", r.cseq, r.method)
	fmt.Fprintf(&b, "Contact: <%s>\r\n", contact)
	if r.method == "REGISTER" {
		fmt.Fprintf(&b, "Expires: %d\r\n", r.expires)
	} else {
		b.WriteString("Accept: application/sdp\r\n")
	}
	if r.auth != "" {
		b.WriteString(r.auth + "\r\n")
	}
	fmt.Fprintf(&b, "User-Agent: %s\r\n", r.userAgent)
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

// matches reports whether resp answers r: same top Via branch and Call-ID
// (RFC 3261 §17.1.3; strays and answers to earlier probes are ignored).
func (r sipRequest) matches(resp sipResponse) bool {
	return viaBranch(resp.Via) == r.branch && resp.CallID == r.callID
}
