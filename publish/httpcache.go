package publish

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/outpost-status/outpost/internal/accept"
)

// minGzip is the smallest body worth compressing.
const minGzip = 1024

// bufferedResponse collects a handler's response so it can be hashed and
// compressed before anything is sent.
type bufferedResponse struct {
	header http.Header
	status int
	body   *bytes.Buffer
}

func newBufferedResponse(body *bytes.Buffer) *bufferedResponse {
	return &bufferedResponse{header: http.Header{}, body: body}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// maxPooled is the largest buffer kept for reuse.
const maxPooled = 16 << 20

// conditional serves public GET documents with an ETag (a hash of the
// body), answers a matching If-None-Match with 304, and gzips when the
// client accepts it. The gzipped variant has its own ETag. Buffers and
// gzip writers are reused: a status page is read most during an outage.
func conditional(h http.Handler) http.Handler {
	bufs := &sync.Pool{New: func() any { return new(bytes.Buffer) }}
	zips := &sync.Pool{New: func() any { zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return zw }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		buf := newBufferedResponse(bufs.Get().(*bytes.Buffer))
		defer release(bufs, buf.body)
		h.ServeHTTP(buf, r)
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		for k, vs := range buf.header {
			w.Header()[k] = vs
		}
		w.Header().Add("Vary", "Accept-Encoding")
		body := buf.body.Bytes()
		gz := len(body) >= minGzip && accept.Gzip(r.Header.Get("Accept-Encoding"))
		if buf.status == http.StatusOK {
			sum := sha256.Sum256(body)
			etag := `"` + hex.EncodeToString(sum[:12])
			if gz {
				etag += "-gz"
			}
			etag += `"`
			w.Header().Set("ETag", etag)
			if etagMatch(r.Header.Get("If-None-Match"), etag) {
				w.Header().Del("Content-Type")
				w.Header().Del("Content-Length")
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		if gz {
			zbuf := bufs.Get().(*bytes.Buffer)
			defer release(bufs, zbuf)
			zw := zips.Get().(*gzip.Writer)
			zw.Reset(zbuf)
			_, _ = zw.Write(body) // writes to memory
			_ = zw.Close()
			zips.Put(zw)
			body = zbuf.Bytes()
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(buf.status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

func release(pool *sync.Pool, b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		b.Reset()
		pool.Put(b)
	}
}

// etagMatch implements If-None-Match's weak comparison.
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
