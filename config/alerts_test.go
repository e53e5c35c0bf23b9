package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/outpost-status/outpost/config"
)

// TestAlertRoutes: defaults, the token read from its file, a component
// fed only by alerts, and match_re anchored as Prometheus anchors it.
func TestAlertRoutes(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "alerts.token")
	if err := os.WriteFile(tok, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := []byte(`
components:
  - {name: Web, checks: [{name: Home, target: "https://127.0.0.1/"}]}
  - {name: Billing}
alerts:
  token_file: ` + tok + `
  routes:
    - {match: {service: billing}, match_re: {severity: "crit|page"}, component: billing, impact: major}
    - {match_re: {job: "web"}, component: web}
`)
	cfg, err := config.Parse("alerts.yaml", data, opts())
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Alerts
	if a.Token.Reveal() != "0123456789abcdef0123" || a.TTL.D() != config.DefaultAlertTTL {
		t.Fatalf("token %q ttl %s", a.Token.Reveal(), a.TTL)
	}
	if a.Routes[1].Impact != config.AlertImpactPartial {
		t.Errorf("default impact %q", a.Routes[1].Impact)
	}
	for _, tc := range []struct {
		name   string
		route  int
		labels map[string]string
		want   bool
	}{
		{"all matchers", 0, map[string]string{"service": "billing", "severity": "crit"}, true},
		{"regex alternative", 0, map[string]string{"service": "billing", "severity": "page"}, true},
		{"regex anchored at the end", 0, map[string]string{"service": "billing", "severity": "critical"}, false},
		{"exact value", 0, map[string]string{"service": "billing2", "severity": "crit"}, false},
		{"regex anchored at the start", 1, map[string]string{"job": "myweb"}, false},
		{"missing label", 1, map[string]string{}, false},
		{"regex whole value", 1, map[string]string{"job": "web"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := a.Routes[tc.route].Matches(tc.labels); got != tc.want {
				t.Errorf("Matches(%v) = %v", tc.labels, got)
			}
		})
	}
}

// TestAlertTokenProblems: a short token and both sources are refused
// with the key's position.
func TestAlertTokenProblems(t *testing.T) {
	short := filepath.Join(t.TempDir(), "short")
	if err := os.WriteFile(short, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, alerts, want string }{
		{"short", "token_file: " + short, "a.yaml:5:15: alerts.token_file: the token holds fewer than 16 characters; use a long random token (openssl rand -hex 32)"},
		{"both", "token_file: x\n  token_env: Y", "a.yaml:6:14: alerts.token_env: set either token_file or token_env, not both"},
		{"missing env", "token_env: OUTPOST_ALERTS", "a.yaml:5:14: alerts.token_env: environment variable OUTPOST_ALERTS is empty or not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := "components:\n  - {name: Web, checks: [{name: Home, target: \"https://127.0.0.1/\"}]}\n\nalerts:\n  " +
				tc.alerts + "\n  routes: [{match: {a: b}, component: web}]\n"
			_, err := config.Parse("a.yaml", []byte(data), opts())
			list := config.List(err)
			if len(list) != 1 || list[0].Error() != tc.want {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}
