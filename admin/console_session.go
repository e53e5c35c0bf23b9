package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outpost-status/outpost/store"
)

// Session lifetimes and bounds.
const (
	sessionIdle     = 12 * time.Hour     // ends after this long without a request
	sessionMax      = 7 * 24 * time.Hour // ends this long after the login, in use or not
	sessionRefresh  = time.Minute        // last-seen is written at most this often
	sessionPrune    = 1000               // expired sessions deleted per login, at most
	maxNameLen      = 64                 // characters of a display name
	sessionIDBytes  = 32
	sessionIDLength = 43 // base64url without padding of sessionIDBytes
)

// tokenFingerprint identifies an admin token without revealing it. A
// session keeps the fingerprint of the token it was opened with; once the
// token changes, no session matches and all of them end.
func tokenFingerprint(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("outpost review console session"))
	return hex.EncodeToString(m.Sum(nil))
}

// csrfToken is the form token of the session id: derived from the id, so
// that nothing the database holds makes a valid form.
func csrfToken(id string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte("outpost review console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// session returns the request's valid session, or nil when it has none
// (no cookie, unknown, expired or opened with another token; such a
// cookie is cleared). An error is the store's.
func (c *console) session(w http.ResponseWriter, r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || len(ck.Value) != sessionIDLength {
		return nil, nil
	}
	id := ck.Value
	st, err := c.api.opts.Store.Session(id)
	if errors.Is(err, store.ErrNotFound) {
		c.clearCookie(w)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := c.api.opts.Now()
	if !c.valid(st, now) {
		if err := c.api.opts.Store.DeleteSession(id); err != nil {
			return nil, err
		}
		c.clearCookie(w)
		return nil, nil
	}
	if now.Sub(st.LastSeen) >= sessionRefresh {
		st.LastSeen = now
		if err := c.api.opts.Store.PutSession(id, st); err != nil {
			// The session stays valid for now; it just ages from the older time.
			c.api.log.Warn("console session not refreshed", "err", err)
		}
	}
	return &session{Name: st.Name, CSRF: csrfToken(id), id: id, st: st}, nil
}

// valid reports whether a stored session may still be used at now: opened
// with the current token, used within sessionIdle, opened within
// sessionMax.
func (c *console) valid(st store.Session, now time.Time) bool {
	fp := tokenFingerprint(c.api.currentToken())
	return subtle.ConstantTimeCompare([]byte(st.TokenFingerprint), []byte(fp)) == 1 &&
		now.Sub(st.LastSeen) < sessionIdle && now.Sub(st.CreatedAt) < sessionMax
}

func (c *console) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/admin/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
}

func (c *console) clearCookie(w http.ResponseWriter) { c.setCookie(w, "", -1) }

// loginData fills login.html.
type loginData struct {
	Next, Name, Error string
}

func (c *console) loginForm(w http.ResponseWriter, r *http.Request) {
	s, err := c.session(w, r)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if s != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	c.render(w, r, nil, http.StatusOK, "login", loginData{Next: next})
}

// login checks the token (failures count against the admin API's limit
// for the client's address) and the display name, opens a session and
// sends the browser on to next. The form must come from the console's
// origin, so another site cannot log a browser in under its own name.
func (c *console) login(w http.ResponseWriter, r *http.Request) {
	ct := c.t.Console
	if !c.sameOrigin(r) {
		c.message(w, r, nil, http.StatusForbidden, ct.Forbidden, ct.BadOrigin)
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := c.api.opts.Now()
	if c.api.limiter.blocked(ip, now) {
		w.Header().Set("Retry-After", strconv.Itoa(int(authWindow.Seconds())))
		c.message(w, r, nil, http.StatusTooManyRequests, ct.Forbidden, ct.TooMany)
		return
	}
	if !c.parseForm(w, r, nil) {
		return
	}
	form := loginData{Next: safeNext(r.PostForm.Get("next")), Name: r.PostForm.Get("name")}
	token := r.PostForm.Get("token")
	if current := c.api.currentToken(); subtle.ConstantTimeCompare([]byte(token), []byte(current)) != 1 {
		c.api.limiter.fail(ip, now)
		form.Error = ct.LoginWrong
		c.render(w, r, nil, http.StatusUnauthorized, "login", form)
		return
	}
	name, ok := displayName(form.Name)
	if !ok {
		form.Error = fmt.Sprintf(ct.NameInvalid, maxNameLen)
		c.render(w, r, nil, http.StatusBadRequest, "login", form)
		return
	}
	id, err := c.openSession(name, now)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.api.log.Info("console login", "user", name)
	c.setCookie(w, id, int(sessionMax.Seconds()))
	http.Redirect(w, r, form.Next, http.StatusSeeOther)
}

// openSession prunes expired sessions (a bounded number) and stores a new
// one, returning its id.
func (c *console) openSession(name string, now time.Time) (string, error) {
	if _, err := c.api.opts.Store.DeleteSessions(func(st store.Session) bool { return !c.valid(st, now) }, sessionPrune); err != nil {
		c.api.log.Warn("pruning expired console sessions failed", "err", err)
	}
	raw := make([]byte, sessionIDBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("console: session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	st := store.Session{Name: name, TokenFingerprint: tokenFingerprint(c.api.currentToken()), CreatedAt: now, LastSeen: now}
	if err := c.api.opts.Store.PutSession(id, st); err != nil {
		return "", err
	}
	return id, nil
}

func (c *console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.api.opts.Store.DeleteSession(s.id); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.clearCookie(w)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// displayName trims a display name and checks it: not empty, at most
// maxNameLen characters, valid UTF-8 without control or format characters
// (which could disguise a name in the audit log).
func displayName(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLen {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", false
		}
	}
	return s, true
}

// safeNext returns next when it is a path of this console, else
// /admin/: a login link must not send the browser to another site
// (//evil.example, https:, backslashes that browsers read as slashes) or
// out of /admin/ (dot segments, encoded or not).
func safeNext(next string) string {
	const home = "/admin/"
	if !strings.HasPrefix(next, home) || strings.ContainsAny(next, "\\") || len(next) > 2048 {
		return home
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, home) {
		return home
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return home
		}
	}
	if strings.Contains(u.Path, "//") || u.Path == "/admin/login" || u.Path == "/admin/logout" {
		return home
	}
	return next
}
