package main

import (
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/testpeer"
)

// TestEndToEndSignUp runs the binary with subscriptions on and a real
// SMTP server (aiosmtpd): a sign-up on /subscribe mails one confirmation
// link to the address alone; following it confirms; the same address
// asking again gets the same answer and no mail; the one-click POST of
// the unsubscribe link deletes it; /metrics counts along.
func TestEndToEndSignUp(t *testing.T) {
	smtpd := testpeer.StartSMTP(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") }))
	defer target.Close()
	dir := t.TempDir()
	configPath := writeConfig(t, dir, target.URL+"/")
	f, err := os.OpenFile(configPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(f, `page: {title: Example, url: "https://status.example.com"}
notify:
  - {name: news, type: email, audience: public, smtp: %q, smtp_tls: auto, from: "Example status <status@example.com>", to: [list@example.com]}
subscriptions: {enabled: true, channel: news, per_client_per_hour: 3}
`, smtpd.Addr); err != nil {
		t.Fatal(err)
	}
	f.Close()
	d := startDaemon(t, configPath)
	base := "http://" + d.addr
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		resp, err := client.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	page, _ := d.get("/")
	if !strings.Contains(page, `href="https://status.example.com/subscribe"`) {
		t.Errorf("the status page does not link the form")
	}
	form, hdr := d.get("/subscribe")
	if !strings.Contains(form, `name="email"`) || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("form: %v\n%s", hdr, form)
	}
	signUp := url.Values{"email": {"Ada@Example.com"}, "consent": {"yes"}, "scope": {"all"}}
	status, answer := post("/subscribe", signUp)
	if status != 200 || !strings.Contains(answer, "Check your inbox") {
		t.Fatalf("sign-up: %d\n%s", status, answer)
	}
	mails := smtpd.WaitMails(t, 1, 30*time.Second)
	if rcpt := mails[0].Header.Get("X-RcptTo"); rcpt != "ada@example.com" {
		t.Errorf("confirmation went to %q", rcpt)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(mails[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`https://status\.example\.com(/subscribe/confirm\?token=[A-Za-z0-9_-]+)`).FindStringSubmatch(string(body))
	if link == nil {
		t.Fatalf("no confirmation link in\n%s", body)
	}
	confirmed, _ := d.get(link[1])
	if !strings.Contains(confirmed, "Subscription confirmed") {
		t.Fatalf("confirm:\n%s", confirmed)
	}
	if status, again := post("/subscribe", signUp); status != 200 || again != answer {
		t.Errorf("a known address answered differently (%d)", status)
	}
	d.waitMetric(`outpost_subscribers{state="confirmed"} 1`)
	subs := adminSubscribers(t, base)
	if len(subs) != 1 || subs[0] != "ada@example.com" {
		t.Fatalf("admin list: %q", subs)
	}
	manage := regexp.MustCompile(`href="\.\./subscribe/manage\?token=([A-Za-z0-9_-]+)"`).FindStringSubmatch(confirmed)
	if manage == nil {
		t.Fatalf("no manage link in\n%s", confirmed)
	}
	managePage, _ := d.get("/subscribe/manage?token=" + manage[1])
	unsub := regexp.MustCompile(`href="\.\./unsubscribe\?token=([A-Za-z0-9_-]+)"`).FindStringSubmatch(managePage)
	if unsub == nil {
		t.Fatalf("no unsubscribe link in\n%s", managePage)
	}
	status, gone := post("/unsubscribe?token="+unsub[1], url.Values{"List-Unsubscribe": {"One-Click"}})
	if status != 200 || !strings.Contains(gone, "unsubscribed") {
		t.Fatalf("one-click: %d\n%s", status, gone)
	}
	d.waitMetric(`outpost_subscribers{state="confirmed"} 0`)
	if n := len(smtpd.Mails(t)); n != 1 {
		t.Errorf("%d mails, want the one confirmation", n)
	}
	d.stop()
}

// adminSubscribers lists the addresses through `outpost subscribers list`.
func adminSubscribers(t *testing.T, server string) []string {
	t.Helper()
	var out, errOut strings.Builder
	env := func(k string) string {
		return map[string]string{"OUTPOST_SERVER": server, "OUTPOST_TOKEN": e2eToken}[k]
	}
	if code := cmdSubscribers(t.Context(), []string{"export"}, env, &out, &errOut); code != exitOK {
		t.Fatalf("subscribers export: %d %s", code, errOut.String())
	}
	var emails []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		emails = append(emails, strings.Split(line, ",")[1])
	}
	return emails
}
