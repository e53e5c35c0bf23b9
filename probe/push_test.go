package probe

import (
	"strings"
	"testing"
)

func TestParsePushTarget(t *testing.T) {
	for _, raw := range []string{"push:", "PUSH:", " push: "} {
		tg, err := ParseTarget(raw)
		if err != nil {
			t.Fatalf("ParseTarget(%q): %v", raw, err)
		}
		if tg.Kind != KindPush || tg.Redacted != PushTarget || tg.Scheme() != "push" {
			t.Errorf("ParseTarget(%q) = kind %s, redacted %q, scheme %q", raw, tg.Kind, tg.Redacted, tg.Scheme())
		}
	}
	for _, raw := range []string{"push:backup", "push://x", "push:?token=abc"} {
		_, err := ParseTarget(raw)
		if err == nil || !strings.Contains(err.Error(), "nothing after push:") {
			t.Errorf("ParseTarget(%q) = %v, want an error saying nothing may follow push:", raw, err)
		}
		if err != nil && strings.Contains(err.Error(), "abc") {
			t.Errorf("the error shows a token-like value: %v", err)
		}
	}
}
