package config_test

import (
	"reflect"
	"testing"

	"github.com/outpost-status/outpost/config"
)

const wordingConfig = `page: {language: de}
components:
  - name: Telephony
    checks: [{name: SIP, target: "sip:127.0.0.1"}]
    impact: calls cannot be placed or received.
    workaround:
      en: you can forward calls to a mobile number in the app
      sv: vidarekoppla samtal till ett mobilnummer i appen
  - name: Web
    checks: [{name: Home, target: "http://127.0.0.1/"}]
templates:
  - name: telephony-down
    title: {en: Telephony unavailable, de: Telefonie nicht verfügbar}
    body: Calls fail.
    components: [telephony]
  - name: web-slow
    title: Website slow
    impact: major
    status: identified
`

func TestWordingAndTemplates(t *testing.T) {
	cfg, err := config.Parse("w.yaml", []byte(wordingConfig), opts())
	if err != nil {
		t.Fatal(err)
	}
	tel := cfg.Components[0]
	if got := tel.Impact.For("de"); got != "calls cannot be placed or received." {
		t.Errorf("plain impact in de = %q", got)
	}
	if cfg.Components[1].Impact.For("en") != "" || !cfg.Components[1].Workaround.IsZero() {
		t.Errorf("absent wording = %+v", cfg.Components[1])
	}
	want := []config.Template{
		{Name: "telephony-down", Title: config.Localized{ByLanguage: map[string]string{"en": "Telephony unavailable", "de": "Telefonie nicht verfügbar"}},
			Body: config.Localized{Text: "Calls fail."}, Impact: "minor", Status: "investigating", Components: []string{"telephony"}},
		{Name: "web-slow", Title: config.Localized{Text: "Website slow"}, Impact: "major", Status: "identified"},
	}
	if !reflect.DeepEqual(cfg.Templates, want) {
		t.Errorf("templates:\n got %#v\nwant %#v", cfg.Templates, want)
	}
	// The fallbacks: the language asked for, English, the first given.
	tests := []struct {
		name string
		l    config.Localized
		lang string
		want string
	}{
		{"own language", tel.Workaround, "sv", "vidarekoppla samtal till ett mobilnummer i appen"},
		{"english when the language is missing", tel.Workaround, "de", "you can forward calls to a mobile number in the app"},
		{"unknown language", tel.Workaround, "xx", "you can forward calls to a mobile number in the app"},
		{"first given without english", config.Localized{ByLanguage: map[string]string{"sv": "hej", "de": "hallo"}}, "en", "hallo"},
		{"plain for every language", config.Localized{Text: "same"}, "sv", "same"},
		{"nothing", config.Localized{}, "en", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.l.For(tt.lang); got != tt.want {
				t.Errorf("For(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
}

// TestExampleShowsWording: config.example.yaml shows impact (plain),
// workaround (per language) and a template.
func TestExampleShowsWording(t *testing.T) {
	o := opts()
	o.Getenv = func(name string) string { return map[string]string{"HOOK_SECRET": "s3cret"}[name] }
	cfg, err := config.Load("../config.example.yaml", o)
	if err != nil {
		t.Fatal(err)
	}
	tel := cfg.Components[0]
	if tel.Impact.Text == "" || len(tel.Workaround.ByLanguage) < 2 {
		t.Errorf("telephony wording = %+v / %+v", tel.Impact, tel.Workaround)
	}
	if len(cfg.Templates) == 0 || cfg.Templates[0].Title.For("de") == cfg.Templates[0].Title.For("en") {
		t.Errorf("templates = %+v, want one with a title per language", cfg.Templates)
	}
}
