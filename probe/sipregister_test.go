package probe

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// registrar is an in-process registrar that checks digest answers with
// its own arithmetic (RFC 7616 §3.4.1), so the prober's is tested against
// an independent implementation.
type registrar struct {
	algorithm string // MD5 (default) or SHA-256
	password  string // default "s3cret"
	proxy     bool   // challenge with 407 Proxy-Authenticate
	reject    int    // answer a wrong password with this status instead of a new challenge
	stale     int    // answer this many correct answers with stale=true
	unreg     int    // answer the removal (Expires: 0) with this status
	noAuth    bool   // accept without any challenge
	challenge string // a raw challenge header line sent instead of the real one

	mu     sync.Mutex
	nonces int
}

// fresh returns a copy with its own counters, for another run.
func (g *registrar) fresh() *registrar {
	return &registrar{algorithm: g.algorithm, password: g.password, proxy: g.proxy, reject: g.reject,
		stale: g.stale, unreg: g.unreg, noAuth: g.noAuth, challenge: g.challenge}
}

var authParam = regexp.MustCompile(`([a-z]+)=("([^"\\]|\\.)*"|[^, ]+)`)

func (g *registrar) handle(c *sipCall) {
	g.mu.Lock()
	defer g.mu.Unlock()
	header := "authorization"
	if g.proxy {
		header = "proxy-authorization"
	}
	auth := c.Req.get(header)
	switch {
	case g.noAuth:
	case auth == "" || g.challenge != "":
		g.sendChallenge(c, false)
		return
	case !g.valid(c.Req, auth):
		if g.reject != 0 {
			c.Reply(g.reject, "Forbidden")
			return
		}
		g.sendChallenge(c, false)
		return
	case g.stale > 0:
		g.stale--
		g.sendChallenge(c, true)
		return
	}
	if c.Req.get("expires") == "0" && g.unreg != 0 {
		c.Reply(g.unreg, "Server Error")
		return
	}
	c.Reply(200, "OK", "Contact: "+c.Req.get("contact")+";expires="+c.Req.get("expires"))
}

func (g *registrar) sendChallenge(c *sipCall, stale bool) {
	if g.challenge != "" {
		c.Reply(401, "Unauthorized", g.challenge)
		return
	}
	g.nonces++
	line := fmt.Sprintf(`Digest realm="test", nonce="nonce-%d", qop="auth", opaque="op"`, g.nonces)
	if g.algorithm != "" {
		line += ", algorithm=" + g.algorithm
	}
	if stale {
		line += ", stale=true"
	}
	if g.proxy {
		c.Reply(407, "Proxy Authentication Required", "Proxy-Authenticate: "+line)
		return
	}
	c.Reply(401, "Unauthorized", "WWW-Authenticate: "+line)
}

// valid recomputes the response of an Authorization value for the
// current nonce.
func (g *registrar) valid(req *sipTestRequest, auth string) bool {
	p := map[string]string{}
	for _, m := range authParam.FindAllStringSubmatch(auth, -1) {
		p[m[1]] = strings.Trim(m[2], `"`)
	}
	newHash := md5.New
	if g.algorithm == "SHA-256" {
		newHash = sha256.New
	}
	h := func(s string) string {
		var hh hash.Hash = newHash()
		hh.Write([]byte(s))
		return hex.EncodeToString(hh.Sum(nil))
	}
	pw := g.password
	if pw == "" {
		pw = "s3cret"
	}
	if p["nonce"] != fmt.Sprintf("nonce-%d", g.nonces) || p["opaque"] != "op" || p["uri"] != req.URI || p["qop"] != "auth" {
		return false
	}
	want := h(h(p["username"]+":test:"+pw) + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + h(req.Method+":"+req.URI))
	return p["response"] == want && p["username"] == "alice"
}

func registerOptions(password string) Options {
	o := DefaultOptions()
	o.Method, o.Password = "REGISTER", Secret(password)
	return o
}

func TestSIPRegister(t *testing.T) {
	type want struct {
		outcome  Outcome
		class    Class
		message  string
		status   int
		phases   string
		unreg    string
		requests int
	}
	ok := want{outcome: Up, status: 200, phases: "challenge,register,unregister", unreg: "200 OK", requests: 3}
	tests := []struct {
		name     string
		g        *registrar
		password string
		want     want
	}{
		{"md5", &registrar{}, "s3cret", ok},
		{"sha-256", &registrar{algorithm: "SHA-256"}, "s3cret", ok},
		{"proxy challenge", &registrar{proxy: true}, "s3cret", ok},
		{"stale nonce answered again", &registrar{stale: 1}, "s3cret", want{outcome: Up, status: 200,
			phases: "challenge,register,unregister", unreg: "200 OK", requests: 4}},
		{"stale forever", &registrar{stale: 100}, "s3cret", want{outcome: Down, class: ClassAuth,
			message: "stale=true 3 times", status: 401, requests: 4}},
		{"wrong password rechallenged", &registrar{}, "wrong", want{outcome: Down, class: ClassAuth,
			message: "password rejected: the server challenged again (401 Unauthorized)", status: 401, requests: 2}},
		{"wrong password forbidden", &registrar{reject: 403}, "wrong", want{outcome: Down, class: ClassAuth,
			message: "password rejected: 403 Forbidden", status: 403, requests: 2}},
		{"unregister fails but the check is up", &registrar{unreg: 500}, "s3cret", want{outcome: Up, status: 200,
			phases: "challenge,register,unregister", unreg: "failed: 500 Server Error", requests: 3}},
		{"no challenge", &registrar{noAuth: true}, "s3cret", want{outcome: Up, status: 200,
			phases: "register,unregister", unreg: "200 OK", requests: 2}},
		{"huge challenge", &registrar{challenge: "WWW-Authenticate: Digest realm=\"" + strings.Repeat("r", 5000) + "\", nonce=n"},
			"s3cret", want{outcome: Down, class: ClassProtocol, message: "malformed digest challenge: 5", status: 401, requests: 1}},
		{"malformed challenge", &registrar{challenge: `WWW-Authenticate: Digest realm="r" nonce="n"`},
			"s3cret", want{outcome: Down, class: ClassProtocol, message: "expected a comma", status: 401, requests: 1}},
		{"many challenges", &registrar{challenge: strings.Repeat("WWW-Authenticate: Basic realm=x\r\n", 50) + "WWW-Authenticate: Digest realm=r, nonce=n"},
			"s3cret", want{outcome: Down, class: ClassAuth, message: "scheme \"Basic\"", status: 401, requests: 1}},
		{"challenge without header", &registrar{challenge: "X-Nothing: here"},
			"s3cret", want{outcome: Down, class: ClassProtocol, message: "no WWW-Authenticate", status: 401, requests: 1}},
		{"unsupported algorithm", &registrar{challenge: `WWW-Authenticate: Digest realm="r", nonce="n", algorithm=SHA-1`},
			"s3cret", want{outcome: Down, class: ClassAuth, message: `algorithm "SHA-1"`, status: 401, requests: 1}},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				srv := startSIPResponder(t, network, nil, tt.g.fresh().handle)
				r := probeWithin(NewSIP(SIPConfig{}), sipTestTarget(t, sipURI("alice", srv.Port, network), registerOptions(tt.password)), 3*time.Second)
				w := tt.want
				if r.Outcome != w.outcome || r.Class != w.class || !strings.Contains(r.Message, w.message) || r.Details.SIPStatus != w.status {
					t.Fatalf("got %s/%q %q status %d, want %s/%q %q status %d", r.Outcome, r.Class, r.Message, r.Details.SIPStatus,
						w.outcome, w.class, w.message, w.status)
				}
				if network == "tcp" && w.phases != "" {
					w.phases = "connect," + w.phases
				}
				if w.phases != "" && phaseNames(r.Phases) != w.phases {
					t.Errorf("phases %s, want %s", phaseNames(r.Phases), w.phases)
				}
				if r.Details.SIPUnregister != w.unreg {
					t.Errorf("unregister %q, want %q", r.Details.SIPUnregister, w.unreg)
				}
				got := srv.Received()
				if len(got) != w.requests {
					t.Fatalf("%d requests, want %d", len(got), w.requests)
				}
				checkRegisterRequests(t, got, srv.Port, network)
				if strings.Contains(fmt.Sprintf("%+v", r), tt.password) {
					t.Errorf("password in the result: %+v", r)
				}
			})
		}
	}
}

// checkRegisterRequests checks the requests of one probe: REGISTER to the
// domain, To and From the address of record, one Call-ID, CSeq counting
// up, a new branch each, Expires 60 and 0 for the last of an up probe.
func checkRegisterRequests(t *testing.T, got []sipReceipt, port int, network string) {
	t.Helper()
	aor := fmt.Sprintf("<sip:alice@127.0.0.1:%d>", port)
	branches := map[string]bool{}
	for i, rc := range got {
		q := rc.Req
		if q.Method != "REGISTER" || q.URI != fmt.Sprintf("sip:127.0.0.1:%d;transport=%s", port, network) {
			t.Errorf("request %d: %s %s", i, q.Method, q.URI)
		}
		if !strings.HasPrefix(q.get("from"), aor+";tag=") || q.get("to") != aor {
			t.Errorf("request %d: From %q To %q, want %s", i, q.get("from"), q.get("to"), aor)
		}
		if q.get("call-id") != got[0].Req.get("call-id") || q.get("cseq") != fmt.Sprintf("%d REGISTER", i+1) {
			t.Errorf("request %d: Call-ID %q CSeq %q", i, q.get("call-id"), q.get("cseq"))
		}
		if b := viaBranch(q.get("via")); branches[b] || !strings.HasPrefix(b, "z9hG4bK") {
			t.Errorf("request %d: branch %q reused or malformed", i, b)
		} else {
			branches[b] = true
		}
		if !strings.HasPrefix(q.get("contact"), "<sip:alice@127.0.0.1:") {
			t.Errorf("request %d: Contact %q", i, q.get("contact"))
		}
		if e := q.get("expires"); e != "60" && e != "0" {
			t.Errorf("request %d: Expires %q", i, e)
		}
	}
}

func TestSIPRegisterNeedsCredentials(t *testing.T) {
	tg := sipTestTarget(t, "sip:alice@127.0.0.1:9", registerOptions("hunter2"))
	if s := fmt.Sprintf("%v %+v %#v", tg, tg, tg); strings.Contains(s, "hunter2") {
		t.Errorf("password printed with the target: %s", s)
	}
	r := probeWithin(NewSIP(SIPConfig{}), sipTestTarget(t, "sip:alice@127.0.0.1:9", registerOptions("")), time.Second)
	if r.Outcome != Down || r.Class != ClassAuth || !strings.Contains(r.Message, "password") {
		t.Errorf("got %s/%s %q", r.Outcome, r.Class, r.Message)
	}
	r = probeWithin(NewSIP(SIPConfig{}), sipTestTarget(t, "sip:127.0.0.1:9", registerOptions("pw")), time.Second)
	if r.Outcome != Down || r.Class != ClassAuth || !strings.Contains(r.Message, "username") {
		t.Errorf("no user: got %s/%s %q", r.Outcome, r.Class, r.Message)
	}
}
