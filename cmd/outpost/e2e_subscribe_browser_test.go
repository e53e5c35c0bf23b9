package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/cdp"
	"github.com/outpost-status/outpost/internal/testpeer"
)

// TestSubscribeInChromium is issue 18's "done when" as a person meets it:
// the real binary with subscriptions on an email channel to aiosmtpd; a
// real Chromium opens the status page, follows "Subscribe" in the header,
// signs up (one person for all components, another for one), and follows
// the confirmation link from the mail. Then the check fails, an incident
// is published through the admin API, and the incident mail itself
// carries the way out: one subscriber opens its footer link (a GET only
// asks) and clicks the button; the other's mail client does the RFC 8058
// one-click POST of List-Unsubscribe. The admin API lists who is left.
// The pages are also checked at 390×844 for sideways scrolling.
// Screenshots go to $OUTPOST_ARTIFACTS (a temporary directory when unset).
func TestSubscribeInChromium(t *testing.T) {
	bin := testpeer.Require(t, "chromium", "chromium")
	smtpd := testpeer.StartSMTP(t)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()

	// page.url must name the daemon's address before it starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr

	var down atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "the web shop is down", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "hello")
	}))
	t.Cleanup(target.Close)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`page: {title: "Subscribe E2E", url: %q, language: en}
listen: %q
data_dir: %q
log: {format: json, level: info}
store: {flush_interval: 100ms}
defaults: {interval: 300ms, timeout: 200ms, retry_interval: 100ms, fail_after: 2, recover_after: 2}
components:
  - name: Web
    checks:
      - {name: Home, target: "%s/", expect: {body_contains: "hello"}}
  - name: API
    checks:
      - {name: Ping, target: "%s/api", expect: {body_contains: "hello"}}
notify:
  - {name: news, type: email, audience: public, smtp: %q, smtp_tls: auto, from: "Example status <status@example.com>", to: [list@example.com]}
subscriptions: {enabled: true, channel: news, per_client_per_hour: 10}
`, base, addr, filepath.Join(dir, "data"), target.URL, target.URL, smtpd.Addr)
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, configPath)
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.stop()
		}
	})
	if d.addr != addr {
		t.Fatalf("daemon listens on %s, configured %s", d.addr, addr)
	}
	d.waitState("web/home", "up")

	browser, err := cdp.Launch(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	defer browser.Close()
	shots := artifactDir(t)
	p := newConsolePage(t, ctx, browser, 1280, 900, false)

	// Two people sign up like people: from the page, through the header.
	people := []struct {
		email, shot string
		components  []string // none: all
	}{
		{"ada@example.com", "subscribe-all", nil},
		{"bo@example.org", "subscribe-one", []string{"web"}},
	}
	for _, who := range people {
		p.navigate(t, ctx, base+"/")
		p.exists(t, ctx, `nav a[href$="/subscribe"]`)
		p.clickAndLoad(t, ctx, `nav a[href$="/subscribe"]`)
		if path := p.string(t, ctx, "location.pathname"); path != "/subscribe" {
			t.Fatalf("the header's Subscribe leads to %s, want /subscribe", path)
		}
		p.exists(t, ctx, `#sub-email`, `#sub-all`, `#sub-some`, `#sub-c-web`, `#sub-c-api`, `#sub-consent`, `form.sub-form button[type=submit]`)
		p.typeInto(t, ctx, `#sub-email`, who.email)
		if who.components == nil {
			p.click(t, ctx, `#sub-all`)
		} else {
			p.click(t, ctx, `#sub-some`)
			for _, c := range who.components {
				p.click(t, ctx, `#sub-c-`+c)
			}
		}
		p.click(t, ctx, `#sub-consent`)
		p.screenshot(t, ctx, shots, who.shot+"-form")
		p.clickAndLoad(t, ctx, `form.sub-form button[type=submit]`)
		p.waitFor(t, ctx, `document.body.innerText.includes("Check your inbox")`, "the answer to "+who.email+" says to check the inbox")
		p.screenshot(t, ctx, shots, who.shot+"-check-inbox")
	}

	// Each confirms from its mail.
	mails := smtpd.WaitMails(t, 2, 30*time.Second)
	bodies := mailBodies{}
	confirmLink := regexp.MustCompile(regexp.QuoteMeta(base) + `/subscribe/confirm\?token=[A-Za-z0-9_-]+`)
	for _, who := range people {
		m := mailTo(t, mails, who.email)
		link := confirmLink.FindString(bodies.of(t, m))
		if link == "" {
			t.Fatalf("no confirmation link in the mail to %s:\n%s", who.email, bodies.of(t, m))
		}
		p.navigate(t, ctx, link)
		p.waitFor(t, ctx, `document.body.innerText.includes("Subscription confirmed")`, who.email+" sees the confirmed page")
		p.screenshot(t, ctx, shots, "confirmed-"+strings.Split(who.email, "@")[0])
	}
	if subs := adminSubscribers(t, base); !slices.Equal(sorted(subs), []string{"ada@example.com", "bo@example.org"}) {
		t.Fatalf("admin API lists %q after both confirmed", subs)
	}
	if got := adminSubscriberComponents(t, base); got["ada@example.com"] != "" || got["bo@example.org"] != "web" {
		t.Errorf("components chosen in the browser: %q, want all for Ada and web for Bo", got)
	}

	// An incident on Web, published through the admin API, mails both.
	down.Store(true)
	d.waitState("web/home", "down")
	cmd := exec.CommandContext(ctx, outpostBin, "incident", "publish", "1")
	cmd.Env = append(os.Environ(), "OUTPOST_SERVER="+base, "OUTPOST_TOKEN="+e2eToken, "USER=e2e")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	mails = smtpd.WaitMails(t, 5, 30*time.Second) // 2 confirmations, the list, 2 subscribers
	unsub := map[string]string{}
	for _, who := range people {
		var m *mail.Message
		for _, c := range mails {
			if c.Header.Get("X-RcptTo") == who.email && !confirmLink.MatchString(bodies.of(t, c)) {
				m = c
			}
		}
		if m == nil {
			t.Fatalf("no incident mail to %s", who.email)
		}
		body := bodies.of(t, m)
		if !strings.Contains(body, base+"/incidents/1") {
			t.Errorf("the incident mail to %s lacks the incident link:\n%s", who.email, body)
		}
		header := m.Header.Get("List-Unsubscribe")
		u := strings.TrimSuffix(strings.TrimPrefix(header, "<"), ">")
		if !strings.HasPrefix(u, base+"/unsubscribe?token=") || header != "<"+u+">" {
			t.Fatalf("mail to %s: List-Unsubscribe %q, want <%s/unsubscribe?token=…>", who.email, header, base)
		}
		if post := m.Header.Get("List-Unsubscribe-Post"); post != "List-Unsubscribe=One-Click" {
			t.Errorf("mail to %s: List-Unsubscribe-Post %q", who.email, post)
		}
		if !strings.Contains(body, u) {
			t.Errorf("the footer of the mail to %s lacks its unsubscribe link %s:\n%s", who.email, u, body)
		}
		unsub[who.email] = u
	}

	// On a phone the pages fit the screen.
	phone := newConsolePage(t, ctx, browser, 390, 844, true)
	for _, pg := range []struct{ name, url string }{
		{"page", base + "/"},
		{"subscribe", base + "/subscribe"},
		{"unsubscribe", unsub["bo@example.org"]},
	} {
		phone.navigate(t, ctx, pg.url)
		phone.fitsWidth(t, ctx, 390)
		phone.screenshot(t, ctx, shots, "subscribe-phone-"+pg.name)
	}
	phone.noProblems(t)

	// (a) Ada opens the footer link: the GET only asks; the button deletes.
	p.navigate(t, ctx, unsub["ada@example.com"])
	p.exists(t, ctx, `form.sub-form button[type=submit]`)
	p.waitFor(t, ctx, `document.body.innerText.includes("ada@example.com")`, "the unsubscribe page names the address")
	p.screenshot(t, ctx, shots, "unsubscribe-ask")
	if subs := adminSubscribers(t, base); len(subs) != 2 {
		t.Fatalf("opening the unsubscribe link changed the list to %q; only the button may", subs)
	}
	p.clickAndLoad(t, ctx, `form.sub-form button[type=submit]`)
	p.waitFor(t, ctx, `document.body.innerText.includes("is unsubscribed")`, "Ada sees the unsubscribed page")
	p.screenshot(t, ctx, shots, "unsubscribed")
	if subs := adminSubscribers(t, base); !slices.Equal(subs, []string{"bo@example.org"}) {
		t.Errorf("after Ada's click the admin API lists %q, want only bo@example.org", subs)
	}
	p.noProblems(t)

	// (b) Bo's mail client does the one-click POST: no cookies, no Origin.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, unsub["bo@example.org"], strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("one-click POST: %d\n%s", resp.StatusCode, answer)
	}
	if subs := adminSubscribers(t, base); len(subs) != 0 {
		t.Errorf("after the one-click POST the admin API lists %q", subs)
	}
	d.waitMetric(`outpost_subscribers{state="confirmed"} 0`)
	d.stop()
}

// click clicks selector (a radio button, a checkbox) on the same page.
func (p *consolePage) click(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	if err := p.Click(ctx, selector); err != nil {
		t.Fatalf("%v\npage text: %s", err, p.text(ctx))
	}
}

// mailTo is the first mail to rcpt.
func mailTo(t *testing.T, mails []*mail.Message, rcpt string) *mail.Message {
	t.Helper()
	for _, m := range mails {
		if m.Header.Get("X-RcptTo") == rcpt {
			return m
		}
	}
	t.Fatalf("no mail to %s", rcpt)
	return nil
}

// mailBodies decodes each mail's quoted-printable text once: a
// mail.Message's body is a reader that can be read only once.
type mailBodies map[*mail.Message]string

func (mb mailBodies) of(t *testing.T, m *mail.Message) string {
	t.Helper()
	if s, ok := mb[m]; ok {
		return s
	}
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	mb[m] = string(b)
	return string(b)
}

// adminSubscriberComponents maps each subscriber to its components (""
// for all), from `outpost subscribers export` through the admin API.
func adminSubscriberComponents(t *testing.T, server string) map[string]string {
	t.Helper()
	var out, errOut strings.Builder
	env := func(k string) string {
		return map[string]string{"OUTPOST_SERVER": server, "OUTPOST_TOKEN": e2eToken}[k]
	}
	if code := cmdSubscribers(t.Context(), []string{"export"}, env, &out, &errOut); code != exitOK {
		t.Fatalf("subscribers export: %d %s", code, errOut.String())
	}
	rows, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("subscribers export: %v\n%s", err, out.String())
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[1]] = r[2]
	}
	return got
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
