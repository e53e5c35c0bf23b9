// Package accept reads HTTP content negotiation headers. The public site
// (publish) and the /metrics handler (metrics) both compress for clients
// that ask; neither may import the other, so the shared reading lives here.
package accept

import (
	"strconv"
	"strings"
)

// Gzip reports whether an Accept-Encoding header value accepts gzip:
// gzip (or *) with a non-zero q.
func Gzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}
