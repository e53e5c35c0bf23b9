package publish

// The public status page: server-rendered with html/template,
// the stylesheet inlined, no scripts and no asset from anywhere else, so
// one request shows the whole page and it works without JavaScript.
//
// Ranges: the front page shows unresolved incidents, upcoming and active
// maintenance, 90 day bars per component and incidents resolved in the
// last 7 days (at most 5). /history and the feeds show the incidents that
// started in the last 90 days (at most 100), plus any still open.
//
// Links: pages link relatively and to directory URLs ("history/",
// "incidents/3/"), computed from the request path, so the same bytes work
// on the daemon (which serves /history and /history/ alike) and in a
// static export on any host or sub-path.

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/outpost-status/outpost/internal/httpjson"
)

//go:embed web/page.html web/subscribe.html web/style.css
var webFiles embed.FS

// pageAssets are parsed once in NewServer and only read afterwards.
type pageAssets struct {
	tmpl  *template.Template
	css   template.CSS
	icons map[string]template.URL // favicon by banner class
}

// newPageAssets parses the templates for the page language l: join
// lists names as the language does ("A, B and C"), like every other
// output.
func newPageAssets(l *locale) *pageAssets {
	css, err := webFiles.ReadFile("web/style.css")
	if err != nil {
		panic(err) // embedded at build time
	}
	funcs := template.FuncMap{"join": l.Join}
	return &pageAssets{
		tmpl:  template.Must(template.New("page").Funcs(funcs).ParseFS(webFiles, "web/page.html", "web/subscribe.html")),
		css:   template.CSS(css), // our own embedded file
		icons: faviconURLs(),
	}
}

// registerPage adds the status page, history, incident pages, feeds,
// badges and the export list, and the 404 pages for everything else.
func (s *Server) registerPage() {
	s.page = newPageAssets(localeFor(s.opts.Page.Language))
	for pattern, h := range map[string]func(http.ResponseWriter, *http.Request, *view){
		"GET /{$}":                s.handleIndex,
		"GET /history":            s.handleHistory,
		"GET /history/{$}":        s.handleHistory,
		"GET /incidents/{id}":     s.handleIncident,
		"GET /incidents/{id}/{$}": s.handleIncident,
		"GET /history.atom":       s.handleAtom,
		"GET /history.rss":        s.handleRSS,
		"GET /badge/{file}":       s.handleBadge,
		"GET /api/v1/export.json": s.handleExportList,
	} {
		kind := docKind{}
		if pattern == "GET /badge/{file}" {
			kind.query = []string{"type", "window"}
		}
		s.mux.Handle(pattern, s.public(kind, s.viewHandler(h)))
	}
	s.mux.Handle("/", conditional(s.admit.wrap(http.HandlerFunc(s.handleNotFound))))
}

// rootFor is the relative prefix from a request path to the site root.
func rootFor(path string) string {
	return strings.Repeat("../", strings.Count(strings.TrimPrefix(path, "/"), "/"))
}

func (s *Server) base(r *http.Request, v *view, docTitle string) pageBase {
	l := localeFor(s.opts.Page.Language)
	b := pageBase{L: l, Title: s.opts.Page.Title, DocTitle: docTitle, Root: rootFor(r.URL.Path), CSS: s.page.css,
		Icon: s.page.icons["ind-none"]}
	if b.Title == "" {
		b.Title = "Status"
	}
	b.Home = b.Root
	if s.subs != nil {
		b.SubscribeHref = b.Root + "subscribe"
		if u := s.opts.Page.URL; u != "" { // absolute: also right in a static export on another host
			b.SubscribeHref = strings.TrimRight(u, "/") + "/subscribe"
		}
	}
	if b.Home == "" {
		b.Home = "./"
	}
	if b.DocTitle == "" {
		b.DocTitle = b.Title
	} else if b.Title != "" {
		b.DocTitle += " – " + b.Title
	}
	if v != nil {
		b.Updated = pageView{view: v, l: l}.at(v.updatedAt)
	}
	return b
}

func (s *Server) pageView(r *http.Request, v *view) pageView {
	return pageView{view: v, l: localeFor(s.opts.Page.Language), root: rootFor(r.URL.Path)}
}

type indexData struct {
	pageBase
	Banner      banner
	Active      []incidentCard
	Maintenance []maintenanceCard
	Components  []componentRow
	Past        []incidentCard
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request, v *view) {
	p := s.pageView(r, v)
	d := indexData{pageBase: s.base(r, v, ""), Banner: p.banner(), Active: p.incidentCards(v.unresolved()),
		Maintenance: p.maintenanceCards(), Components: s.componentRows(p), Past: p.pastIncidents()}
	d.Icon = s.page.icons[d.Banner.Class]
	s.render(w, http.StatusOK, "index", d, 64<<10+len(d.Components)*12<<10)
}

type historyData struct {
	pageBase
	Months []monthGroup
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request, v *view) {
	p := s.pageView(r, v)
	s.render(w, http.StatusOK, "history", historyData{pageBase: s.base(r, v, p.l.Page.History), Months: p.history()}, 64<<10)
}

type incidentData struct {
	pageBase
	Incident incidentCard
}

// handleIncident shows one public incident. Drafts, discarded and unknown
// ids get the same 404 page: nothing tells them apart.
func (s *Server) handleIncident(w http.ResponseWriter, r *http.Request, v *view) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err == nil {
		for _, inc := range v.incidents { // public only
			if inc.ID == id {
				p := s.pageView(r, v)
				s.render(w, http.StatusOK, "incident", incidentData{pageBase: s.base(r, v, inc.Name), Incident: p.incidentCard(inc)}, 32<<10)
				return
			}
		}
	}
	s.handleNotFound(w, r)
}

// handleNotFound answers unknown paths: JSON under /api/, else an HTML page.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpjson.Error(w, http.StatusNotFound, "no such document: "+r.URL.Path)
		return
	}
	l := localeFor(s.opts.Page.Language)
	s.render(w, http.StatusNotFound, "notfound", s.base(r, nil, l.Page.NotFound), 32<<10)
}

// render executes a template into a buffer first, so a failure never
// sends half a page. Public pages render straight into the buffer of
// conditional; others into one of about size bytes.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any, size int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	buffered, direct := w.(*bufferedResponse)
	var buf *bytes.Buffer
	if direct && buffered.body.Len() == 0 {
		buf = buffered.body
	} else {
		buf = new(bytes.Buffer)
		buf.Grow(size)
	}
	if err := s.page.tmpl.ExecuteTemplate(buf, name, data); err != nil {
		buf.Reset()
		s.log.Error("rendering page failed", "page", name, "err", err)
		w.Header().Del("Content-Type")
		http.Error(w, "status page temporarily unavailable", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	if !direct || buf != buffered.body {
		_, _ = w.Write(buf.Bytes())
	}
}
