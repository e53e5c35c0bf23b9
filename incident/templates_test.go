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
		d := tb.Draft
		all := tb.Join([]string{"Telephony", "Website", "API"})
		affected := fmt.Sprintf(d.Affected, "Calls and SIP trunks; Integrations")
		tests := []struct {
			name        string
			comps       []Component
			major       bool
			title, body string
		}{
			{"major", comps, true, fmt.Sprintf(d.MajorTitle, all), fmt.Sprintf(d.MajorLead, all, affected) + " " + d.Closing},
			{"partial", comps, false, fmt.Sprintf(d.PartialTitle, all), fmt.Sprintf(d.PartialLead, all, affected) + " " + d.Closing},
			{"no description", comps[1:2], true, fmt.Sprintf(d.MajorTitle, "Website"), fmt.Sprintf(d.MajorLead, "Website", "") + " " + d.Closing},
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
			if got, want := resolvedText(lang, comps[:2]), fmt.Sprintf(d.ResolvedBody, tb.Join([]string{"Telephony", "Website"})); got != want {
				t.Errorf("%q, want %q", got, want)
			}
		})
	}
	if title, _ := draftText("xx", comps[1:2], true); title != "Website unavailable" {
		t.Errorf("an unknown language drafts %q, want English", title)
	}
}

// TestDraftsWithoutWordingStayAsBefore pins the full text of a draft of
// components without impact wording, as it read before the config had
// any.
func TestDraftsWithoutWordingStayAsBefore(t *testing.T) {
	_, body := draftText("en", []Component{{ID: "tel", Name: "Telephony", Description: "Calls and SIP trunks"}}, true)
	want := "Telephony is currently not available. Affected: Calls and SIP trunks. You may not be able to use it until it is restored. " +
		"We are working on it and will update this page as soon as we know more."
	if body != want {
		t.Errorf("body = %q\nwant %q", body, want)
	}
	_, body = draftText("de", []Component{{ID: "web", Name: "Website"}}, false)
	want = "Ein Teil der Anfragen an Website schlägt derzeit fehl. Falls etwas nicht funktioniert, versuchen Sie es bitte in einigen Minuten erneut. " +
		"Wir arbeiten daran und informieren auf dieser Seite, sobald wir mehr wissen."
	if body != want {
		t.Errorf("body = %q\nwant %q", body, want)
	}
}

// TestDraftsUseImpactWording: a component's impact and workaround from
// the config become sentences of the draft, in each language; the others
// keep the general sentence.
func TestDraftsUseImpactWording(t *testing.T) {
	tel := Component{ID: "tel", Name: "Telephony", Description: "Calls and SIP trunks",
		Impact: "calls cannot be placed or received", Workaround: "you can forward calls to a mobile number in the app."}
	web := Component{ID: "web", Name: "Website", Description: "Shop", Workaround: "you can order by phone"}
	api := Component{ID: "api", Name: "API", Impact: "integrations cannot sync", Workaround: "you can order by phone"}
	tests := []struct {
		lang  string
		comps []Component
		major bool
		body  string
	}{
		{"en", []Component{tel}, true, "Telephony is currently not available: calls cannot be placed or received. " +
			"Meanwhile you can forward calls to a mobile number in the app. " +
			"We are working on it and will update this page as soon as we know more."},
		{"en", []Component{tel}, false, "Telephony is partly disrupted: for some customers, calls cannot be placed or received. " +
			"Meanwhile you can forward calls to a mobile number in the app. " +
			"We are working on it and will update this page as soon as we know more."},
		{"en", []Component{tel, web, api}, true, "Telephony is currently not available: calls cannot be placed or received. " +
			"Meanwhile you can forward calls to a mobile number in the app. " +
			"API is currently not available: integrations cannot sync. Meanwhile you can order by phone. " +
			"Website is currently not available. Affected: Shop. You may not be able to use it until it is restored. " +
			"We are working on it and will update this page as soon as we know more."},
		{"de", []Component{{Name: "Telefonie", Impact: "Anrufe können weder getätigt noch angenommen werden",
			Workaround: "Leiten Sie Anrufe in der App auf eine Mobilnummer um"}}, true,
			"Telefonie ist derzeit nicht verfügbar: Anrufe können weder getätigt noch angenommen werden. " +
				"So können Sie sich in der Zwischenzeit behelfen: Leiten Sie Anrufe in der App auf eine Mobilnummer um. " +
				"Wir arbeiten daran und informieren auf dieser Seite, sobald wir mehr wissen."},
		{"de", []Component{{Name: "Telefonie", Impact: "Anrufe brechen ab"}}, false,
			"Telefonie ist teilweise gestört. Bei einem Teil unserer Kunden gilt: Anrufe brechen ab. " +
				"Wir arbeiten daran und informieren auf dieser Seite, sobald wir mehr wissen."},
		{"sv", []Component{{Name: "Telefoni", Impact: "samtal kan varken ringas eller tas emot",
			Workaround: "vidarekoppla samtal till ett mobilnummer i appen"}}, true,
			"Telefoni är för närvarande inte tillgängligt: samtal kan varken ringas eller tas emot. " +
				"Så här kan ni göra under tiden: vidarekoppla samtal till ett mobilnummer i appen. " +
				"Vi arbetar med saken och uppdaterar den här sidan så snart vi vet mer."},
		{"sv", []Component{{Name: "Webbplatsen", Workaround: "beställ per telefon"}}, false,
			"En del förfrågningar till Webbplatsen misslyckas för närvarande. Om något inte fungerar, försök igen om några minuter. " +
				"Så här kan ni göra under tiden: beställ per telefon. " +
				"Vi arbetar med saken och uppdaterar den här sidan så snart vi vet mer."},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d components major=%v", tt.lang, len(tt.comps), tt.major), func(t *testing.T) {
			_, body := draftText(tt.lang, tt.comps, tt.major)
			if body != tt.body {
				t.Errorf("body = %q\nwant %q", body, tt.body)
			}
		})
	}
}
