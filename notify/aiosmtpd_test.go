package notify_test

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/store"
)

// lockedBuffer collects a child's output for the failure message.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startAiosmtpd runs Debian's aiosmtpd on a loopback port with its
// Mailbox handler, which writes each message it accepts into the Maildir
// dir (created by the server), and returns its address once it answers.
func startAiosmtpd(t *testing.T, dir string) string {
	t.Helper()
	bin := testpeer.Require(t, "aiosmtpd", "python3-aiosmtpd")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "-n", "-l", addr, "-c", "aiosmtpd.handlers.Mailbox", dir)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("aiosmtpd output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("aiosmtpd exited: %s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd does not listen on %s: %v\n%s", addr, err, out.String())
		}
	}
}

// maildir returns the messages in dir/new.
func maildir(t *testing.T, dir string) []*mail.Message {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []*mail.Message
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out = append(out, m)
	}
	return out
}

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
	dir := filepath.Join(t.TempDir(), "maildir")
	addr := startAiosmtpd(t, dir)
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	all := signUp(t, db, "all@example.com")
	signUp(t, db, "voice@example.com", "voice")
	web := signUp(t, db, "web@example.org", "web")

	page := config.Page{Title: "Example", URL: "https://status.example.com", Language: "en"}
	email, err := notify.NewEmail(notify.EmailOptions{Addr: addr, Security: notify.SMTPAuto,
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
	deadline := time.Now().Add(30 * time.Second)
	for len(maildir(t, dir)) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling the server's Maildir with a deadline
	}
	cancel()
	<-done

	got := maildir(t, dir)
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
