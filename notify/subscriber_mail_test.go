package notify

import (
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

func TestSubscriberMailHeadersAndFooter(t *testing.T) {
	db := openDB(t)
	s := subscribe(t, db, "Kund@Example.org", false)
	e, err := NewEmail(EmailOptions{Addr: "127.0.0.1:1", From: "Status <status@example.com>", To: []string{"list@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := NewSubscriberMail(SubscriberMailOptions{Email: e, Store: db, Page: subPage})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := NewRenderer(subPage).Render(incident.Notice{Event: incident.EventIncidentPublished, Incident: published("web"), At: dispT0})
	m := store.OutboxMessage{Key: r.Key + "-subscribers-1", Event: "incident_published\r\nBcc: evil@example.net", Subject: r.Subject,
		Topic: "Calls\r\nBcc: evil@example.net", Text: r.Text, Incident: r.Incident, CreatedAt: dispT0, Subscriber: s.ID}
	env, err := sm.envelope(m, s)
	if err != nil {
		t.Fatal(err)
	}
	raw := buildMail(m, e.from, env)
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	manage, _ := db.SubscriberToken(s.ID, store.PurposeManage)
	unsub, _ := db.SubscriberToken(s.ID, store.PurposeUnsubscribe)
	unsubURL := "https://status.example.com/unsubscribe?token=" + unsub
	for k, want := range map[string]string{
		"To":                    "<kund@example.org>",
		"List-Id":               "<status.status.example.com>",
		"List-Unsubscribe":      "<" + unsubURL + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Bcc":                   "",
		"Cc":                    "",
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	body := decodeBody(t, msg)
	for _, want := range []string{"We found the broken trunk.", "\n-- \nYou receive this because you subscribed to the status of Example.",
		"Manage your subscription: https://status.example.com/subscribe/manage?token=" + manage, "Unsubscribe: " + unsubURL} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(string(raw), "\r\nBcc:") {
		t.Errorf("a header was injected:\n%s", raw)
	}
}

func decodeBody(t *testing.T, msg *mail.Message) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestSubscriberMailRefusesPageWithoutURL(t *testing.T) {
	e, err := NewEmail(EmailOptions{Addr: "127.0.0.1:1", From: "status@example.com", To: []string{"list@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"", "status.example.com", "https://status.example.com/\r\nBcc: x@example.net", "ftp://status.example.com"} {
		if _, err := NewSubscriberMail(SubscriberMailOptions{Email: e, Store: openDB(t), Page: config.Page{URL: u}}); err == nil {
			t.Errorf("page.url %q accepted", u)
		}
	}
	if got := ListID("https://Status.Example.com:8443/x"); got != "<status.status.example.com>" {
		t.Errorf("ListID %q", got)
	}
	if got := ListID("https://[::1]/"); got != "<status.outpost.invalid>" {
		t.Errorf("ListID of an IP literal %q", got)
	}
}

func TestConfirmationMailGoesToTheUnconfirmedOnly(t *testing.T) {
	db := openDB(t)
	r := NewRenderer(subPage)
	var m store.OutboxMessage
	s, _, err := db.AddSubscriber(store.SignUp{Email: "new@example.com", Consent: store.Consent{Time: dispT0, ClientAddr: "192.0.2.1", Text: "I agree"}},
		func(s store.Subscriber, tok string) []store.OutboxMessage {
			msgs := r.ConfirmMail("subs", 48*time.Hour)(s, tok)
			m = msgs[0]
			return msgs
		})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "https://status.example.com/subscribe/confirm?token=") || !strings.Contains(m.Text, "expires after 48 h.") ||
		m.Subject != "Confirm your subscription to Example" {
		t.Errorf("confirmation %q / %q", m.Subject, m.Text)
	}
	sm, err := NewSubscriberMail(SubscriberMailOptions{Email: &Email{}, Store: db, Page: subPage})
	if err != nil {
		t.Fatal(err)
	}
	if why, err := sm.Skip(m); why != "" || err != nil {
		t.Errorf("unconfirmed: skip %q, %v", why, err)
	}
	env, err := sm.envelope(m, s)
	if err != nil || len(env.header) != 0 || env.footer != "" || env.to[0].Address != "new@example.com" {
		t.Errorf("confirmation envelope %+v, %v: want the address alone, no List-* headers", env, err)
	}
	tok := strings.TrimSpace(m.Text[strings.Index(m.Text, "token=")+len("token="):])
	tok = strings.Fields(tok)[0]
	if _, err := db.ConfirmSubscriber(tok, dispT0.Add(time.Minute), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	if why, _ := sm.Skip(m); why == "" {
		t.Error("a confirmation mail is sent after the address was confirmed")
	}
	if err := db.DeleteSubscriber(s.ID, store.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if why, err := sm.Skip(m); why == "" || errors.Is(err, store.ErrNotFound) {
		t.Errorf("removed subscriber: skip %q, %v", why, err)
	}
}

func TestPlainEmailChannelRefusesSubscriberMessages(t *testing.T) {
	e, err := NewEmail(EmailOptions{Addr: "127.0.0.1:1", From: "status@example.com", To: []string{"list@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := e.Send(t.Context(), store.OutboxMessage{Key: "confirm-1-2", Subscriber: 1, Text: "token=secret"})
	if retry || ReasonOf(err) != ReasonRejected {
		t.Errorf("retry %v, %v: want a final rejection, never the list", retry, err)
	}
}
