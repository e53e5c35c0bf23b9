package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/notify/notifytest"
	"github.com/outpost-status/outpost/store"
)

const (
	mastodonToken = "mastodon-token-s3cr3t-77"
	socialWait    = 300 * time.Millisecond
)

// fakeMastodon is a Mastodon instance on loopback that checks every
// request as the real API wants it and records the statuses it got.
type fakeMastodon struct {
	t   *testing.T
	url string

	mu        sync.Mutex
	statuses  []mastodonStatus
	keys      []string // Idempotency-Key of every POST
	accepted  []string // keys of the statuses created
	instances int      // GET /api/v2/instance
	conns     int
	// instance answers GET /api/v2/instance; answer the n-th POST
	// (from 0) before it is checked. Both may be nil.
	instance func(w http.ResponseWriter)
	answer   func(w http.ResponseWriter, r *http.Request, n int) bool
}

func newFakeMastodon(t *testing.T) *fakeMastodon {
	f := &fakeMastodon{t: t}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeMastodon) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2/instance":
		f.mu.Lock()
		f.instances++
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "" {
			f.t.Errorf("the instance lookup sends the token")
		}
		if f.instance != nil {
			f.instance(w)
			return
		}
		_, _ = io.WriteString(w, `{"domain":"mastodon.example","configuration":{"statuses":{"max_characters":500,"characters_reserved_per_url":23}}}`)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/statuses":
		key := r.Header.Get(HeaderIdempotencyKey)
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20)) // read first: the server notices a gone client only then
		f.mu.Lock()
		f.keys = append(f.keys, key)
		n := len(f.keys) - 1
		f.mu.Unlock()
		if f.answer != nil && f.answer(w, r, n) { // outside the lock: it may hang
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if got := r.Header.Get("Authorization"); got != "Bearer "+mastodonToken {
			http.Error(w, `{"error":"The access token is invalid"}`, http.StatusUnauthorized)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" || key == "" {
			f.t.Errorf("POST /api/v1/statuses: Content-Type %q, Idempotency-Key %q", ct, key)
		}
		var st mastodonStatus
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&st); err != nil || st.Status == "" || (st.Visibility != "public" && st.Visibility != "unlisted") {
			f.t.Errorf("POST /api/v1/statuses: body %+v: %v", st, err)
			http.Error(w, `{"error":"Validation failed"}`, http.StatusUnprocessableEntity)
			return
		}
		f.statuses = append(f.statuses, st)
		f.accepted = append(f.accepted, key)
		_, _ = io.WriteString(w, `{"id":"103","visibility":"public"}`)
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func (f *fakeMastodon) Accepted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.accepted...)
}

func (f *fakeMastodon) Conns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

func (f *fakeMastodon) sender(t *testing.T, o MastodonOptions) *Mastodon {
	t.Helper()
	o.URL, o.Token = f.url, config.Secret(mastodonToken)
	if o.Timeout == 0 {
		o.Timeout = time.Second
	}
	s, err := NewMastodon(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// behave makes a fake answer every status as notifytest's behaviour b.
func behave(b notifytest.Behaviour, echo ...string) func(w http.ResponseWriter, r *http.Request, n int) bool {
	return func(w http.ResponseWriter, r *http.Request, n int) bool {
		switch b {
		case notifytest.Busy:
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":"Too many requests"}`, http.StatusTooManyRequests)
		case notifytest.Broken:
			http.Error(w, `{"error":"upstream gone"}`, http.StatusServiceUnavailable)
		case notifytest.Reject:
			http.Error(w, `{"error":"Validation failed: Text can't be blank"}`, http.StatusUnprocessableEntity)
		case notifytest.Verbose:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, "no route "+r.Header.Get("Authorization")+" "+strings.Join(echo, " ")+strings.Repeat("x", 8<<10))
		case notifytest.Hang:
			<-r.Context().Done()
		default:
			return false
		}
		return true
	}
}

func TestMastodonConformance(t *testing.T) {
	notifytest.Run(t, notifytest.Harness{
		Timeout: socialWait, Secrets: []string{mastodonToken}, ReusesConnections: true,
		New: func(t *testing.T, b notifytest.Behaviour) (notifytest.Sender, notifytest.Receiver) {
			f := newFakeMastodon(t)
			if b == notifytest.Down {
				f.url = "http://" + closedAddr(t)
			}
			f.answer = behave(b)
			return f.sender(t, MastodonOptions{Timeout: socialWait}), f
		},
	})
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// germanMessage is a public message as Notifier addresses it to a social
// channel: the post text without its link, and the link. Umlauts, ß and
// an emoji make bytes and characters differ before the link.
func germanMessage(key string) store.OutboxMessage {
	m := notifytest.Message(key)
	m.Text = "Untersuchung\nAnmeldung gestört 🔧\n\nGrößere Störung: Anmeldungen schlagen fehl. Wir prüfen die Ursache."
	m.URL = "https://status.example.com/incidents/7"
	return m
}

func TestMastodonPostsStatus(t *testing.T) {
	f := newFakeMastodon(t)
	s := f.sender(t, MastodonOptions{Language: "de", Visibility: "unlisted"})
	for _, key := range []string{"inc-7-1-published", "inc-7-1-update-2"} {
		if retry, err := s.Send(t.Context(), germanMessage(key)); err != nil {
			t.Fatalf("Send = %v, %v", retry, err)
		}
	}
	want := mastodonStatus{Status: germanMessage("").Text + "\n\n" + germanMessage("").URL, Visibility: "unlisted", Language: "de"}
	if len(f.statuses) != 2 || f.statuses[0] != want {
		t.Errorf("statuses = %+v, want %+v", f.statuses, want)
	}
	if got := f.Accepted(); strings.Join(got, " ") != "inc-7-1-published inc-7-1-update-2" {
		t.Errorf("Idempotency-Keys = %q", got)
	}
	if f.instances != 1 {
		t.Errorf("asked the instance %d times for two posts, want once", f.instances)
	}
}

func TestMastodonCutsToTheInstanceLimit(t *testing.T) {
	tests := []struct {
		name     string
		instance string
		maxChars int // configured
		want     int // the limit the status must meet
	}{
		{"instance limit", `{"configuration":{"statuses":{"max_characters":120,"characters_reserved_per_url":23}}}`, 0, 120},
		{"configured limit wins", `{"configuration":{"statuses":{"max_characters":5000}}}`, 150, 150},
		{"no answer: 500", `{}`, 0, 500},
		{"bad JSON: 500", `{"configuration":`, 0, 500},
		{"absurd limit: 500", `{"configuration":{"statuses":{"max_characters":1}}}`, 0, 500},
		{"huge reply: 500", `{"configuration":{"statuses":{"max_characters":120}},"x":"` + strings.Repeat("x", 70<<10) + `"}`, 0, 500},
	}
	long := "Untersuchung\nAnmeldung gestört\n\n" + strings.Repeat("Größere Störung bei Anmeldungen, wir prüfen die Ursache. ", 20)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMastodon(t)
			f.instance = func(w http.ResponseWriter) { _, _ = io.WriteString(w, tt.instance) }
			s := f.sender(t, MastodonOptions{MaxChars: tt.maxChars})
			m := germanMessage("k")
			m.Text = long
			if _, err := s.Send(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			st := f.statuses[0].Status
			body, ok := strings.CutSuffix(st, "…\n\n"+m.URL)
			if !ok || !strings.HasPrefix(long, body) {
				t.Fatalf("status is not a cut text and the link: %q", st)
			}
			if n := graphemes(body) + 1 + 2 + mastodonCharsPerURL; n > tt.want || n < tt.want-20 {
				t.Errorf("status counts %d characters, want at most %d and not much less", n, tt.want)
			}
			if next := long[len(body)]; next != ' ' && next != ',' && next != '.' {
				t.Errorf("cut inside a word: %q|%q", body[max(0, len(body)-10):], long[len(body):len(body)+10])
			}
		})
	}
}

func TestMastodonFinalAndRetryableAnswers(t *testing.T) {
	tests := []struct {
		code      int
		retry     bool
		reason    Reason
		hint      string
		retryWait time.Duration
	}{
		{http.StatusUnauthorized, false, ReasonRejected, "check token_file or token_env", 0},
		{http.StatusForbidden, false, ReasonRejected, "write:statuses", 0},
		{http.StatusUnprocessableEntity, false, ReasonRejected, "max_chars", 0},
		{http.StatusNotFound, false, ReasonRejected, "base url", 0},
		{http.StatusTooManyRequests, true, ReasonRateLimited, "", 90 * time.Second},
		{http.StatusBadGateway, true, ReasonServer, "", 0},
	}
	now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			f := newFakeMastodon(t)
			f.answer = func(w http.ResponseWriter, r *http.Request, _ int) bool {
				if tt.code == http.StatusTooManyRequests {
					w.Header().Set("X-RateLimit-Reset", now.Add(90*time.Second).Format("2006-01-02T15:04:05.000Z"))
				}
				w.WriteHeader(tt.code)
				_, _ = io.WriteString(w, `{"error":"no: `+r.Header.Get("Authorization")+`"}`)
				return true
			}
			s := f.sender(t, MastodonOptions{Now: func() time.Time { return now }})
			retry, err := s.Send(t.Context(), germanMessage("k"))
			var e *Error
			if err == nil || retry != tt.retry || !errors.As(err, &e) || e.Reason != tt.reason || e.RetryAfter != tt.retryWait {
				t.Fatalf("Send = %v, %#v; want retry %v, reason %s, wait %s", retry, err, tt.retry, tt.reason, tt.retryWait)
			}
			if !strings.Contains(err.Error(), tt.hint) || strings.Contains(err.Error(), mastodonToken) {
				t.Errorf("error %q: want the hint %q and no token", err, tt.hint)
			}
		})
	}
}

// TestMastodonRetriesWithTheSameKey runs the dispatcher: a 429 with
// Retry-After is retried no sooner than asked, a 503 with backoff, and
// every attempt carries the same Idempotency-Key; nothing it logs holds
// the token.
func TestMastodonRetriesWithTheSameKey(t *testing.T) {
	clock := newFakeClock(dispT0)
	f := newFakeMastodon(t)
	var at []time.Time
	f.answer = func(w http.ResponseWriter, r *http.Request, n int) bool {
		at = append(at, clock.Now())
		switch n {
		case 0:
			w.Header().Set("Retry-After", "120")
			http.Error(w, `{"error":"Too many requests `+r.Header.Get("Authorization")+`"}`, http.StatusTooManyRequests)
		case 1:
			http.Error(w, `{"error":"Service unavailable"}`, http.StatusServiceUnavailable)
		default:
			return false
		}
		return true
	}
	s := f.sender(t, MastodonOptions{Now: clock.Now})
	db := openDB(t)
	m := germanMessage("inc-7-1-published")
	m.Channel = "toots"
	if err := db.Enqueue([]store.OutboxMessage{m}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	d := NewDispatcher(db, []Channel{{Name: "toots", Type: TypeMastodon, Audience: AudiencePublic, Sender: s}},
		DispatcherOptions{Clock: clock, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Jitter: func() float64 { return 0.5 }})
	drive(t, clock, d.workers[0], dispT0.Add(time.Hour), func() bool { return len(f.Accepted()) == 1 })
	if strings.Join(f.keys, " ") != "inc-7-1-published inc-7-1-published inc-7-1-published" {
		t.Errorf("Idempotency-Keys of the attempts = %q", f.keys)
	}
	if len(at) != 3 || at[1].Sub(at[0]) < 120*time.Second {
		t.Errorf("attempts at %v: the retry after 429 came sooner than Retry-After: 120", at)
	}
	if strings.Contains(logs.String(), mastodonToken) {
		t.Errorf("logs reveal the token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "rate_limited") {
		t.Errorf("logs do not say the channel was rate limited:\n%s", logs.String())
	}
}

func TestNewMastodonRefuses(t *testing.T) {
	tests := []struct {
		name string
		o    MastodonOptions
		want string
	}{
		{"no token", MastodonOptions{URL: "https://m.example"}, "token_file or token_env"},
		{"direct visibility", MastodonOptions{URL: "https://m.example", Token: "t", Visibility: "direct"}, "public or unlisted"},
		{"not a base url", MastodonOptions{URL: "https://user:pw@m.example/?token=x", Token: "t"}, "base url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMastodon(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "pw@") {
				t.Errorf("NewMastodon = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
