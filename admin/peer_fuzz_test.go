package admin

import (
	"bytes"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/monitor"
)

// FuzzDecodeConfirmRequest: any body either is refused with an error or
// yields 1 to MaxPeerKeys distinct keys of 1 to maxPeerKey bytes;
// nothing panics.
func FuzzDecodeConfirmRequest(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"keys":["web/home"]}`, `{"keys":["a/b","a/b"]}`, `{"keys":[]}`,
		`{"keys":null}`, `{"keys":[1,2]}`, `{"keys":["a/b"]}{"keys":["c/d"]}`, `{"keys":["a/b"],"x":1}`,
		`{"keys":["` + strings.Repeat("k", 200) + `"]}`, `{"keys":["\ud800"]}`, "{\"keys\":[\"\x00\xff\"]}",
		`{"KEYS":["a/b"]}`, `{"keys":[["a"]]}`, strings.Repeat("[", 10000), `{"keys":["a/b"]} `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := DecodeConfirmRequest(bytes.NewReader(body))
		if err != nil {
			if keys != nil {
				t.Errorf("keys %q with error %v", keys, err)
			}
			return
		}
		if len(keys) == 0 || len(keys) > monitor.MaxPeerKeys {
			t.Fatalf("%d keys accepted", len(keys))
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if len(k) == 0 || len(k) > maxPeerKey || seen[k] {
				t.Fatalf("key %q accepted (duplicate: %v)", k, seen[k])
			}
			seen[k] = true
		}
	})
}
