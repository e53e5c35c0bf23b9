package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/cdp"
	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/notify"
)

// consoleLink finds the review console's link in an operators' message.
var consoleLink = regexp.MustCompile(`https?://[^\s"<>]+/admin/incidents/(\d+)`)

// TestConsoleInChromium is the review console as an on-call operator
// meets it: an outage opens a draft, the operators' webhook links to it,
// and a real Chromium follows the link, logs in, edits the body, previews,
// publishes, and finds the text on the public status page. Then a phone
// (390×844) goes through the login, the overview, the incident, the
// maintenance and the audit pages, none of which may be wider than the
// screen. Screenshots go to $OUTPOST_ARTIFACTS (a temporary directory
// when unset).
func TestConsoleInChromium(t *testing.T) {
	bin := testpeer.Require(t, "chromium", "chromium")
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	c := startConsoleDaemon(t)
	link := c.draftLink(t)
	browser, err := cdp.Launch(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	defer browser.Close()
	shots := artifactDir(t)
	sentence := fmt.Sprintf("Calls to the web shop fail; engineers are rolling back release %d.", time.Now().UnixNano()%1_000_000)

	t.Run("desktop: link, login, edit, preview, publish", func(t *testing.T) {
		p := newConsolePage(t, ctx, browser, 1280, 900, false)
		c.login(t, ctx, p, link.String())
		if path := p.string(t, ctx, "location.pathname"); path != link.Path {
			t.Fatalf("after login the browser is at %s, want the incident from the link (%s)", path, link.Path)
		}
		p.exists(t, ctx, `form#edit`, `form#edit textarea[name=body]`, `button[name=action][value=preview]`, `#publish-button`)
		p.typeInto(t, ctx, `form#edit textarea[name=body]`, sentence)
		p.clickAndLoad(t, ctx, `button[name=action][value=preview]`)
		p.waitFor(t, ctx, `(document.querySelector("#preview") || {}).textContent?.includes(`+jsString(sentence)+`)`,
			"#preview shows the edited body")
		if body := p.string(t, ctx, `document.querySelector("form#edit textarea[name=body]")?.value`); body != sentence {
			t.Errorf("after the preview the body field holds %q, want the edited %q (publishing would lose the edit)", body, sentence)
		}
		p.screenshot(t, ctx, shots, "console-preview")
		p.clickAndLoad(t, ctx, `#publish-button`)
		p.screenshot(t, ctx, shots, "console-published")
		for _, path := range []string{"/", "/incidents/" + c.incidentID} {
			p.navigate(t, ctx, c.pageURL+path)
			p.waitFor(t, ctx, `document.body.innerText.includes(`+jsString(sentence)+`)`, "the public page "+path+" shows the edited body")
		}
		p.screenshot(t, ctx, shots, "console-public-page")
		p.noProblems(t)
	})

	t.Run("phone: nothing wider than 390 px", func(t *testing.T) {
		p := newConsolePage(t, ctx, browser, 390, 844, true)
		p.navigate(t, ctx, link.String())
		p.fitsWidth(t, ctx, 390)
		p.screenshot(t, ctx, shots, "console-phone-login")
		c.login(t, ctx, p, link.String())
		for _, pg := range []struct{ name, path string }{
			{"overview", "/admin/"},
			{"incident", link.Path},
			{"maintenance", "/admin/maintenance"},
			{"audit", "/admin/audit"},
		} {
			p.navigate(t, ctx, c.pageURL+pg.path)
			p.fitsWidth(t, ctx, 390)
			p.screenshot(t, ctx, shots, "console-phone-"+pg.name)
			if pg.name == "audit" {
				p.waitFor(t, ctx, `document.body.innerText.includes("Ada")`, "the audit log names Ada, who logged in and published")
			}
		}
		p.noProblems(t)
	})
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the console test took %s; keep it under a minute", d.Round(time.Second))
	}
}

// consoleDaemon is an `outpost run` whose only check fails, so a draft
// opens at once, with an operators' webhook and the admin token in a file.
type consoleDaemon struct {
	*daemonProc
	pageURL    string // page.url: the daemon's own address
	incidentID string
	ops        *hookLog
}

func startConsoleDaemon(t *testing.T) *consoleDaemon {
	t.Helper()
	// page.url must name the daemon's address before it starts: take a
	// free port and hand it over (the moment in between is the only race).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "the web shop is down", http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)
	ops := &hookLog{}
	opsSrv := ops.server(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "admin.token")
	if err := os.WriteFile(tokenFile, []byte(e2eToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`page: {title: "Console E2E", url: "http://%s", language: en}
listen: %q
data_dir: %q
admin: {token_file: %q}
log: {format: json, level: info}
store: {flush_interval: 100ms}
defaults: {interval: 300ms, timeout: 200ms, retry_interval: 100ms, fail_after: 1, recover_after: 2}
components:
  - name: Web shop
    checks:
      - {name: Home, target: "%s/"}
notify:
  - {name: ops, type: webhook, audience: operators, url: "%s/hook", secret_env: E2E_CONSOLE_HOOK_SECRET}
`, addr, addr, filepath.Join(dir, "data"), tokenFile, failing.URL, opsSrv.URL)
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// An empty OUTPOST_ADMIN_TOKEN (the last value wins) leaves the token
	// to admin.token_file, as on a server.
	d := startDaemon(t, configPath, "OUTPOST_ADMIN_TOKEN=", "E2E_CONSOLE_HOOK_SECRET=e2e-console-secret")
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.stop()
		}
	})
	if d.addr != addr {
		t.Fatalf("daemon listens on %s, configured %s", d.addr, addr)
	}
	return &consoleDaemon{daemonProc: d, pageURL: "http://" + addr, ops: ops}
}

// draftLink waits for the operators' draft_opened message and returns
// its link to the console, which must be <page.url>/admin/incidents/{id}.
func (c *consoleDaemon) draftLink(t *testing.T) *url.URL {
	t.Helper()
	bodies, _ := c.ops.wait(t, 1, c.daemonProc)
	var msg notify.WebhookBody
	if err := json.Unmarshal([]byte(bodies[0]), &msg); err != nil {
		t.Fatalf("operators' message: %v\n%s", err, bodies[0])
	}
	if msg.Event != "draft_opened" {
		t.Fatalf("first operators' message is %q, want draft_opened:\n%s", msg.Event, bodies[0])
	}
	m := consoleLink.FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("the operators' message has no link to the console:\n%s", msg.Text)
	}
	c.incidentID = m[1]
	raw := m[0]
	if want := c.pageURL + "/admin/incidents/" + c.incidentID; raw != want {
		t.Errorf("the operators' message links to %s, want %s", raw, want)
		raw = want // go on with the console, so one mismatch does not hide the others
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// login follows link without a session: it must end on the login form
// with next= pointing back, and after logging in as Ada on link itself.
func (c *consoleDaemon) login(t *testing.T, ctx context.Context, p *consolePage, link string) {
	t.Helper()
	u, _ := url.Parse(link)
	p.navigate(t, ctx, link)
	if path := p.string(t, ctx, "location.pathname"); path != "/admin/login" {
		t.Fatalf("without a session %s shows %s, want /admin/login", u.Path, path)
	}
	if next := p.string(t, ctx, `new URLSearchParams(location.search).get("next")`); next != u.Path {
		t.Errorf("login next=%q, want %q", next, u.Path)
	}
	p.exists(t, ctx, `form#login input[name=token]`, `form#login input[name=name]`, loginSubmit)
	p.typeInto(t, ctx, `form#login input[name=token]`, e2eToken)
	p.typeInto(t, ctx, `form#login input[name=name]`, "Ada")
	p.clickAndLoad(t, ctx, loginSubmit)
	p.waitFor(t, ctx, `location.pathname === `+jsString(u.Path), "after logging in the browser is back on "+u.Path)
	if cookies := p.string(t, ctx, "document.cookie"); cookies != "" {
		t.Errorf("scripts can read cookies %q after the login; the session cookie must be HttpOnly", cookies)
	}
}

// loginSubmit is the login form's submit button, however it is written.
const loginSubmit = `form#login button:not([type]), form#login button[type=submit], form#login input[type=submit]`

// consolePage is a cdp.Page with test helpers that fail the test.
type consolePage struct{ *cdp.Page }

func newConsolePage(t *testing.T, ctx context.Context, b *cdp.Browser, width, height int, mobile bool) *consolePage {
	t.Helper()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetViewport(ctx, width, height, mobile); err != nil {
		t.Fatal(err)
	}
	return &consolePage{p}
}

func (p *consolePage) navigate(t *testing.T, ctx context.Context, u string) {
	t.Helper()
	if err := p.Navigate(ctx, u); err != nil {
		t.Fatalf("%v\npage text: %s", err, p.text(ctx))
	}
}

func (p *consolePage) string(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	s, err := p.EvalString(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// text is the page's visible text, shortened, for failure messages.
func (p *consolePage) text(ctx context.Context) string {
	s, err := p.EvalString(ctx, `location.href + "\n" + document.body.innerText`)
	if err != nil {
		return err.Error()
	}
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return s
}

// exists fails the test, naming each missing selector, unless all match.
func (p *consolePage) exists(t *testing.T, ctx context.Context, selectors ...string) {
	t.Helper()
	var missing []string
	for _, sel := range selectors {
		if p.string(t, ctx, `String(document.querySelector(`+jsString(sel)+`) !== null)`) != "true" {
			missing = append(missing, sel)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%s lacks %s\npage text: %s", p.string(t, ctx, "location.pathname"), strings.Join(missing, ", "), p.text(ctx))
	}
}

func (p *consolePage) typeInto(t *testing.T, ctx context.Context, selector, text string) {
	t.Helper()
	if err := p.Type(ctx, selector, text); err != nil {
		t.Fatal(err)
	}
}

// clickAndLoad clicks selector and waits until the document it was on
// has been replaced by a fully loaded one: the click submitted a form.
func (p *consolePage) clickAndLoad(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	if _, err := p.Eval(ctx, `window.__beforeClick = true`); err != nil {
		t.Fatal(err)
	}
	if err := p.Click(ctx, selector); err != nil {
		t.Fatalf("%v\npage text: %s", err, p.text(ctx))
	}
	p.waitFor(t, ctx, `!window.__beforeClick && document.readyState === "complete"`, "a new page after clicking "+selector)
}

// waitFor waits up to 10 s for the condition js; what names it for the failure.
func (p *consolePage) waitFor(t *testing.T, ctx context.Context, js, what string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.WaitFor(wctx, js); err != nil {
		t.Fatalf("%s: %v\npage text: %s", what, err, p.text(ctx))
	}
}

// fitsWidth checks that the page is laid out for a screen width px wide
// and nothing makes it scroll sideways. A phone zooms out to fit wider
// content (the emulation too), so innerWidth must still be the screen's.
func (p *consolePage) fitsWidth(t *testing.T, ctx context.Context, width int) {
	t.Helper()
	raw, err := p.Eval(ctx, `(() => {
	const sw = document.documentElement.scrollWidth, iw = window.innerWidth;
	const wide = [...document.querySelectorAll("body *")]
		.filter(el => el.getBoundingClientRect().right > `+fmt.Sprint(width)+` + 0.5)
		.slice(0, 5)
		.map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : "") + " (right edge at " + Math.round(el.getBoundingClientRect().right) + ")");
	return {scrollWidth: sw, innerWidth: iw, wide: wide};
})()`)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ScrollWidth, InnerWidth int
		Wide                    []string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	path := p.string(t, ctx, "location.pathname")
	if got.InnerWidth != width || got.ScrollWidth > got.InnerWidth || len(got.Wide) > 0 {
		t.Errorf("%s at %d px: innerWidth %d, scrollWidth %d; wider than the screen: %v (want innerWidth %d, scrollWidth <= innerWidth, a meta viewport width=device-width)",
			path, width, got.InnerWidth, got.ScrollWidth, got.Wide, width)
	}
}

func (p *consolePage) screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	file := filepath.Join(dir, name+".png")
	if err := p.Screenshot(ctx, file); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
}

// noProblems fails on anything the pages reported: a script or style the
// console's Content-Security-Policy blocked, an exception, a failed load.
func (p *consolePage) noProblems(t *testing.T) {
	t.Helper()
	for _, problem := range p.Problems() {
		t.Errorf("the browser reported: %s", problem)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// artifactDir is where screenshots go: $OUTPOST_ARTIFACTS, or a
// temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("OUTPOST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
