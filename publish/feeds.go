package publish

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/store"
)

// Atom 1.0 (RFC 4287) and RSS 2.0 feeds of the public incidents: one
// entry per incident, updated at its last published update, the content
// its published timeline. Same range as /history.

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang      string      `xml:"xml:lang,attr"`
	Title     string      `xml:"title"`
	ID        string      `xml:"id"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	Title     string   `xml:"title"`
	ID        string   `xml:"id"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published,omitempty"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language"`
	LastBuildDate string    `xml:"lastBuildDate"`
	Generator     string    `xml:"generator"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
	Description string  `xml:"description"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	ID          string `xml:",chardata"`
}

// feedLink is an absolute link when the page URL is known, else relative
// to the feed (which lives at the site root).
func feedLink(p config.Page, path string) string {
	if p.URL == "" {
		if path == "" {
			return "./"
		}
		return path
	}
	return strings.TrimSuffix(p.URL, "/") + "/" + path
}

func (v *view) entryID(inc store.Incident) string {
	return "urn:outpost:" + v.page.ID() + ":incident:" + strconv.FormatUint(inc.ID, 10)
}

// timelineText is an incident's published updates as plain text, newest
// first.
func (p pageView) timelineText(inc store.Incident) string {
	var sb strings.Builder
	for _, u := range p.incidentCard(inc).Updates {
		if sb.Len() > 0 {
			sb.WriteString("\n\n")
		}
		sb.WriteString(u.StatusText + " – " + u.At.Text + "\n" + u.Body)
	}
	return sb.String()
}

func (p pageView) feedUpdated() time.Time {
	t := p.updatedAt
	for _, inc := range p.incidents {
		t = store.Latest(t, inc.LastPublishedUpdate())
	}
	return t
}

func (s *Server) handleAtom(w http.ResponseWriter, r *http.Request, v *view) {
	p := s.pageView(r, v)
	f := atomFeed{Lang: p.l.code, Title: fmt.Sprintf(p.l.Page.FeedTitle, v.page.Title), ID: "urn:outpost:" + v.page.ID(),
		Updated: p.feedUpdated().UTC().Format(time.RFC3339), Author: atomPerson{Name: v.page.Title}, Generator: "outpost",
		Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: feedLink(v.page, "history/")}}}
	if v.page.URL != "" {
		f.Links = append(f.Links, atomLink{Rel: "self", Type: "application/atom+xml", Href: feedLink(v.page, "history.atom")})
	}
	for _, inc := range p.recent(historyDays, historyMax) {
		id := strconv.FormatUint(inc.ID, 10)
		f.Entries = append(f.Entries, atomEntry{Title: inc.Name, ID: v.entryID(inc),
			Updated: inc.LastPublishedUpdate().UTC().Format(time.RFC3339), Published: inc.PublishedAt.UTC().Format(time.RFC3339),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: feedLink(v.page, "incidents/"+id+"/")},
			Content: atomText{Type: "text", Body: p.timelineText(inc)}})
	}
	writeXML(w, "application/atom+xml; charset=utf-8", f)
}

func (s *Server) handleRSS(w http.ResponseWriter, r *http.Request, v *view) {
	p := s.pageView(r, v)
	c := rssChannel{Title: fmt.Sprintf(p.l.Page.FeedTitle, v.page.Title), Link: feedLink(v.page, ""), Language: p.l.code,
		Description: fmt.Sprintf(p.l.Page.FeedDescription, v.page.Title), Generator: "outpost",
		LastBuildDate: p.feedUpdated().UTC().Format(time.RFC1123Z)}
	for _, inc := range p.recent(historyDays, historyMax) {
		id := strconv.FormatUint(inc.ID, 10)
		c.Items = append(c.Items, rssItem{Title: inc.Name, Link: feedLink(v.page, "incidents/"+id+"/"),
			GUID: rssGUID{ID: v.entryID(inc)}, PubDate: inc.LastPublishedUpdate().UTC().Format(time.RFC1123Z),
			Description: p.timelineText(inc)})
	}
	writeXML(w, "application/rss+xml; charset=utf-8", rssDoc{Version: "2.0", Channel: c})
}

func writeXML(w http.ResponseWriter, contentType string, v any) {
	body, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		httpjson.Error(w, http.StatusInternalServerError, "encoding feed failed")
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(append(body, '\n'))
}
