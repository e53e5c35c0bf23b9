package monitor

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const peerToken = "0123456789abcdef-peer"

// fakePeer answers the peer API with answer(keys), or never when answer
// is nil (until the client gives up); it checks the token.
func fakePeer(t *testing.T, tls bool, answer func(w http.ResponseWriter, keys []string)) *httptest.Server {
	t.Helper()
	// A silent peer waits for the client to hang up or for the test to
	// end: when the client gives up while its body is still being sent,
	// the server never learns of it, and srv.Close would wait for ever.
	ended := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+peerToken {
			http.Error(w, `{"error":"missing or wrong bearer token"}`, http.StatusUnauthorized)
			return
		}
		if answer == nil {
			_, _ = io.Copy(io.Discard, r.Body) // the server notices a closed connection only after the body
			select {
			case <-r.Context().Done():
			case <-ended:
			}
			return
		}
		if r.Method == http.MethodGet && r.URL.Path == PeerChecksPath {
			answer(w, nil)
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != PeerConfirmPath {
			http.NotFound(w, r)
			return
		}
		var req struct{ Keys []string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer(w, req.Keys)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(ended) }) // runs before srv.Close
	return srv
}

// answerUp answers every key up, as location loc.
func answerUp(loc string) func(http.ResponseWriter, []string) {
	return func(w http.ResponseWriter, keys []string) {
		res := map[string]PeerVerdict{}
		for _, k := range keys {
			res[k] = PeerVerdict{State: StateUp, Time: t0, Duration: 12 * time.Millisecond}
		}
		_ = json.NewEncoder(w).Encode(PeerConfirmAnswer{Location: loc, Results: res})
	}
}

func rawAnswer(body string) func(http.ResponseWriter, []string) {
	return func(w http.ResponseWriter, _ []string) { _, _ = io.WriteString(w, body) }
}

func TestPeerClientConfirm(t *testing.T) {
	tests := []struct {
		name    string
		tls     bool
		answer  func(http.ResponseWriter, []string)
		token   string
		wantErr string // "" for a good answer
	}{
		{name: "good answer", answer: answerUp("ams")},
		{name: "tls peer with a trusted certificate", tls: true, answer: answerUp("ams")},
		{name: "no answer in time", answer: nil, wantErr: "no answer in time"},
		{name: "garbage", answer: rawAnswer("<html>proxy error</html>"), wantErr: "unusable answer"},
		{name: "truncated json", answer: rawAnswer(`{"location":"ams","results":{`), wantErr: "unusable answer"},
		{name: "unknown field", answer: rawAnswer(`{"location":"ams","results":{},"extra":1}`), wantErr: "unusable answer"},
		{name: "bad state", answer: rawAnswer(`{"location":"ams","results":{"web/home":{"state":"fine"}}}`), wantErr: "state \"fine\""},
		{name: "bad time", answer: rawAnswer(`{"location":"ams","results":{"web/home":{"state":"up","time":"yesterday"}}}`), wantErr: "not RFC 3339"},
		{name: "two values", answer: rawAnswer(`{"location":"ams","results":{}} {}`), wantErr: "data after"},
		{name: "another location", answer: answerUp("par"), wantErr: `answered as location "par"`},
		{name: "another location's keys", answer: rawAnswer(`{"location":"ams","results":{"shop/cart":{"state":"down"}}}`),
			wantErr: `answered for check "shop/cart", which was not asked`},
		{name: "too large", answer: rawAnswer(`{"location":"ams","results":{},"x":"` + strings.Repeat("a", MaxPeerAnswerBody) + `"}`),
			wantErr: "larger than"},
		{name: "wrong token", token: "wrong-token-wrong-token", answer: answerUp("ams"), wantErr: "401 Unauthorized"},
		{name: "redirect not followed", answer: func(w http.ResponseWriter, _ []string) {
			w.Header().Set("Location", "https://elsewhere.example/")
			w.WriteHeader(http.StatusFound)
		}, wantErr: "302 Found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakePeer(t, tc.tls, tc.answer)
			var pool *x509.CertPool
			if tc.tls {
				pool = x509.NewCertPool()
				pool.AddCert(srv.Certificate())
			}
			token := peerToken
			if tc.token != "" {
				token = tc.token
			}
			c := NewPeerClient(PeerClientOptions{Peers: []PeerConfig{{ID: "ams", URL: srv.URL, Token: token}},
				Timeout: 500 * time.Millisecond, RootCAs: pool})
			got := c.Confirm(context.Background(), []string{"web/home", "web/api"})
			if len(got) != 1 || got[0].Peer != "ams" {
				t.Fatalf("answers %+v", got)
			}
			a := got[0]
			status := c.PeerStatus()
			if tc.wantErr != "" {
				if a.Err == nil || !strings.Contains(a.Err.Error(), tc.wantErr) || a.Results != nil {
					t.Errorf("answer %+v, want an error containing %q and no results", a, tc.wantErr)
				}
				if a.Err != nil && strings.Contains(a.Err.Error(), token) {
					t.Errorf("the error shows the token: %v", a.Err)
				}
				if status[0].Up {
					t.Error("peer up after a bad answer")
				}
				return
			}
			want := map[string]PeerVerdict{"web/home": {State: StateUp, Time: t0, Duration: 12 * time.Millisecond},
				"web/api": {State: StateUp, Time: t0, Duration: 12 * time.Millisecond}}
			if a.Err != nil || !reflect.DeepEqual(a.Results, want) {
				t.Errorf("answer %+v (err %v), want %v", a.Results, a.Err, want)
			}
			if !status[0].Up || status[0].LastAnswer.IsZero() {
				t.Errorf("status %+v after a good answer", status[0])
			}
		})
	}
}

// TestPeerClientTLSWithoutTrust: an https peer whose certificate is not
// trusted does not confirm (the system roots do not hold httptest's).
func TestPeerClientTLSWithoutTrust(t *testing.T) {
	srv := fakePeer(t, true, answerUp("ams"))
	c := NewPeerClient(PeerClientOptions{Peers: []PeerConfig{{ID: "ams", URL: srv.URL, Token: peerToken}}, Timeout: 2 * time.Second})
	a := c.Confirm(context.Background(), []string{"web/home"})[0]
	if a.Err == nil || !strings.Contains(a.Err.Error(), "certificate") {
		t.Errorf("answer %+v, want a certificate error", a)
	}
}

// TestPeerClientAsksInParallel: a slow peer does not delay a fast one's
// answer past the timeout, and both answers come in configuration order.
func TestPeerClientAsksInParallel(t *testing.T) {
	slow := fakePeer(t, false, nil)
	fast := fakePeer(t, false, answerUp("par"))
	c := NewPeerClient(PeerClientOptions{Timeout: 300 * time.Millisecond, Peers: []PeerConfig{
		{ID: "ams", URL: slow.URL, Token: peerToken}, {ID: "par", URL: fast.URL + "/", Token: peerToken}}})
	start := time.Now()
	got := c.Confirm(context.Background(), []string{"web/home"})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Confirm took %s with a timeout of 300ms", took)
	}
	if got[0].Peer != "ams" || got[0].Err == nil || got[1].Peer != "par" || got[1].Err != nil || got[1].Results["web/home"].State != StateUp {
		t.Errorf("answers %+v", got)
	}
	st := c.PeerStatus()
	if st[0].Up || !st[1].Up {
		t.Errorf("status %+v, want ams down and par up", st)
	}
	// A reload keeps par's health and drops ams.
	c.SetPeers([]PeerConfig{{ID: "par", URL: fast.URL, Token: peerToken}}, time.Second)
	if st := c.PeerStatus(); len(st) != 1 || !st[0].Up {
		t.Errorf("after SetPeers: %+v", st)
	}
}

func TestPeerClientBatchesManyKeys(t *testing.T) {
	var batches []int
	srv := fakePeer(t, false, func(w http.ResponseWriter, keys []string) {
		batches = append(batches, len(keys)) // the server handles one request at a time here
		answerUp("ams")(w, keys)
	})
	keys := make([]string, MaxPeerKeys+5)
	for i := range keys {
		keys[i] = "web/c" + itoa(i)
	}
	c := NewPeerClient(PeerClientOptions{Peers: []PeerConfig{{ID: "ams", URL: srv.URL, Token: peerToken}}, Timeout: 10 * time.Second})
	a := c.Confirm(context.Background(), keys)[0]
	if a.Err != nil || len(a.Results) != len(keys) || !reflect.DeepEqual(batches, []int{MaxPeerKeys, 5}) {
		t.Errorf("err %v, %d results, batches %v", a.Err, len(a.Results), batches)
	}
}

func TestPeerClientChecks(t *testing.T) {
	srv := fakePeer(t, false, rawAnswer(`{"location":"ams","checks":["web/home","api/a"]}`))
	other := fakePeer(t, false, rawAnswer(`{"location":"fra","checks":[]}`))
	c := NewPeerClient(PeerClientOptions{Timeout: time.Second, Peers: []PeerConfig{
		{ID: "ams", URL: srv.URL, Token: peerToken}, {ID: "par", URL: other.URL, Token: peerToken}}})
	got := c.Checks(context.Background())
	if got[0].Err != nil || !reflect.DeepEqual(got[0].Checks, []string{"api/a", "web/home"}) {
		t.Errorf("ams: %+v", got[0])
	}
	if got[1].Err == nil || !strings.Contains(got[1].Err.Error(), `as location "fra"`) {
		t.Errorf("par: %+v, want a location error", got[1])
	}
}

func TestKeyDiff(t *testing.T) {
	missing, extra := KeyDiff([]string{"web/home", "api/a", "sip/udp"}, []string{"api/a", "web/homepage", "sip/udp"})
	if !reflect.DeepEqual(missing, []string{"web/home"}) || !reflect.DeepEqual(extra, []string{"web/homepage"}) {
		t.Errorf("missing %v, extra %v", missing, extra)
	}
	if m, e := KeyDiff([]string{"a/b"}, []string{"a/b"}); m != nil || e != nil {
		t.Errorf("same keys: missing %v, extra %v", m, e)
	}
}

func TestPeerVerdictJSON(t *testing.T) {
	v := PeerVerdict{State: StateDown, Time: t0, Duration: 1500 * time.Millisecond, Class: "timeout", Message: "no answer"}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"state":"down","time":"2026-11-24T03:00:00Z","duration_ms":1500,"class":"timeout","message":"no answer"}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	var back PeerVerdict
	if err := json.Unmarshal(b, &back); err != nil || back != v {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	b, _ = json.Marshal(PeerVerdict{State: StateUnknown, Class: PeerClassUnknownCheck})
	if string(b) != `{"state":"unknown","class":"unknown_check"}` {
		t.Errorf("unknown verdict: %s", b)
	}
}
