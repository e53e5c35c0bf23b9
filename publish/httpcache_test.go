package publish

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGzipETagAndHEAD(t *testing.T) {
	s := newStatusServer(t, pageOptions{})
	do := func(method, path string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	for _, path := range []string{"/", "/history", "/incidents/3", "/history.atom", "/history.rss", "/badge/web.svg",
		"/api/v2/summary.json", "/api/v2/components.json"} {
		t.Run(path, func(t *testing.T) {
			plain := do(http.MethodGet, path, nil)
			etag := plain.Header().Get("ETag")
			if plain.Code != 200 || etag == "" || plain.Header().Get("Content-Encoding") != "" ||
				plain.Header().Get("Access-Control-Allow-Origin") != "*" || plain.Header().Get("Cache-Control") == "" {
				t.Fatalf("plain GET: %d %v", plain.Code, plain.Header())
			}
			if again := do(http.MethodGet, path, nil); again.Header().Get("ETag") != etag {
				t.Errorf("ETag changes between identical responses")
			}
			notModified := do(http.MethodGet, path, map[string]string{"If-None-Match": `"other", ` + etag})
			if notModified.Code != http.StatusNotModified || notModified.Body.Len() != 0 {
				t.Errorf("If-None-Match: %d with %d bytes", notModified.Code, notModified.Body.Len())
			}
			head := do(http.MethodHead, path, nil)
			if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != plain.Header().Get("Content-Length") ||
				head.Header().Get("Content-Type") != plain.Header().Get("Content-Type") {
				t.Errorf("HEAD: %d, %d bytes, headers %v", head.Code, head.Body.Len(), head.Header())
			}
			if plain.Body.Len() < minGzip {
				return
			}
			gz := do(http.MethodGet, path, map[string]string{"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
			if gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("ETag") == etag || gz.Header().Get("Vary") != "Accept-Encoding" {
				t.Fatalf("gzip: %v", gz.Header())
			}
			zr, err := gzip.NewReader(gz.Body)
			if err != nil {
				t.Fatal(err)
			}
			unzipped, _ := io.ReadAll(zr)
			if !bytes.Equal(unzipped, plain.Body.Bytes()) || gz.Body.Len() >= plain.Body.Len() {
				t.Errorf("gzip body: %d bytes unzip to %d, plain %d", gz.Body.Len(), len(unzipped), plain.Body.Len())
			}
			if nm := do(http.MethodGet, path, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gz.Header().Get("ETag")}); nm.Code != http.StatusNotModified {
				t.Errorf("gzip If-None-Match: %d", nm.Code)
			}
		})
	}
}

func TestNotFoundIsNotCached(t *testing.T) {
	s := newStatusServer(t, pageOptions{})
	for _, path := range []string{"/incidents/4", "/nope"} {
		if resp, _ := fetch(t, s, path); resp.StatusCode != 404 || resp.Header.Get("ETag") != "" {
			t.Errorf("%s: %d, ETag %q", path, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
}
