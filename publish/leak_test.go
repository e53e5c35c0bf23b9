package publish

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// publicPaths is every public endpoint of the fixture, including the
// draft (4) and discarded (2) incidents' pages and badge variants.
func publicPaths() []string {
	paths := []string{"/", "/history", "/history/", "/history.atom", "/history.rss",
		"/badge/telephony.svg", "/badge/web.svg", "/badge/web.svg?type=uptime&window=7d", "/badge/nope.svg",
		"/api/v1/checks.json", "/api/v1/export.json", "/nope"}
	for _, id := range []string{"1", "2", "3", "4", "99"} {
		paths = append(paths, "/incidents/"+id, "/incidents/"+id+"/")
	}
	for _, doc := range v2Documents() {
		paths = append(paths, "/api/v2/"+doc)
	}
	return paths
}

func TestDraftsNeverLeak(t *testing.T) {
	for _, lang := range []string{"en", "de", "sv"} {
		srv := newStatusHTTP(t, pageOptions{lang: lang, url: "https://status.example.com"})
		for _, path := range publicPaths() {
			t.Run(lang+path, func(t *testing.T) {
				for _, enc := range []string{"", "identity"} {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
					req.Header.Set("Accept-Encoding", enc) // "": the client asks for gzip and decompresses
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if strings.Contains(string(body), draftMarker) {
						t.Errorf("%s leaks draft text", path)
					}
				}
			})
		}
	}
}

func TestDraftPageLooksLikeUnknown(t *testing.T) {
	s := newStatusServer(t, pageOptions{})
	_, unknown := fetch(t, s, "/incidents/99")
	for _, id := range []string{"2", "4"} {
		resp, body := fetch(t, s, "/incidents/"+id)
		if resp.StatusCode != http.StatusNotFound || body != unknown {
			t.Errorf("incident %s: status %d, and its 404 differs from an unknown id's", id, resp.StatusCode)
		}
	}
}

func TestExportHasNoDrafts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	if err := newStatusServer(t, pageOptions{}).Export(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if strings.Contains(string(data), draftMarker) {
			t.Errorf("%s leaks draft text", path)
		}
		return err
	})
	if err != nil || files != 17 {
		t.Fatalf("walked %d files: %v", files, err)
	}
	for _, id := range []string{"2", "4"} {
		if _, err := os.Stat(filepath.Join(dir, "incidents", id)); !os.IsNotExist(err) {
			t.Errorf("export has a page for non-public incident %s", id)
		}
	}
}
