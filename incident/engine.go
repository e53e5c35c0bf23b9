// Package incident runs the incident lifecycle: it drafts incidents from
// the component status the monitor reports (grouping components that trip
// together), runs their timers (auto_publish_after, auto_resolve_after,
// remind_after), proposes resolutions, applies the operators' changes and
// writes every change with its audit entry and notifications in one store
// transaction. It knows nothing of checks or thresholds: the monitor
// describes each component with a View.
package incident

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// Store persists incidents; *store.DB implements it. Every write commits
// (with its audit entry and the notifications enqueue returns, which may
// be nil) before it returns.
type Store interface {
	CreateIncidentWith(inc store.Incident, audit store.AuditEntry, enqueue store.Enqueuer) (store.Incident, error)
	UpdateIncidentWith(id uint64, audit store.AuditEntry, change func(*store.Incident) error, enqueue store.Enqueuer) (store.Incident, error)
	Incidents(keep func(store.Incident) bool) ([]store.Incident, error)
}

var _ Store = (*store.DB)(nil)

// Settings are the incident timers and the language drafts are worded
// in; a zero duration turns a timer off.
type Settings struct {
	Language         string
	GroupWindow      time.Duration
	AutoPublishAfter time.Duration
	AutoResolveAfter time.Duration
	RemindAfter      time.Duration
	// Templates are the named starts of manual incidents (Templates).
	Templates []Template
}

// SettingsFromConfig reads the incident settings of a validated config.
func SettingsFromConfig(cfg *config.Config) Settings {
	return Settings{
		Language:         cfg.Page.Language,
		GroupWindow:      cfg.Incidents.GroupWindow.D(),
		AutoPublishAfter: cfg.Incidents.AutoPublishAfter.D(),
		AutoResolveAfter: cfg.Incidents.AutoResolveAfter.D(),
		RemindAfter:      cfg.Incidents.RemindAfter.D(),
		Templates:        TemplatesFromConfig(cfg),
	}
}

// Component is a configured component as drafts name it.
type Component struct {
	ID          string
	Name        string
	Description string
	// Impact and Workaround are the config's wording in the page
	// language (components[].impact and .workaround), empty when unset.
	Impact     string
	Workaround string
}

// View is what the engine needs to know of a component's status.
type View struct {
	Failing bool // partial or major outage
	Major   bool // major outage
	// FirstFail is the time of the first failed probe of the current
	// outage (earliest over the failing checks).
	FirstFail time.Time
	// Alert is the alert that makes the component fail, when one does
	// (nil for checks alone). Alerts come from inside, so a blind
	// monitor still opens their drafts.
	Alert *store.AlertSource
	// Sighted is set for a component whose checks are all push checks:
	// outpost's own network does not judge them, so a blind monitor
	// still opens its drafts and moves them along.
	Sighted bool
}

// status names the outage as the component status vocabulary does.
func (v View) status() string {
	switch {
	case v.Major:
		return "major_outage"
	case v.Failing:
		return "partial_outage"
	}
	return "operational"
}

// origin is the audit detail's note of the alert a draft came from: its
// name only (the audit log is operators', but the summary is kept on the
// incident).
func (v View) origin() string {
	if v.Alert == nil {
		return ""
	}
	return " from alert " + v.Alert.Name
}

// Actors in the audit log.
const (
	actorEngine = "engine" // automatic drafting and bookkeeping
	actorAuto   = "auto"   // auto_publish_after and auto_resolve_after timers
)

// Options configure an Engine.
type Options struct {
	Settings   Settings
	Components []Component
	// Notifier renders notifications, enqueued with the changes that
	// cause them; nil notifies nobody.
	Notifier Notifier
	Now      func() time.Time // default time.Now
	Logger   *slog.Logger
}

// Engine drafts incidents from component status, runs their timers and
// applies the operators' changes. It is safe for concurrent use: one
// mutex serialises its state and its store writes (bbolt transactions,
// with the notifications the Notifier renders inside them), and nothing
// else happens under it. Whoever drives Evaluate calls it in order.
type Engine struct {
	db       Store
	notifier Notifier // nil: nobody is notified
	now      func() time.Time
	log      *slog.Logger

	mu       sync.Mutex // guards everything below and orders store writes
	onChange func()     // see OnChange
	settings Settings
	comps    map[string]Component
	// cache holds open incidents and engine drafts resolved within the
	// group window (which a flapping component reopens instead of
	// opening a new one).
	cache map[uint64]store.Incident
}

// New returns an Engine keeping incidents in db; call Load before the
// first Evaluate.
func New(db Store, o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Settings.Templates = cloneTemplates(o.Settings.Templates)
	e := &Engine{db: db, notifier: o.Notifier, settings: o.Settings, now: o.Now, log: o.Logger,
		cache: map[uint64]store.Incident{}}
	e.SetComponents(o.Components)
	return e
}

// SetComponents replaces the components drafts name and admin input may
// refer to.
func (e *Engine) SetComponents(comps []Component) {
	m := make(map[string]Component, len(comps))
	for _, c := range comps {
		m[c.ID] = c
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.comps = m
}

// SetSettings replaces the timers, the language and the templates (a
// reload). Timers may move: the driver of Evaluate asks NextDeadline
// again.
func (e *Engine) SetSettings(s Settings) {
	s.Templates = cloneTemplates(s.Templates)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settings = s
}

// Settings returns the timers and the language in force, for the review
// console's countdowns.
func (e *Engine) Settings() Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settings
}

// OnChange sets f to run after every change an operation (CreateIncident,
// EditIncident, PublishIncident, AddUpdate, ResolveIncident,
// DiscardIncident) stored: the incident may need Evaluate soon, and its
// timers moved. f runs without the engine's lock held and must not
// block. Changes made by Evaluate are not reported; its caller knows.
func (e *Engine) OnChange(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onChange = f
}

// changed runs the OnChange function.
func (e *Engine) changed() {
	e.mu.Lock()
	f := e.onChange
	e.mu.Unlock()
	if f != nil {
		f()
	}
}

// Load reads open incidents (and recently auto-resolved drafts) from the
// store, so a restart in the middle of an outage opens no duplicate.
func (e *Engine) Load(now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	incs, err := e.db.Incidents(func(i store.Incident) bool {
		return i.Open() || e.reopenable(i, now) || (e.suppressing(i) && now.Sub(i.UpdatedAt) < 24*time.Hour)
	})
	if err != nil {
		return fmt.Errorf("incident: load incidents: %w", err)
	}
	for _, inc := range incs {
		e.cache[inc.ID] = inc
	}
	return nil
}

// reopenable: an engine draft that was closed by recovery before anyone
// published it, recently enough that a new failure is the same outage.
func (e *Engine) reopenable(i store.Incident, now time.Time) bool {
	return i.Auto && i.State == store.IncidentResolved && i.PublishedAt.IsZero() &&
		now.Sub(i.ResolvedAt) <= max(e.settings.GroupWindow, 0)
}

// Evaluate applies the incident rules at now to views, keyed by component
// id: a failing component no open incident covers opens (or joins) a
// draft, and every open incident moves along (recovery, timers). blind
// (the monitor cannot see) opens nothing and keeps every timer where it
// is; the monitor reports a component under maintenance as not failing.
func (e *Engine) Evaluate(now time.Time, views map[string]View, blind bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, id := range sortedKeys(views) {
		if v := views[id]; v.Failing && (!blind || v.Alert != nil || v.Sighted) && e.covering(id) == nil {
			errs = append(errs, e.openFor(now, id, v))
		}
	}
	for _, id := range e.cachedIDs() {
		errs = append(errs, e.progress(now, e.cache[id], views, blind))
	}
	for id, inc := range e.cache {
		if !inc.Open() && !e.reopenable(inc, now) && !(e.suppressing(inc) && anyFailing(inc, views)) {
			delete(e.cache, id)
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) cachedIDs() []uint64 {
	ids := make([]uint64, 0, len(e.cache))
	for id := range e.cache {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// suppressing: a person discarded the draft, so its components open no
// new incident until they have recovered.
func (e *Engine) suppressing(inc store.Incident) bool {
	return inc.State == store.IncidentDiscarded
}

func anyFailing(inc store.Incident, views map[string]View) bool {
	for _, id := range inc.Components {
		if views[id].Failing {
			return true
		}
	}
	return false
}

// covering returns the open (or discarded, still failing) incident that
// covers component id.
func (e *Engine) covering(id string) *store.Incident {
	for _, inc := range e.cache {
		if (inc.Open() || e.suppressing(inc)) && slices.Contains(inc.Components, id) {
			return &inc
		}
	}
	return nil
}

// openFor joins component id to a recent engine incident, reopens its
// recently recovered draft, or opens a new draft.
func (e *Engine) openFor(now time.Time, id string, v View) error {
	major := v.Major
	for _, inc := range e.cache {
		if inc.Auto && inc.Open() && now.Sub(inc.CreatedAt) <= e.settings.GroupWindow {
			return e.change(inc.ID, actorEngine, "join", "component "+id+" joined", func(i *store.Incident) {
				i.Components = append(i.Components, id)
				if i.Alert == nil {
					i.Alert = v.Alert
				}
				e.raiseImpact(i, major)
				if v.FirstFail.Before(i.StartedAt) && !v.FirstFail.IsZero() {
					i.StartedAt = v.FirstFail
				}
			}, now)
		}
	}
	for _, inc := range e.cache {
		if e.reopenable(inc, now) && slices.Contains(inc.Components, id) {
			return e.change(inc.ID, actorEngine, "reopen", "failing again before publication", func(i *store.Incident) {
				i.State, i.ResolvedAt, i.RecoveredAt = store.IncidentDraft, time.Time{}, time.Time{}
				if v.Alert != nil {
					i.Alert = v.Alert // what fails now
				}
				e.raiseImpact(i, major)
			}, now)
		}
	}
	inc := store.Incident{State: store.IncidentDraft, Status: store.StatusInvestigating, Auto: true,
		Components: []string{id}, StartedAt: v.FirstFail, CreatedAt: now, UpdatedAt: now, Alert: v.Alert}
	if inc.StartedAt.IsZero() {
		inc.StartedAt = now
	}
	e.raiseImpact(&inc, major)
	inc.Impact = impactName(major)
	created, err := e.db.CreateIncidentWith(inc, store.AuditEntry{At: now, Actor: actorEngine, Action: "open",
		Detail: fmt.Sprintf("draft for %s (%s)%s", id, v.status(), v.origin())}, e.enqueuer(actorEngine, now, EventDraftOpened))
	if err != nil {
		return err
	}
	e.cache[created.ID] = created
	e.log.Warn("incident draft opened; review and publish it", "incident", created.ID, "component", id,
		"impact", created.Impact, "title", created.Name)
	return nil
}

func impactName(major bool) string {
	if major {
		return "major"
	}
	return "minor"
}

// raiseImpact sets the impact to major when needed and re-renders the
// engine's text unless a person has edited it.
func (e *Engine) raiseImpact(i *store.Incident, major bool) {
	if major {
		i.Impact = "major"
	} else if i.Impact == "" {
		i.Impact = "minor"
	}
	if i.State != store.IncidentDraft || i.Edited {
		return
	}
	comps := e.components(i.Components)
	i.Name, i.Body = draftText(e.settings.Language, comps, i.Impact == "major")
}

func (e *Engine) components(ids []string) []Component {
	out := make([]Component, 0, len(ids))
	for _, id := range ids {
		c, ok := e.comps[id]
		if !ok {
			c = Component{ID: id, Name: id}
		}
		out = append(out, c)
	}
	return out
}

// change applies fn to incident id, stores it with an audit entry and
// the notifications of events (in the same transaction) and refreshes
// the cache.
func (e *Engine) change(id uint64, actor, action, detail string, fn func(*store.Incident), now time.Time, events ...Event) error {
	updated, err := e.db.UpdateIncidentWith(id, store.AuditEntry{At: now, Actor: actor, Action: action, Detail: detail},
		func(i *store.Incident) error {
			fn(i)
			i.UpdatedAt = now
			return nil
		}, e.enqueuer(actor, now, events...))
	if err != nil {
		return err
	}
	e.cache[id] = updated
	e.log.Info("incident changed", "incident", id, "action", action, "actor", actor, "state", updated.State)
	return nil
}

// enqueuer returns the store.Enqueuer of a change by actor that causes
// events (nil when nobody is to be told).
func (e *Engine) enqueuer(actor string, now time.Time, events ...Event) store.Enqueuer {
	base := Notice{Actor: actor, At: now}
	for _, ev := range events {
		switch ev {
		case EventAutoPublished:
			base.After = e.settings.AutoPublishAfter
		case EventReminder:
			base.After = e.settings.RemindAfter
		}
	}
	return noticesFor(e.notifier, e.names, base, events...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
