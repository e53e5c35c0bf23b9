package monitor

import (
	"testing"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
)

// TestSpecWordingInPageLanguage: the impact and workaround the config
// gives per language reach the incident engine in the page language.
func TestSpecWordingInPageLanguage(t *testing.T) {
	cfg, err := config.Parse("w.yaml", []byte(`page: {language: de}
components:
  - name: Telephony
    impact: {en: calls fail, de: Anrufe schlagen fehl}
    workaround: forward calls
    checks: [{name: SIP, target: "sip:127.0.0.1"}]
`), config.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := SpecFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := incidentComponents(spec.Components)
	want := incident.Component{ID: "telephony", Name: "Telephony", Impact: "Anrufe schlagen fehl", Workaround: "forward calls"}
	if len(got) != 1 || got[0] != want {
		t.Errorf("components = %+v, want %+v", got, want)
	}
}
