package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func probeHTTP(t *testing.T, rawURL string, o Options, timeout time.Duration) Result {
	t.Helper()
	tg, err := NewTarget(rawURL, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return NewHTTP(HTTPConfig{}).Probe(ctx, tg)
}

func TestHTTPProbe(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("Welcome home")) })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) })
	mux.HandleFunc("/error", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.Method + " " + r.Header.Get("X-Probe")))
	})
	// Header lines and a body far larger than the transport's buffers.
	mux.HandleFunc("/large", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Long", strings.Repeat("h", 100<<10))
		w.Write([]byte(strings.Repeat("x", 300<<10) + "Welcome at the end"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	def := DefaultOptions()
	withBody := func(contains string, re string) Options {
		o := DefaultOptions()
		o.Expect.BodyContains = contains
		if re != "" {
			o.Expect.BodyRegex = regexp.MustCompile(re)
		}
		return o
	}
	accept404 := DefaultOptions()
	accept404.Expect.Status = []StatusRange{{404, 404}}
	post := DefaultOptions()
	post.Method, post.Headers = http.MethodPost, http.Header{"X-Probe": {"yes"}}
	post.Expect.BodyContains = "POST yes"

	tests := []struct {
		name    string
		url     string
		opts    Options
		outcome Outcome
		class   Class
		status  int
	}{
		{"up", srv.URL + "/ok", def, Up, ClassNone, 200},
		{"body contains", srv.URL + "/ok", withBody("Welcome", ""), Up, ClassNone, 200},
		{"body missing", srv.URL + "/ok", withBody("Goodbye", ""), Down, ClassBody, 200},
		{"body regex", srv.URL + "/ok", withBody("", "^Wel+come"), Up, ClassNone, 200},
		{"long header and body", srv.URL + "/large", withBody("Welcome at the end", ""), Up, ClassNone, 200},
		{"wrong status", srv.URL + "/missing", def, Down, ClassStatus, 404},
		{"server error", srv.URL + "/error", def, Down, ClassStatus, 503},
		{"expected 404", srv.URL + "/missing", accept404, Up, ClassNone, 404},
		{"method and headers", srv.URL + "/echo", post, Up, ClassNone, 200},
		{"refused", "http://" + closedAddr(t, "tcp") + "/", def, Down, ClassRefused, 0},
		{"timeout", srv.URL + "/hang", def, Down, ClassTimeout, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const timeout = 300 * time.Millisecond
			start := time.Now()
			r := probeHTTP(t, tt.url, tt.opts, timeout)
			if r.Outcome != tt.outcome || r.Class != tt.class || r.Details.HTTPStatus != tt.status {
				t.Fatalf("got %s/%q status %d (%s), want %s/%q status %d",
					r.Outcome, r.Class, r.Details.HTTPStatus, r.Message, tt.outcome, tt.class, tt.status)
			}
			if tt.outcome == Down && r.Message == "" {
				t.Error("down result without a message")
			}
			if elapsed := time.Since(start); elapsed > timeout+2*time.Second {
				t.Errorf("probe took %s with a %s deadline", elapsed, timeout)
			}
		})
	}
}

func TestHTTPProbePhases(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	r := probeHTTP(t, srv.URL+"/", DefaultOptions(), time.Second)
	var names []string
	for _, p := range r.Phases {
		names = append(names, p.Name)
	}
	// The host is an IP literal, so there is no resolve phase.
	if got := strings.Join(names, ","); got != "connect,first_byte,transfer" {
		t.Errorf("phases = %s", got)
	}
}

func TestHTTPProbeDegradedLatency(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	tg, _ := ParseTarget(srv.URL + "/")
	tg.Options.DegradedLatency = time.Nanosecond
	r := NewHTTP(HTTPConfig{}).Probe(context.Background(), tg)
	if r.Outcome != Degraded || r.Class != ClassLatency {
		t.Errorf("got %s/%s, want degraded/latency", r.Outcome, r.Class)
	}
}

func BenchmarkHTTPProbe(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("Welcome")) }))
	b.Cleanup(srv.Close)
	tg, _ := ParseTarget(srv.URL + "/")
	tg.Options.Expect.BodyContains = "Welcome"
	p := NewHTTP(HTTPConfig{})
	benchProbes(b, p, tg, nil)
}
