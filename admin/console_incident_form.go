package admin

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/outpost-status/outpost/store"
	"github.com/outpost-status/outpost/text"
)

// Limits of a person's incident text, in characters. The form as a whole
// is limited to maxFormBody bytes before it is read.
const (
	maxIncidentTitle = 200
	maxIncidentText  = 10_000
)

// Choices of the incident forms, in the order they are offered.
var (
	formImpacts  = []string{"none", "minor", "major", "critical"}
	formStatuses = []string{store.StatusInvestigating, store.StatusIdentified, store.StatusMonitoring}
)

// Which form of the incident page sent a request (the hidden field
// "form"): its values are kept in that form when the page is shown again.
const (
	formEdit    = "edit"
	formUpdate  = "update"
	formResolve = "resolve"
)

// incidentForm is what a person typed into one of the incident forms,
// kept as typed so a refused form shows it again. A field the form did
// not send stays unset (Has*), so it changes nothing.
type incidentForm struct {
	Kind       string // formEdit, formUpdate or formResolve
	Draft      bool   // the edit form of a draft: body and status, published with them
	Title      string
	Body       string
	Impact     string
	Status     string
	Components []string        // as sent, in the order sent
	Checked    map[string]bool // Components as a set, for the check boxes
	Publish    bool            // the new-incident form's "publish now"
	Template   string          // the new-incident form's template

	HasTitle, HasBody, HasImpact, HasComponents, HasStatus bool
}

// parseIncidentForm reads the incident fields of a posted form. Browsers
// send line breaks of a textarea as CRLF; they are stored as LF, as the
// admin API's JSON bodies have them. Check boxes send nothing when none is
// ticked, so the forms carry components_sent beside them.
func parseIncidentForm(f url.Values) incidentForm {
	in := incidentForm{Kind: f.Get("form"), Title: strings.TrimSpace(f.Get("title")), Impact: f.Get("impact"),
		Status: f.Get("status"), Body: strings.TrimSpace(strings.ReplaceAll(f.Get("body"), "\r\n", "\n")),
		Components: f["components"], Publish: f.Get("publish") != "", Template: f.Get("template"),
		HasTitle: f.Has("title"), HasBody: f.Has("body"), HasImpact: f.Has("impact"), HasStatus: f.Has("status"),
		HasComponents: f.Has("components") || f.Has("components_sent")}
	if in.Kind != formUpdate && in.Kind != formResolve {
		in.Kind = formEdit
	}
	in.Draft = in.Kind == formEdit && in.HasBody
	in.Checked = make(map[string]bool, len(in.Components))
	for _, id := range in.Components {
		in.Checked[id] = true
	}
	return in
}

// formOf fills the edit form with inc as stored.
func formOf(inc store.Incident) incidentForm {
	f := incidentForm{Kind: formEdit, Draft: inc.State == store.IncidentDraft, Title: inc.Name, Body: inc.Body,
		Impact: inc.Impact, Status: inc.Status, Components: slices.Clone(inc.Components), Checked: map[string]bool{},
		HasTitle: true, HasImpact: true, HasComponents: true, HasBody: inc.State == store.IncidentDraft, HasStatus: true}
	if !slices.Contains(formStatuses, f.Status) {
		f.Status = store.StatusInvestigating
	}
	for _, id := range inc.Components {
		f.Checked[id] = true
	}
	return f
}

// check returns what is wrong with the form, worded for the person, in
// the order of the fields; known are the configured component ids. A
// status is checked against the statuses the form offers.
func (f incidentForm) check(ct *text.ConsoleIncident, known map[string]bool, needTitle, needBody bool) []string {
	var out []string
	if f.HasTitle || needTitle {
		switch {
		case !cleanText(f.Title, false):
			out = append(out, fmt.Sprintf(ct.ControlChars, ct.Title))
		case f.Title == "" || utf8.RuneCountInString(f.Title) > maxIncidentTitle:
			out = append(out, fmt.Sprintf(ct.TitleInvalid, maxIncidentTitle))
		}
	}
	if f.HasBody || needBody {
		switch {
		case !cleanText(f.Body, true):
			out = append(out, fmt.Sprintf(ct.ControlChars, ct.Body))
		case utf8.RuneCountInString(f.Body) > maxIncidentText:
			out = append(out, fmt.Sprintf(ct.BodyInvalid, maxIncidentText))
		case f.Body == "" && needBody:
			out = append(out, ct.BodyRequired)
		}
	}
	if f.HasImpact && !slices.Contains(formImpacts, f.Impact) {
		out = append(out, fmt.Sprintf(ct.BadImpact, short(f.Impact)))
	}
	if f.HasStatus && !slices.Contains(formStatuses, f.Status) {
		out = append(out, fmt.Sprintf(ct.BadStatus, short(f.Status)))
	}
	for _, id := range f.Components {
		if !known[id] {
			out = append(out, fmt.Sprintf(ct.BadComponent, short(id)))
			break
		}
	}
	return out
}

// cleanText reports whether s is UTF-8 without control characters (line
// breaks and tabs allowed where lines is set): such characters are
// invisible on the page and break mails and chat posts.
func cleanText(s string, lines bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if lines && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// short cuts a rejected value for an error message: whoever sent a huge
// one does not get it back in full.
func short(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
