package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/admin"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/store"
)

// subscriberAPI serves the real admin API on a store with two
// subscribers: ada (confirmed, web) and "=bo" (unconfirmed, all).
func subscriberAPI(t *testing.T) (*httptest.Server, *store.DB) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	for i, email := range []string{"ada@example.com", "=bo@example.org"} {
		var token string
		components := []string{"web"}
		if i == 1 {
			components = nil
		}
		_, _, err := db.AddSubscriber(store.SignUp{Email: email, Components: components,
			Consent: store.Consent{Time: at, ClientAddr: "192.0.2.1", Text: `I agree, "really".`}},
			func(_ store.Subscriber, tok string) []store.OutboxMessage { token = tok; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := db.ConfirmSubscriber(token, at.Add(time.Minute), time.Hour); err != nil {
				t.Fatal(err)
			}
		}
	}
	mon := monitor.New(monitor.Spec{}, monitor.Options{Prober: probe.NotImplemented{}})
	api := admin.New(admin.Options{Monitor: mon, Store: db, Subscribers: db, Token: "tok-tok-tok-tok-tok"})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv, db
}

func TestSubscribersCommand(t *testing.T) {
	srv, db := subscriberAPI(t)
	env := func(k string) string {
		return map[string]string{"OUTPOST_SERVER": srv.URL, "OUTPOST_TOKEN": "tok-tok-tok-tok-tok"}[k]
	}
	cliEnv := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cmdSubscribers(context.Background(), args, env, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := cliEnv("list")
	if code != exitOK || !strings.Contains(out, "ada@example.com") ||
		!regexp.MustCompile(`(?m)^1 +ada@example.com +confirmed +web +2026-12-02T04:00:00Z$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^2 +=bo@example.org +unconfirmed +all `).MatchString(out) || !strings.Contains(out, "1 confirmed and 1 unconfirmed") {
		t.Fatalf("list: %d\n%s\n%s", code, out, errOut)
	}
	if _, out, _ := cliEnv("list", "-q", "ADA"); strings.Contains(out, "bo@") {
		t.Errorf("list -q ADA shows bo:\n%s", out)
	}
	code, out, _ = cliEnv("export")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != exitOK || err != nil || len(rows) != 3 {
		t.Fatalf("export: %d %v\n%s", code, err, out)
	}
	want := []string{"1", "ada@example.com", "web", "2026-12-02T04:00:00Z", "2026-12-02T04:01:00Z", "2026-12-02T04:00:00Z",
		"192.0.2.1", `I agree, "really".`}
	if strings.Join(rows[0], "|") != "id|email|components|created|confirmed|consent_time|consent_client_addr|consent_text" ||
		strings.Join(rows[1], "|") != strings.Join(want, "|") || rows[2][1] != "=bo@example.org" || rows[2][2] != "" || rows[2][4] != "" {
		t.Errorf("export rows = %q", rows)
	}
	if code, out, _ := cliEnv("remove", "2"); code != exitOK || out != "removed subscriber 2\n" {
		t.Errorf("remove: %d %q", code, out)
	}
	if subs, _ := db.Subscribers(nil); len(subs) != 1 {
		t.Errorf("after remove: %+v", subs)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"remove", "2"}, exitFail, "HTTP 404"},
		{[]string{"remove"}, exitUsage, "give one subscriber ID"},
		{[]string{"remove", "x"}, exitUsage, "is not a subscriber ID"},
		{[]string{"list", "-state", "gone"}, exitFail, `state "gone" is unknown`},
		{[]string{"list", "extra"}, exitUsage, "unexpected argument"},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{nil, exitUsage, "usage: outpost subscribers"},
	} {
		code, _, errOut := cliEnv(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: %d %q; want %d with %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	var out2, errOut2 bytes.Buffer
	if code := cmdSubscribers(context.Background(), []string{"list"}, func(string) string { return "" }, &out2, &errOut2); code != exitUsage ||
		!strings.Contains(errOut2.String(), "OUTPOST_TOKEN") {
		t.Errorf("without OUTPOST_TOKEN: %d %s", code, errOut2.String())
	}
}
