package incident

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/config"
)

// TestTemplatesFromConfigAndReload: templates come from the config in
// the page language, are copies, and a reload (SetSettings) replaces them.
func TestTemplatesFromConfigAndReload(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(`page: {language: sv}
components: [{name: Telephony, checks: [{name: SIP, target: "sip:127.0.0.1"}]}]
templates:
  - {name: tel-down, title: {en: Telephony unavailable, sv: Telefoni är nere}, body: {de: Anrufe scheitern}, impact: major, components: [telephony]}
  - {name: notice, title: Notice}
`), config.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	want := []Template{
		{Name: "tel-down", Title: "Telefoni är nere", Body: "Anrufe scheitern", Impact: "major", Status: "investigating", Components: []string{"telephony"}},
		{Name: "notice", Title: "Notice", Impact: "minor", Status: "investigating", Components: []string{}},
	}
	h := newHarness(t, SettingsFromConfig(cfg), nil)
	got := h.e.Templates()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Templates() =\n %#v\nwant %#v", got, want)
	}
	got[0].Components[0] = "changed"
	if h.e.Templates()[0].Components[0] != "telephony" {
		t.Error("Templates() shares its slices with the engine")
	}
	s := testSettings("en")
	s.Templates = want[1:]
	h.e.SetSettings(s)
	if got := h.e.Templates(); len(got) != 1 || got[0].Name != "notice" {
		t.Errorf("after a reload Templates() = %+v", got)
	}
}

func TestFindTemplate(t *testing.T) {
	ts := []Template{{Name: "a", Title: "A", Impact: "minor", Components: []string{"web"}}, {Name: "b", Title: "B"}}
	tests := []struct {
		name    string
		ts      []Template
		find    string
		wantErr string
	}{
		{"found", ts, "b", ""},
		{"unknown lists the names", ts, "c", `template "c" is unknown (use a, b)`},
		{"none configured", nil, "a", "no templates are configured"},
		{"hostile name is cut", ts, strings.Repeat("x", 10_000) + "\x00", `"` + strings.Repeat("x", 64) + `" is unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindTemplate(tt.ts, tt.find)
			if tt.wantErr == "" {
				if err != nil || got.Name != tt.find {
					t.Errorf("FindTemplate = %+v, %v", got, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want ErrInvalid containing %q", err, tt.wantErr)
			}
		})
	}
	inc := ts[0].Incident()
	if inc.Name != "A" || inc.Impact != "minor" || !reflect.DeepEqual(inc.Components, []string{"web"}) {
		t.Errorf("Incident() = %+v", inc)
	}
}
