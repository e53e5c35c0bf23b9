package notify

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://hooks.slack.com/services/T0/B0/secret", "https://hooks.slack.com/<redacted>"},
		{"http://user:pw@127.0.0.1:9/x?token=abc", "http://127.0.0.1:9/<redacted>"},
		{"not a url", "<redacted url>"},
		{"%zz", "<redacted url>"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := redactURL(tt.in); got != tt.want {
				t.Errorf("redactURL = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzSnippet: whatever a receiver answers, the quoted snippet is one
// short line of valid, printable UTF-8.
func FuzzSnippet(f *testing.F) {
	f.Add([]byte("invalid_payload"))
	f.Add([]byte("line one\r\nline two\x00\xff"))
	f.Add([]byte(strings.Repeat("ä", 300)))
	f.Fuzz(func(t *testing.T, reply []byte) {
		s := readSnippet(strings.NewReader(string(reply)))
		if len(s) > snippetBytes+len("…") || !utf8.ValidString(s) {
			t.Fatalf("snippet %q: %d bytes, valid %v", s, len(s), utf8.ValidString(s))
		}
		for _, r := range s {
			if !unicode.IsPrint(r) {
				t.Fatalf("snippet %q has unprintable %U", s, r)
			}
		}
	})
}
