// Package notifytest holds the conformance checks every notification
// channel passes: which failures retry, that errors never carry a secret,
// that replies are drained, that a send honours its timeout and ctx.
package notifytest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

// Sender is notify.Sender (declared here so notify's tests can import
// this package).
type Sender interface {
	Send(ctx context.Context, m store.OutboxMessage) (retry bool, err error)
}

// Behaviour is how a test receiver answers every delivery.
type Behaviour string

// Behaviours a harness must support.
const (
	Accept  Behaviour = "accept"  // delivered
	Busy    Behaviour = "busy"    // HTTP 429, SMTP 452: retry
	Broken  Behaviour = "broken"  // HTTP 503, SMTP 451: retry
	Reject  Behaviour = "reject"  // HTTP 400, SMTP 550: final
	Down    Behaviour = "down"    // nothing listens: retry
	Hang    Behaviour = "hang"    // accepts the connection, never answers: retry after the timeout
	Verbose Behaviour = "verbose" // rejects (final) with a long reply that quotes the secrets
)

// Receiver is a test peer started by a Harness.
type Receiver interface {
	// Accepted returns the idempotency keys of the messages delivered, in order.
	Accepted() []string
	// Conns returns how many connections the receiver accepted.
	Conns() int
}

// Harness adapts one channel type to the checks.
type Harness struct {
	// New starts a receiver that behaves as b (stopped by t.Cleanup) and
	// returns a sender for it whose per-attempt timeout is Timeout.
	New func(t *testing.T, b Behaviour) (Sender, Receiver)
	// Timeout is the per-attempt timeout New configures.
	Timeout time.Duration
	// Secrets must never appear in an error: URL paths, signing
	// secrets, passwords.
	Secrets []string
	// ReusesConnections: two sends to a verbose receiver share one
	// connection, which proves the reply was drained (HTTP channels).
	ReusesConnections bool
}

// Message returns a test message with key.
func Message(key string) store.OutboxMessage {
	return store.OutboxMessage{Key: key, Channel: "test", Event: "incident_published", Audience: "public",
		IncidentID: 7, Thread: "inc-7-1", Topic: "Website unavailable", Subject: "Website unavailable",
		Text: "Investigating: Größere Störung — we are on it.\n\nDetails: https://status.example.com/incidents/7",
		URL:  "https://status.example.com/incidents/7", CreatedAt: time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC),
		Incident: &store.MessageIncident{ID: 7, Name: "Website unavailable", State: "published", Status: "investigating",
			Impact: "major", Components: []string{"web"}}}
}

// Run runs every check against h.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		b         Behaviour
		wantErr   bool
		wantRetry bool
	}{
		{Accept, false, false},
		{Busy, true, true},
		{Broken, true, true},
		{Reject, true, false},
		{Down, true, true},
		{Hang, true, true},
		{Verbose, true, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.b), func(t *testing.T) {
			s, r := h.New(t, tt.b)
			start := time.Now()
			retry, err := s.Send(context.Background(), Message("k1"))
			if took := time.Since(start); took > 3*h.Timeout+2*time.Second {
				t.Errorf("Send took %s with a timeout of %s", took, h.Timeout)
			}
			if (err != nil) != tt.wantErr || (err != nil && retry != tt.wantRetry) {
				t.Fatalf("Send = %v, %v; want error %v, retry %v", retry, err, tt.wantErr, tt.wantRetry)
			}
			if err != nil {
				checkError(t, h, err)
			}
			if tt.b == Accept {
				if got := r.Accepted(); len(got) != 1 || got[0] != "k1" {
					t.Errorf("receiver accepted %q, want [k1]", got)
				}
			}
			if tt.b == Verbose && h.ReusesConnections {
				_, _ = s.Send(context.Background(), Message("k2"))
				if n := r.Conns(); n != 1 {
					t.Errorf("two sends used %d connections, want 1 (reply not drained?)", n)
				}
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		s, _ := h.New(t, Hang)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if retry, err := s.Send(ctx, Message("k1")); err == nil || !retry {
			t.Errorf("Send with a cancelled ctx = %v, %v; want a retryable error", retry, err)
		}
	})
}

func checkError(t *testing.T, h Harness, err error) {
	t.Helper()
	msg := err.Error()
	t.Logf("error: %s", msg)
	for _, s := range h.Secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error reveals secret %q: %s", s, msg)
		}
	}
	if len(msg) > 600 {
		t.Errorf("error is %d bytes long; quote only a snippet: %.80s…", len(msg), msg)
	}
	if first := msg[:1]; first != strings.ToLower(first) {
		t.Errorf("error starts upper case: %s", msg)
	}
}
