package monitor

import (
	"strings"
	"testing"
)

// FuzzPeerAnswer: whatever a peer answers, decoding either fails or
// yields verdicts with a known state, a bounded message and only keys
// that were asked; nothing panics.
func FuzzPeerAnswer(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"location":"ams","results":{}}`,
		`{"location":"ams","results":{"web/home":{"state":"up","time":"2026-12-01T03:00:00Z","duration_ms":7}}}`,
		`{"location":"ams","results":{"web/home":{"state":"down","class":"timeout","message":"x"}}}`,
		`{"location":"ams","results":{"web/home":{"state":"maybe"}}}`, `{"location":"ams","results":{"web/home":null}}`,
		`{"location":"ams","results":{"web/home":{"state":"up","duration_ms":-1}}}`,
		`{"location":"ams","results":{"shop/cart":{"state":"up"}}}`, `{"location":"par","results":{}}`,
		`{"location":"ams","results":{"web/home":{"state":"up","message":"` + strings.Repeat("m", 600) + `"}}}`,
		`{"location":"ams","results":{}}{}`, strings.Repeat("{", 5000),
	} {
		f.Add([]byte(seed))
	}
	asked := []string{"web/home", "web/api"}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ans PeerConfirmAnswer
		if strictJSON(data, &ans) != nil || checkConfirmAnswer("ams", asked, ans) != nil {
			return
		}
		for k, v := range ans.Results {
			if k != "web/home" && k != "web/api" {
				t.Fatalf("accepted a result for %q, not asked", k)
			}
			switch v.State {
			case StateUp, StateDegraded, StateDown, StateUnknown:
			default:
				t.Fatalf("accepted state %q", v.State)
			}
			if len(v.Message) > MaxPeerMessage || v.Duration < 0 {
				t.Fatalf("accepted %+v", v)
			}
		}
	})
}
