package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAdminIncidentBody posts arbitrary bytes to every admin endpoint that
// decodes a JSON body: the answer is never a 5xx and nothing panics.
func FuzzAdminIncidentBody(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"name":"x"}`, `{"name":"x"}{"name":"y"}`,
		`{"name":"outage","body":"details","impact":"major","components":["web"]}`,
		`{"name":"","impact":"apocalyptic","components":["nope"]}`,
		`{"components":null,"impact":null}`, `{"status":"investigating"}`,
		`{"status":"monitoring","body":"fix"}`, `{"title":"unknown field"}`,
		`{"name":"` + strings.Repeat("a", 70<<10) + `"}`, `{"name":"\ud800"}`, "{\"name\":\"\x00\xff\"}",
		`{"starts_at":"2026-01-01T00:00:00Z","ends_at":"2025-01-01T00:00:00Z","components":["web"],"name":"m"}`,
		`{"starts_at":"9999-99-99","ends_at":1e999}`, `{"name":1e999}`, `{"name":{"name":{"name":[]}}}`,
		strings.Repeat("[", 10000),
		`{"template":"x"}`, `{"template":null,"name":"x"}`, `{"template":"` + strings.Repeat("t", 70<<10) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	s, _ := newAdminPublish(f, testToken)
	h := s.Handler()
	do := func(method, path string, body []byte) int {
		req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	// Incident 1 exists as a draft, so PATCH and publish reach decoding.
	if code := do(http.MethodPost, "/api/admin/incidents",
		[]byte(`{"name":"seed","body":"b","impact":"minor","components":["web"]}`)); code != http.StatusCreated {
		f.Fatalf("creating the seed incident: status %d", code)
	}
	endpoints := []struct{ method, path string }{
		{http.MethodPost, "/api/admin/incidents"},
		{http.MethodPatch, "/api/admin/incidents/1"},
		{http.MethodPost, "/api/admin/incidents/1/updates"},
		{http.MethodPost, "/api/admin/incidents/1/publish"},
		{http.MethodPost, "/api/admin/incidents/1/resolve"},
		{http.MethodPost, "/api/admin/maintenances"},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, e := range endpoints {
			if code := do(e.method, e.path, body); code >= 500 {
				t.Fatalf("%s %s with %q: status %d", e.method, e.path, body, code)
			}
		}
	})
}
