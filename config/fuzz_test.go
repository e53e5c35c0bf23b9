package config_test

import (
	"os"
	"testing"

	"github.com/outpost-status/outpost/config"
)

// FuzzParse checks that no input makes the loader panic, and that every
// rejection carries at least one positioned error.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../config.example.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("components: [{name: W, checks: [{name: H, target: \"http://x/\"}]}]"))
	f.Add([]byte("defaults: {interval: 1d1h, fail_after: -1}\n"))
	f.Add([]byte("a: &x [*x]"))
	f.Add([]byte(wordingConfig))
	f.Add([]byte("components: [{name: W, impact: {en: a, fr: b}, workaround: [x], checks: [{name: H, target: \"http://x/\"}]}]\n" +
		"templates: [{name: Bad Name, title: {de: &t T}, body: *t, impact: severe, status: resolved, components: [nope]}, {title: \"\"}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := config.Parse("fuzz.yaml", data, opts())
		if err != nil && len(config.List(err)) == 0 {
			t.Fatalf("error without positions: %v", err)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "1d12h", "0", "-1s", "1.5d", "999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := config.ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
	})
}
