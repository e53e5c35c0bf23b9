package notify

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/notify/notifytest"
)

func TestBlueskyLoginAnswers(t *testing.T) {
	now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		retry  bool
		reason Reason
		want   string // in the error
		wait   time.Duration
	}{
		{"wrong app password", func(w http.ResponseWriter) {
			xrpcErr(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password "+bskyPassword)
		}, false, ReasonRejected, "check identifier and app_password_file or app_password_env", 0},
		{"sign-in code", func(w http.ResponseWriter) {
			xrpcErr(w, http.StatusUnauthorized, "AuthFactorTokenRequired", "A sign in code has been sent to your email address")
		}, false, ReasonRejected, "use an app password", 0},
		{"rate limited", func(w http.ResponseWriter) {
			w.Header().Set("RateLimit-Reset", strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10))
			xrpcErr(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
		}, true, ReasonRateLimited, "429", 5 * time.Minute},
		{"huge reply", func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"accessJwt":"`+strings.Repeat("a", 100<<10)+`"}`)
		}, true, ReasonOther, "more than 64 KiB", 0},
		{"not JSON", func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, "<html>maintenance "+bskyPassword+"</html>")
		}, true, ReasonOther, "without valid JSON", 0},
		{"no token", func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"did":"did:plc:x"}`) }, true, ReasonOther, "without accessJwt", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakePDS(t)
			p.loginAnswer = func(w http.ResponseWriter) bool { tt.answer(w); return true }
			b := p.sender(t, BlueskyOptions{Now: func() time.Time { return now }})
			retry, err := b.Send(t.Context(), swedishMessage("k"))
			var e *Error
			if err == nil || retry != tt.retry || !errors.As(err, &e) || e.Reason != tt.reason || e.RetryAfter != tt.wait {
				t.Fatalf("Send = %v, %#v; want retry %v, reason %s, wait %s", retry, err, tt.retry, tt.reason, tt.wait)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, bskyPassword) || len(msg) > 600 {
				t.Errorf("error %q: want it to say %q, short, without the password", msg, tt.want)
			}
			if _, _, posts := p.counts(); posts != 0 {
				t.Errorf("posted without a session")
			}
		})
	}
}

func TestBlueskyRecordKey(t *testing.T) {
	m := notifytest.Message("inc-7-1795489200-published")
	k := BlueskyRecordKey(m)
	if !tidPattern.MatchString(k) || k != BlueskyRecordKey(m) {
		t.Fatalf("record key %q: want the same TID every time", k)
	}
	other := m
	other.Key = "inc-7-1795489200-resolved"
	if BlueskyRecordKey(other) == k {
		t.Errorf("two messages of the same time share the record key %s", k)
	}
	later := m
	later.CreatedAt = m.CreatedAt.Add(time.Millisecond)
	if later := BlueskyRecordKey(later); later <= k {
		t.Errorf("a later message's key %s does not sort after %s", later, k)
	}
	zero := m
	zero.CreatedAt = time.Time{}
	if z := BlueskyRecordKey(zero); !tidPattern.MatchString(z) {
		t.Errorf("record key of a message without a time = %q", z)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"120"}}, 2 * time.Minute},
		{"http date", http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, time.Minute},
		{"mastodon reset", http.Header{"X-Ratelimit-Reset": {"2026-11-24T03:05:00.000Z"}}, 5 * time.Minute},
		{"bluesky reset", http.Header{"Ratelimit-Reset": {strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)}}, 90 * time.Second},
		{"Retry-After wins", http.Header{"Retry-After": {"5"}, "X-Ratelimit-Reset": {"2026-11-24T04:00:00Z"}}, 5 * time.Second},
		{"past", http.Header{"X-Ratelimit-Reset": {"2026-11-24T02:00:00Z"}}, 0},
		{"negative", http.Header{"Retry-After": {"-5"}}, 0},
		{"huge", http.Header{"Retry-After": {"99999999"}}, maxRetryAfter},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(tt.h, now); got != tt.want {
				t.Errorf("retryAfter = %s, want %s", got, tt.want)
			}
		})
	}
}
