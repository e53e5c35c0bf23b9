package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/probe"
)

func opts() config.Options {
	return config.Options{
		ValidateTarget: func(raw string) error { _, err := probe.ParseTarget(raw); return err },
		Getenv:         func(string) string { return "" },
	}
}

// TestBadConfigs pairs each testdata/bad file with the messages in its
// "# want: LINE:COL: message" comments.
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					want = append(want, file+":"+w)
				}
			}
			_, err = config.Parse(file, data, opts())
			if err == nil {
				t.Fatalf("Parse accepted %s", file)
			}
			var got []string
			for _, e := range config.List(err) {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("errors:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	_, err := config.Load("testdata/three_mistakes.yaml", opts())
	list := config.List(err)
	if len(list) != 3 {
		t.Fatalf("got %d errors, want 3:\n%v", len(list), err)
	}
	for i, want := range []string{":2:13: defaults.interval", ":7:17: components[0].checks[0].target", ":8:21: components[0].checks[0].fail_after"} {
		if !strings.Contains(list[i].Error(), want) {
			t.Errorf("error %d = %q, want it to contain %q", i, list[i], want)
		}
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != 3 {
		t.Errorf("err.Error() has %d lines, want one per problem:\n%s", lines, err)
	}
}

func TestExampleConfig(t *testing.T) {
	o := opts()
	o.Getenv = func(name string) string { return map[string]string{"HOOK_SECRET": "s3cret"}[name] }
	cfg, err := config.Load("../config.example.yaml", o)
	if err != nil {
		t.Fatalf("config.example.yaml is invalid:\n%v", err)
	}
	if len(cfg.Components) == 0 || cfg.Page.Location == nil {
		t.Fatalf("example config decoded badly: %+v", cfg)
	}
	sip := cfg.Components[0].Checks[1]
	if sip.Key() != "telephony/sip-tls" || sip.Interval.D() != 15*time.Second || sip.Timeout.D() != 10*time.Second {
		t.Errorf("SIP TLS check = %s interval %s timeout %s", sip.Key(), sip.Interval, sip.Timeout)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := config.Parse("min.yaml", []byte(`components: [{name: Web, checks: [{name: Home, target: "http://127.0.0.1/"}]}]`), opts())
	if err != nil {
		t.Fatal(err)
	}
	ch := cfg.Components[0].Checks[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.Listen, config.DefaultListen},
		{"data_dir", cfg.DataDir, config.DefaultDataDir},
		{"language", cfg.Page.Language, "en"},
		{"results", cfg.Retention.Results.D(), 14 * 24 * time.Hour},
		{"history", cfg.Retention.History.D(), 400 * 24 * time.Hour},
		{"flush", cfg.Store.FlushInterval.D(), time.Second},
		{"windows", len(cfg.Availability.Windows), 5},
		{"partial_weight", cfg.Availability.PartialWeight, 0.3},
		{"component id", cfg.Components[0].ID, "web"},
		{"check key", ch.Key(), "web/home"},
		{"interval", ch.Interval.D(), 30 * time.Second},
		{"timeout", ch.Timeout.D(), 10 * time.Second},
		{"retry", ch.RetryInterval.D(), 5 * time.Second},
		{"fail_after", ch.FailAfter, 3},
		{"recover_after", ch.RecoverAfter, 2},
		{"degraded", ch.DegradedLatency.D(), 2 * time.Second},
		{"cert_min_days", ch.CertMinDays, 14},
		{"max_redirects", ch.MaxRedirects, 10},
		{"min_answers", ch.Expect.MinAnswers, 1},
		{"method", ch.Method, "GET"},
		{"group_window", cfg.Incidents.GroupWindow.D(), 5 * time.Minute},
		{"remind_after", cfg.Incidents.RemindAfter.D(), 30 * time.Minute},
		{"auto_publish_after", cfg.Incidents.AutoPublishAfter.D(), time.Duration(0)},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestInheritedTimeoutClippedToInterval(t *testing.T) {
	cfg, err := config.Parse("c.yaml", []byte(`components: [{name: W, checks: [{name: H, target: "http://127.0.0.1/", interval: 5s}]}]`), opts())
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Components[0].Checks[0].Timeout.D(); got != 5*time.Second {
		t.Errorf("timeout = %s, want 5s", got)
	}
}

func TestSecretHeaders(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "auth")
	if err := os.WriteFile(file, []byte("Bearer from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := opts()
	o.Getenv = func(k string) string {
		if k == "API_AUTH" {
			return "Bearer from-env"
		}
		return ""
	}
	src := `components: [{name: W, checks: [{name: H, target: "http://127.0.0.1/", secret_headers: {Authorization: {env: API_AUTH}, X-Key: {file: "` + file + `"}}}]}]`
	cfg, err := config.Parse("c.yaml", []byte(src), o)
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.Components[0].Checks[0].SecretHeaders
	if h["Authorization"].Value.Reveal() != "Bearer from-env" || h["X-Key"].Value.Reveal() != "Bearer from-file" {
		t.Errorf("secret headers not read: %#v", h)
	}
	if s := h["Authorization"].Value.String(); s != "<redacted>" {
		t.Errorf("Secret.String() = %q", s)
	}
	_, err = config.Parse("c.yaml", []byte(`components: [{name: W, checks: [{name: H, target: "http://127.0.0.1/", secret_headers: {A: {env: MISSING}}}]}]`), o)
	if err == nil || !strings.Contains(err.Error(), "environment variable MISSING is empty or not set") {
		t.Errorf("missing env secret: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"1d", 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"400d", 400 * 24 * time.Hour, true},
		{"1.5h", 90 * time.Minute, true},
		{"500ms", 500 * time.Millisecond, true},
		{"0", 0, true},
		{"", 0, false},
		{"30", 0, false},
		{"-5s", 0, false},
		{"1w", 0, false},
		{"d", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := config.ParseDuration(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"SIP UDP": "sip-udp", "Home page": "home-page", "Störung / Ausfall": "stoerung-ausfall", "  x  ": "x"} {
		if got := config.Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNotifySecretsAndDefaults(t *testing.T) {
	file := filepath.Join(t.TempDir(), "smtp.password")
	if err := os.WriteFile(file, []byte("pw from file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := opts()
	o.Getenv = func(name string) string { return map[string]string{"HOOK": "hook secret"}[name] }
	src := `components: [{name: W, checks: [{name: H, target: "http://127.0.0.1/"}]}]
notify:
  - {type: webhook, url: "https://hooks.example.com/x", secret_env: HOOK, escalate_after: 10m}
  - {type: email, audience: public, smtp: "smtp.example.com:587", from: "Status <s@example.com>", to: [a@example.com],
     username: s, password_file: "` + file + `", rate_limit: 5, rate_burst: 2, timeout: 3s, smtp_tls: auto}`
	cfg, err := config.Parse("c.yaml", []byte(src), o)
	if err != nil {
		t.Fatal(err)
	}
	hook, mail := cfg.Notify[0], cfg.Notify[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"webhook secret", hook.Secret.Reveal(), "hook secret"},
		{"webhook name", hook.Name, "webhook-1"},
		{"webhook audience", hook.Audience, "operators"},
		{"webhook rate", hook.RateLimit, config.DefaultNotifyRate},
		{"webhook burst", hook.RateBurst, config.DefaultNotifyBurst},
		{"webhook timeout", hook.Timeout.D(), config.DefaultNotifyTimeout},
		{"webhook escalate_after", hook.EscalateAfter.D(), 10 * time.Minute},
		{"email escalate_after off", mail.EscalateAfter.D(), time.Duration(0)},
		{"smtp password", mail.Password.Reveal(), "pw from file"},
		{"smtp tls", mail.SMTPTLS, "auto"},
		{"email rate", mail.RateLimit, 5},
		{"email burst", mail.RateBurst, 2},
		{"email timeout", mail.Timeout.D(), 3 * time.Second},
		{"secret redacted", fmt.Sprintf("%v %+v", hook.Secret, mail), "<redacted>"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "secret redacted" {
				if s := c.got.(string); strings.Contains(s, "hook secret") || strings.Contains(s, "pw from file") {
					t.Errorf("secret printed: %s", s)
				}
				return
			}
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}
