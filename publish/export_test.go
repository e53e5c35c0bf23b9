package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

func TestExportFile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "index.html"}, {"/history/", "history/index.html"}, {"/incidents/3/", "incidents/3/index.html"},
		{"/history.atom", "history.atom"}, {"/api/v2/incidents/unresolved.json", "api/v2/incidents/unresolved.json"},
		{"/badge/a%20b.svg", "badge/a b.svg"}, {"/../etc/passwd", ""}, {"/a/../../b", ""}, {"relative", ""}, {"/a%2F..%2F..%2Fb", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ExportFile(tt.in)
			if got != tt.want || (err != nil) != (tt.want == "") {
				t.Errorf("ExportFile(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

var hrefRE = regexp.MustCompile(`\bhref="([^"]*)"`)

// TestExportLinksResolve exports, then follows every link of every HTML
// file to a file in the export, as a static host would.
func TestExportLinksResolve(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	if err := newStatusServer(t, pageOptions{}).Export(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"index.html", "history/index.html", "incidents/1/index.html", "incidents/3/index.html",
		"history.atom", "history.rss", "badge/telephony.svg", "badge/web.svg", "api/v1/checks.json",
		"api/v2/summary.json", "api/v2/scheduled-maintenances/active.json"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("export lacks %s", want)
		}
	}
	pages := 0
	_ = filepath.WalkDir(dir, func(file string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(file, ".html") {
			return err
		}
		pages++
		data, _ := os.ReadFile(file)
		rel, _ := filepath.Rel(dir, filepath.Dir(file))
		for _, m := range hrefRE.FindAllStringSubmatch(string(data), -1) {
			link := m[1]
			if strings.HasPrefix(link, "#") || strings.HasPrefix(link, "data:") {
				continue
			}
			target := path.Join(filepath.ToSlash(rel), link)
			if strings.HasSuffix(link, "/") || link == "." {
				target = path.Join(target, "index.html")
			}
			if strings.HasPrefix(target, "..") {
				t.Errorf("%s links outside the export: %s", file, link)
			} else if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(target))); err != nil {
				t.Errorf("%s: link %q points to missing %s", file, link, target)
			}
		}
		return nil
	})
	if pages != 4 {
		t.Errorf("exported %d HTML pages, want 4", pages)
	}
}

func TestExportReplacesAtomically(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "site")
	s := newStatusServer(t, pageOptions{})
	for i := range 3 {
		if i > 0 {
			if err := os.WriteFile(filepath.Join(dir, "stale.html"), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Export(t.Context(), dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "stale.html")); !os.IsNotExist(err) {
			t.Errorf("round %d: a file of the previous export survived", i)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 1 {
			t.Errorf("round %d: leftovers beside the export: %v", i, entries)
		}
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("export dir mode %v, %v", st.Mode(), err)
	}
}

func TestExportFailureKeepsOldExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	if err := newStatusServer(t, pageOptions{}).Export(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	_, err := WriteExport(t.Context(), dir, []string{"/", "/history/"}, func(_ context.Context, p string) ([]byte, error) {
		if p == "/history/" {
			return nil, fmt.Errorf("boom")
		}
		return []byte("new"), nil
	})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "index.html")); !bytes.Equal(before, after) {
		t.Error("a failed export changed the published one")
	}
}

// TestExportOverHTTP does what `outpost export` does: the path list from
// /api/v1/export.json, each document over HTTP. The files equal the
// in-process export.
func TestExportOverHTTP(t *testing.T) {
	srv := newStatusHTTP(t, pageOptions{})
	resp, err := http.Get(srv.URL + "/api/v1/export.json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Paths []string }
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list.Paths) != 17 {
		t.Fatalf("export list %v, %v", list.Paths, err)
	}
	remote := filepath.Join(t.TempDir(), "remote")
	_, err = WriteExport(t.Context(), remote, list.Paths, func(ctx context.Context, p string) ([]byte, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+p, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	})
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "local")
	if err := newStatusServer(t, pageOptions{}).Export(t.Context(), local); err != nil {
		t.Fatal(err)
	}
	for _, p := range list.Paths {
		name, _ := ExportFile(p)
		a, _ := os.ReadFile(filepath.Join(remote, name))
		b, _ := os.ReadFile(filepath.Join(local, name))
		if len(a) == 0 || (!bytes.Equal(a, b) && name != "api/v1/checks.json") {
			t.Errorf("%s differs between HTTP and in-process export", name)
		}
	}
}

// mutableIncidents is an incident source a test can change.
type mutableIncidents struct {
	mu   sync.Mutex
	list []store.Incident
}

func (m *mutableIncidents) Incidents(func(store.Incident) bool) ([]store.Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]store.Incident(nil), m.list...), nil
}

func (m *mutableIncidents) set(list []store.Incident) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = list
}

func TestStaticExportOnlyOnChange(t *testing.T) {
	incs := &mutableIncidents{list: testIncidents()}
	now := testNow
	s := NewServer(ServerOptions{Monitor: pageMonitor{testChecks(t)}, Incidents: incs,
		Now: func() time.Time { return now }})
	dir := filepath.Join(t.TempDir(), "site")
	st := &staticState{}
	steps := []struct {
		name   string
		change func()
		want   bool
	}{
		{"first export", func() {}, true},
		{"nothing changed", func() {}, false},
		{"a minute later", func() { now = now.Add(time.Minute) }, false},
		{"draft edited", func() { l := testIncidents(); l[0].Name += " v2"; incs.set(l) }, false},
		{"incident published", func() {
			l := testIncidents()
			l[0].State, l[0].Status, l[0].PublishedAt, l[0].Name = store.IncidentPublished, store.StatusInvestigating, now, "Now public"
			incs.set(l)
		}, true},
		{"refresh after a while", func() { now = now.Add(staticRefresh) }, true},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.change()
			if got := s.staticStep(t.Context(), dir, st); got != step.want {
				t.Errorf("exported = %v, want %v", got, step.want)
			}
		})
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "index.html")); !strings.Contains(string(data), "Now public") {
		t.Error("the export lacks the newly published incident")
	}
}

func TestRunStaticExport(t *testing.T) {
	s := newStatusServer(t, pageOptions{})
	dir := filepath.Join(t.TempDir(), "site")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.RunStaticExport(ctx, dir, 5*time.Millisecond); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no export within 10 s")
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
	cancel()
	<-done
}
