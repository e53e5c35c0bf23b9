package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/outpost-status/outpost/internal/httpjson"
)

// A static export is the public site as files for any static host:
// index.html, history/index.html, incidents/{id}/index.html, the feeds,
// badge/{component}.svg, api/v2/*.json and api/v1/checks.json. Every file
// is rendered by the same handlers as the live site, so it is identical.

// v2Documents are the Statuspage API documents under /api/v2/, in a
// stable order.
func v2Documents() []string {
	return slices.Sorted(maps.Keys(statuspageDocuments()))
}

// ExportPaths lists the URL paths of a static export for the given
// components and public incidents. The daemon serves the same list at
// /api/v1/export.json, so `outpost export` fetches exactly these.
func ExportPaths(components []string, incidents []uint64) []string {
	paths := []string{"/", "/history/", "/history.atom", "/history.rss", "/api/v1/checks.json"}
	for _, doc := range v2Documents() {
		paths = append(paths, "/api/v2/"+doc)
	}
	for _, id := range components {
		paths = append(paths, "/badge/"+url.PathEscape(id)+".svg")
	}
	for _, id := range incidents {
		paths = append(paths, "/incidents/"+strconv.FormatUint(id, 10)+"/")
	}
	return paths
}

func (v *view) exportPaths() []string {
	comps := make([]string, 0, len(v.components))
	for _, c := range v.components {
		comps = append(comps, c.ID)
	}
	incs := make([]uint64, 0, len(v.incidents))
	for _, inc := range v.incidents { // public only
		incs = append(incs, inc.ID)
	}
	return ExportPaths(comps, incs)
}

type exportList struct {
	Paths []string `json:"paths"`
}

func (s *Server) handleExportList(w http.ResponseWriter, _ *http.Request, v *view) {
	httpjson.Write(w, http.StatusOK, exportList{Paths: v.exportPaths()})
}

// ExportFile maps an export URL path to a slash-separated file path inside
// the export: directories get index.html.
func ExportFile(urlPath string) (string, error) {
	p, err := url.PathUnescape(urlPath)
	if err != nil || !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("export path %q: not an absolute URL path", urlPath)
	}
	if strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	clean := path.Clean(p)
	if clean != p || strings.Contains(clean, "\\") {
		return "", fmt.Errorf("export path %q: not a clean path", urlPath)
	}
	return strings.TrimPrefix(clean, "/"), nil
}

// FetchFunc returns the body of one public document.
type FetchFunc func(ctx context.Context, urlPath string) ([]byte, error)

// WriteExport fetches every path into a new directory beside dir and then
// swaps it in with one rename, so readers see the old export or the new
// one, never a mix. It returns the number of files written.
func WriteExport(ctx context.Context, dir string, paths []string, fetch FetchFunc) (int, error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return 0, fmt.Errorf("export: create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return 0, fmt.Errorf("export: create a directory beside %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp) // after the swap it holds the previous export
	if err := os.Chmod(tmp, 0o755); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
		if err := writeExportFile(ctx, tmp, p, fetch); err != nil {
			return 0, err
		}
	}
	if err := swapDir(tmp, dir); err != nil {
		return 0, fmt.Errorf("export: replace %s: %w", dir, err)
	}
	return len(paths), nil
}

func writeExportFile(ctx context.Context, root, urlPath string, fetch FetchFunc) error {
	name, err := ExportFile(urlPath)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	body, err := fetch(ctx, urlPath)
	if err != nil {
		return fmt.Errorf("export: fetch %s: %w", urlPath, err)
	}
	file := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.WriteFile(file, body, 0o644); err != nil {
		return fmt.Errorf("export: write %s: %w", name, err)
	}
	return nil
}

// swapDir puts the directory tmp in place of dir. When dir exists the two
// are exchanged atomically where the system can (renameat2 on Linux), so
// tmp then holds the old export; elsewhere dir is moved aside first.
func swapDir(tmp, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return os.Rename(tmp, dir)
	}
	if err := exchangeDirs(tmp, dir); err == nil {
		return nil
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return errors.Join(err, os.Rename(old, dir))
	}
	return os.RemoveAll(old)
}

// Export writes a static snapshot of the public site to dir, rendering
// every document through the server's own handlers.
func (s *Server) Export(ctx context.Context, dir string) error {
	v, err := s.buildView()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	n, err := WriteExport(ctx, dir, v.exportPaths(), s.fetchLocal)
	if err != nil {
		return err
	}
	s.log.Info("static export written", "dir", dir, "files", n)
	return nil
}

// fetchLocal renders one public document in-process, bypassing the
// render cache: the export runs because the content has just changed.
func (s *Server) fetchLocal(ctx context.Context, urlPath string) ([]byte, error) {
	req, err := http.NewRequestWithContext(withoutCache(ctx), http.MethodGet, urlPath, nil)
	if err != nil {
		return nil, err
	}
	rec := newBufferedResponse(new(bytes.Buffer))
	s.mux.ServeHTTP(rec, req)
	if rec.status != http.StatusOK && rec.status != 0 {
		return nil, fmt.Errorf("status %d", rec.status)
	}
	return rec.body.Bytes(), nil
}
