package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/publish"
)

// newTemplatesServer is newAdminServer with two incident templates.
func newTemplatesServer(t *testing.T) string {
	t.Helper()
	db := openStore(t)
	mon, incidents := testMonitor(db)
	incidents.SetSettings(incident.Settings{Language: "en", Templates: []incident.Template{
		{Name: "web-down", Title: "Website unavailable", Body: "Pages do not load.", Impact: "major", Components: []string{"web"}, Status: "investigating"},
		{Name: "notice", Title: "Notice", Impact: "minor", Components: []string{}, Status: "identified"},
	}})
	return serve(t, mountAdmin(db, mon, incidents, testToken)).URL
}

func TestAdminTemplates(t *testing.T) {
	base := newTemplatesServer(t)
	t.Run("listed", func(t *testing.T) {
		status, out := call(t, "GET", base+"/api/admin/templates", testToken, "")
		list, _ := out["templates"].([]any)
		if status != http.StatusOK || len(list) != 2 {
			t.Fatalf("%d %v", status, out)
		}
		first, _ := list[0].(map[string]any)
		if first["name"] != "web-down" || first["title"] != "Website unavailable" || first["impact"] != "major" {
			t.Errorf("first template = %v", first)
		}
	})
	tests := []struct {
		name, body string
		status     int
		want       map[string]any // fields of the answer
		wantErr    string
	}{
		{"from a template", `{"template": "web-down"}`, http.StatusCreated,
			map[string]any{"name": "Website unavailable", "body": "Pages do not load.", "impact": "major", "status": "investigating", "state": "draft", "components": 1}, ""},
		{"fields override", `{"template": "web-down", "name": "Shop down", "impact": "critical", "components": [], "status": "identified", "publish": true}`,
			http.StatusCreated, map[string]any{"name": "Shop down", "body": "Pages do not load.", "impact": "critical", "status": "identified", "state": "published", "components": 0}, ""},
		{"template status", `{"template": "notice", "body": "Read this."}`, http.StatusCreated,
			map[string]any{"name": "Notice", "body": "Read this.", "status": "identified", "components": 0}, ""},
		{"unknown template", `{"template": "nope"}`, http.StatusBadRequest, nil, `template "nope" is unknown (use web-down, notice)`},
		{"template name not a string", `{"template": ["web-down"]}`, http.StatusBadRequest, nil, "cannot unmarshal"},
		{"huge template name", `{"template": "` + strings.Repeat("w", 60<<10) + `"}`, http.StatusBadRequest, nil, "is unknown"},
		{"control characters", `{"template": "web-down\u0000\n"}`, http.StatusBadRequest, nil, `template "web-down\x00\n" is unknown`},
		{"a template's bad override", `{"template": "web-down", "impact": "apocalyptic"}`, http.StatusBadRequest, nil, "impact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := call(t, "POST", base+"/api/admin/incidents", testToken, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if msg, _ := out["error"].(string); !strings.Contains(msg, tt.wantErr) || len(msg) > 300 {
				t.Errorf("error %q, want a short one containing %q", msg, tt.wantErr)
			}
			for k, want := range tt.want {
				got := out[k]
				if k == "components" {
					got = len(asList(out[k]))
				}
				if got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
		})
	}
	t.Run("PATCH takes no template", func(t *testing.T) {
		_, created := call(t, "POST", base+"/api/admin/incidents", testToken, `{"name": "x"}`)
		status, out := call(t, "PATCH", base+"/api/admin/incidents/"+created["id"].(string), testToken, `{"template": "web-down"}`)
		if status != http.StatusBadRequest {
			t.Errorf("status %d: %v", status, out)
		}
	})
}

// TestAdminTemplatesWithoutEngine: without an incident engine the list
// is empty and a template is refused with the reason.
func TestAdminTemplatesWithoutEngine(t *testing.T) {
	db := openStore(t)
	mon, _ := testMonitor(db)
	h := New(Options{Monitor: mon, Store: db, Token: testToken, Present: publish.NewPresenter(testPage, mon)}).Handler()
	send := func(method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	if code, body := send("GET", "/api/admin/templates", ""); code != http.StatusOK || !strings.Contains(body, `"templates":[]`) {
		t.Errorf("list: %d %s", code, body)
	}
	if code, body := send("POST", "/api/admin/incidents", `{"template": "x"}`); code != http.StatusBadRequest || !strings.Contains(body, "no templates are configured") {
		t.Errorf("create: %d %s", code, body)
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }
