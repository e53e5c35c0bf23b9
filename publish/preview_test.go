package publish

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// previewRig is a server reading a real store that a real incident engine
// writes, at a clock the test moves.
type previewRig struct {
	t   *testing.T
	now time.Time
	db  *store.DB
	e   *incident.Engine
	srv *Server
}

func newPreviewRig(t *testing.T) *previewRig {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	r := &previewRig{t: t, now: testNow, db: db}
	clock := func() time.Time { return r.now }
	r.e = incident.New(db, incident.Options{Settings: incident.Settings{Language: "en"}, Now: clock,
		Components: []incident.Component{{ID: "telephony", Name: "Telephony"}, {ID: "web", Name: "Website"}}})
	r.srv = NewServer(ServerOptions{Monitor: pageMonitor{testChecks(t)}, Incidents: db, Now: clock,
		Page: config.Page{Title: "Example Status", Language: "en", Location: berlin}})
	return r
}

// block is the incident block of the public incident page of id.
func (r *previewRig) block(id uint64) string {
	r.t.Helper()
	resp, body := fetch(r.t, r.srv, "/incidents/"+strconv.FormatUint(id, 10)+"/")
	start, end := strings.Index(body, `<article class="card incident`), strings.Index(body, "</article>")
	if resp.StatusCode != 200 || start < 0 || end < start {
		r.t.Fatalf("public page of incident %d: status %d\n%s", id, resp.StatusCode, body)
	}
	return body[start : end+len("</article>")]
}

// TestPreviewIsThePublicPage: what the preview shows of an operation is,
// byte for byte, the incident block of the public page once the
// operation is done.
func TestPreviewIsThePublicPage(t *testing.T) {
	const actor = "console:Ada"
	tests := []struct {
		name    string
		publish bool // start from a published incident
		preview func(e *incident.Engine, inc store.Incident, now time.Time) store.Incident
		do      func(e *incident.Engine, id uint64) (store.Incident, error)
	}{
		{"publish a draft with an edited body", false,
			func(_ *incident.Engine, inc store.Incident, now time.Time) store.Incident {
				return incident.AsPublished(inc, store.StatusIdentified, "Calls <b>may</b> fail & drop.", actor, now)
			},
			func(e *incident.Engine, id uint64) (store.Incident, error) {
				return e.PublishIncident(id, store.StatusIdentified, "Calls <b>may</b> fail & drop.", actor)
			}},
		{"publish a draft as drafted", false,
			func(_ *incident.Engine, inc store.Incident, now time.Time) store.Incident {
				return incident.AsPublished(inc, "", "", actor, now)
			},
			func(e *incident.Engine, id uint64) (store.Incident, error) {
				return e.PublishIncident(id, "", "", actor)
			}},
		{"add an update", true,
			func(_ *incident.Engine, inc store.Incident, now time.Time) store.Incident {
				return incident.AsUpdated(inc, store.StatusMonitoring, "A fix is in place.", actor, now)
			},
			func(e *incident.Engine, id uint64) (store.Incident, error) {
				return e.AddUpdate(id, store.StatusMonitoring, "A fix is in place.", actor)
			}},
		{"resolve with the proposed text", true,
			func(e *incident.Engine, inc store.Incident, now time.Time) store.Incident {
				return e.AsResolved(inc, "", actor, now)
			},
			func(e *incident.Engine, id uint64) (store.Incident, error) { return e.ResolveIncident(id, "", actor) }},
		{"resolve with a text of one's own", true,
			func(e *incident.Engine, inc store.Incident, now time.Time) store.Incident {
				return e.AsResolved(inc, "All calls work again.", actor, now)
			},
			func(e *incident.Engine, id uint64) (store.Incident, error) {
				return e.ResolveIncident(id, "All calls work again.", actor)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPreviewRig(t)
			inc, err := r.e.CreateIncident(store.Incident{Name: "Calls fail", Body: "Calls may fail to connect.",
				Impact: "major", Components: []string{"telephony", "web"}}, tt.publish, actor)
			if err != nil {
				t.Fatal(err)
			}
			r.now = r.now.Add(7 * time.Minute)
			preview, err := r.srv.PreviewIncident(tt.preview(r.e, inc, r.now))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tt.do(r.e, inc.ID); err != nil {
				t.Fatal(err)
			}
			if got := r.block(inc.ID); string(preview) != got {
				t.Errorf("preview differs from the public page\npreview: %s\npublic:  %s", preview, got)
			}
		})
	}
}

// TestPreviewLeaksNoDraft: a draft previews as nothing, and previewing
// one does not make it reachable.
func TestPreviewLeaksNoDraft(t *testing.T) {
	r := newPreviewRig(t)
	inc, err := r.e.CreateIncident(store.Incident{Name: "Secret draft", Components: []string{"web"}}, false, "console:Ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.srv.PreviewIncident(inc); !errors.Is(err, ErrNotPublic) {
		t.Errorf("preview of a draft as it is: err %v, want ErrNotPublic", err)
	}
	if _, err := r.srv.PreviewIncident(incident.AsPublished(inc, "", "", "console:Ada", r.now)); err != nil {
		t.Fatal(err)
	}
	resp, body := fetch(t, r.srv, "/incidents/"+strconv.FormatUint(inc.ID, 10))
	if resp.StatusCode != 404 || strings.Contains(body, "Secret draft") {
		t.Errorf("draft reachable after a preview: status %d", resp.StatusCode)
	}
}
