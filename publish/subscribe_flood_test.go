package publish

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestSubscribeThousandSignUpsFromOneClient is a script signing up 1,000
// addresses from one client: only per_client_per_hour of them are stored
// and mailed, each with the same answer page (but for the address it names); the rest get the
// rate-limit answer and leave nothing behind, and the memory the server
// holds afterwards does not grow with the number of attempts.
func TestSubscribeThousandSignUpsFromOneClient(t *testing.T) {
	const perHour, attempts = 5, 1000
	rig := newSubRig(t, perHour)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	var allowedAnswer string
	allowed, limited := 0, 0
	for i := range attempts {
		email := fmt.Sprintf("flood%04d@example.com", i)
		rec := rig.do("POST", "/subscribe", client1, signUpForm(email))
		page := strings.ReplaceAll(rec.Body.String(), email, "ADDRESS")
		switch rec.Code {
		case 200:
			allowed++
			if allowedAnswer == "" {
				allowedAnswer = page
			} else if page != allowedAnswer {
				t.Errorf("sign-up %d was allowed with another page than the first", i)
			}
		case 429:
			limited++
			if rec.Header().Get("Retry-After") == "" {
				t.Fatalf("sign-up %d: 429 without Retry-After", i)
			}
			if body := rec.Body.String(); page == allowedAnswer || !strings.Contains(body, fmt.Sprintf("at most %d an hour", perHour)) {
				t.Fatalf("sign-up %d: the rate-limit answer does not say the limit:\n%s", i, body)
			}
		default:
			t.Fatalf("sign-up %d: %d\n%s", i, rec.Code, rec.Body)
		}
	}
	if allowed != perHour || limited != attempts-perHour {
		t.Errorf("%d allowed and %d limited, want %d and %d", allowed, limited, perHour, attempts-perHour)
	}
	subs, err := rig.db.Subscribers(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != perHour {
		t.Errorf("%d subscribers stored, want the %d allowed", len(subs), perHour)
	}
	for _, s := range subs {
		var n int
		if _, err := fmt.Sscanf(s.Email, "flood%04d@example.com", &n); err != nil || n >= perHour {
			t.Errorf("stored %q, which came after the limit", s.Email)
		}
	}
	if n := len(rig.mails()); n != perHour {
		t.Errorf("%d confirmation mails, want %d", n, perHour)
	}
	rig.srv.subs.limit.mu.Lock()
	entries := len(rig.srv.subs.limit.counts)
	rig.srv.subs.limit.mu.Unlock()
	if entries != 1 {
		t.Errorf("the limiter holds %d entries for one client", entries)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if grown := int64(ms.HeapAlloc) - int64(before); grown > 8<<20 {
		t.Errorf("the heap grew by %d KiB over %d sign-ups; it must not grow with refused ones", grown>>10, attempts)
	}
}
