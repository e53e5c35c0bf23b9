// Package publish serves the public site: the status page, history,
// feeds, badges, the Statuspage API v2, /api/v1, health endpoints and the
// static export, plus /metrics from a handler passed in. It reads the
// monitor's snapshot and the store; it decides nothing. Other handlers
// (the admin API) are mounted on its listener through ServerOptions.Routes.
package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// ServerOptions configure a Server.
type ServerOptions struct {
	Monitor      MonitorSource
	Availability AvailabilityOptions
	Incidents    IncidentSource // nil: no incidents are shown
	Page         config.Page
	Metrics      http.Handler // serves /metrics (Metrics.Handler); nil: not served
	// Routes are served beside the public site, on the same listener with
	// the same timeouts and header limit: a ServeMux pattern and its
	// handler, e.g. "/api/admin/" and the admin API. publish knows them only
	// as handlers. A pattern that conflicts with a public route panics.
	Routes map[string]http.Handler
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
	// Days and Uptime feed the status page's day bars and uptime
	// figures; nil shows "no data" and "n/a".
	Days   DaysSource
	Uptime UptimeSource
	// Subscriptions turn on the subscription pages (subscribe.go); nil:
	// they are not served and the page links its feed instead.
	Subscriptions *Subscriptions
	// Confirmer serves an outpost of role confirmer (SPEC §17): it never
	// sets public component status, so it serves no status page,
	// Statuspage API, feeds, badges, availability or subscription pages,
	// only checks.json (its own live view, for operators comparing
	// locations), /metrics, /healthz and Routes. The publisher's page is
	// the one customers read.
	Confirmer bool
}

// Server is outpost's HTTP server.
type Server struct {
	opts    ServerOptions
	log     *slog.Logger
	mux     *http.ServeMux
	page    *pageAssets
	cache   *renderCache   // nil: sources without change counters, rendered per request
	admit   *admission     // public documents
	scrapes *admission     // /metrics, apart, so a crowd cannot fail Prometheus's scrapes
	subs    *subscriptions // nil: subscriptions off
}

// NewServer builds the routes.
func NewServer(o ServerOptions) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Page.Location == nil {
		o.Page.Location = time.UTC
	}
	if h := o.Availability.History; h != nil {
		bars := &historyBars{opts: o.Availability}
		if o.Days == nil {
			o.Days = bars
		}
		if o.Uptime == nil {
			o.Uptime = bars
		}
	}
	s := &Server{opts: o, log: o.Logger, mux: http.NewServeMux(),
		cache: newRenderCache(o.Monitor, o.Incidents), admit: newAdmission(), scrapes: newScrapeAdmission()}
	s.mux.Handle("GET /api/v1/checks.json", s.public(docKind{live: true}, http.HandlerFunc(s.handleChecks)))
	if !o.Confirmer {
		s.registerStatuspage()
		s.mux.Handle("GET /api/v1/availability.json", s.public(docKind{}, s.viewHandler(s.handleAvailability)))
		s.mux.Handle("GET /api/v1/components/{id}/days.json", s.public(docKind{query: []string{"days"}}, s.viewHandler(s.handleDays)))
	}
	for pattern, h := range o.Routes {
		s.mux.Handle(pattern, h)
	}
	if !o.Confirmer {
		s.registerPage()
		s.registerSubscribe()
	}
	if o.Metrics != nil {
		s.mux.Handle("GET /metrics", s.scrapes.wrap(o.Metrics))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return s
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler { return s.mux }

// HTTPServer returns an http.Server for the routes with the timeouts and
// header limit Serve uses, so tests can exercise the real settings.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve listens on addr and serves until ctx ends, then shuts down
// gracefully. ready, if not nil, receives the bound address.
func (s *Server) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("publish: listen on %s: %w (is another process using it? change listen)", addr, err)
	}
	srv := s.HTTPServer()
	s.log.Info("http server listening", "addr", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("publish: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("publish: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("publish: serve: %w", err)
	}
	return nil
}

// public marks a read-only public document: any origin may read it and
// caches may keep it briefly. It is served from the render cache (ETag,
// 304 and gzip included). Rendering, where the CPU goes, is admitted by
// the concurrency bound; sending bytes is not, so slow readers cannot
// hold the bound's slots.
func (s *Server) public(kind docKind, h http.Handler) http.Handler {
	h = s.admit.wrap(h)
	if s.cache != nil {
		h = s.cache.cached(kind, h)
	} else {
		h = conditional(h) // ETag, 304 and gzip, rendered into memory first
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "public, max-age=10")
		h.ServeHTTP(w, r)
	})
}

// Presenter shows incidents in the public API's shape to callers outside
// publish that may see drafts (the admin API). It reads the monitor's
// components, never the store's incidents, and filters nothing: whoever
// serves what it returns must authenticate.
type Presenter struct {
	page config.Page
	mon  MonitorSource
}

// NewPresenter shows incidents with page's id, links and time zone and
// mon's components.
func NewPresenter(page config.Page, mon MonitorSource) *Presenter {
	if page.Location == nil {
		page.Location = time.UTC
	}
	return &Presenter{page: page, mon: mon}
}

// reviewIncident is the Statuspage incident object plus outpost's own
// fields: lifecycle state, draft text and draft updates.
type reviewIncident struct {
	spIncident
	State        string     `json:"state"`
	Body         string     `json:"body"`
	Auto         bool       `json:"auto"`
	Edited       bool       `json:"edited"`
	DraftUpdates []spUpdate `json:"draft_updates"`
}

// Incidents returns each incident, drafts included, as the Statuspage
// incident object (its published updates, created_at and updated_at its
// own: a draft has no publish time) plus state, body, auto, edited and
// draft_updates.
func (p *Presenter) Incidents(incs []store.Incident) []any {
	v := &view{page: p.page, components: p.mon.Components(), started: p.mon.Started()}
	out := make([]any, 0, len(incs))
	for _, inc := range incs {
		out = append(out, v.reviewIncident(inc))
	}
	return out
}

func (v *view) reviewIncident(inc store.Incident) reviewIncident {
	public := inc
	public.Updates = nil
	var drafts []store.IncidentUpdate
	for _, u := range inc.Updates {
		if u.Draft {
			drafts = append(drafts, u)
		} else {
			public.Updates = append(public.Updates, u)
		}
	}
	out := reviewIncident{spIncident: v.spIncident(public), State: inc.State, Body: inc.Body, Auto: inc.Auto,
		Edited: inc.Edited, DraftUpdates: v.spIncident(store.Incident{ID: inc.ID, Updates: drafts}).IncidentUpdates}
	out.CreatedAt = v.at(inc.CreatedAt)
	out.UpdatedAt = v.at(inc.UpdatedAt)
	return out
}
