package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/store"
)

// TestEndToEndFanOutSurvivesKill9 is issue 18's crash test of a fan-out:
// the real binary (so the kill is a real SIGKILL of the process that
// holds the bbolt file, and the restart goes through the same recovery
// as in production: open, resume the fan-out job at its cursor, resend
// what was not marked sent) mails 1,000 confirmed subscribers through
// aiosmtpd and is killed with SIGKILL four times while the mails flow,
// each time restarted on the same data directory. At the end everyone
// got the incident at least once, and counted by recipient and
// Message-ID (made from the copy's outbox key, so stable across
// attempts) there is at most one duplicate per crash: the one mail in
// flight, accepted by the server but not yet marked sent, the
// documented at-least-once window.
func TestEndToEndFanOutSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 mails and four restarts")
	}
	const subscribers = 1000
	killAt := []int{120, 330, 560, 790} // mails in the Maildir when the daemon is killed
	smtpd := testpeer.StartSMTP(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") }))
	dir := t.TempDir()
	configPath := writeConfig(t, dir, target.URL+"/")
	f, err := os.OpenFile(configPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A high rate limit: the test measures crash recovery, not the
	// token bucket (the default 30 a minute would take 33 minutes).
	if _, err := fmt.Fprintf(f, `page: {title: Example, url: "https://status.example.com"}
notify:
  - {name: news, type: email, audience: public, smtp: %q, smtp_tls: auto, from: "Example status <status@example.com>", to: [list@example.com], rate_limit: 600000, rate_burst: 1000}
subscriptions: {enabled: true, channel: news}
`, smtpd.Addr); err != nil {
		t.Fatal(err)
	}
	f.Close()

	seedStart := time.Now()
	db, err := store.Open(filepath.Join(dir, "data", store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"list@example.com": true}
	for i := range subscribers {
		email := fmt.Sprintf("sub%04d@example.com", i)
		confirmedSubscriber(t, db, email)
		want[email] = true
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d confirmed subscribers through the store API in %v", subscribers, time.Since(seedStart).Round(time.Millisecond))

	d := startDaemon(t, configPath)
	d.waitState("web/home", "up")
	target.Close()
	d.waitState("web/home", "down")
	cmd := exec.Command(outpostBin, "incident", "publish", "1")
	cmd.Env = append(os.Environ(), "OUTPOST_SERVER=http://"+d.addr, "OUTPOST_TOKEN="+e2eToken, "USER=e2e")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	sendStart := time.Now()
	for i, n := range killAt {
		got := smtpd.WaitMails(t, n, 60*time.Second)
		if err := d.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("daemon did not exit after SIGKILL")
		}
		t.Logf("kill %d: SIGKILL at %d mails (%v after publishing)", i+1, len(got), time.Since(sendStart).Round(time.Millisecond))
		d = startDaemon(t, configPath)
	}

	// Wait until every recipient has the mail, then stop cleanly.
	deadline := time.Now().Add(60 * time.Second)
	var copies map[[2]string]int
	for {
		copies = map[[2]string]int{}
		for _, m := range smtpd.Mails(t) {
			copies[[2]string{m.Header.Get("X-RcptTo"), m.Header.Get("Message-Id")}]++
		}
		if len(copies) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
	elapsed := time.Since(sendStart)
	d.stop()

	mails := smtpd.Mails(t)
	got := map[string]bool{}
	dups := 0
	for k, n := range copies {
		if k[1] == "" {
			t.Errorf("mail to %s without a Message-ID", k[0])
		}
		got[k[0]] = true
		dups += n - 1
	}
	for email := range want {
		if !got[email] {
			t.Errorf("%s got no mail", email)
		}
	}
	for email := range got {
		if !want[email] {
			t.Errorf("mail to %s, who is no subscriber", email)
		}
	}
	if len(copies) != len(want) {
		t.Errorf("%d distinct (recipient, Message-ID) pairs, want %d: a recipient got two different messages", len(copies), len(want))
	}
	if dups > len(killAt) {
		t.Errorf("%d duplicate mails after %d crashes, want at most one per crash", dups, len(killAt))
	}
	t.Logf("%d mails for %d recipients in %v with %d SIGKILLs and restarts, %d duplicates", len(mails), len(want), elapsed.Round(time.Millisecond), len(killAt), dups)
}
