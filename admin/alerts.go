package admin

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-status/outpost/internal/httpjson"
	"github.com/outpost-status/outpost/monitor"
)

// AlertRouter applies decoded alerts; *monitor.Monitor implements it.
type AlertRouter interface {
	Alerts(alerts []monitor.Alert) []monitor.AlertOutcome
}

var _ AlertRouter = (*monitor.Monitor)(nil)

// AlertObserver counts what the receiver saw; the metrics package
// implements it and main connects them, so admin does not import metrics.
type AlertObserver interface {
	AlertReceived(status string) // "firing" or "resolved", per alert
	AlertUnmatched()
	AlertsTruncated(n int) // Alertmanager left n alerts out (max_alerts)
}

// AlertOptions configure the Alertmanager receiver.
type AlertOptions struct {
	Router   AlertRouter
	Observer AlertObserver // nil: nothing counted
	// Token is the bearer token Alertmanager sends; the receiver answers
	// 404 while it is empty. SetToken replaces it.
	Token  string
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
}

// AlertReceiver serves POST /api/alerts/alertmanager: Alertmanager's
// webhook (version 4) and Grafana's compatible one (SPEC §18). It answers
// at once: routing is in memory, and Alertmanager retries what it did
// not get a 2xx for.
type AlertReceiver struct {
	opts      AlertOptions
	log       *slog.Logger
	limiter   *authLimiter
	token     atomic.Pointer[string]
	unmatched fingerprintSet // logged once each
}

// NewAlertReceiver returns the receiver.
func NewAlertReceiver(o AlertOptions) *AlertReceiver {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &AlertReceiver{opts: o, log: o.Logger, limiter: &authLimiter{failures: map[string]*failureCount{}},
		unmatched: fingerprintSet{seen: map[string]bool{}}}
	r.SetToken(o.Token)
	return r
}

// SetToken replaces the bearer token (a reload); empty turns the
// receiver off. Safe for concurrent use.
func (a *AlertReceiver) SetToken(token string) { a.token.Store(&token) }

// AlertsPath is where the receiver listens.
const AlertsPath = "/api/alerts/alertmanager"

// Handler serves AlertsPath; mount it at /api/alerts/.
func (a *AlertReceiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AlertsPath, a.receive)
	return a.auth(mux)
}

// auth checks the bearer token in constant time and limits failed
// attempts per client, as the admin API does.
func (a *AlertReceiver) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		current := *a.token.Load()
		if current == "" {
			httpjson.Error(w, http.StatusNotFound, "the alert receiver is off: set alerts.token_file and alerts.routes")
			return
		}
		if !a.limiter.bearer(w, r, current, a.opts.Now(), "outpost alerts",
			"missing or wrong bearer token (set http_config.authorization.credentials_file in Alertmanager's webhook_config)") {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// receive decodes one notification and hands its alerts to the router.
func (a *AlertReceiver) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAlertBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpjson.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes; lower max_alerts in Alertmanager's webhook_config", maxAlertBody))
			return
		}
		httpjson.Error(w, http.StatusBadRequest, "reading the body failed")
		return
	}
	n, err := decodeNotification(body)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errTooMany) {
			status = http.StatusRequestEntityTooLarge
		}
		a.log.Warn("alert notification refused", "err", err)
		httpjson.Error(w, status, err.Error())
		return
	}
	if n.truncated > 0 {
		a.log.Warn("Alertmanager left alerts out of a notification (max_alerts)", "truncated", n.truncated, "group", n.groupKey)
		if o := a.opts.Observer; o != nil {
			o.AlertsTruncated(n.truncated)
		}
	}
	outcomes := a.opts.Router.Alerts(n.alerts)
	unmatched := 0
	for i, al := range n.alerts {
		if o := a.opts.Observer; o != nil {
			o.AlertReceived(statusName(al.Firing))
		}
		if outcomes[i] != monitor.AlertUnmatched {
			continue
		}
		unmatched++
		if o := a.opts.Observer; o != nil {
			o.AlertUnmatched()
		}
		if a.unmatched.add(al.Fingerprint) {
			a.log.Warn("alert matches no alerts.routes entry; add a route or stop sending it to outpost",
				"alert", al.Name, "fingerprint", al.Fingerprint, "labels", labelString(al.Labels))
		}
	}
	httpjson.Write(w, http.StatusOK, map[string]int{"received": len(n.alerts), "unmatched": unmatched})
}

func statusName(firing bool) string {
	if firing {
		return "firing"
	}
	return "resolved"
}

// labelString writes labels for a log line, bounded.
func labelString(labels map[string]string) string {
	var b strings.Builder
	for k, v := range labels {
		if b.Len() > 512 {
			b.WriteString("…")
			break
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, v)
	}
	return b.String()
}

// fingerprintSet remembers fingerprints to log each once; past its
// bound it forgets them all (bounded memory under a flood of new ones).
type fingerprintSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

const maxRememberedFingerprints = 10_000

// add reports whether fp was new.
func (s *fingerprintSet) add(fp string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[fp] {
		return false
	}
	if len(s.seen) >= maxRememberedFingerprints {
		s.seen = map[string]bool{}
	}
	s.seen[fp] = true
	return true
}
