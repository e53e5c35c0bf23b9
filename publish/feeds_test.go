package publish

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
)

// xmlRoot parses a whole document and returns its root element's name.
func xmlRoot(t *testing.T, body string) xml.Name {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(body))
	var root xml.Name
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return root
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, body)
		}
		if se, ok := tok.(xml.StartElement); ok && root.Local == "" {
			root = se.Name
		}
	}
}

func TestFeeds(t *testing.T) {
	tests := []struct {
		name, path, contentType, rootSpace, rootLocal string
		url                                           string
		want                                          []string
	}{
		{"atom", "/history.atom", "application/atom+xml; charset=utf-8", "http://www.w3.org/2005/Atom", "feed", "https://status.example.com",
			[]string{`<link rel="alternate" type="text/html" href="https://status.example.com/incidents/3/">`, "<title>Telephony unavailable</title>",
				`rel="self"`, "Identified – Nov 24, 2026, 10:50 CET&#xA;We found the cause.", "<updated>2026-11-24T09:50:00Z</updated>",
				"<title>Website slow</title>", `xml:lang="en"`, "<name>Example Status</name>"}},
		{"atom relative", "/history.atom", "application/atom+xml; charset=utf-8", "http://www.w3.org/2005/Atom", "feed", "",
			[]string{`href="incidents/3/"`, `href="history/"`}},
		{"rss", "/history.rss", "application/rss+xml; charset=utf-8", "", "rss", "https://status.example.com",
			[]string{`<rss version="2.0">`, "<link>https://status.example.com/incidents/1/</link>", `<guid isPermaLink="false">`,
				"<pubDate>Tue, 24 Nov 2026 09:50:00 +0000</pubDate>", "<title>Example Status – incident history</title>"}},
		{"rss relative", "/history.rss", "application/rss+xml; charset=utf-8", "", "rss", "",
			[]string{"<link>incidents/3/</link>", "<link>./</link>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetch(t, newStatusServer(t, pageOptions{url: tt.url}), tt.path)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.contentType {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if root := xmlRoot(t, body); root.Space != tt.rootSpace || root.Local != tt.rootLocal {
				t.Errorf("root element %v", root)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("feed lacks %q\n%s", w, body)
				}
			}
			if strings.Count(body, "Telephony unavailable") != 1 || !strings.Contains(body, "Website slow") {
				t.Error("want one entry per public incident")
			}
		})
	}
}

func TestBadges(t *testing.T) {
	s := newStatusServer(t, pageOptions{lang: "de"})
	tests := []struct {
		name, path string
		code       int
		want       []string
	}{
		{"status", "/badge/telephony.svg", 200, []string{"Telephony", "Schwerer Ausfall", "#cf222e", `aria-label="Telephony: Schwerer Ausfall"`}},
		{"operational", "/badge/web.svg?type=status", 200, []string{"Website", "Betriebsbereit", "#1a7f37"}},
		{"uptime", "/badge/web.svg?type=uptime&window=30d", 200, []string{"Website", "99,99 % (30d)"}},
		{"uptime hours", "/badge/telephony.svg?type=uptime&window=36h", 200, []string{"99,87 % (36h)"}},
		{"unknown component", "/badge/nope.svg", 404, []string{"unbekannte Komponente"}},
		{"not svg", "/badge/web.png", 404, []string{"unbekannte Komponente"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetch(t, s, tt.path)
			if resp.StatusCode != tt.code || resp.Header.Get("Content-Type") != "image/svg+xml; charset=utf-8" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if root := xmlRoot(t, body); root.Space != "http://www.w3.org/2000/svg" || root.Local != "svg" {
				t.Errorf("root element %v", root)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("badge lacks %q: %s", w, body)
				}
			}
		})
	}
	for _, bad := range []string{"?type=uptime&window=0d", "?type=uptime&window=x", "?type=uptime&window=999d", "?type=nope"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if resp, body := fetch(t, s, "/badge/web.svg"+bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
				t.Errorf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
	t.Run("no uptime source", func(t *testing.T) {
		_, body := fetch(t, newStatusServer(t, pageOptions{noSrc: true}), "/badge/web.svg?type=uptime")
		if !strings.Contains(body, "n/a (30d)") {
			t.Errorf("badge without uptime source: %s", body)
		}
	})
}

func TestBadgeEscapes(t *testing.T) {
	svg := string(badge(`A&B <x> "q"`, `<script>alert(1)</script>`, "#000"))
	if root := xmlRoot(t, svg); root.Local != "svg" {
		t.Fatalf("root %v", root)
	}
	if strings.Contains(svg, "<x>") || strings.Contains(svg, "<script") || !strings.Contains(svg, "A&amp;B &lt;x&gt;") {
		t.Errorf("badge text not escaped: %s", svg)
	}
	var doc struct {
		Title string `xml:"title"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil || doc.Title != `A&B <x> "q": <script>alert(1)</script>` {
		t.Errorf("title = %q, %v", doc.Title, err)
	}
}
