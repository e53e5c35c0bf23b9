package admin

import (
	"bytes"
	"crypto/hmac"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// The review console: server-rendered pages under /admin/ for operators
// in a browser, often on a phone in the middle of an outage. It makes the
// same changes as the admin API, through the same engine and monitor, as
// "console:<name>". Everything works without JavaScript; the pages load
// nothing from elsewhere.
//
// Security: a login with the admin token opens a session (console_session.go);
// every page needs one. Every request that is not GET or HEAD must come
// from the console's own origin (Origin, or Referer without it) and carry
// the session's CSRF token; its body is limited. Every answer forbids
// caching, framing and any script or style from elsewhere.

//go:embed web
var webFS embed.FS

// Limits and names of the console.
const (
	maxFormBody   = 64 << 10
	sessionCookie = "outpost_session"
	// consoleCSP allows the embedded stylesheet and nothing else: no
	// script, no inline style, no frame, no form to another site.
	consoleCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

// console serves the review console for an API (its token, limiter,
// engine, monitor and store).
type console struct {
	api    *API
	t      *text.Table
	mux    *http.ServeMux
	pages  map[string]*template.Template // by file name without .html, each inside the layout
	origin string                        // scheme://host of page.url, lower case; "" without one
	secure bool                          // page.url is https: the cookie is Secure
}

// session is a logged-in operator on one browser.
type session struct {
	Name string // display name given at login
	CSRF string // the form token of this session (see csrfToken)
	id   string // the cookie's value; never stored
	st   store.Session
}

// Actor is the session's name in the audit log, beside the API's
// "admin:<user>".
func (s *session) Actor() string { return "console:" + s.Name }

func newConsole(a *API) *console {
	c := &console{api: a, t: text.For(a.opts.Page.Language), mux: http.NewServeMux()}
	if u, err := url.Parse(a.opts.Page.URL); err == nil && u.Host != "" {
		c.origin = strings.ToLower(u.Scheme + "://" + u.Host)
		c.secure = u.Scheme == "https"
	}
	c.pages = c.parsePages()
	c.register()
	return c
}

// register routes the console's pages. Every page but the login and the
// stylesheet needs a session (page).
func (c *console) register() {
	pages := map[string]func(http.ResponseWriter, *http.Request, *session){
		"GET /admin/{$}":                      c.overview,
		"POST /admin/logout":                  c.logout,
		"GET /admin/maintenance":              c.maintenance,
		"POST /admin/maintenance":             c.scheduleMaintenance,
		"POST /admin/maintenance/{id}/cancel": c.cancelMaintenance,
		"GET /admin/audit":                    c.audit,
		"/admin/":                             c.notFound,
	}
	for pattern, h := range pages {
		c.mux.Handle(pattern, c.page(h))
	}
	c.registerIncidents()   // console_incident.go
	c.registerSubscribers() // console_subscribers.go
	c.mux.HandleFunc("GET /admin/login", c.loginForm)
	c.mux.HandleFunc("POST /admin/login", c.login)
	c.mux.HandleFunc("GET /admin/console.css", c.stylesheet)
}

// ConsoleHandler serves every path under /admin/: mount it there beside
// Handler (publish.ServerOptions.Routes). Without an admin token the
// console is off and answers 404.
func (a *API) ConsoleHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		if a.currentToken() == "" || a.opts.Monitor == nil {
			a.console.message(w, r, nil, http.StatusNotFound, a.console.t.Console.NotFound, a.console.t.Console.Off)
			return
		}
		a.console.mux.ServeHTTP(w, r)
	})
}

// securityHeaders are on every console answer.
func securityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// page wraps a handler that needs a session. Without a valid one it
// redirects to the login, which comes back here. A request other than
// GET or HEAD must come from the console's origin and carry the
// session's CSRF token in the form field csrf; its body is limited to
// maxFormBody. The handler finds the form parsed in r.PostForm.
func (c *console) page(h func(w http.ResponseWriter, r *http.Request, s *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header()) // ConsoleHandler sets them too; a page mounted elsewhere keeps them
		safe := r.Method == http.MethodGet || r.Method == http.MethodHead
		s, err := c.session(w, r)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if s == nil {
			next := "/admin/"
			if safe {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		if !safe {
			if !c.sameOrigin(r) {
				c.message(w, r, s, http.StatusForbidden, c.t.Console.Forbidden, c.t.Console.BadOrigin)
				return
			}
			if !c.parseForm(w, r, s) {
				return
			}
			if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(s.CSRF)) {
				c.message(w, r, s, http.StatusForbidden, c.t.Console.Forbidden, c.t.Console.BadCSRF)
				return
			}
		}
		h(w, r, s)
	})
}

// parseForm reads the urlencoded form of r, at most maxFormBody bytes,
// and answers the error page itself when it cannot.
func (c *console) parseForm(w http.ResponseWriter, r *http.Request, s *session) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	err := r.ParseForm()
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		c.message(w, r, s, http.StatusRequestEntityTooLarge, c.t.Console.BadRequest, fmt.Sprintf(c.t.Console.TooLarge, maxFormBody>>10))
	} else {
		c.message(w, r, s, http.StatusBadRequest, c.t.Console.BadRequest, err.Error())
	}
	return false
}

// sameOrigin reports whether r was sent by a page of this console: its
// Origin (or, without one, its Referer) is page.url's origin or the host
// r was sent to. Browsers send Origin with every cross-site POST, so a
// form on another site never passes; a request with neither header does
// not either.
func (c *console) sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	u, err := url.Parse(src)
	if src == "" || err != nil || u.Host == "" || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if c.origin != "" && strings.ToLower(u.Scheme+"://"+u.Host) == c.origin {
		return true
	}
	return strings.EqualFold(u.Host, r.Host)
}

// pageData is what every template gets: the page's own data in Data.
type pageData struct {
	T       *text.Table
	Session *session // nil on the login and error pages before one
	Nav     string   // the navigation entry of this page: overview, maintenance, audit
	Done    string   // the confirmation of a redirect's ?done=
	Data    any
}

// parsePages parses every web/*.html but the layout inside a copy of the
// layout, keyed by file name without .html; a page defines "title" and
// "content". A broken template is a bug of this binary: it panics at start.
func (c *console) parsePages() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(c.funcs()).ParseFS(webFS, "web/layout.html"))
	files, err := fs.Glob(webFS, "web/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(webFS, f))
	}
	return pages
}

// render answers with template name (a web/*.html file, without .html)
// inside the layout, in the page language. s may be nil (no navigation).
func (c *console) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, data any) {
	base, ok := c.pages[strings.TrimSuffix(name, ".html")]
	var t *template.Template
	var err error
	if ok {
		t, err = base.Clone() // the base is never executed, so it can be cloned for each request's csrf
	} else {
		err = fmt.Errorf("no template %q", name)
	}
	var buf bytes.Buffer
	if err == nil {
		t.Funcs(template.FuncMap{"csrf": func() template.HTML {
			if s == nil {
				return ""
			}
			return template.HTML(`<input type="hidden" name="csrf" value="` + template.HTMLEscapeString(s.CSRF) + `">`)
		}})
		done, _ := c.t.Console.Done.Lookup(r.URL.Query().Get("done"))
		err = t.ExecuteTemplate(&buf, "layout", pageData{T: c.t, Session: s, Nav: navOf(r.URL.Path), Done: done, Data: data})
	}
	if err != nil {
		c.api.log.Error("console page failed to render", "page", name, "err", err)
		http.Error(w, c.t.Console.FailedBody, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// navOf is the navigation entry a path belongs to.
func navOf(p string) string {
	switch {
	case strings.HasPrefix(p, "/admin/maintenance"):
		return "maintenance"
	case strings.HasPrefix(p, "/admin/audit"):
		return "audit"
	case strings.HasPrefix(p, "/admin/subscribers"):
		return "subscribers"
	case p == "/admin/incidents/new":
		return "new"
	case strings.HasPrefix(p, "/admin/incidents/"):
		return "incident" // no entry of the navigation is this page
	}
	return "overview"
}

// message answers with a heading and a sentence (errors, refusals).
func (c *console) message(w http.ResponseWriter, r *http.Request, s *session, status int, heading, msg string) {
	c.render(w, r, s, status, "message", struct{ Heading, Message string }{heading, msg})
}

// fail answers err as the admin API would, as a page: the operator's
// mistakes with their message, anything else logged.
func (c *console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	ct := c.t.Console
	switch {
	case errors.Is(err, monitor.ErrInvalid), errors.Is(err, incident.ErrInvalid):
		c.message(w, r, s, http.StatusBadRequest, ct.BadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		c.message(w, r, s, http.StatusNotFound, ct.NotFound, err.Error())
	case errors.Is(err, incident.ErrBadState):
		c.message(w, r, s, http.StatusConflict, ct.BadRequest, err.Error())
	case errors.Is(err, incident.ErrNoIncidents):
		c.message(w, r, s, http.StatusServiceUnavailable, ct.BadRequest, err.Error())
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		c.message(w, r, s, http.StatusInsufficientStorage, ct.Failed, ct.DiskFull)
	default:
		c.api.log.Error("console request failed", "request", r.Method+" "+r.URL.Path, "err", err)
		c.message(w, r, s, http.StatusInternalServerError, ct.Failed, ct.FailedBody)
	}
}

// redirect ends a successful form with a redirect to a page (POST,
// redirect, GET), which confirms done (a ConsoleDone key) when not empty.
func redirect(w http.ResponseWriter, r *http.Request, to, done string) {
	if done != "" {
		to += "?done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (c *console) notFound(w http.ResponseWriter, r *http.Request, s *session) {
	c.message(w, r, s, http.StatusNotFound, c.t.Console.NotFound, c.t.Console.NotFoundBody)
}

func (c *console) stylesheet(w http.ResponseWriter, r *http.Request) {
	css, err := webFS.ReadFile("web/console.css")
	if err != nil {
		http.Error(w, "no stylesheet", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if r.Method != http.MethodHead {
		_, _ = w.Write(css)
	}
}

// funcs are the template functions; csrf is bound per request (render).
func (c *console) funcs() template.FuncMap {
	loc := c.api.opts.Location
	return template.FuncMap{
		"csrf":     func() template.HTML { return "" },
		"datetime": func(t time.Time) string { return c.t.DateTime(t.In(loc)) },
		"since":    func(t time.Time) string { return c.t.Duration(c.api.opts.Now().Sub(t).Seconds()) },
		"duration": func(d time.Duration) string { return c.t.Duration(d.Seconds()) },
		"inputTime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc).Format(inputTimeLayout)
		},
		"componentStatus": func(s monitor.ComponentStatus) string {
			if name, ok := c.t.ComponentStatus.Lookup(string(s)); ok {
				return name
			}
			return c.t.ComponentStatus.NoData
		},
		"checkState": func(s monitor.State) string { return c.t.Console.CheckState.Text(string(s)) },
		"impact":     c.t.Impact.Text,
		"status":     c.t.IncidentStatus.Text,
		"sprintf":    fmt.Sprintf,
	}
}

// isInvalid reports whether err is the operator's mistake.
func isInvalid(err error) bool {
	return errors.Is(err, monitor.ErrInvalid) || errors.Is(err, incident.ErrInvalid)
}
