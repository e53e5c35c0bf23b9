package main

import (
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/store"
)

// confirmedSubscriber signs email up for components in the database at
// path and confirms it, before the daemon opens the file.
func confirmedSubscriber(t *testing.T, db *store.DB, email string, components ...string) store.Subscriber {
	t.Helper()
	var token string
	at := time.Now().Add(-time.Hour)
	if _, _, err := db.AddSubscriber(store.SignUp{Email: email, Components: components,
		Consent: store.Consent{Time: at, ClientAddr: "192.0.2.1", Text: "I agree"}},
		func(_ store.Subscriber, tok string) []store.OutboxMessage { token = tok; return nil }); err != nil {
		t.Fatal(err)
	}
	s, err := db.ConfirmSubscriber(token, at.Add(time.Minute), 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEndToEndSubscriberMails runs the binary with subscriptions on an
// email channel to a real SMTP server (aiosmtpd): publishing an incident
// mails the channel's list and each subscriber of its component, one
// mail per subscriber, with the List-* headers and the footer links.
func TestEndToEndSubscriberMails(t *testing.T) {
	smtpd := testpeer.StartSMTP(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") }))
	dir := t.TempDir()
	configPath := writeConfig(t, dir, target.URL+"/")
	f, err := os.OpenFile(configPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(f, `page: {title: Example, url: "https://status.example.com"}
notify:
  - {name: news, type: email, audience: public, smtp: %q, smtp_tls: auto, from: "Example status <status@example.com>", to: [list@example.com]}
subscriptions: {enabled: true, channel: news}
`, smtpd.Addr); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db, err := store.Open(filepath.Join(dir, "data", store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := confirmedSubscriber(t, db, "all@example.com")
	web := confirmedSubscriber(t, db, "web@example.org", "web")
	confirmedSubscriber(t, db, "other@example.net", "telephony")
	tokens := map[string][2]string{}
	for _, s := range []store.Subscriber{all, web} {
		manage, _ := db.SubscriberToken(s.ID, store.PurposeManage)
		unsub, _ := db.SubscriberToken(s.ID, store.PurposeUnsubscribe)
		tokens[s.Email] = [2]string{manage, unsub}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	d := startDaemon(t, configPath)
	d.waitState("web/home", "up")
	target.Close()
	d.waitState("web/home", "down")
	cmd := exec.Command(outpostBin, "incident", "publish", "1")
	cmd.Env = append(os.Environ(), "OUTPOST_SERVER=http://"+d.addr, "OUTPOST_TOKEN="+e2eToken, "USER=e2e")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	mails := smtpd.WaitMails(t, 3, 30*time.Second)
	d.waitMetric(`outpost_subscriber_messages_total{result="sent"} 2`)
	d.stop()

	var rcpts []string
	for _, m := range smtpd.Mails(t) {
		rcpt := m.Header.Get("X-RcptTo")
		rcpts = append(rcpts, rcpt)
		body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "https://status.example.com/incidents/1") {
			t.Errorf("mail to %s lacks the incident link:\n%s", rcpt, body)
		}
		tok, ok := tokens[rcpt]
		if !ok {
			continue
		}
		unsub := "https://status.example.com/unsubscribe?token=" + tok[1]
		if to := m.Header.Get("To"); to != "<"+rcpt+">" {
			t.Errorf("mail to %s has To %q", rcpt, to)
		}
		for k, want := range map[string]string{"List-Id": "<status.status.example.com>", "List-Unsubscribe": "<" + unsub + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} {
			if v := m.Header.Get(k); v != want {
				t.Errorf("mail to %s: %s %q, want %q", rcpt, k, v, want)
			}
		}
		for _, link := range []string{"https://status.example.com/subscribe/manage?token=" + tok[0], unsub} {
			if !strings.Contains(string(body), link) {
				t.Errorf("mail to %s lacks %s:\n%s", rcpt, link, body)
			}
		}
	}
	slices.Sort(rcpts)
	if want := []string{"all@example.com", "list@example.com", "web@example.org"}; !slices.Equal(rcpts, want) {
		t.Errorf("mails went to %q, want %q (%d at first)", rcpts, want, len(mails))
	}
}
