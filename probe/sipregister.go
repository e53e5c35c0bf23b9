package probe

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

const (
	// registerExpires is the lifetime asked for the probe's binding; the
	// probe removes it at once, this bounds it if the removal is lost.
	registerExpires = 60
	// maxStale bounds how often one probe answers stale=true.
	maxStale = 2
)

// registerURIs derives REGISTER's Request-URI (the domain, RFC 3261
// §10.2: no user part) and the address of record from the target's URI.
func registerURIs(t Target, user string) (requestURI, aor string) {
	scheme, rest, _ := strings.Cut(t.SIP.RequestURI, ":")
	if _, after, ok := strings.Cut(rest, "@"); ok {
		rest = after
	}
	hostport, params, _ := strings.Cut(rest, ";")
	requestURI = scheme + ":" + hostport
	if params != "" {
		requestURI += ";" + params
	}
	return requestURI, scheme + ":" + user + "@" + hostport
}

// register probes with REGISTER (RFC 3261 §10): a first request without
// credentials (phase challenge) draws a 401 or 407; the answer with
// digest credentials (phase register) must get a 2xx; then a REGISTER
// with Expires: 0 (phase unregister) removes the binding again. A 403 or
// a second challenge after the answer means the password was rejected:
// class auth. A stale=true challenge is answered again with its new nonce.
//
// A failed removal does not make the probe down (the registration, which
// is what the check is about, worked): it is recorded in
// Details.SIPUnregister and logged as a warning; the binding then expires
// after registerExpires seconds.
func (p *SIPProber) register(ctx context.Context, l *sipLink, t Target, run *sipRun) Result {
	creds := digestCredentials{username: t.Options.Username, password: t.Options.Password}
	if creds.username == "" {
		creds.username = t.SIP.User
	}
	user := t.SIP.User
	if user == "" {
		user = creds.username
	}
	if creds.username == "" || creds.password == "" {
		return run.down(ClassAuth, "REGISTER needs a username (or a user in the target) and a password (password_file or password_env)")
	}
	req := newSIPRequest(t, l.conn.LocalAddr(), p.userAgent)
	req.method, req.expires, req.contactUser = "REGISTER", registerExpires, user
	req.requestURI, req.aor = registerURIs(t, user)

	begin := run.clock.Now()
	x, res, ok := p.registerStep(ctx, l, req, run)
	if !ok {
		return res
	}
	final := x.final
	st := unregisterState{req: req, creds: creds}
	if final.Status == 401 || final.Status == 407 {
		run.phase("challenge", begin)
		begin = run.clock.Now()
		if final, res, ok = p.authenticate(ctx, l, run, &st, final); !ok {
			return res
		}
	}
	if final.Status < 200 || final.Status > 299 {
		class, msg := ClassStatus, fmt.Sprintf("REGISTER answered %d %s", final.Status, final.Reason)
		if final.Status == 403 && st.challenged {
			class, msg = ClassAuth, fmt.Sprintf("password rejected: %d %s", final.Status, final.Reason)
		}
		return p.registerVerdict(run, final, class, msg)
	}
	run.phase("register", begin)
	run.d.SIPStatus, run.d.SIPReason, run.d.SIPServer = final.Status, final.Reason, cmp.Or(final.Server, final.UserAgent)
	p.unregister(ctx, l, t, run, st)
	run.d.Retransmits = l.retransmits
	r := run.result()
	r.Outcome = Up
	return grade(r, t.Options, run.clock.Now())
}

// authenticate answers the challenge in final, and a stale=true one after
// it, until a response that is no challenge; st records the last request
// and challenge for the removal. A second challenge without stale=true
// is a rejected password.
func (p *SIPProber) authenticate(ctx context.Context, l *sipLink, run *sipRun, st *unregisterState, final sipResponse) (sipResponse, Result, bool) {
	st.challenged = true
	for stale := 0; final.Status == 401 || final.Status == 407; {
		c, err := chooseChallenge(final.WWWAuth, final.ProxyAuth)
		if err != nil {
			return final, p.registerVerdict(run, final, challengeClass(err), "cannot answer the challenge: "+err.Error()), false
		}
		if st.nc > 0 && !c.stale {
			return final, p.registerVerdict(run, final, ClassAuth,
				fmt.Sprintf("password rejected: the server challenged again (%d %s)", final.Status, final.Reason)), false
		}
		if st.nc > 0 {
			if stale++; stale > maxStale {
				return final, p.registerVerdict(run, final, ClassAuth, fmt.Sprintf("the server answered stale=true %d times", stale)), false
			}
		}
		st.challenge, st.nc = c, 1
		st.req = st.req.next()
		st.req.auth = st.creds.authorization(c, st.req.method, st.req.requestURI, st.nc, rand.Text())
		x, res, ok := p.registerStep(ctx, l, st.req, run)
		if !ok {
			return final, res, false
		}
		final = x.final
	}
	return final, Result{}, true
}

// registerStep runs one REGISTER transaction; on failure it returns the
// finished down result and false.
func (p *SIPProber) registerStep(ctx context.Context, l *sipLink, req sipRequest, run *sipRun) (*sipTransaction, Result, bool) {
	x, err := l.transact(ctx, req)
	run.d.Retransmits = l.retransmits
	if err != nil {
		class, msg := x.failure(err, since(run.clock, run.start))
		return x, run.down(class, msg), false
	}
	return x, Result{}, true
}

// registerVerdict is a down result with the final response's details.
func (p *SIPProber) registerVerdict(run *sipRun, f sipResponse, class Class, msg string) Result {
	run.d.SIPStatus, run.d.SIPReason, run.d.SIPServer = f.Status, f.Reason, cmp.Or(f.Server, f.UserAgent)
	return run.down(class, msg)
}

// challengeClass is protocol for a challenge that cannot be parsed, auth
// for one outpost cannot answer.
func challengeClass(err error) Class {
	if errors.Is(err, errChallengeUnsupported) {
		return ClassAuth
	}
	return ClassProtocol
}

// unregisterState is what removing the binding needs from registering.
type unregisterState struct {
	req        sipRequest // the last REGISTER sent
	creds      digestCredentials
	challenge  digestChallenge
	challenged bool
	nc         int // uses of challenge's nonce so far
}

// unregister sends REGISTER with Expires: 0 for the probe's Contact,
// reusing the nonce (next nc) and answering one new challenge.
func (p *SIPProber) unregister(ctx context.Context, l *sipLink, t Target, run *sipRun, s unregisterState) {
	begin := run.clock.Now()
	req := s.req.next()
	req.expires = 0
	if s.challenged {
		req.auth = s.creds.authorization(s.challenge, req.method, req.requestURI, s.nc+1, rand.Text())
	}
	outcome := ""
	for attempt := 0; ; attempt++ {
		x, err := l.transact(ctx, req)
		if err != nil {
			_, msg := x.failure(err, since(run.clock, begin))
			outcome = "failed: " + msg
			break
		}
		f := x.final
		if (f.Status == 401 || f.Status == 407) && attempt == 0 {
			c, err := chooseChallenge(f.WWWAuth, f.ProxyAuth)
			if err == nil {
				req = req.next()
				req.auth = s.creds.authorization(c, req.method, req.requestURI, 1, rand.Text())
				continue
			}
		}
		outcome = strings.TrimSpace(fmt.Sprintf("%d %s", f.Status, f.Reason))
		if f.Status < 200 || f.Status > 299 {
			outcome = "failed: " + outcome
		}
		break
	}
	run.phase("unregister", begin)
	run.d.SIPUnregister = redactString(outcome)
	if strings.HasPrefix(outcome, "failed") {
		p.log.Warn("sip unregister failed; the binding expires by itself", "target", t.Redacted,
			"err", run.d.SIPUnregister, "expires_s", registerExpires)
	}
}
