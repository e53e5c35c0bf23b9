package admin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/publish"
	"github.com/outpost-status/outpost/store"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// consoleEnv is the console and the admin API on a real store, monitor
// (not running) and engine, on a fake clock.
type consoleEnv struct {
	srv       *httptest.Server
	api       *API
	db        *store.DB
	mon       *monitor.Monitor
	incidents *incident.Engine
	clock     *testClock
}

func newConsoleEnv(t *testing.T, page config.Page) *consoleEnv {
	t.Helper()
	db := openStore(t)
	clock := &testClock{now: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
	tg, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	spec := monitor.Spec{
		Checks: []monitor.Check{{Key: "web/home", ID: "home", Name: "Home page", Component: "web", Target: tg,
			Interval: time.Minute, Timeout: time.Second}},
		Components: []monitor.Component{{ID: "web", Name: "Website", Checks: []string{"web/home"}},
			{ID: "api", Name: "API"}},
	}
	incidents := incident.New(db, incident.Options{Now: clock.Now, Settings: incident.Settings{Language: "en", GroupWindow: 5 * time.Minute}})
	incidents.SetComponents([]incident.Component{{ID: "web", Name: "Website"}, {ID: "api", Name: "API"}})
	mon := monitor.New(spec, monitor.Options{Prober: probe.NotImplemented{}, Incidents: incidents, MaintenanceStore: db})
	api := New(Options{Incidents: incidents, Monitor: mon, Store: db, Token: testToken, Page: page,
		Present: publish.NewPresenter(page, mon), Now: clock.Now})
	mux := http.NewServeMux()
	mux.Handle("/admin/", api.ConsoleHandler())
	mux.Handle("/api/admin/", api.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &consoleEnv{srv: srv, api: api, db: db, mon: mon, incidents: incidents, clock: clock}
}

// answer is an HTTP answer, read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// req is a request of a test: the session cookie, Origin and form are
// optional; redirects are not followed.
type req struct {
	method, path    string
	cookie          string // session id
	origin, referer string
	form            url.Values
	body            string // raw body instead of form
}

func send(t *testing.T, base string, q req) answer {
	t.Helper()
	body := q.body
	if q.form != nil {
		body = q.form.Encode()
	}
	r, err := http.NewRequestWithContext(context.Background(), q.method, base+q.path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if q.method == http.MethodPost {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if q.cookie != "" {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: q.cookie})
	}
	if q.origin != "" {
		r.Header.Set("Origin", q.origin)
	}
	if q.referer != "" {
		r.Header.Set("Referer", q.referer)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func (e *consoleEnv) send(t *testing.T, q req) answer { t.Helper(); return send(t, e.srv.URL, q) }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs name in at base and returns the session id and its CSRF
// token (read from a page, as a browser would).
func login(t *testing.T, base, name string) (id, csrf string) {
	t.Helper()
	a := send(t, base, req{method: "POST", path: "/admin/login", origin: base,
		form: url.Values{"token": {testToken}, "name": {name}, "next": {"/admin/"}}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("login: status %d: %s", a.status, a.body)
	}
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == sessionCookie {
			id = c.Value
		}
	}
	if id == "" {
		t.Fatal("login set no session cookie")
	}
	page := send(t, base, req{method: "GET", path: "/admin/", cookie: id})
	m := csrfField.FindStringSubmatch(page.body)
	if page.status != http.StatusOK || m == nil {
		t.Fatalf("overview after login: status %d, csrf field %v", page.status, m)
	}
	return id, m[1]
}

func (e *consoleEnv) login(t *testing.T, name string) (id, csrf string) {
	t.Helper()
	return login(t, e.srv.URL, name)
}

func TestConsoleWithoutSessionRedirectsToLogin(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	tests := []struct {
		name, method, path, next string
		cookie                   string
	}{
		{"overview", "GET", "/admin/", "/admin/", ""},
		{"with query", "GET", "/admin/audit?before=7", "/admin/audit?before=7", ""},
		{"unknown page", "GET", "/admin/nope", "/admin/nope", ""},
		{"incident page", "GET", "/admin/incidents/3", "/admin/incidents/3", ""},
		{"post goes home", "POST", "/admin/maintenance", "/admin/", ""},
		{"unknown session", "GET", "/admin/maintenance", "/admin/maintenance", strings.Repeat("A", sessionIDLength)},
		{"malformed session", "GET", "/admin/", "/admin/", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(t, req{method: tt.method, path: tt.path, cookie: tt.cookie, origin: e.srv.URL})
			want := "/admin/login?next=" + url.QueryEscape(tt.next)
			if a.status != http.StatusSeeOther || a.header.Get("Location") != want {
				t.Errorf("status %d Location %q, want 303 %q", a.status, a.header.Get("Location"), want)
			}
		})
	}
}

func TestConsoleLoginSetsAStrictCookie(t *testing.T) {
	for _, tt := range []struct {
		name   string
		url    string
		secure bool
	}{{"https page", "https://status.example.com", true}, {"http page", "http://status.example.com", false}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newConsoleEnv(t, config.Page{Title: "Example", URL: tt.url, Language: "en"})
			a := e.send(t, req{method: "POST", path: "/admin/login", origin: e.srv.URL,
				form: url.Values{"token": {testToken}, "name": {"  Alice  "}, "next": {"/admin/maintenance"}}})
			if a.status != http.StatusSeeOther || a.header.Get("Location") != "/admin/maintenance" {
				t.Fatalf("status %d Location %q", a.status, a.header.Get("Location"))
			}
			cookies := (&http.Response{Header: a.header}).Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies %v", cookies)
			}
			c := cookies[0]
			if c.Name != sessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/admin/" || c.Secure != tt.secure {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/admin/, Secure=%v", c, tt.secure)
			}
			if len(c.Value) != sessionIDLength {
				t.Errorf("session id %q: want %d characters (32 random bytes)", c.Value, sessionIDLength)
			}
			st, err := e.db.Session(c.Value)
			if err != nil || st.Name != "Alice" {
				t.Errorf("stored session %+v, %v; want the trimmed name Alice", st, err)
			}
		})
	}
}

func TestConsoleLogoutEndsTheSession(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	id, csrf := e.login(t, "alice")
	if a := e.send(t, req{method: "POST", path: "/admin/logout", cookie: id, origin: e.srv.URL}); a.status != http.StatusForbidden {
		t.Errorf("logout without CSRF token: status %d, want 403", a.status)
	}
	a := e.send(t, req{method: "POST", path: "/admin/logout", cookie: id, origin: e.srv.URL, form: url.Values{"csrf": {csrf}}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/admin/login" {
		t.Fatalf("logout: status %d Location %q", a.status, a.header.Get("Location"))
	}
	if !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout does not clear the cookie: %q", a.header.Get("Set-Cookie"))
	}
	if a := e.send(t, req{method: "GET", path: "/admin/", cookie: id}); a.status != http.StatusSeeOther {
		t.Errorf("after logout: status %d, want 303 to the login", a.status)
	}
}

func TestConsoleSessionsExpire(t *testing.T) {
	t.Run("12 h idle", func(t *testing.T) {
		e := newConsoleEnv(t, testPage)
		id, _ := e.login(t, "alice")
		e.clock.Add(sessionIdle - time.Second)
		if a := e.send(t, req{method: "GET", path: "/admin/", cookie: id}); a.status != http.StatusOK {
			t.Fatalf("just before the idle limit: status %d", a.status)
		}
		e.clock.Add(sessionIdle - time.Second) // the request above counted as use
		if a := e.send(t, req{method: "GET", path: "/admin/", cookie: id}); a.status != http.StatusOK {
			t.Fatalf("used within the idle limit: status %d", a.status)
		}
		e.clock.Add(sessionIdle)
		if a := e.send(t, req{method: "GET", path: "/admin/", cookie: id}); a.status != http.StatusSeeOther {
			t.Errorf("idle for 12 h: status %d, want 303", a.status)
		}
		if _, err := e.db.Session(id); err == nil {
			t.Error("the expired session is still stored")
		}
	})
	t.Run("7 d in all", func(t *testing.T) {
		e := newConsoleEnv(t, testPage)
		id, _ := e.login(t, "alice")
		for elapsed := time.Duration(0); elapsed < sessionMax-11*time.Hour; elapsed += 11 * time.Hour {
			e.clock.Add(11 * time.Hour)
			if a := e.send(t, req{method: "GET", path: "/admin/", cookie: id}); a.status != http.StatusOK {
				t.Fatalf("in use after %s: status %d", elapsed+11*time.Hour, a.status)
			}
		}
		e.clock.Add(11 * time.Hour)
		if a := e.send(t, req{method: "GET", path: "/admin/", cookie: id}); a.status != http.StatusSeeOther {
			t.Errorf("in use but older than 7 d: status %d, want 303", a.status)
		}
	})
	t.Run("last seen is written at most once a minute", func(t *testing.T) {
		e := newConsoleEnv(t, testPage)
		id, _ := e.login(t, "alice")
		before, _ := e.db.Session(id)
		e.clock.Add(30 * time.Second)
		e.send(t, req{method: "GET", path: "/admin/", cookie: id})
		if st, _ := e.db.Session(id); !st.LastSeen.Equal(before.LastSeen) {
			t.Errorf("last seen written after 30 s: %s, was %s", st.LastSeen, before.LastSeen)
		}
		e.clock.Add(time.Minute)
		e.send(t, req{method: "GET", path: "/admin/", cookie: id})
		if st, _ := e.db.Session(id); !st.LastSeen.Equal(e.clock.Now()) {
			t.Errorf("last seen %s after a minute, want %s", st.LastSeen, e.clock.Now())
		}
	})
	t.Run("a login prunes expired sessions", func(t *testing.T) {
		e := newConsoleEnv(t, testPage)
		old, _ := e.login(t, "alice")
		e.clock.Add(sessionIdle + time.Minute)
		e.login(t, "bob")
		if _, err := e.db.Session(old); err == nil {
			t.Error("a login left an expired session stored")
		}
	})
}

func TestConsoleFormsNeedTheSessionsCSRFToken(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	id, csrf := e.login(t, "alice")
	_, otherCSRF := e.login(t, "bob")
	form := func(token string) url.Values {
		v := url.Values{"title": {"x"}, "start": {"2026-12-03T01:00"}, "end": {"2026-12-03T02:00"}, "components": {"web"}}
		if token != "" {
			v.Set("csrf", token)
		}
		return v
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
	}{
		{"missing", form(""), http.StatusForbidden},
		{"wrong", form("AAAA"), http.StatusForbidden},
		{"another session's", form(otherCSRF), http.StatusForbidden},
		{"right", form(csrf), http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(t, req{method: "POST", path: "/admin/maintenance", cookie: id, origin: e.srv.URL, form: tt.form})
			if a.status != tt.status {
				t.Errorf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if tt.status == http.StatusForbidden && !strings.Contains(a.body, "Reload the page") {
				t.Errorf("403 page does not say what to do: %s", a.body)
			}
		})
	}
}

func TestConsoleRefusesCrossOriginPosts(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	id, csrf := e.login(t, "alice")
	tests := []struct {
		name, origin, referer string
		ok                    bool
	}{
		{"other site", "https://evil.example", "", false},
		{"other site by referer", "", "https://evil.example/page", false},
		{"null origin", "null", "", false},
		{"neither header", "", "", false},
		{"other port", "http://127.0.0.1:1", "", false},
		{"lookalike of page.url", "https://status.example.com.evil.example", "", false},
		{"page.url", "https://status.example.com", "", true},
		{"request host", e.srv.URL, "", true},
		{"request host by referer", "", e.srv.URL + "/admin/maintenance", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(t, req{method: "POST", path: "/admin/maintenance/config-x/cancel", cookie: id, origin: tt.origin, referer: tt.referer,
				form: url.Values{"csrf": {csrf}}})
			if refused := a.status == http.StatusForbidden; refused == tt.ok {
				t.Errorf("status %d: want refused=%v", a.status, !tt.ok)
			}
		})
	}
	t.Run("login from another site", func(t *testing.T) {
		a := e.send(t, req{method: "POST", path: "/admin/login", origin: "https://evil.example",
			form: url.Values{"token": {testToken}, "name": {"mallory"}}})
		if a.status != http.StatusForbidden || a.header.Get("Set-Cookie") != "" {
			t.Errorf("cross-site login: status %d, Set-Cookie %q; want 403 and no session", a.status, a.header.Get("Set-Cookie"))
		}
	})
}

func TestSetTokenEndsEverySession(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	id, _ := e.login(t, "alice")
	const newToken = "fedcba9876543210fedcba9876543210"
	e.api.SetToken(newToken)
	if a := e.send(t, req{method: "GET", path: "/admin/", cookie: id}); a.status != http.StatusSeeOther {
		t.Errorf("session of the old token: status %d, want 303 to the login", a.status)
	}
	if _, err := e.db.Session(id); err == nil {
		t.Error("the session of the old token is still stored")
	}
	if status, _ := call(t, "GET", e.srv.URL+"/api/admin/audit", testToken, ""); status != http.StatusUnauthorized {
		t.Errorf("API with the old token: status %d, want 401", status)
	}
	if status, _ := call(t, "GET", e.srv.URL+"/api/admin/audit", newToken, ""); status != http.StatusOK {
		t.Errorf("API with the new token: status %d, want 200", status)
	}
	a := e.send(t, req{method: "POST", path: "/admin/login", origin: e.srv.URL, form: url.Values{"token": {testToken}, "name": {"alice"}}})
	if a.status != http.StatusUnauthorized {
		t.Errorf("login with the old token: status %d, want 401", a.status)
	}
	e.api.SetToken("")
	if a := e.send(t, req{method: "GET", path: "/admin/login"}); a.status != http.StatusNotFound || !strings.Contains(a.body, "OUTPOST_ADMIN_TOKEN") {
		t.Errorf("without a token: status %d, want 404 saying how to turn the console on: %s", a.status, a.body)
	}
}

func TestConsoleLoginSharesTheAPIRateLimit(t *testing.T) {
	t.Run("API failures block the login", func(t *testing.T) {
		e := newConsoleEnv(t, testPage)
		for range authFailureLimit {
			call(t, "GET", e.srv.URL+"/api/admin/audit", "guess-guess-guess", "")
		}
		a := e.send(t, req{method: "POST", path: "/admin/login", origin: e.srv.URL, form: url.Values{"token": {testToken}, "name": {"alice"}}})
		if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
			t.Errorf("login after %d failed API calls: status %d, want 429 with Retry-After", authFailureLimit, a.status)
		}
		e.clock.Add(authWindow)
		a = e.send(t, req{method: "POST", path: "/admin/login", origin: e.srv.URL, form: url.Values{"token": {testToken}, "name": {"alice"}}})
		if a.status != http.StatusSeeOther {
			t.Errorf("login a minute later: status %d, want 303", a.status)
		}
	})
	t.Run("login failures block the API", func(t *testing.T) {
		e := newConsoleEnv(t, testPage)
		for range authFailureLimit {
			a := e.send(t, req{method: "POST", path: "/admin/login", origin: e.srv.URL, form: url.Values{"token": {"guess"}, "name": {"alice"}}})
			if a.status != http.StatusUnauthorized || !strings.Contains(a.body, "token is wrong") {
				t.Fatalf("wrong token: status %d: %s", a.status, a.body)
			}
		}
		if status, _ := call(t, "GET", e.srv.URL+"/api/admin/audit", testToken, ""); status != http.StatusTooManyRequests {
			t.Errorf("API after %d failed logins: status %d, want 429", authFailureLimit, status)
		}
	})
}

func TestConsoleLoginRedirectsOnlyIntoTheConsole(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	tests := []struct{ next, want string }{
		{"/admin/incidents/4", "/admin/incidents/4"},
		{"/admin/audit?before=9", "/admin/audit?before=9"},
		{"", "/admin/"},
		{"//evil.example/", "/admin/"},
		{"https://evil.example/admin/", "/admin/"},
		{"/admin/../metrics", "/admin/"},
		{"/admin/%2e%2e/metrics", "/admin/"},
		{"/admin/./", "/admin/"},
		{`/admin/\evil.example`, "/admin/"},
		{`/\evil.example`, "/admin/"},
		{"/admin//evil.example", "/admin/"},
		{"/admin/%2F%2Fevil.example", "/admin/"},
		{"javascript:alert(1)", "/admin/"},
		{"/admin/\r\nSet-Cookie: x=y", "/admin/"},
		{"/admin/\tx", "/admin/"},
		{"/other", "/admin/"},
		{"/admin/login", "/admin/"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			a := e.send(t, req{method: "POST", path: "/admin/login", origin: e.srv.URL,
				form: url.Values{"token": {testToken}, "name": {"alice"}, "next": {tt.next}}})
			if a.status != http.StatusSeeOther || a.header.Get("Location") != tt.want {
				t.Errorf("next %q: status %d Location %q, want %q", tt.next, a.status, a.header.Get("Location"), tt.want)
			}
			form := e.send(t, req{method: "GET", path: "/admin/login?next=" + url.QueryEscape(tt.next)})
			if want := `name="next" value="` + strings.ReplaceAll(tt.want, "?", "?") + `"`; !strings.Contains(form.body, want) {
				t.Errorf("login form for next %q lacks %s", tt.next, want)
			}
		})
	}
}

func TestEveryConsoleAnswerIsUncachedAndLockedDown(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	id, csrf := e.login(t, "alice")
	off := newConsoleEnv(t, testPage)
	off.api.SetToken("")
	tests := []struct {
		name string
		base string
		q    req
	}{
		{"login form", e.srv.URL, req{method: "GET", path: "/admin/login"}},
		{"failed login", e.srv.URL, req{method: "POST", path: "/admin/login", origin: e.srv.URL, form: url.Values{"token": {"x"}}}},
		{"stylesheet", e.srv.URL, req{method: "GET", path: "/admin/console.css"}},
		{"redirect to login", e.srv.URL, req{method: "GET", path: "/admin/"}},
		{"overview", e.srv.URL, req{method: "GET", path: "/admin/", cookie: id}},
		{"overview HEAD", e.srv.URL, req{method: "HEAD", path: "/admin/", cookie: id}},
		{"maintenance", e.srv.URL, req{method: "GET", path: "/admin/maintenance", cookie: id}},
		{"audit", e.srv.URL, req{method: "GET", path: "/admin/audit", cookie: id}},
		{"not found", e.srv.URL, req{method: "GET", path: "/admin/nope", cookie: id}},
		{"forbidden", e.srv.URL, req{method: "POST", path: "/admin/maintenance", cookie: id, origin: e.srv.URL}},
		{"bad form", e.srv.URL, req{method: "POST", path: "/admin/maintenance", cookie: id, origin: e.srv.URL, form: url.Values{"csrf": {csrf}}}},
		{"wrong method", e.srv.URL, req{method: "PUT", path: "/admin/maintenance", cookie: id}},
		{"console off", off.srv.URL, req{method: "GET", path: "/admin/"}},
	}
	want := map[string]string{
		"Cache-Control":           "no-store",
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, tt.base, tt.q)
			for k, v := range want {
				if got := a.header.Get(k); got != v {
					t.Errorf("status %d: %s = %q, want %q", a.status, k, got, v)
				}
			}
			for _, external := range []string{"http://", "https://", "style=", "<script"} {
				if strings.Contains(a.body, external) {
					t.Errorf("page holds %q (external asset, inline style or script)", external)
				}
			}
		})
	}
}

func TestConsoleRejectsHostileInput(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	id, csrf := e.login(t, "alice")
	loginTests := []struct {
		name, body string
		status     int
	}{
		{"huge body", "token=" + testToken + "&name=alice&pad=" + strings.Repeat("x", maxFormBody), http.StatusRequestEntityTooLarge},
		{"no name", "token=" + testToken, http.StatusBadRequest},
		{"blank name", "token=" + testToken + "&name=%20%20", http.StatusBadRequest},
		{"control character", "token=" + testToken + "&name=al%07ice", http.StatusBadRequest},
		{"newline", "token=" + testToken + "&name=alice%0Aadmin", http.StatusBadRequest},
		{"bidi override", "token=" + testToken + "&name=alice%E2%80%AE", http.StatusBadRequest},
		{"invalid UTF-8", "token=" + testToken + "&name=%FF%FE", http.StatusBadRequest},
		{"65 characters", "token=" + testToken + "&name=" + strings.Repeat("a", 65), http.StatusBadRequest},
		{"64 characters", "token=" + testToken + "&name=" + strings.Repeat("ä", 64), http.StatusSeeOther},
		{"broken encoding", "token=" + testToken + "&name=%zz", http.StatusBadRequest},
	}
	for _, tt := range loginTests {
		t.Run("login "+tt.name, func(t *testing.T) {
			a := e.send(t, req{method: "POST", path: "/admin/login", origin: e.srv.URL, body: tt.body})
			if a.status != tt.status {
				t.Errorf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
		})
	}
	maint := func(kv ...string) url.Values {
		v := url.Values{"csrf": {csrf}, "title": {"Database upgrade"}, "start": {"2026-12-03T01:00"}, "end": {"2026-12-03T02:00"},
			"components": {"web"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v[kv[i]] = []string{kv[i+1]}
		}
		return v
	}
	maintTests := []struct {
		name   string
		form   url.Values
		status int
		says   string
	}{
		{"start not a time", maint("start", "tomorrow"), http.StatusBadRequest, "Start is not a date and time"},
		{"end not a time", maint("end", "2026-13-40T25:61"), http.StatusBadRequest, "End is not a date and time"},
		{"end before start", maint("end", "2026-12-03T00:00"), http.StatusBadRequest, "start before end"},
		{"no title", maint("title", "  "), http.StatusBadRequest, "title"},
		{"unknown component", maint("components", "nope"), http.StatusBadRequest, "no component"},
		{"huge body", maint("body", strings.Repeat("x", maxFormBody)), http.StatusRequestEntityTooLarge, "larger than 64 KiB"},
		{"control character in the title", maint("title", "Upgrade\x1b[2J"), http.StatusBadRequest, "Title contains control characters"},
		{"line break in the title", maint("title", "Upgrade\nnow"), http.StatusBadRequest, "Title contains control characters"},
		{"NUL in the text", maint("body", "a\x00b"), http.StatusBadRequest, "Text for customers contains control characters"},
		{"long title", maint("title", strings.Repeat("t", 201)), http.StatusBadRequest, "200"},
		{"line breaks in the text", maint("body", "Line one.\r\nLine two."), http.StatusSeeOther, ""},
		{"markup is text", maint("title", `<script>alert(1)</script>`), http.StatusSeeOther, ""},
	}
	for _, tt := range maintTests {
		t.Run("maintenance "+tt.name, func(t *testing.T) {
			a := e.send(t, req{method: "POST", path: "/admin/maintenance", cookie: id, origin: e.srv.URL, form: tt.form})
			if a.status != tt.status || !strings.Contains(a.body, tt.says) {
				t.Errorf("status %d, want %d saying %q: %s", a.status, tt.status, tt.says, a.body)
			}
			if a.status == http.StatusBadRequest && !strings.Contains(a.body, `value="`+tt.form.Get("start")+`"`) {
				t.Error("the form is not shown again with what was entered")
			}
		})
	}
	page := e.send(t, req{method: "GET", path: "/admin/maintenance", cookie: id})
	if strings.Contains(page.body, "<script>") || !strings.Contains(page.body, "&lt;script&gt;") {
		t.Error("a window's title is not escaped on the maintenance page")
	}
	if a := e.send(t, req{method: "GET", path: "/admin/audit?before=-1", cookie: id}); a.status != http.StatusBadRequest {
		t.Errorf("audit before=-1: status %d, want 400", a.status)
	}
}

// TestConsolePagesRenderConcurrently has several browsers load pages at
// once: each render clones its page's template for the session's CSRF
// token, and the clones share nothing that the race detector sees.
func TestConsolePagesRenderConcurrently(t *testing.T) {
	e := newConsoleEnv(t, testPage)
	var wg sync.WaitGroup
	for i := range 4 {
		id, csrf := e.login(t, "user"+strconv.Itoa(i))
		wg.Go(func() {
			for _, path := range []string{"/admin/", "/admin/maintenance", "/admin/audit", "/admin/nope"} {
				a := e.send(t, req{method: "GET", path: path, cookie: id})
				if !strings.Contains(a.body, `value="`+csrf+`"`) {
					t.Errorf("%s for user%d lacks its own CSRF token", path, i)
				}
			}
		})
	}
	wg.Wait()
}
