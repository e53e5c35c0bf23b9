// Package contrib holds Prometheus and Grafana material; this test checks
// it with promtool and against the metric names outpost exports.
package contrib

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/outpost-status/outpost/internal/testpeer"
)

func TestPrometheusRules(t *testing.T) {
	bin := testpeer.Require(t, "promtool", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "outpost.rules.yml"},
		{"test", "rules", "outpost.rules.test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		t.Run(args[0]+" "+args[1], func(t *testing.T) {
			cmd := exec.Command(bin, args...)
			cmd.Dir = "prometheus"
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("promtool %v: %v\n%s", args, err, out)
			}
		})
	}
}

// knownMetrics are the metric families outpost exports; the alert rules and
// the dashboard may use only these.
var knownMetrics = regexp.MustCompile(`^outpost_(check_up|check_state|check_info|probes_total|probe_duration_seconds(_bucket|_sum|_count)?|` +
	`tls_cert_expiry_timestamp_seconds|component_status|availability_ratio|incidents|blind|scheduler_lag_seconds(_bucket|_sum|_count)?|` +
	`store_[a-z_]+|build_info|notifications_[a-z_]+|probes_inconclusive_total)$`)

func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile("grafana/outpost-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard is not valid JSON: %v", err)
	}
	if len(dash.Panels) < 8 {
		t.Fatalf("dashboard has %d panels", len(dash.Panels))
	}
	name := regexp.MustCompile(`outpost_[a-z_]+`)
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				if !knownMetrics.MatchString(m) {
					t.Errorf("panel %q uses unknown metric %s", p.Title, m)
				}
			}
		}
	}
}
