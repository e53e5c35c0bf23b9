package incident

import (
	"fmt"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/text"
)

// TestDraftsSayWhatTheTableSays: drafted titles, bodies and proposed
// resolutions in every language are package text's wording, with the
// names joined by its Join.
func TestDraftsSayWhatTheTableSays(t *testing.T) {
	comps := []Component{{ID: "tel", Name: "Telephony", Description: "Calls and SIP trunks"}, {ID: "web", Name: "Website"},
		{ID: "api", Name: "API", Description: "Integrations"}}
	for _, lang := range append(text.Languages(), "xx") {
		tb := text.For(lang)
		all := tb.Join([]string{"Telephony", "Website", "API"})
		affected := fmt.Sprintf(tb.Draft.Affected, "Calls and SIP trunks; Integrations")
		tests := []struct {
			name        string
			comps       []Component
			major       bool
			title, body string
		}{
			{"major", comps, true, fmt.Sprintf(tb.Draft.MajorTitle, all), fmt.Sprintf(tb.Draft.MajorBody, all, affected)},
			{"partial", comps, false, fmt.Sprintf(tb.Draft.PartialTitle, all), fmt.Sprintf(tb.Draft.PartialBody, all, affected)},
			{"no description", comps[1:2], true, fmt.Sprintf(tb.Draft.MajorTitle, "Website"), fmt.Sprintf(tb.Draft.MajorBody, "Website", "")},
		}
		for _, tt := range tests {
			t.Run(lang+" "+tt.name, func(t *testing.T) {
				title, body := draftText(lang, tt.comps, tt.major)
				if title != tt.title || body != tt.body {
					t.Errorf("%q / %q\nwant %q / %q", title, body, tt.title, tt.body)
				}
				if strings.Contains(title+body, "%!") {
					t.Errorf("bad format: %q / %q", title, body)
				}
			})
		}
		t.Run(lang+" resolved", func(t *testing.T) {
			if got, want := resolvedText(lang, comps[:2]), fmt.Sprintf(tb.Draft.ResolvedBody, tb.Join([]string{"Telephony", "Website"})); got != want {
				t.Errorf("%q, want %q", got, want)
			}
		})
	}
	if title, _ := draftText("xx", comps[1:2], true); title != "Website unavailable" {
		t.Errorf("an unknown language drafts %q, want English", title)
	}
}
