package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
	"github.com/outpost-status/outpost/publish"
	"github.com/outpost-status/outpost/store"
)

// newSubscriberEnv is newConsoleEnv with the store's subscribers: three,
// of which ada is confirmed and follows web.
func newSubscriberEnv(t *testing.T) *consoleEnv {
	t.Helper()
	db := openStore(t)
	clock := &testClock{now: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
	tg, _ := probe.ParseTarget("tcp://127.0.0.1:1")
	spec := monitor.Spec{
		Checks:     []monitor.Check{{Key: "web/home", ID: "home", Component: "web", Target: tg, Interval: time.Minute, Timeout: time.Second}},
		Components: []monitor.Component{{ID: "web", Name: "Website", Checks: []string{"web/home"}}},
	}
	incidents := incident.New(db, incident.Options{Now: clock.Now, Settings: incident.Settings{Language: "en"}})
	mon := monitor.New(spec, monitor.Options{Prober: probe.NotImplemented{}, Incidents: incidents, MaintenanceStore: db})
	page := config.Page{Title: "Example", URL: "https://status.example.com", Language: "en"}
	api := New(Options{Incidents: incidents, Monitor: mon, Store: db, Subscribers: db, Token: testToken, Page: page,
		Present: publish.NewPresenter(page, mon), Now: clock.Now})
	mux := http.NewServeMux()
	mux.Handle("/admin/", api.ConsoleHandler())
	mux.Handle("/api/admin/", api.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for i, email := range []string{"ada@example.com", "bo@example.org", "cy@example.com"} {
		var token string
		at := clock.Now().Add(time.Duration(i) * time.Minute)
		components := []string{}
		if i == 0 {
			components = []string{"web"}
		}
		_, _, err := db.AddSubscriber(store.SignUp{Email: email, Components: components,
			Consent: store.Consent{Time: at, ClientAddr: "192.0.2.1", Text: "I agree."}},
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
	return &consoleEnv{srv: srv, api: api, db: db, mon: mon, incidents: incidents, clock: clock}
}

func TestAdminSubscribersAPI(t *testing.T) {
	e := newSubscriberEnv(t)
	base := e.srv.URL + "/api/admin/subscribers"
	status, body := do(t, "GET", base, testToken, "")
	var list struct {
		Subscribers []subscriberJSON `json:"subscribers"`
		Confirmed   int              `json:"confirmed"`
		Unconfirmed int              `json:"unconfirmed"`
		Next        uint64           `json:"next"`
	}
	if err := json.Unmarshal([]byte(body), &list); status != 200 || err != nil {
		t.Fatalf("list: %d %v\n%s", status, err, body)
	}
	ada := list.Subscribers[0]
	if len(list.Subscribers) != 3 || list.Confirmed != 1 || list.Unconfirmed != 2 || list.Next != 0 ||
		ada.Email != "ada@example.com" || ada.Confirmed == nil || ada.Components[0] != "web" ||
		ada.Consent.ClientAddr != "192.0.2.1" || ada.Consent.Text != "I agree." || list.Subscribers[1].Confirmed != nil {
		t.Fatalf("list = %+v", list)
	}
	if !strings.Contains(body, `"components":[]`) {
		t.Errorf("a subscriber of all components is not shown with an empty list: %s", body)
	}
	for _, tc := range []struct {
		query string
		want  []string
		next  uint64
	}{
		{"?q=EXAMPLE.COM", []string{"ada@example.com", "cy@example.com"}, 0},
		{"?state=unconfirmed", []string{"bo@example.org", "cy@example.com"}, 0},
		{"?state=confirmed&q=bo", nil, 0},
		{"?limit=1", []string{"ada@example.com"}, 1},
		{"?limit=1&after=1", []string{"bo@example.org"}, 2},
		{"?after=3", nil, 0},
	} {
		_, body := do(t, "GET", base+tc.query, testToken, "")
		list.Subscribers = nil
		_ = json.Unmarshal([]byte(body), &list)
		var got []string
		for _, s := range list.Subscribers {
			got = append(got, s.Email)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || list.Next != tc.next {
			t.Errorf("%s: %v next %d; want %v next %d", tc.query, got, list.Next, tc.want, tc.next)
		}
	}
	for _, q := range []string{"?state=gone", "?limit=0", "?limit=10001", "?after=x", "?q=" + strings.Repeat("a", 300)} {
		if status, _ := do(t, "GET", base+q, testToken, ""); status != 400 {
			t.Errorf("%.40s: %d, want 400", q, status)
		}
	}
	if status, _ := do(t, "GET", base, "wrong-token-wrong-token", ""); status != 401 {
		t.Errorf("wrong token: %d", status)
	}
	if status, body := do(t, "DELETE", base+"/2", testToken, ""); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	for _, p := range []string{"/2", "/0", "/x", "/99999999999999999999"} {
		if status, _ := do(t, "DELETE", base+p, testToken, ""); status != 404 {
			t.Errorf("delete %s: %d, want 404", p, status)
		}
	}
	a, _ := e.db.Audit(1)
	if len(a) != 1 || a[0].Action != "subscriber-remove" || a[0].Actor != "admin:alice" || a[0].Detail != "subscriber 2" {
		t.Errorf("audit = %+v", a)
	}
	if subs, _ := e.db.Subscribers(nil); len(subs) != 2 {
		t.Errorf("%d subscribers left, want 2", len(subs))
	}
}

func TestConsoleSubscribersPage(t *testing.T) {
	e := newSubscriberEnv(t)
	id, csrf := e.login(t, "ada")
	page := e.send(t, req{method: "GET", path: "/admin/subscribers", cookie: id})
	if page.status != 200 || !strings.Contains(page.body, "1 confirmed, 2 waiting for confirmation") ||
		!strings.Contains(page.body, "bo@example.org") || !strings.Contains(page.body, `aria-current="page">Subscribers`) {
		t.Fatalf("page: %d\n%s", page.status, page.body)
	}
	found := e.send(t, req{method: "GET", path: "/admin/subscribers?q=ADA", cookie: id})
	if !strings.Contains(found.body, "ada@example.com") || strings.Contains(found.body, "bo@example.org") ||
		!strings.Contains(found.body, "Website") {
		t.Errorf("search: %s", found.body)
	}
	if a := e.send(t, req{method: "GET", path: "/admin/subscribers?q=" + strings.Repeat("x", 300), cookie: id}); a.status != 400 {
		t.Errorf("over-long search: %d", a.status)
	}
	remove := "/admin/subscribers/3/remove"
	if a := e.send(t, req{method: "POST", path: remove, cookie: id, origin: e.srv.URL, form: url.Values{}}); a.status != 403 {
		t.Errorf("without CSRF: %d", a.status)
	}
	if a := e.send(t, req{method: "POST", path: remove, cookie: id, origin: "https://evil.example", form: url.Values{"csrf": {csrf}}}); a.status != 403 {
		t.Errorf("cross-origin: %d", a.status)
	}
	a := e.send(t, req{method: "POST", path: remove, cookie: id, origin: e.srv.URL, form: url.Values{"csrf": {csrf}}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/admin/subscribers?removed=3" {
		t.Fatalf("remove: %d %q", a.status, a.header.Get("Location"))
	}
	after := e.send(t, req{method: "GET", path: "/admin/subscribers?removed=3", cookie: id})
	if !strings.Contains(after.body, "Subscriber 3 removed.") || strings.Contains(after.body, "cy@example.com") {
		t.Errorf("after removal: %s", after.body)
	}
	if au, _ := e.db.Audit(1); len(au) != 1 || au[0].Actor != "console:ada" || au[0].Action != "subscriber-remove" {
		t.Errorf("audit = %+v", au)
	}
	if a := e.send(t, req{method: "POST", path: remove, cookie: id, origin: e.srv.URL, form: url.Values{"csrf": {csrf}}}); a.status != 404 {
		t.Errorf("removing again: %d", a.status)
	}
}
