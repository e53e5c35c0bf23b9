package notify_test

import (
	"context"
	"io"
	"mime/quotedprintable"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

func signUp(t *testing.T, db *store.DB, email string, components ...string) store.Subscriber {
	t.Helper()
	var token string
	at := time.Now().Add(-time.Hour)
	_, _, err := db.AddSubscriber(store.SignUp{Email: email, Components: components,
		Consent: store.Consent{Time: at, ClientAddr: "192.0.2.1", Text: "I agree"}},
		func(_ store.Subscriber, tok string) []store.OutboxMessage { token = tok; return nil })
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.ConfirmSubscriber(token, at.Add(time.Minute), 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSubscriberMailThroughARealSMTPServer(t *testing.T) {
	smtpd := testpeer.StartSMTP(t)
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	all := signUp(t, db, "all@example.com")
	signUp(t, db, "voice@example.com", "voice")
	web := signUp(t, db, "web@example.org", "web")

	page := config.Page{Title: "Example", URL: "https://status.example.com", Language: "en"}
	email, err := notify.NewEmail(notify.EmailOptions{Addr: smtpd.Addr, Security: notify.SMTPAuto,
		From: "Example status <status@example.com>", To: []string{"list@example.com"}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := notify.NewSubscriberMail(notify.SubscriberMailOptions{Email: email, Store: db, Page: page})
	if err != nil {
		t.Fatal(err)
	}
	ch := notify.Channel{Name: "subs", Type: "email", Audience: notify.AudiencePublic, Sender: sender,
		RatePerMinute: 600, Burst: 100, Subscribers: true}
	inc := store.Incident{ID: 3, Name: "Website down", State: store.IncidentPublished, Status: store.StatusInvestigating,
		Components: []string{"web"}, CreatedAt: time.Now().Add(-time.Hour), PublishedAt: time.Now(),
		Updates: []store.IncidentUpdate{{ID: 1, Status: store.StatusInvestigating, Body: "Pages do not load."}}}
	msgs := notify.NewNotifier(notify.NewRenderer(page), []notify.Channel{ch}).Messages(
		incident.Notice{Event: incident.EventIncidentPublished, Incident: inc, At: time.Now()})
	if err := db.Enqueue(msgs); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- notify.NewDispatcher(db, []notify.Channel{ch}, notify.DispatcherOptions{Poll: 20 * time.Millisecond, FanOut: db}).Run(ctx)
	}()
	smtpd.WaitMails(t, 3, 30*time.Second)
	cancel()
	<-done

	got := smtpd.Mails(t)
	var rcpts []string
	for _, m := range got {
		rcpt := m.Header.Get("X-RcptTo") // aiosmtpd's record of the envelope
		rcpts = append(rcpts, rcpt)
		if to := m.Header.Get("To"); !strings.Contains(to, rcpt) || strings.Contains(to, ",") {
			t.Errorf("mail to %s has To %q: want the one recipient", rcpt, to)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "Pages do not load.") {
			t.Errorf("mail to %s lacks the update:\n%s", rcpt, body)
		}
		var sub store.Subscriber
		switch rcpt {
		case "list@example.com":
			if m.Header.Get("List-Unsubscribe") != "" {
				t.Errorf("the channel's own mail has List-Unsubscribe")
			}
			continue
		case all.Email:
			sub = all
		case web.Email:
			sub = web
		default:
			t.Errorf("unexpected recipient %q", rcpt)
			continue
		}
		manage, _ := db.SubscriberToken(sub.ID, store.PurposeManage)
		unsub, _ := db.SubscriberToken(sub.ID, store.PurposeUnsubscribe)
		unsubURL := store.SubscriberLink(page.URL, store.PurposeUnsubscribe, unsub)
		for k, want := range map[string]string{
			"List-Id":               "<status.status.example.com>",
			"List-Unsubscribe":      "<" + unsubURL + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		} {
			if v := m.Header.Get(k); v != want {
				t.Errorf("mail to %s: %s %q, want %q", rcpt, k, v, want)
			}
		}
		for _, link := range []string{store.SubscriberLink(page.URL, store.PurposeManage, manage), unsubURL} {
			if !strings.Contains(string(body), link) {
				t.Errorf("mail to %s lacks the link %s:\n%s", rcpt, link, body)
			}
		}
	}
	slices.Sort(rcpts)
	if want := []string{"all@example.com", "list@example.com", "web@example.org"}; !slices.Equal(rcpts, want) {
		t.Errorf("the server got mails for %q, want %q", rcpts, want)
	}
}
