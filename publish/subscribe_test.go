package publish

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// subMonitor has three components to choose from.
type subMonitor struct{ fakeChecks }

func (subMonitor) Components() []monitor.ComponentState {
	return []monitor.ComponentState{
		{Component: monitor.Component{ID: "telephony", Name: "Telephony"}, Position: 1},
		{Component: monitor.Component{ID: "web", Name: "Website"}, Position: 2},
		{Component: monitor.Component{ID: "api", Name: "API"}, Position: 3},
	}
}

// subRig is a server with subscriptions on a real store, a clock the
// test moves and the confirmation mails it enqueued.
type subRig struct {
	t   *testing.T
	db  *store.DB
	srv *Server
	mu  sync.Mutex
	now time.Time
}

func newSubRig(t *testing.T, perHour int) *subRig {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rig := &subRig{t: t, db: db, now: time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)}
	mail := func(s store.Subscriber, token string) []store.OutboxMessage {
		return []store.OutboxMessage{{Channel: "news", Key: fmt.Sprintf("confirm-%d-%d", s.ID, s.Consent.Time.UnixNano()),
			Subject: "Confirm", Text: store.SubscriberLink("https://status.example.com", store.PurposeConfirm, token)}}
	}
	rig.srv = NewServer(ServerOptions{Monitor: subMonitor{testChecks(t)},
		Page: config.Page{Title: "Example", URL: "https://status.example.com", Language: "en"},
		Now:  rig.clock,
		Subscriptions: &Subscriptions{Store: db, Mail: mail, ConfirmTTL: 48 * time.Hour,
			PerClientPerHour: perHour, ResendAfter: 10 * time.Minute}})
	return rig
}

func (r *subRig) clock() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }

func (r *subRig) advance(d time.Duration) { r.mu.Lock(); r.now = r.now.Add(d); r.mu.Unlock() }

// do sends a request from client (host:port) and returns the recorder.
func (r *subRig) do(method, target, client string, form url.Values, header ...string) *httptest.ResponseRecorder {
	r.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.RemoteAddr = client
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	r.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// mails returns the links of the confirmation mails enqueued so far.
func (r *subRig) mails() []string {
	r.t.Helper()
	msgs, err := r.db.Outbox("news", 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func tokenIn(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func signUpForm(email string, components ...string) url.Values {
	f := url.Values{"email": {email}, "consent": {"yes"}, "scope": {"all"}}
	if len(components) > 0 {
		f.Set("scope", "some")
		f["component"] = components
	}
	return f
}

const client1 = "198.51.100.7:40000"

func TestSubscribeConfirmManageUnsubscribe(t *testing.T) {
	rig := newSubRig(t, 5)
	form := rig.do("GET", "/subscribe", client1, nil)
	body := form.Body.String()
	if form.Code != 200 || !strings.Contains(body, `name="email"`) || !strings.Contains(body, `value="telephony"`) ||
		!strings.Contains(body, "I agree to receive status updates by email.") || strings.Contains(body, "<script") {
		t.Fatalf("form: %d\n%s", form.Code, body)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "ETag": ""} {
		if got := form.Header().Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	rec := rig.do("POST", "/subscribe", client1, signUpForm(" Ada@Example.com ", "web", "api"))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Check your inbox") {
		t.Fatalf("sign-up: %d\n%s", rec.Code, rec.Body)
	}
	mails := rig.mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	subs, _ := rig.db.Subscribers(nil)
	if len(subs) != 1 || subs[0].Email != "ada@example.com" || subs[0].IsConfirmed() ||
		subs[0].Consent.ClientAddr != "198.51.100.7" || !strings.HasPrefix(subs[0].Consent.Text, "I agree") ||
		strings.Join(subs[0].Components, ",") != "api,web" {
		t.Fatalf("stored %+v", subs)
	}
	confirm := tokenIn(t, mails[0])
	rig.advance(time.Hour)
	rec = rig.do("GET", "/subscribe/confirm?token="+confirm, client1, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Subscription confirmed") ||
		!strings.Contains(rec.Body.String(), "Website and API") {
		t.Fatalf("confirm: %d\n%s", rec.Code, rec.Body)
	}
	manage := regexp.MustCompile(`href="\.\./subscribe/manage\?token=([A-Za-z0-9_-]+)"`).FindStringSubmatch(rec.Body.String())
	if manage == nil {
		t.Fatalf("no manage link in\n%s", rec.Body)
	}
	if rec := rig.do("GET", "/subscribe/confirm?token="+confirm, client1, nil); rec.Code != 400 ||
		!strings.Contains(rec.Body.String(), "This link does not work") {
		t.Errorf("reused confirmation link: %d", rec.Code)
	}
	rec = rig.do("GET", "/subscribe/manage?token="+manage[1], client1, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "ada@example.com") ||
		!regexp.MustCompile(`value="web" checked`).MatchString(rec.Body.String()) {
		t.Fatalf("manage: %d\n%s", rec.Code, rec.Body)
	}
	unsubLink := regexp.MustCompile(`href="\.\./unsubscribe\?token=([A-Za-z0-9_-]+)"`).FindStringSubmatch(rec.Body.String())
	if unsubLink == nil {
		t.Fatalf("no unsubscribe link on the manage page:\n%s", rec.Body)
	}
	if s, err := rig.db.SubscriberByToken(unsubLink[1], store.PurposeUnsubscribe); err != nil || s.ID != subs[0].ID {
		t.Errorf("the manage page's unsubscribe link: %+v, %v", s, err)
	}
	rec = rig.do("POST", "/subscribe/manage", client1, url.Values{"token": {manage[1]}, "scope": {"some"}, "component": {"telephony"}},
		"Origin", "https://status.example.com")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Saved. You will get updates about: Telephony.") {
		t.Fatalf("manage post: %d\n%s", rec.Code, rec.Body)
	}
	unsub, err := rig.db.SubscriberToken(subs[0].ID, store.PurposeUnsubscribe)
	if err != nil {
		t.Fatal(err)
	}
	rec = rig.do("GET", "/unsubscribe?token="+unsub, client1, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<button type="submit">Unsubscribe</button>`) {
		t.Fatalf("unsubscribe page: %d\n%s", rec.Code, rec.Body)
	}
	if s, err := rig.db.Subscriber(subs[0].ID); err != nil || strings.Join(s.Components, ",") != "telephony" {
		t.Fatalf("after GET /unsubscribe: %+v, %v; want still subscribed to telephony", s, err)
	}
	// RFC 8058 one-click, from a mail provider: no Origin, token in the URL.
	rec = rig.do("POST", "/unsubscribe?token="+unsub, "203.0.113.9:1", url.Values{"List-Unsubscribe": {"One-Click"}})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "ada@example.com is unsubscribed") {
		t.Fatalf("one-click: %d\n%s", rec.Code, rec.Body)
	}
	if left, _ := rig.db.Subscribers(nil); len(left) != 0 {
		t.Errorf("after unsubscribing: %+v", left)
	}
	if rec := rig.do("POST", "/unsubscribe?token="+unsub, client1, url.Values{}); rec.Code != 400 {
		t.Errorf("second unsubscribe: %d, want 400", rec.Code)
	}
	if a, _ := rig.db.Audit(1); len(a) != 1 || a[0].Action != "unsubscribe" || strings.Contains(a[0].Detail, "ada") {
		t.Errorf("audit = %+v; want an unsubscribe entry without the address", a)
	}
}

func TestSubscribeAnswersTheSameForEveryAddress(t *testing.T) {
	rig := newSubRig(t, 100)
	answer := func(email string) string {
		rec := rig.do("POST", "/subscribe", client1, signUpForm(email))
		if rec.Code != 200 {
			t.Fatalf("%s: %d", email, rec.Code)
		}
		return strings.ReplaceAll(rec.Body.String(), email, "ADDRESS")
	}
	first := answer("new@example.com")
	if again := answer("new@example.com"); again != first {
		t.Errorf("unconfirmed address answered differently:\n%s\n%s", first, again)
	}
	if _, err := rig.db.ConfirmSubscriber(tokenIn(t, rig.mails()[0]), rig.clock(), time.Hour); err != nil {
		t.Fatal(err)
	}
	rig.advance(time.Hour)
	if known := answer("new@example.com"); known != first {
		t.Errorf("confirmed address answered differently:\n%s\n%s", first, known)
	}
	if other := answer("other@example.com"); other != first {
		t.Errorf("another address answered differently")
	}
	if n := len(rig.mails()); n != 2 {
		t.Errorf("%d mails; want 2 (one per new address, none for a repeat or a confirmed one)", n)
	}
}

func TestSubscribeRefusesHostileInput(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 62)+".", 3) + "com"
	for _, tc := range []struct {
		name   string
		form   url.Values
		raw    string // a body sent as is
		header []string
		status int
		want   string
	}{
		{"syntax", signUpForm("not-an-address"), "", nil, 400, "Enter one email address"},
		{"two addresses", signUpForm("a@example.com, b@example.com"), "", nil, 400, "Enter one email address"},
		{"too long", signUpForm(long), "", nil, 400, "at most 254 characters"},
		{"control character", signUpForm("a\x00b@example.com"), "", nil, 400, "Enter one email address"},
		{"header injection", signUpForm("a@example.com\r\nBcc: victim@example.org"), "", nil, 400, "Enter one email address"},
		{"no consent", url.Values{"email": {"a@example.com"}, "scope": {"all"}}, "", nil, 400, "Tick the box"},
		{"some without any", url.Values{"email": {"a@example.com"}, "consent": {"yes"}, "scope": {"some"}}, "", nil, 400, "at least one component"},
		{"unknown component", signUpForm("a@example.com", "web", "<script>"), "", nil, 400, "There is no component &#34;&lt;script&gt;&#34;"},
		{"huge body", nil, "email=a%40example.com&consent=yes&x=" + strings.Repeat("y", 20<<10), nil, 413, "The form was too large"},
		{"foreign origin", signUpForm("a@example.com"), "", []string{"Origin", "https://evil.example"}, 403, "sent from another site"},
		{"bad encoding", nil, "email=%zz", nil, 400, "The form could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rig := newSubRig(t, 5)
			var rec *httptest.ResponseRecorder
			if tc.raw != "" {
				req := httptest.NewRequest("POST", "/subscribe", strings.NewReader(tc.raw))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.RemoteAddr = client1
				rec = httptest.NewRecorder()
				rig.srv.Handler().ServeHTTP(rec, req)
			} else {
				rec = rig.do("POST", "/subscribe", client1, tc.form, tc.header...)
			}
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("%d, want %d with %q:\n%s", rec.Code, tc.status, tc.want, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "Bcc:") || strings.Contains(rec.Body.String(), "<script>") {
				t.Error("the answer echoes hostile input unescaped")
			}
			if subs, _ := rig.db.Subscribers(nil); len(subs) != 0 || len(rig.mails()) != 0 {
				t.Errorf("stored %+v, mailed %d", subs, len(rig.mails()))
			}
		})
	}
}

func TestSubscribeRateLimitPerClient(t *testing.T) {
	rig := newSubRig(t, 2)
	try := func(client, email string, header ...string) int {
		return rig.do("POST", "/subscribe", client, signUpForm(email), header...).Code
	}
	if a, b := try(client1, "a@example.com"), try(client1, "b@example.com"); a != 200 || b != 200 {
		t.Fatalf("first two: %d %d", a, b)
	}
	rec := rig.do("POST", "/subscribe", client1, signUpForm("c@example.com"))
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "at most 2 an hour") {
		t.Errorf("third: %d %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if got := try("198.51.100.8:1", "c@example.com"); got != 200 {
		t.Errorf("another client: %d", got)
	}
	if a, b, c := try("[2001:db8:1:2::1]:1", "d@example.com"), try("[2001:db8:1:2::ff]:1", "e@example.com"),
		try("[2001:db8:1:2:ffff::1]:1", "f@example.com"); a != 200 || b != 200 || c != 429 {
		t.Errorf("one IPv6 /64: %d %d %d, want 200 200 429", a, b, c)
	}
	if got := try(client1, "c@example.com", "X-Forwarded-For", "192.0.2.99"); got != 429 {
		t.Errorf("X-Forwarded-For escaped the limit: %d", got)
	}
	rig.advance(time.Hour)
	if got := try(client1, "c@example.com"); got != 200 {
		t.Errorf("an hour later: %d", got)
	}
	if n := len(rig.mails()); n != 6 {
		t.Errorf("%d mails, want 6", n)
	}
}

func TestSubscribeLinksRefuseForgedExpiredAndMisusedTokens(t *testing.T) {
	rig := newSubRig(t, 5)
	rig.do("POST", "/subscribe", client1, signUpForm("bo@example.com"))
	confirm := tokenIn(t, rig.mails()[0])
	subs, _ := rig.db.Subscribers(nil)
	manage, _ := rig.db.SubscriberToken(subs[0].ID, store.PurposeManage)
	unsub, _ := rig.db.SubscriberToken(subs[0].ID, store.PurposeUnsubscribe)
	forged := manage[:len(manage)-2] + "AA"
	for _, tc := range []struct{ method, target string }{
		{"GET", "/subscribe/confirm"},
		{"GET", "/subscribe/confirm?token=" + forged},
		{"GET", "/subscribe/confirm?token=" + manage},
		{"GET", "/subscribe/manage?token=" + forged},
		{"GET", "/subscribe/manage?token=" + unsub},
		{"GET", "/subscribe/manage?token=" + strings.Repeat("A", 5000)},
		{"GET", "/unsubscribe?token=" + manage},
		{"POST", "/unsubscribe?token=" + forged},
		{"POST", "/subscribe/manage?token=" + confirm},
	} {
		rec := rig.do(tc.method, tc.target, client1, url.Values{})
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "This link does not work") {
			t.Errorf("%s %.60s: %d", tc.method, tc.target, rec.Code)
		}
	}
	rig.advance(48 * time.Hour)
	if rec := rig.do("GET", "/subscribe/confirm?token="+confirm, client1, nil); rec.Code != 400 {
		t.Errorf("expired confirmation: %d", rec.Code)
	}
	if s, _ := rig.db.Subscriber(subs[0].ID); s.IsConfirmed() {
		t.Error("an expired link confirmed")
	}
	rec := rig.do("POST", "/subscribe/manage", client1, url.Values{"token": {manage}, "scope": {"all"}},
		"Origin", "https://evil.example")
	if rec.Code != 403 {
		t.Errorf("manage from a foreign origin: %d", rec.Code)
	}
	rec = rig.do("POST", "/subscribe/manage", client1, url.Values{"token": {manage}, "scope": {"some"}, "component": {"nope"}})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "There is no component") {
		t.Errorf("unknown component on manage: %d", rec.Code)
	}
}

func TestSubscribeOnlyWhenOn(t *testing.T) {
	off := NewServer(ServerOptions{Monitor: pageMonitor{testChecks(t)}, Page: config.Page{Title: "Example", URL: "https://status.example.com"}})
	for _, p := range []string{"/subscribe", "/subscribe/manage?token=x", "/unsubscribe?token=x"} {
		rec := httptest.NewRecorder()
		off.Handler().ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 404 {
			t.Errorf("off: GET %s = %d, want 404", p, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	off.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), `<a href="history.atom">Subscribe</a>`) {
		t.Errorf("off: the header's Subscribe is not the feed")
	}
	rig := newSubRig(t, 5)
	rec = rig.do("GET", "/", client1, nil)
	body := rec.Body.String()
	if !strings.Contains(body, `<a href="https://status.example.com/subscribe">Subscribe</a>`) ||
		!strings.Contains(body, `href="history.atom"`) {
		t.Errorf("on: the page does not link the form and the feed:\n%s", body)
	}
}
