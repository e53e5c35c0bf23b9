package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/notify/notifytest"
	"github.com/outpost-status/outpost/store"
)

const (
	bskyHandle   = "status.example.com"
	bskyPassword = "abcd-efgh-ijkl-mnop"
	bskyDID      = "did:plc:fake4outpost"
)

var tidPattern = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)

// fakePDS is a Bluesky PDS on loopback: createSession, refreshSession,
// createRecord and getRecord as the real one answers them (a record key
// used twice is a 500, as bluesky-social/indigo#873 reports), checking
// every request strictly.
type fakePDS struct {
	t   *testing.T
	url string

	mu        sync.Mutex
	logins    int
	refreshes int
	access    string // the valid access token ("" after expire)
	refresh   string // the valid refresh token
	expired   string // an access token that answers ExpiredToken
	records   map[string]blueskyPost
	order     []string // record keys as created
	creates   int
	conns     int
	// answer may answer the n-th createRecord (from 0) itself.
	answer func(w http.ResponseWriter, r *http.Request, n int) bool
	// loginAnswer may answer createSession itself.
	loginAnswer func(w http.ResponseWriter) bool
}

func newFakePDS(t *testing.T) *fakePDS {
	p := &fakePDS{t: t, records: map[string]blueskyPost{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.mu.Lock()
			p.conns++
			p.mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func xrpcErr(w http.ResponseWriter, code int, name, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(xrpcError{Error: name, Message: msg})
}

func (p *fakePDS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20)) // read first: the server notices a gone client only then
	r.Body = io.NopCloser(bytes.NewReader(body))
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/json" && len(body) > 0 {
		p.t.Errorf("%s: Content-Type %q", r.URL.Path, r.Header.Get("Content-Type"))
	}
	switch r.URL.Path {
	case "/xrpc/com.atproto.server.createSession":
		p.createSession(w, body)
	case "/xrpc/com.atproto.server.refreshSession":
		p.refreshSession(w, r)
	case "/xrpc/com.atproto.repo.createRecord":
		p.mu.Lock()
		n := p.creates
		p.creates++
		p.mu.Unlock()
		if p.answer != nil && p.answer(w, r, n) { // outside the lock: it may hang
			return
		}
		p.createRecord(w, r, body)
	case "/xrpc/com.atproto.repo.getRecord":
		q := r.URL.Query()
		p.mu.Lock()
		_, ok := p.records[q.Get("rkey")]
		p.mu.Unlock()
		if !ok || q.Get("repo") != bskyDID || q.Get("collection") != "app.bsky.feed.post" {
			xrpcErr(w, http.StatusBadRequest, "RecordNotFound", "Could not locate record")
			return
		}
		_, _ = io.WriteString(w, `{"uri":"at://`+bskyDID+`/app.bsky.feed.post/`+q.Get("rkey")+`","value":{}}`)
	default:
		p.t.Errorf("unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func (p *fakePDS) newTokens() map[string]string {
	p.access, p.refresh = fmt.Sprintf("access-jwt-%d-%d", p.logins, p.refreshes), fmt.Sprintf("refresh-jwt-%d-%d", p.logins, p.refreshes)
	return map[string]string{"accessJwt": p.access, "refreshJwt": p.refresh, "handle": bskyHandle, "did": bskyDID}
}

func (p *fakePDS) createSession(w http.ResponseWriter, body []byte) {
	if p.loginAnswer != nil && p.loginAnswer(w) {
		return
	}
	var in map[string]string
	if err := json.Unmarshal(body, &in); err != nil || len(in) != 2 {
		p.t.Errorf("createSession body %s: want identifier and password", body)
	}
	if in["identifier"] != bskyHandle || in["password"] != bskyPassword {
		xrpcErr(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logins++
	_ = json.NewEncoder(w).Encode(p.newTokens())
}

func (p *fakePDS) refreshSession(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refresh == "" || r.Header.Get("Authorization") != "Bearer "+p.refresh {
		xrpcErr(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return
	}
	p.refreshes++
	_ = json.NewEncoder(w).Encode(p.newTokens())
}

// expire makes the access token expire; with refresh, the refresh token too.
func (p *fakePDS) expire(refresh bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expired, p.access = p.access, ""
	if refresh {
		p.refresh = ""
	}
}

func (p *fakePDS) createRecord(w http.ResponseWriter, r *http.Request, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch auth := r.Header.Get("Authorization"); {
	case p.expired != "" && auth == "Bearer "+p.expired:
		xrpcErr(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return
	case p.access == "" || auth != "Bearer "+p.access:
		xrpcErr(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return
	}
	var in blueskyCreate
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		p.t.Errorf("createRecord body %s: %v", body, err)
		xrpcErr(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	if err := checkPost(in); err != nil {
		p.t.Errorf("createRecord %s: %v", body, err)
		xrpcErr(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	if _, dup := p.records[in.RKey]; dup {
		xrpcErr(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	p.records[in.RKey] = in.Record
	p.order = append(p.order, in.RKey)
	_, _ = io.WriteString(w, `{"uri":"at://`+bskyDID+`/app.bsky.feed.post/`+in.RKey+`","cid":"bafyreifake"}`)
}

// checkPost checks a createRecord body as the lexicons say.
func checkPost(in blueskyCreate) error {
	rec := in.Record
	switch {
	case in.Repo != bskyDID || in.Collection != "app.bsky.feed.post":
		return fmt.Errorf("repo %q collection %q", in.Repo, in.Collection)
	case !tidPattern.MatchString(in.RKey):
		return fmt.Errorf("record key %q is not a TID", in.RKey)
	case rec.Type != "app.bsky.feed.post":
		return fmt.Errorf("$type %q", rec.Type)
	case graphemes(rec.Text) > 300 || len(rec.Text) > 3000 || !utf8.ValidString(rec.Text):
		return fmt.Errorf("text of %d graphemes, %d bytes", graphemes(rec.Text), len(rec.Text))
	}
	if _, err := time.Parse(time.RFC3339, rec.CreatedAt); err != nil {
		return fmt.Errorf("createdAt: %v", err)
	}
	for _, f := range rec.Facets {
		i := f.Index
		if i.ByteStart < 0 || i.ByteEnd <= i.ByteStart || i.ByteEnd > len(rec.Text) || len(f.Features) != 1 {
			return fmt.Errorf("facet %+v outside the text's %d bytes", f, len(rec.Text))
		}
		if ft := f.Features[0]; ft.Type != "app.bsky.richtext.facet#link" || rec.Text[i.ByteStart:i.ByteEnd] != ft.URI {
			return fmt.Errorf("facet bytes %q are not the link %q", rec.Text[i.ByteStart:i.ByteEnd], ft.URI)
		}
	}
	return nil
}

func (p *fakePDS) post(rkey string) blueskyPost {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.records[rkey]
}

func (p *fakePDS) counts() (logins, refreshes, records int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logins, p.refreshes, len(p.records)
}

// Accepted returns the message keys of the posts, as notifytest wants.
func (p *fakePDS) Accepted() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, rkey := range p.order {
		for _, k := range []string{"k1", "k2"} {
			if rkey == BlueskyRecordKey(notifytest.Message(k)) {
				out = append(out, k)
			}
		}
	}
	return out
}

func (p *fakePDS) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

func (p *fakePDS) sender(t *testing.T, o BlueskyOptions) *Bluesky {
	t.Helper()
	o.URL, o.Identifier, o.AppPassword = p.url, bskyHandle, config.Secret(bskyPassword)
	if o.Timeout == 0 {
		o.Timeout = time.Second
	}
	b, err := NewBluesky(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBlueskyConformance(t *testing.T) {
	notifytest.Run(t, notifytest.Harness{
		Timeout: socialWait, Secrets: []string{bskyPassword, "access-jwt", "refresh-jwt"}, ReusesConnections: true,
		New: func(t *testing.T, b notifytest.Behaviour) (notifytest.Sender, notifytest.Receiver) {
			p := newFakePDS(t)
			if b == notifytest.Down {
				p.url = "http://" + closedAddr(t)
			}
			p.answer = behave(b, bskyPassword)
			return p.sender(t, BlueskyOptions{Timeout: socialWait}), p
		},
	})
}

// swedishMessage has å, ä, ö and an emoji before the link, so its byte
// offsets differ from its character offsets.
func swedishMessage(key string) store.OutboxMessage {
	m := notifytest.Message(key)
	m.Text = "Undersöker\nInloggning störd 🔧\n\nÅtgärd pågår: inloggningar misslyckas för vissa kunder. Vi återkommer."
	m.URL = "https://status.example.se/incidents/7"
	return m
}

func TestBlueskyPostHasALinkFacetOnTheLinkBytes(t *testing.T) {
	for _, m := range []store.OutboxMessage{swedishMessage("inc-7-1-published"), germanMessage("inc-7-1-update-2")} {
		t.Run(m.Key, func(t *testing.T) {
			p := newFakePDS(t)
			b := p.sender(t, BlueskyOptions{Language: "sv"})
			if retry, err := b.Send(t.Context(), m); err != nil {
				t.Fatalf("Send = %v, %v", retry, err)
			}
			rec := p.post(BlueskyRecordKey(m))
			want := m.Text + "\n\n" + m.URL
			if rec.Text != want || rec.CreatedAt != "2026-11-24T03:00:00.000Z" || len(rec.Langs) != 1 || rec.Langs[0] != "sv" {
				t.Errorf("record = %+v, want text %q", rec, want)
			}
			if len(rec.Facets) != 1 {
				t.Fatalf("facets = %+v, want one link", rec.Facets)
			}
			start, end := rec.Facets[0].Index.ByteStart, rec.Facets[0].Index.ByteEnd
			if start != len(m.Text)+2 || end != len(want) || rec.Facets[0].Features[0].URI != m.URL {
				t.Errorf("facet %+v, want bytes %d to %d", rec.Facets[0], len(m.Text)+2, len(want))
			}
			if chars := utf8.RuneCountInString(m.Text) + 2; start == chars {
				t.Errorf("test text has as many bytes as characters (%d): it proves nothing", chars)
			}
		})
	}
}

func TestBlueskyCutsTo300Graphemes(t *testing.T) {
	p := newFakePDS(t)
	b := p.sender(t, BlueskyOptions{})
	m := swedishMessage("k")
	m.Text = "Undersöker\nInloggning störd\n\n" + strings.Repeat("Åtgärd pågår 👩\u200d💻 för inloggningen, vi återkommer snart. ", 12)
	if _, err := b.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	rec := p.post(BlueskyRecordKey(m))
	body, ok := strings.CutSuffix(rec.Text, "…\n\n"+m.URL)
	if !ok || !strings.HasPrefix(m.Text, body) {
		t.Fatalf("text is not a cut text and the link: %q", rec.Text)
	}
	if n := graphemes(rec.Text); n > 300 || n < 280 {
		t.Errorf("text counts %d graphemes, want at most 300 and not much less", n)
	}
	if next := m.Text[len(body)]; next != ' ' && next != ',' {
		t.Errorf("cut inside a word: %q|%q", body[len(body)-10:], m.Text[len(body):len(body)+10])
	}
}

func TestBlueskySession(t *testing.T) {
	p := newFakePDS(t)
	b := p.sender(t, BlueskyOptions{})
	send := func(key string) {
		t.Helper()
		if retry, err := b.Send(t.Context(), swedishMessage(key)); err != nil {
			t.Fatalf("Send(%s) = %v, %v", key, retry, err)
		}
	}
	send("a")
	send("b")
	if logins, refreshes, posts := p.counts(); logins != 1 || refreshes != 0 || posts != 2 {
		t.Fatalf("two posts: %d logins, %d refreshes, %d posts; want one login", logins, refreshes, posts)
	}
	p.expire(false)
	send("c")
	if logins, refreshes, posts := p.counts(); logins != 1 || refreshes != 1 || posts != 3 {
		t.Fatalf("expired access token: %d logins, %d refreshes, %d posts; want it refreshed", logins, refreshes, posts)
	}
	p.expire(true)
	send("d")
	if logins, refreshes, posts := p.counts(); logins != 2 || refreshes != 1 || posts != 4 {
		t.Fatalf("expired refresh token: %d logins, %d refreshes, %d posts; want a new login", logins, refreshes, posts)
	}
}

// TestBlueskyLostAnswerPostsOnce: the PDS creates the record but the
// answer is lost; the retry names the same record, is refused with a
// 500, finds the record and counts as posted.
func TestBlueskyLostAnswerPostsOnce(t *testing.T) {
	p := newFakePDS(t)
	p.answer = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n != 0 {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		p.createRecord(httptest.NewRecorder(), r, body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the answer is lost
		}
		return true
	}
	b := p.sender(t, BlueskyOptions{})
	m := swedishMessage("inc-7-1-published")
	retry, err := b.Send(t.Context(), m)
	if err == nil || !retry {
		t.Fatalf("first Send = %v, %v; want a retryable error", retry, err)
	}
	if retry, err := b.Send(t.Context(), m); err != nil {
		t.Fatalf("retry = %v, %v; want it counted as posted", retry, err)
	}
	if _, _, posts := p.counts(); posts != 1 {
		t.Errorf("%d posts, want 1", posts)
	}
}
