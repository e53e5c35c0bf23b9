package notify_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/notify/notifytest"
)

const (
	hookPath   = "/hooks/T000/B000/pathsecret42"
	hookSecret = "signing-secret-77"
	httpWait   = 300 * time.Millisecond
)

// httpReceiver is a test webhook receiver on loopback.
type httpReceiver struct {
	mu       sync.Mutex
	accepted []string
	bodies   [][]byte
	headers  []http.Header
	conns    int
	url      string
}

func (r *httpReceiver) Accepted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.accepted...)
}

func (r *httpReceiver) Conns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns
}

// startHTTP starts a receiver that behaves as b; key extracts the
// idempotency key of an accepted request.
func startHTTP(t *testing.T, b notifytest.Behaviour, key func(*http.Request, []byte) string) *httpReceiver {
	t.Helper()
	r := &httpReceiver{}
	if b == notifytest.Down {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r.url = "http://" + ln.Addr().String() + hookPath
		ln.Close()
		return r
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		switch b {
		case notifytest.Accept:
			r.mu.Lock()
			r.accepted = append(r.accepted, key(req, body))
			r.bodies = append(r.bodies, body)
			r.headers = append(r.headers, req.Header.Clone())
			r.mu.Unlock()
			_, _ = io.WriteString(w, "ok")
		case notifytest.Busy:
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case notifytest.Broken:
			http.Error(w, "upstream gone", http.StatusServiceUnavailable)
		case notifytest.Reject:
			http.Error(w, "invalid_payload", http.StatusBadRequest)
		case notifytest.Verbose:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, "no_service for "+req.URL.Path+" "+hookSecret+" "+strings.Repeat("x", 8<<10))
		case notifytest.Hang:
			<-req.Context().Done()
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.mu.Lock()
			r.conns++
			r.mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	r.url = srv.URL + hookPath
	return r
}

func webhookKey(req *http.Request, _ []byte) string {
	return req.Header.Get(notify.HeaderIdempotencyKey)
}

func slackKey(_ *http.Request, body []byte) string {
	var v struct{ Text string }
	_ = json.Unmarshal(body, &v)
	return map[bool]string{true: "k1", false: "k2"}[strings.Contains(v.Text, "Website")]
}

func TestWebhookConformance(t *testing.T) {
	notifytest.Run(t, notifytest.Harness{
		Timeout: httpWait, Secrets: []string{hookPath, "pathsecret42", hookSecret}, ReusesConnections: true,
		New: func(t *testing.T, b notifytest.Behaviour) (notifytest.Sender, notifytest.Receiver) {
			r := startHTTP(t, b, webhookKey)
			s, err := notify.NewWebhook(notify.WebhookOptions{URL: r.url, Secret: config.Secret(hookSecret), Timeout: httpWait,
				Client: &http.Client{}})
			if err != nil {
				t.Fatal(err)
			}
			return s, r
		},
	})
}

func TestSlackConformance(t *testing.T) {
	notifytest.Run(t, notifytest.Harness{
		Timeout: httpWait, Secrets: []string{hookPath, "pathsecret42"}, ReusesConnections: true,
		New: func(t *testing.T, b notifytest.Behaviour) (notifytest.Sender, notifytest.Receiver) {
			r := startHTTP(t, b, slackKey)
			s, err := notify.NewSlack(notify.SlackOptions{URL: r.url, Timeout: httpWait, Client: &http.Client{}})
			if err != nil {
				t.Fatal(err)
			}
			return s, r
		},
	})
}

func TestWebhookBodyHeadersAndSignature(t *testing.T) {
	r := startHTTP(t, notifytest.Accept, webhookKey)
	now := time.Date(2026, 11, 24, 3, 0, 5, 0, time.UTC)
	s, err := notify.NewWebhook(notify.WebhookOptions{URL: r.url, Secret: config.Secret(hookSecret), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.Message("inc-7-1-published")
	if _, err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	h, body := r.headers[0], r.bodies[0]
	if err := notify.Verify([]byte(hookSecret), h.Get(notify.HeaderTimestamp), h.Get(notify.HeaderSignature), body, now, 5*time.Minute); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", notify.HeaderIdempotencyKey: m.Key,
		notify.HeaderEvent: "incident_published", notify.HeaderTimestamp: "1795489205"} {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	var got notify.WebhookBody
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != m.Key || got.Event != m.Event || got.Audience != "public" || got.Subject != m.Subject || got.Text != m.Text ||
		got.Incident == nil || got.Incident.ID != 7 || got.Incident.Components[0] != "web" || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("body = %s", body)
	}
	if strings.Contains(string(body), "attempts") || strings.Contains(string(body), "channel") {
		t.Errorf("body leaks delivery state: %s", body)
	}
}

func TestVerify(t *testing.T) {
	secret, body := []byte("s"), []byte(`{"id":"k"}`)
	now := time.Unix(1_800_000_000, 0)
	good := notify.Sign(secret, "1800000000", body)
	tests := []struct {
		name, ts, sig string
		body          []byte
		ok            bool
	}{
		{"valid", "1800000000", good, body, true},
		{"tampered body", "1800000000", good, []byte(`{"id":"x"}`), false},
		{"other timestamp", "1800000001", good, body, false},
		{"replayed later", "1799999000", notify.Sign(secret, "1799999000", body), body, false},
		{"from the future", "1800000400", notify.Sign(secret, "1800000400", body), body, false},
		{"not a number", "yesterday", good, body, false},
		{"wrong secret", "1800000000", notify.Sign([]byte("t"), "1800000000", body), body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.Verify(secret, tt.ts, tt.sig, tt.body, now, 5*time.Minute)
			if (err == nil) != tt.ok {
				t.Errorf("Verify = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("1800000000", "sha256=00", []byte("{}"))
	f.Add("-1", "", []byte(nil))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		now := time.Unix(1_800_000_000, 0)
		if err := notify.Verify([]byte("k"), ts, sig, body, now, time.Minute); err == nil && sig != notify.Sign([]byte("k"), ts, body) {
			t.Errorf("accepted a wrong signature %q", sig)
		}
	})
}

func TestSlackTextIsEscaped(t *testing.T) {
	r := startHTTP(t, notifytest.Accept, slackKey)
	s, err := notify.NewSlack(notify.SlackOptions{URL: r.url})
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.Message("k")
	m.Subject, m.Text = "Website <down> & out", "See <https://x>"
	if _, err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(r.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if want := "*Website &lt;down&gt; &amp; out*\nSee &lt;https://x&gt;"; len(got) != 1 || got["text"] != want {
		t.Errorf("slack body = %v, want only text %q", got, want)
	}
}

func TestConstructorsRedactURL(t *testing.T) {
	_, err := notify.NewWebhook(notify.WebhookOptions{URL: "ftp://hooks.example.com" + hookPath})
	if err == nil || strings.Contains(err.Error(), "pathsecret42") {
		t.Errorf("NewWebhook(ftp) = %v", err)
	}
}
