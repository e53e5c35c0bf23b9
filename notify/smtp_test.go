package notify_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/notify/notifytest"
)

// testCerts returns a server certificate for 127.0.0.1 and a pool that
// trusts its throwaway CA (the pattern of probe/certs_test.go).
func testCerts(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "outpost test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}, pool
}

// smtpMail is one message the test server queued.
type smtpMail struct {
	From string
	To   []string
	Data string
	TLS  bool
	User string
}

// smtpServer speaks enough SMTP for the email channel: EHLO, STARTTLS,
// AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type smtpServer struct {
	addr      string
	behaviour notifytest.Behaviour
	cert      tls.Certificate
	offerTLS  bool // advertise STARTTLS
	implicit  bool // TLS from the first byte (port 465 style)
	user      string
	pass      string // AUTH PLAIN credentials; empty user: AUTH not required

	mu       sync.Mutex
	mails    []smtpMail
	conns    int
	sawAuth  bool // an AUTH command arrived (over any connection)
	plainPwd bool // a password arrived without TLS
}

func startSMTP(t *testing.T, s *smtpServer) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	if s.behaviour == notifytest.Down {
		ln.Close()
		return s
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				go func() { <-done; conn.Close() }()
				s.serve(conn)
			}()
		}
	}()
	return s
}

func (s *smtpServer) Accepted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, m := range s.mails {
		msg, err := mail.ReadMessage(strings.NewReader(m.Data))
		if err != nil {
			keys = append(keys, "unreadable")
			continue
		}
		id := strings.TrimSuffix(strings.TrimPrefix(msg.Header.Get("Message-ID"), "<outpost."), ">")
		keys = append(keys, id[:strings.LastIndexByte(id, '@')])
	}
	return keys
}

func (s *smtpServer) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *smtpServer) Mails() []smtpMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.mails...)
}

// smtpSession is the state of one connection.
type smtpSession struct {
	conn  net.Conn
	r     *bufio.Reader
	tls   bool
	user  string
	mail  smtpMail
	inTxn bool
}

func (ss *smtpSession) reply(lines ...string) {
	_, _ = ss.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
}

func (ss *smtpSession) line() (string, bool) {
	l, err := ss.r.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err == nil
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	ss := &smtpSession{conn: conn, r: bufio.NewReader(conn)}
	if s.implicit {
		tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{s.cert}})
		if tc.Handshake() != nil {
			return
		}
		ss.conn, ss.r, ss.tls = tc, bufio.NewReader(tc), true
	}
	if s.behaviour == notifytest.Hang {
		_, _ = ss.r.ReadString('\n') // never greets; returns when the client gives up
		return
	}
	ss.reply("220 127.0.0.1 test ESMTP")
	for {
		l, ok := ss.line()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(l, " ")
		if !s.command(ss, strings.ToUpper(verb), arg) {
			return
		}
	}
}

// command handles one command; false ends the session.
func (s *smtpServer) command(ss *smtpSession, verb, arg string) bool {
	switch verb {
	case "EHLO":
		ext := []string{"250-127.0.0.1 hello"}
		if s.offerTLS && !ss.tls {
			ext = append(ext, "250-STARTTLS")
		}
		ss.reply(append(ext, "250-AUTH PLAIN", "250 8BITMIME")...)
	case "HELO", "NOOP":
		ss.reply("250 ok")
	case "STARTTLS":
		ss.reply("220 go ahead")
		tc := tls.Server(ss.conn, &tls.Config{Certificates: []tls.Certificate{s.cert}})
		if tc.Handshake() != nil {
			return false
		}
		ss.conn, ss.r, ss.tls = tc, bufio.NewReader(tc), true
	case "AUTH":
		s.auth(ss, arg)
	case "MAIL":
		s.mailFrom(ss, arg)
	case "RCPT":
		s.rcpt(ss, arg)
	case "DATA":
		s.data(ss)
	case "RSET":
		ss.mail, ss.inTxn = smtpMail{}, false
		ss.reply("250 ok")
	case "QUIT":
		ss.reply("221 bye")
		return false
	default:
		ss.reply("502 5.5.2 unknown command")
	}
	return true
}

func (s *smtpServer) auth(ss *smtpSession, arg string) {
	mech, resp, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") {
		ss.reply("504 5.5.4 mechanism not supported")
		return
	}
	if resp == "" {
		ss.reply("334 ")
		resp, _ = ss.line()
	}
	raw, _ := base64.StdEncoding.DecodeString(resp)
	parts := strings.Split(string(raw), "\x00")
	s.mu.Lock()
	s.sawAuth = true
	s.plainPwd = s.plainPwd || !ss.tls
	s.mu.Unlock()
	if len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
		ss.reply("535 5.7.8 authentication credentials invalid")
		return
	}
	ss.user = parts[1]
	ss.reply("235 2.7.0 authenticated")
}

func (s *smtpServer) mailFrom(ss *smtpSession, arg string) {
	switch {
	case s.user != "" && ss.user == "":
		ss.reply("530 5.7.0 authentication required")
	case s.behaviour == notifytest.Verbose:
		ss.reply("554 5.7.1 rejected: password " + s.pass + " " + strings.Repeat("x", 2000))
	default:
		ss.mail, ss.inTxn = smtpMail{From: strings.TrimPrefix(arg, "FROM:"), TLS: ss.tls, User: ss.user}, true
		ss.reply("250 ok")
	}
}

func (s *smtpServer) rcpt(ss *smtpSession, arg string) {
	switch {
	case !ss.inTxn:
		ss.reply("503 5.5.1 MAIL first")
	case s.behaviour == notifytest.Busy:
		ss.reply("452 4.2.2 mailbox full, try later")
	case s.behaviour == notifytest.Reject:
		ss.reply("550 5.1.1 no such user")
	default:
		ss.mail.To = append(ss.mail.To, strings.TrimPrefix(arg, "TO:"))
		ss.reply("250 ok")
	}
}

func (s *smtpServer) data(ss *smtpSession) {
	if !ss.inTxn || len(ss.mail.To) == 0 {
		ss.reply("503 5.5.1 RCPT first")
		return
	}
	ss.reply("354 end with <CRLF>.<CRLF>")
	var b strings.Builder
	for {
		l, ok := ss.line()
		if !ok {
			return
		}
		if l == "." {
			break
		}
		b.WriteString(strings.TrimPrefix(l, ".") + "\r\n")
	}
	if s.behaviour == notifytest.Broken {
		ss.reply("451 4.3.0 local error in processing")
		return
	}
	ss.mail.Data = b.String()
	s.mu.Lock()
	s.mails = append(s.mails, ss.mail)
	s.mu.Unlock()
	ss.mail, ss.inTxn = smtpMail{}, false
	ss.reply("250 2.0.0 queued")
}
