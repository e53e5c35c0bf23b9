package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
)

// TestPushCheck: a push check reads its token from a file or the
// environment, keeps its interval and retry_interval, and takes
// degraded_latency only when it sets one.
func TestPushCheck(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "push.token")
	if err := os.WriteFile(tok, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := []byte(`
defaults: {timeout: 30s}
components:
  - name: Backup
    checks:
      - {name: Nightly, target: "push:", interval: 1d, retry_interval: 1h, fail_after: 1, token_file: ` + tok + `}
      - {name: Hourly, target: "PUSH:", interval: 1h, degraded_latency: 10m, token_env: HOURLY_TOKEN}
`)
	o := opts()
	o.Getenv = func(name string) string { return map[string]string{"HOURLY_TOKEN": "fedcba9876543210fedc"}[name] }
	cfg, err := config.Parse("push.yaml", data, o)
	if err != nil {
		t.Fatal(err)
	}
	nightly, hourly := cfg.Components[0].Checks[0], cfg.Components[0].Checks[1]
	if !nightly.IsPush() || !hourly.IsPush() {
		t.Fatal("push checks not recognised")
	}
	if nightly.Token.Reveal() != "0123456789abcdef0123" || hourly.Token.Reveal() != "fedcba9876543210fedc" {
		t.Errorf("tokens %q %q", nightly.Token.Reveal(), hourly.Token.Reveal())
	}
	if nightly.Interval.D() != 24*time.Hour || nightly.RetryInterval.D() != time.Hour || nightly.FailAfter != 1 {
		t.Errorf("nightly: %+v", nightly)
	}
	if nightly.DegradedLatency != 0 || hourly.DegradedLatency.D() != 10*time.Minute {
		t.Errorf("degraded_latency: inherited %s (want 0), set %s", nightly.DegradedLatency, hourly.DegradedLatency)
	}
	if s := nightly.Token.String(); s != "<redacted>" {
		t.Errorf("the token prints as %q", s)
	}
}

// TestPushTokenProblems: the token file must exist and hold a long token
// of one word; each problem is reported at its key.
func TestPushTokenProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ name, file, want string }{
		{"missing file", filepath.Join(dir, "nope"), "push.yaml:4:68: components[0].checks[0].token_file: read secret file: open " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"short", write("short", "abc\n"), "push.yaml:4:68: components[0].checks[0].token_file: the token holds fewer than 16 characters; use a long random token (openssl rand -hex 32)"},
		{"two words", write("space", "0123456789abcdef 0123456789\n"), "push.yaml:4:68: components[0].checks[0].token_file: the token contains white space or control characters; use one line of letters and digits (openssl rand -hex 32)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte("components:\n  - name: Backup\n    checks:\n      - {name: Nightly, target: \"push:\", interval: 1d, token_file: " + tc.file + "}\n")
			_, err := config.Parse("push.yaml", data, opts())
			list := config.List(err)
			if len(list) != 1 || list[0].Error() != tc.want {
				t.Errorf("errors %q\nwant %q", err, tc.want)
			}
		})
	}
}

// TestExamplePushCheck uncomments the push check of config.example.yaml
// (commented there because its token file does not exist) and loads it
// with a token file that does.
func TestExamplePushCheck(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	for _, line := range strings.Split(string(data), "\n") {
		if len(block) == 0 && !strings.HasPrefix(line, "  # - name: Backup") {
			continue
		}
		if len(block) > 0 && !strings.HasPrefix(line, "  #   ") {
			break
		}
		block = append(block, "  "+strings.TrimPrefix(line, "  # "))
	}
	if len(block) < 5 {
		t.Fatalf("no commented push check in config.example.yaml: %q", block)
	}
	tok := filepath.Join(t.TempDir(), "push-backup.token")
	if err := os.WriteFile(tok, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := "components:\n" + strings.ReplaceAll(strings.Join(block, "\n"), "/etc/outpost/push-backup.token", tok) + "\n"
	cfg, err := config.Parse("example-push.yaml", []byte(yaml), opts())
	if err != nil {
		t.Fatalf("the example's push check is invalid:\n%v\n%s", err, yaml)
	}
	if c := cfg.Components[0].Checks[0]; !c.IsPush() || c.Key() != "backup/nightly" || c.Token == "" {
		t.Errorf("example push check: %+v", c)
	}
}
