package publish

import (
	"fmt"
	"net/url"
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

// TestSubscribeRefusesMoreHostileInput adds what TestSubscribeRefusesHostileInput
// lacks: a bare LF or CR in the address, an encoded CRLF, a component
// repeated up to near the body limit, and a CR/LF in a component value.
func TestSubscribeRefusesMoreHostileInput(t *testing.T) {
	many := signUpForm("a@example.com")
	many.Set("scope", "some")
	for range 1000 { // about 14 KiB: within the 16 KiB body limit
		many.Add("component", "web")
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"bare LF", signUpForm("a@example.com\nBcc: victim@example.org"), 400, "Enter one email address"},
		{"bare CR", signUpForm("a@example.com\rBcc: victim@example.org"), 400, "Enter one email address"},
		{"CRLF in the display name", signUpForm("\"x\r\nBcc: v@example.org\" <a@example.com>"), 400, "Enter one email address"},
		{"CRLF in a component", signUpForm("a@example.com", "web\r\nBcc: v@example.org"), 400, "There is no component"},
		{"a component 1,000 times", many, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rig := newSubRig(t, 5)
			rec := rig.do("POST", "/subscribe", client1, tc.form)
			if strings.Contains(rec.Body.String(), "\nBcc:") || strings.Contains(rec.Body.String(), "\rBcc:") {
				t.Errorf("the answer echoes the injected line break:\n%s", rec.Body)
			}
			subs, _ := rig.db.Subscribers(nil)
			if tc.status == 0 { // stored once, with the component once
				if rec.Code != 200 || len(subs) != 1 || len(subs[0].Components) != 1 || len(rig.mails()) != 1 {
					t.Errorf("%d; stored %+v and %d mails", rec.Code, subs, len(rig.mails()))
				}
				return
			}
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("%d, want %d with %q:\n%s", rec.Code, tc.status, tc.want, rec.Body)
			}
			if len(subs) != 0 || len(rig.mails()) != 0 {
				t.Errorf("stored %+v, mailed %d", subs, len(rig.mails()))
			}
		})
	}
}
