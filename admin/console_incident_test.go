package admin

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/notify"
	"github.com/outpost-status/outpost/publish"
	"github.com/outpost-status/outpost/store"
)

// testPreviewer joins publish's and notify's previews, as main does.
type testPreviewer struct {
	srv *publish.Server
	r   *notify.Renderer
}

func (p testPreviewer) IncidentPage(inc store.Incident) ([]byte, error) {
	return p.srv.PreviewIncident(inc)
}

func (p testPreviewer) Notification(inc store.Incident, ev incident.Event) (string, string, error) {
	return p.r.Preview(inc, ev, map[string]string{"web": "Website", "api": "API"})
}

// incidentEnv is a console with previews, the public site beside it and
// a logged-in person.
type incidentEnv struct {
	*consoleEnv
	public     *publish.Server
	cookie     string
	csrf       string
	auditCount int
}

func newIncidentEnv(t *testing.T) *incidentEnv {
	t.Helper()
	e := &incidentEnv{consoleEnv: newConsoleEnv(t, testPage)}
	e.public = publish.NewServer(publish.ServerOptions{Monitor: e.mon, Incidents: e.db, Page: testPage, Now: e.clock.Now})
	e.api.opts.Preview = testPreviewer{srv: e.public, r: notify.NewRenderer(testPage)}
	e.cookie, e.csrf = e.login(t, "Ada")
	return e
}

// post sends a form of the incident page, as the browser would.
func (e *incidentEnv) post(t *testing.T, path string, form url.Values) answer {
	t.Helper()
	f := url.Values{"csrf": {e.csrf}}
	for k, v := range form {
		f[k] = v
	}
	return e.send(t, req{method: "POST", path: path, cookie: e.cookie, origin: e.srv.URL, form: f})
}

func (e *incidentEnv) get(t *testing.T, path string) answer {
	t.Helper()
	return e.send(t, req{method: "GET", path: path, cookie: e.cookie})
}

func (e *incidentEnv) draft(t *testing.T) store.Incident {
	t.Helper()
	inc, err := e.incidents.CreateIncident(store.Incident{Name: "Website down", Body: "The website does not load.",
		Impact: "major", Components: []string{"web"}}, false, "engine")
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func (e *incidentEnv) published(t *testing.T) store.Incident {
	t.Helper()
	inc := e.draft(t)
	inc, err := e.incidents.PublishIncident(inc.ID, store.StatusInvestigating, "", "engine")
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func (e *incidentEnv) stored(t *testing.T, id uint64) store.Incident {
	t.Helper()
	inc, err := e.db.Incident(id)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func (e *incidentEnv) audit(t *testing.T) []store.AuditEntry {
	t.Helper()
	entries, err := e.db.Audit(0)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func incPath(id uint64, tail string) string {
	return "/admin/incidents/" + strconv.FormatUint(id, 10) + tail
}

// editForm is the edit form of a draft as the page fills it, with changes.
func editForm(kv ...string) url.Values {
	v := url.Values{"form": {"edit"}, "title": {"Website down"}, "body": {"The website does not load."},
		"impact": {"major"}, "components": {"web"}, "components_sent": {"1"}, "status": {"investigating"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v[kv[i]] = []string{kv[i+1]}
	}
	return v
}

func wantRedirect(t *testing.T, a answer, to string) {
	t.Helper()
	if a.status != http.StatusSeeOther || a.header.Get("Location") != to {
		t.Fatalf("status %d to %q, want 303 to %q: %s", a.status, a.header.Get("Location"), to, a.body)
	}
}

func TestConsoleIncidentPageHasItsForms(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.draft(t)
	a := e.get(t, incPath(inc.ID, ""))
	for _, want := range []string{`<form id="edit" method="post" action="/admin/incidents/1">`, `<textarea id="body" name="body"`,
		`<input id="title" name="title" type="text" value="Website down"`, `<select id="impact" name="impact">`,
		`name="components" value="web" checked`, `name="components" value="api">`, `<select id="status" name="status">`,
		`<button type="submit" name="action" value="preview"`, `<button type="submit" name="action" value="save"`,
		`id="publish-button" formaction="/admin/incidents/1/publish"`, `<form id="discard" method="post" action="/admin/incidents/1/discard">`,
		"draft, not public", "Audit trail", `name="csrf"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("draft page lacks %s", want)
		}
	}
	if a.status != http.StatusOK || strings.Contains(a.body, `id="preview"`) || strings.Contains(a.body, `id="update"`) {
		t.Errorf("status %d; a preview or an update form on a plain draft page", a.status)
	}
	if got := strings.Count(a.body, `name="csrf"`); got < 3 { // logout, edit, discard
		t.Errorf("%d forms carry the CSRF field", got)
	}
	if a := e.get(t, "/admin/incidents/99"); a.status != http.StatusNotFound {
		t.Errorf("unknown incident: status %d", a.status)
	}
}

func TestConsoleIncidentEditSaves(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.draft(t)
	wantRedirect(t, e.post(t, incPath(inc.ID, ""), editForm("action", "save", "title", "Website slow",
		"body", "Pages load slowly.\r\nWe are on it.", "impact", "minor", "components", "api")), incPath(inc.ID, "?done=saved"))
	got := e.stored(t, inc.ID)
	if got.Name != "Website slow" || got.Body != "Pages load slowly.\nWe are on it." || got.Impact != "minor" ||
		len(got.Components) != 1 || got.Components[0] != "api" || got.State != store.IncidentDraft || !got.Edited {
		t.Errorf("after save: %+v", got)
	}
	page := e.get(t, incPath(inc.ID, "?done=saved"))
	for _, want := range []string{"Saved.", "console:Ada", "edit"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page after save lacks %q", want)
		}
	}
}

// publicBlock is the incident block of the public page of id.
func (e *incidentEnv) publicBlock(t *testing.T, id uint64) string {
	t.Helper()
	srv := serve(t, e.public)
	status, body := do(t, "GET", srv.URL+"/incidents/"+strconv.FormatUint(id, 10), "", "")
	start, end := strings.Index(body, `<article class="card incident`), strings.Index(body, "</article>")
	if status != http.StatusOK || start < 0 || end < start {
		t.Fatalf("public page of %d: status %d", id, status)
	}
	return body[start : end+len("</article>")]
}

var previewPage = regexp.MustCompile(`(?s)<div class="public-page">(.*?)</div>\n<h3>`)

// The browser test's path: edit the body, Preview, Publish. The preview
// saves nothing, keeps the edit in the form, and shows exactly the public
// page and message the publication then makes.
func TestConsoleIncidentPreviewSavesNothingThenPublishes(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.draft(t)
	before, audit := e.stored(t, inc.ID), len(e.audit(t))
	edited := "Calls & pages <fail>.\r\nWe are on it."
	a := e.post(t, incPath(inc.ID, ""), editForm("action", "preview", "body", edited, "status", "identified"))
	if a.status != http.StatusOK {
		t.Fatalf("preview: status %d: %s", a.status, a.body)
	}
	for _, want := range []string{`<section id="preview"`, "Calls &amp; pages &lt;fail&gt;.\nWe are on it.</textarea>",
		`<option value="identified" selected>`, "Message to subscribers", `<span class="subject">Website down</span>`,
		"Identified: Calls &amp; pages &lt;fail&gt;.\nWe are on it.", "Nothing has been saved or sent."} {
		if !strings.Contains(a.body, want) {
			t.Errorf("preview page lacks %q", want)
		}
	}
	if after := e.stored(t, inc.ID); after.Body != before.Body || after.State != store.IncidentDraft || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("the preview changed the incident: %+v", after)
	}
	if got := len(e.audit(t)); got != audit {
		t.Errorf("the preview wrote %d audit entries", got-audit)
	}
	m := previewPage.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("no public page in the preview: %s", a.body)
	}
	e.clock.Add(0) // published at the moment previewed
	wantRedirect(t, e.post(t, incPath(inc.ID, "/publish"), editForm("body", edited, "status", "identified")), incPath(inc.ID, "?done=published"))
	got := e.stored(t, inc.ID)
	if got.State != store.IncidentPublished || got.Status != store.StatusIdentified || len(got.Updates) != 1 ||
		got.Updates[0].Body != "Calls & pages <fail>.\nWe are on it." || got.Updates[0].Author != "console:Ada" {
		t.Fatalf("after publish: %+v", got)
	}
	if public := e.publicBlock(t, inc.ID); m[1] != public {
		t.Errorf("the preview is not the public page\npreview: %s\npublic:  %s", m[1], public)
	}
}

func TestConsoleIncidentPublishTakesTheFormsEdits(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.draft(t)
	wantRedirect(t, e.post(t, incPath(inc.ID, "/publish"), editForm("title", "Website and API down", "impact", "critical",
		"components", "api", "body", "Nothing loads.")), incPath(inc.ID, "?done=published"))
	got := e.stored(t, inc.ID)
	if got.Name != "Website and API down" || got.Impact != "critical" || got.State != store.IncidentPublished ||
		got.Updates[0].Body != "Nothing loads." || got.Status != store.StatusInvestigating {
		t.Errorf("after publish: %+v", got)
	}
	if page := e.get(t, incPath(inc.ID, "?done=published")); !strings.Contains(page.body, "Published.") ||
		strings.Contains(page.body, `id="publish-button"`) || !strings.Contains(page.body, `<form id="update"`) {
		t.Error("the published incident's page does not confirm, or still offers Publish, or offers no update")
	}
}

func TestConsoleIncidentUpdate(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.published(t)
	form := url.Values{"form": {"update"}, "status": {"monitoring"}, "body": {"A fix is in place."}}
	preview := e.post(t, incPath(inc.ID, ""), url.Values{"action": {"preview"}, "form": {"update"}, "status": {"monitoring"}, "body": {"A fix is in place."}})
	if preview.status != http.StatusOK || !strings.Contains(preview.body, "Update: Website down") ||
		!strings.Contains(preview.body, "Monitoring: A fix is in place.") || len(e.stored(t, inc.ID).Updates) != 1 {
		t.Fatalf("update preview: status %d: %s", preview.status, preview.body)
	}
	wantRedirect(t, e.post(t, incPath(inc.ID, "/updates"), form), incPath(inc.ID, "?done=updated"))
	got := e.stored(t, inc.ID)
	if last := got.Updates[len(got.Updates)-1]; got.Status != store.StatusMonitoring || last.Body != "A fix is in place." {
		t.Errorf("after update: %+v", got)
	}
}

func TestConsoleIncidentResolveIsPrefilled(t *testing.T) {
	e := newIncidentEnv(t)
	now := e.clock.Now()
	if err := e.incidents.Evaluate(now, map[string]incident.View{"web": {Failing: true, Major: true, FirstFail: now}}, false); err != nil {
		t.Fatal(err)
	}
	incs, _ := e.db.Incidents(func(store.Incident) bool { return true })
	if len(incs) != 1 {
		t.Fatalf("%d incidents", len(incs))
	}
	inc, err := e.incidents.PublishIncident(incs[0].ID, "", "", "engine")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	if err := e.incidents.Evaluate(e.clock.Now(), map[string]incident.View{"web": {}}, false); err != nil {
		t.Fatal(err)
	}
	proposal := e.stored(t, inc.ID).Updates[1]
	if !proposal.Draft || proposal.Status != store.StatusResolved {
		t.Fatalf("no proposed resolution: %+v", proposal)
	}
	page := e.get(t, incPath(inc.ID, ""))
	if want := `name="body" rows="4" aria-describedby="resolve-hint">` + html.EscapeString(proposal.Body) + "</textarea>"; !strings.Contains(page.body, want) {
		t.Fatalf("the resolve form is not filled with the proposal %q", proposal.Body)
	}
	if !strings.Contains(page.body, "Drafted updates (not public)") {
		t.Error("the drafted resolution is not listed")
	}
	wantRedirect(t, e.post(t, incPath(inc.ID, "/resolve"), url.Values{"form": {"resolve"}, "body": {proposal.Body}}), incPath(inc.ID, "?done=resolved"))
	got := e.stored(t, inc.ID)
	if last := got.Updates[len(got.Updates)-1]; got.State != store.IncidentResolved || last.Body != proposal.Body || last.Draft {
		t.Errorf("after resolve: %+v", got)
	}
	if page := e.get(t, incPath(inc.ID, "")); strings.Contains(page.body, `<form id="edit"`) || strings.Contains(page.body, `<form id="resolve"`) {
		t.Error("a resolved incident still offers its forms")
	}
}

func TestConsoleIncidentResolveProposesTheStandardText(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.published(t)
	page := e.get(t, incPath(inc.ID, ""))
	if !strings.Contains(page.body, "Website is working normally again") {
		t.Errorf("the resolve form lacks the standard resolution text")
	}
}

func TestConsoleIncidentDiscard(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.draft(t)
	wantRedirect(t, e.post(t, incPath(inc.ID, "/discard"), nil), incPath(inc.ID, "?done=discarded"))
	if got := e.stored(t, inc.ID); got.State != store.IncidentDiscarded {
		t.Errorf("after discard: %s", got.State)
	}
	pub := e.published(t)
	a := e.post(t, incPath(pub.ID, "/discard"), nil)
	if a.status != http.StatusConflict || !strings.Contains(a.body, "This incident is published now") {
		t.Errorf("discarding a published incident: status %d: %s", a.status, a.body)
	}
	if got := e.stored(t, pub.ID); got.State != store.IncidentPublished {
		t.Errorf("published incident discarded: %s", got.State)
	}
}

// Publishing an incident someone resolved meanwhile is refused (409),
// and the page shows what the person typed.
func TestConsoleIncidentConflictKeepsTheInput(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.published(t)
	if _, err := e.incidents.ResolveIncident(inc.ID, "Fixed.", "someone"); err != nil {
		t.Fatal(err)
	}
	before := e.stored(t, inc.ID)
	for _, tt := range []struct{ name, path string }{{"publish", "/publish"}, {"save", ""}} {
		t.Run(tt.name, func(t *testing.T) {
			a := e.post(t, incPath(inc.ID, tt.path), editForm("action", "save", "title", "My precious title", "body", "My precious text"))
			if a.status != http.StatusConflict {
				t.Fatalf("status %d, want 409: %s", a.status, a.body)
			}
			for _, want := range []string{"This incident is resolved now", `value="My precious title"`, ">My precious text</textarea>"} {
				if !strings.Contains(a.body, want) {
					t.Errorf("the refused form lacks %q", want)
				}
			}
		})
	}
	if after := e.stored(t, inc.ID); after.Name != before.Name || len(after.Updates) != len(before.Updates) {
		t.Errorf("the refused forms changed the incident: %+v", after)
	}
}

func TestConsoleIncidentRejectsHostileInput(t *testing.T) {
	e := newIncidentEnv(t)
	inc := e.draft(t)
	pub := e.published(t)
	tests := []struct {
		name   string
		path   string
		form   url.Values
		status int
		says   string
	}{
		{"body over the text limit", incPath(inc.ID, ""), editForm("action", "save", "body", strings.Repeat("x", maxIncidentText+1)),
			http.StatusBadRequest, fmt.Sprintf("longer than %d characters", maxIncidentText)},
		{"body over the form limit", incPath(inc.ID, ""), editForm("action", "save", "body", strings.Repeat("x", maxFormBody)),
			http.StatusRequestEntityTooLarge, "larger than 64 KiB"},
		{"publish a huge body", incPath(inc.ID, "/publish"), editForm("body", strings.Repeat("ü", maxIncidentText+1)),
			http.StatusBadRequest, "Shorten it"},
		{"bad status", incPath(inc.ID, "/publish"), editForm("status", "resolved"), http.StatusBadRequest, `Status &#34;resolved&#34; is unknown`},
		{"bad update status", incPath(pub.ID, "/updates"), url.Values{"form": {"update"}, "status": {"exploded"}, "body": {"x"}},
			http.StatusBadRequest, `Status &#34;exploded&#34; is unknown`},
		{"update without text", incPath(pub.ID, "/updates"), url.Values{"form": {"update"}, "status": {"identified"}, "body": {"  "}},
			http.StatusBadRequest, "Enter the text for customers"},
		{"unknown component", incPath(inc.ID, ""), editForm("action", "save", "components", "mainframe"), http.StatusBadRequest,
			`no component &#34;mainframe&#34;`},
		{"bad impact", incPath(inc.ID, ""), editForm("action", "save", "impact", "apocalyptic"), http.StatusBadRequest, "Impact &#34;apocalyptic&#34;"},
		{"control character in the title", incPath(inc.ID, ""), editForm("action", "save", "title", "Web\x07site"), http.StatusBadRequest,
			"Title contains control characters"},
		{"escape sequence in the body", incPath(inc.ID, "/publish"), editForm("body", "Down\x1b[2J"), http.StatusBadRequest,
			"Text for customers contains control characters"},
		{"line separator in the title", incPath(inc.ID, ""), editForm("action", "save", "title", "Web\u2028site"), http.StatusBadRequest,
			"control characters"},
		{"invalid UTF-8", incPath(inc.ID, ""), editForm("action", "save", "title", "Web\xffsite"), http.StatusBadRequest, "control characters"},
		{"empty title", incPath(inc.ID, ""), editForm("action", "save", "title", "   "), http.StatusBadRequest, "Enter a title"},
		{"long title", incPath(inc.ID, ""), editForm("action", "save", "title", strings.Repeat("t", maxIncidentTitle+1)), http.StatusBadRequest,
			"at most 200 characters"},
		{"unknown action", incPath(inc.ID, ""), editForm("action", "destroy"), http.StatusBadRequest, "Unknown button"},
		{"unknown form", incPath(inc.ID, ""), editForm("action", "save", "form", "evil", "title", "Web\x00site"), http.StatusBadRequest,
			"Title contains control characters"},
		{"preview of a draft as an update", incPath(inc.ID, ""), url.Values{"action": {"preview"}, "form": {"update"},
			"status": {"identified"}, "body": {"x"}}, http.StatusConflict, "This incident is draft, not public now"},
	}
	before := map[uint64]store.Incident{inc.ID: e.stored(t, inc.ID), pub.ID: e.stored(t, pub.ID)}
	audit := len(e.audit(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.post(t, tt.path, tt.form)
			if a.status != tt.status || !strings.Contains(a.body, tt.says) {
				t.Errorf("status %d, want %d saying %q: %.2000s", a.status, tt.status, tt.says, a.body)
			}
			if tt.status == http.StatusBadRequest && tt.form.Get("title") != "" && cleanText(tt.form.Get("title"), false) &&
				!strings.Contains(a.body, `value="`+html.EscapeString(strings.TrimSpace(tt.form.Get("title")))+`"`) {
				t.Error("the form is not shown again with what was typed")
			}
		})
	}
	for id, want := range before {
		if got := e.stored(t, id); got.Name != want.Name || got.Body != want.Body || got.State != want.State ||
			len(got.Updates) != len(want.Updates) || got.Impact != want.Impact {
			t.Errorf("incident %d changed: %+v", id, got)
		}
	}
	if got := len(e.audit(t)); got != audit {
		t.Errorf("%d audit entries written by refused forms", got-audit)
	}
}

func TestConsoleNewIncident(t *testing.T) {
	e := newIncidentEnv(t)
	s := e.incidents.Settings()
	s.Templates = []incident.Template{{Name: "dns", Title: "DNS trouble", Body: "Names do not resolve.", Impact: "major",
		Components: []string{"api"}, Status: "identified"}}
	e.incidents.SetSettings(s)
	page := e.get(t, "/admin/incidents/new?template=dns")
	for _, want := range []string{`<form id="create" method="post" action="/admin/incidents">`, `value="DNS trouble"`,
		">Names do not resolve.</textarea>", `name="components" value="api" checked`, `<option value="dns" selected>`,
		`<option value="identified" selected>`, `name="publish"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("new incident page from a template lacks %s", want)
		}
	}
	if a := e.get(t, "/admin/incidents/new?template=nope"); a.status != http.StatusBadRequest || !strings.Contains(a.body, "no template") {
		t.Errorf("unknown template: status %d", a.status)
	}
	create := url.Values{"title": {"DNS trouble"}, "body": {"Names do not resolve."}, "impact": {"major"},
		"components": {"api"}, "components_sent": {"1"}, "status": {"identified"}}
	wantRedirect(t, e.post(t, "/admin/incidents", create), "/admin/incidents/1?done=created")
	if got := e.stored(t, 1); got.State != store.IncidentDraft || got.Name != "DNS trouble" || got.Impact != "major" {
		t.Errorf("created: %+v", got)
	}
	create.Set("publish", "1")
	wantRedirect(t, e.post(t, "/admin/incidents", create), "/admin/incidents/2?done=created")
	if got := e.stored(t, 2); got.State != store.IncidentPublished || got.Status != store.StatusIdentified ||
		got.Updates[0].Body != "Names do not resolve." {
		t.Errorf("created and published: %+v", got)
	}
	create.Set("body", "")
	if a := e.post(t, "/admin/incidents", create); a.status != http.StatusBadRequest || !strings.Contains(a.body, "Enter the text") ||
		!strings.Contains(a.body, `value="DNS trouble"`) {
		t.Errorf("publish now without text: status %d", a.status)
	}
	create.Set("components", "nope")
	if a := e.post(t, "/admin/incidents", create); a.status != http.StatusBadRequest || !strings.Contains(a.body, "no component") {
		t.Errorf("unknown component: status %d", a.status)
	}
}

func TestConsoleIncidentPageSpeaksThePageLanguage(t *testing.T) {
	for lang, want := range map[string][]string{
		"de": {`<html lang="de">`, "Störung 1", "Entwurf, nicht öffentlich", ">Vorschau</button>", ">Veröffentlichen</button>", "Protokoll"},
		"sv": {`<html lang="sv">`, "Störning 1", "utkast, inte offentligt", ">Förhandsgranska</button>", ">Publicera</button>", "Logg"},
	} {
		t.Run(lang, func(t *testing.T) {
			page := testPage
			page.Language = lang
			e := newConsoleEnv(t, page)
			cookie, _ := e.login(t, "Ada")
			if _, err := e.incidents.CreateIncident(store.Incident{Name: "Web", Components: []string{"web"}}, false, "engine"); err != nil {
				t.Fatal(err)
			}
			a := e.send(t, req{method: "GET", path: "/admin/incidents/1", cookie: cookie})
			for _, w := range want {
				if !strings.Contains(a.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}
