// Package admin serves the admin API under /api/admin/: authenticated
// changes to incidents and maintenance windows, the audit log and backups;
// and the review console under /admin/ (console*.go), the same changes in
// server-rendered pages for operators in a browser. It asks the incident engine and the
// monitor to make changes and reads the store; each handler reads only what it answers with. The
// daemon mounts Handler beside the public site on publish's listener;
// neither package imports the other.
package admin

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/store"
)

// Incidents performs incident operations; *incident.Engine implements it.
type Incidents interface {
	CreateIncident(inc store.Incident, publish bool, actor string) (store.Incident, error)
	EditIncident(id uint64, edit incident.Edit, actor string) (store.Incident, error)
	PublishIncident(id uint64, status, body, actor string) (store.Incident, error)
	AddUpdate(id uint64, status, body, actor string) (store.Incident, error)
	ResolveIncident(id uint64, body, actor string) (store.Incident, error)
	DiscardIncident(id uint64, actor string) (store.Incident, error)
	// Templates are the config's named starts of manual incidents.
	Templates() []incident.Template
	// Settings are the timers in force: the console shows countdowns.
	Settings() incident.Settings
}

// Monitor performs maintenance operations and lists the maintenance
// windows; *monitor.Monitor implements it.
type Monitor interface {
	AddMaintenance(w monitor.MaintenanceWindow, actor string) (monitor.MaintenanceWindow, error)
	DeleteMaintenance(id, actor string) error
	Maintenance() []monitor.MaintenanceWindow
	// The live state the console's overview shows.
	Snapshot() []monitor.CheckStatus
	Components() []monitor.ComponentState
	Blind() bool
}

// Store reads what the admin API shows; *store.DB implements it.
type Store interface {
	Incidents(keep func(store.Incident) bool) ([]store.Incident, error)
	Incident(id uint64) (store.Incident, error)
	Audit(limit int) ([]store.AuditEntry, error)
	Backup(w io.Writer) (int64, error)
	AuditBefore(before uint64, limit int) ([]store.AuditEntry, error)
	// Review console sessions, stored under a hash of their id.
	PutSession(id string, s store.Session) error
	Session(id string) (store.Session, error)
	DeleteSession(id string) error
	DeleteSessions(drop func(store.Session) bool, limit int) (int, error)
}

// Presenter shows incidents as the admin API answers with them: the
// Statuspage incident object of the public API plus state, body, auto,
// edited and draft_updates. publish.Presenter implements it, so the shape
// stays the public API's.
type Presenter interface {
	Incidents(incs []store.Incident) []any
}

var (
	_ Incidents = (*incident.Engine)(nil)
	_ Monitor   = (*monitor.Monitor)(nil)
	_ Store     = (*store.DB)(nil)
)

// Options configure the admin API.
type Options struct {
	Incidents Incidents // nil: incident operations answer 503
	Monitor   Monitor
	Store     Store
	Present   Presenter
	// Preview renders the console's previews of incident text as the
	// public page and the public message will show it; nil: no preview.
	Preview Previewer
	// Subscribers are the email subscribers (subscribers.go); nil: their
	// endpoints and console page answer 404.
	Subscribers Subscribers
	// Token is the bearer token and the console's login token; the API
	// and the console are off (every route answers 404) while it is
	// empty. SetToken replaces it.
	Token string
	// Page is the public page: the console speaks its language, accepts
	// forms from its URL's origin and marks its cookie Secure when the
	// URL is https.
	Page     config.Page
	Location *time.Location // time zone of maintenance windows; default UTC
	Logger   *slog.Logger
	Now      func() time.Time // default time.Now
}

// API is the admin API and the review console.
type API struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	limiter *authLimiter // failed bearer tokens and console logins, per client address
	token   atomic.Pointer[string]
	console *console
}

// New builds the routes.
func New(o Options) *API {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Incidents == nil {
		o.Incidents = noIncidents{}
	}
	a := &API{opts: o, log: o.Logger, mux: http.NewServeMux(), limiter: &authLimiter{failures: map[string]*failureCount{}}}
	a.SetToken(o.Token)
	a.register()
	a.console = newConsole(a)
	return a
}

// SetToken replaces the admin token (a reload read a new token file). The
// old token stops working at once, and every console session opened with
// it ends. An empty token turns the API and the console off. Safe for
// concurrent use.
func (a *API) SetToken(token string) { a.token.Store(&token) }

// currentToken is the admin token in force; empty while off.
func (a *API) currentToken() string { return *a.token.Load() }

// noIncidents is Options.Incidents when there is no incident engine.
type noIncidents struct{}

var _ Incidents = noIncidents{}

func (noIncidents) CreateIncident(store.Incident, bool, string) (store.Incident, error) {
	return store.Incident{}, incident.ErrNoIncidents
}

func (noIncidents) EditIncident(uint64, incident.Edit, string) (store.Incident, error) {
	return store.Incident{}, incident.ErrNoIncidents
}

func (noIncidents) PublishIncident(uint64, string, string, string) (store.Incident, error) {
	return store.Incident{}, incident.ErrNoIncidents
}

func (noIncidents) AddUpdate(uint64, string, string, string) (store.Incident, error) {
	return store.Incident{}, incident.ErrNoIncidents
}

func (noIncidents) ResolveIncident(uint64, string, string) (store.Incident, error) {
	return store.Incident{}, incident.ErrNoIncidents
}

func (noIncidents) DiscardIncident(uint64, string) (store.Incident, error) {
	return store.Incident{}, incident.ErrNoIncidents
}

func (noIncidents) Templates() []incident.Template { return nil }

func (noIncidents) Settings() incident.Settings { return incident.Settings{} }

// Handler serves every path under /api/admin/, authenticated; mount it
// there (publish.ServerOptions.Routes).
func (a *API) Handler() http.Handler { return a.auth(a.mux) }

// Limits of the admin API.
const (
	maxAdminBody     = 64 << 10
	authFailureLimit = 10 // failed attempts per client and window
	authWindow       = time.Minute
)

// authLimiter counts failed token attempts per client address.
type authLimiter struct {
	mu       sync.Mutex
	failures map[string]*failureCount
}

type failureCount struct {
	n     int
	since time.Time
}

func (l *authLimiter) blocked(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.failures[ip]
	return f != nil && now.Sub(f.since) < authWindow && f.n >= authFailureLimit
}

func (l *authLimiter) fail(ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > 10_000 {
		l.failures = map[string]*failureCount{} // bounded memory under a spray of addresses
	}
	f := l.failures[ip]
	if f == nil || now.Sub(f.since) >= authWindow {
		f = &failureCount{since: now}
		l.failures[ip] = f
	}
	f.n++
}

// bearer checks the request's bearer token against want in constant time,
// for every surface a machine calls with a token (the admin API, the peer
// API, the alert receiver), and counts a wrong one against the client's
// address. It answers a refused request itself (429 while the address is
// blocked, 401 with refusal otherwise) and reports whether to go on.
func (l *authLimiter) bearer(w http.ResponseWriter, r *http.Request, want string, now time.Time, realm, refusal string) bool {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	if l.blocked(ip, now) {
		w.Header().Set("Retry-After", strconv.Itoa(int(authWindow.Seconds())))
		httpjson.Error(w, http.StatusTooManyRequests, "too many failed attempts; wait a minute")
		return false
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		l.fail(ip, now)
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
		httpjson.Error(w, http.StatusUnauthorized, refusal)
		return false
	}
	return true
}

// auth wraps h with bearer-token authentication. Without a configured
// token the admin API is off.
func (a *API) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		current := a.currentToken()
		if current == "" || a.opts.Monitor == nil {
			httpjson.Error(w, http.StatusNotFound, "the admin API is off: set admin.token_file or OUTPOST_ADMIN_TOKEN")
			return
		}
		if !a.limiter.bearer(w, r, current, a.opts.Now(), "outpost admin", "missing or wrong bearer token") {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxAdminBody)
		h.ServeHTTP(w, r)
	})
}

// actor names who made a change for the audit log.
func actor(r *http.Request) string {
	if u := strings.TrimSpace(r.Header.Get("X-Outpost-User")); u != "" && len(u) <= 64 {
		return "admin:" + u
	}
	return "admin"
}

// decode reads a JSON body strictly: unknown fields are errors.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: empty body; send a JSON object", monitor.ErrInvalid)
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: body larger than %d bytes", monitor.ErrInvalid, maxAdminBody)
		}
		return fmt.Errorf("%w: %v", monitor.ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: one JSON object expected", monitor.ErrInvalid)
	}
	return nil
}

// fail answers err with the status code its kind calls for. Any other
// error is the server's: it is logged, and the answer says where to look.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, monitor.ErrInvalid), errors.Is(err, incident.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, incident.ErrBadState):
		status = http.StatusConflict
	case errors.Is(err, incident.ErrNoIncidents):
		status = http.StatusServiceUnavailable
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		// Nothing was saved; the operator can retry once space is freed.
		httpjson.Error(w, http.StatusInsufficientStorage, "the server's disk is full: the change was not saved; free space under data_dir and retry")
		return
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		a.log.Error("admin API request failed", "request", r.Method+" "+r.URL.Path, "err", err)
		msg = "internal error; see the outpost log"
	}
	httpjson.Error(w, status, msg)
}

func incidentID(r *http.Request) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%w: incident id %q is not a positive number", store.ErrNotFound, r.PathValue("id"))
	}
	return id, nil
}
