package monitor

import (
	"errors"
	"fmt"
	"time"

	"github.com/outpost-status/outpost/incident"
	"github.com/outpost-status/outpost/store"
)

// MaintenanceStore persists windows added at run time; *store.DB implements it.
type MaintenanceStore interface {
	AddMaintenanceWith(m store.Maintenance, audit store.AuditEntry, enqueue store.MaintenanceEnqueuer) (store.Maintenance, error)
	DeleteMaintenance(id string, audit store.AuditEntry) error
	Maintenances() ([]store.Maintenance, error)
}

var _ MaintenanceStore = (*store.DB)(nil)

// storedPrefix marks windows that come from the store, not the config.
const storedPrefix = "w"

func fromStored(m store.Maintenance) MaintenanceWindow {
	return MaintenanceWindow{ID: storedPrefix + m.ID, Components: m.Components, Start: m.Start, End: m.End,
		Title: m.Title, Body: m.Body}
}

// loadMaintenance reads stored windows (at start-up).
func (m *Monitor) loadMaintenance() error {
	if m.opts.MaintenanceStore == nil {
		return nil
	}
	stored, err := m.opts.MaintenanceStore.Maintenances()
	if err != nil {
		return fmt.Errorf("monitor: load maintenance: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stored = m.stored[:0]
	for _, w := range stored {
		m.stored = append(m.stored, fromStored(w))
	}
	m.versions.stateChanged()
	return nil
}

// AddMaintenance validates, stores and applies a window.
func (m *Monitor) AddMaintenance(w MaintenanceWindow, actor string) (MaintenanceWindow, error) {
	if m.opts.MaintenanceStore == nil {
		return MaintenanceWindow{}, fmt.Errorf("monitor: no maintenance store")
	}
	if err := m.validateWindow(w); err != nil {
		return MaintenanceWindow{}, err
	}
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	now := m.opts.Clock.Now()
	saved, err := m.opts.MaintenanceStore.AddMaintenanceWith(store.Maintenance{Components: w.Components, Start: w.Start, End: w.End,
		Title: w.Title, Body: w.Body, CreatedAt: now, Author: actor}, store.AuditEntry{At: now, Actor: actor, Action: "maintenance-add"},
		m.announce(actor, now))
	if err != nil {
		return MaintenanceWindow{}, err
	}
	win := fromStored(saved)
	m.mu.Lock()
	m.stored = append(m.stored, win)
	m.versions.stateChanged()
	m.mu.Unlock()
	m.evaluateAll(now, true)
	m.replan() // a window boundary may be the next deadline
	return win, nil
}

// announce returns the enqueue of a new window's announcement: public
// channels hear of windows that have not ended yet. Deleting a window
// announces nothing: there is no cancellation message to send.
func (m *Monitor) announce(actor string, now time.Time) store.MaintenanceEnqueuer {
	if m.opts.Notifier == nil {
		return nil
	}
	m.mu.RLock() // not inside the store's transaction
	names := make(map[string]string, len(m.comps))
	for _, c := range m.comps {
		names[c.ID] = c.Name
	}
	m.mu.RUnlock()
	return func(w store.Maintenance) []store.OutboxMessage {
		if !w.End.After(now) {
			return nil
		}
		involved := map[string]string{}
		for _, id := range w.Components {
			involved[id] = names[id]
		}
		return m.opts.Notifier.Messages(incident.Notice{Event: incident.EventMaintenanceScheduled, Maintenance: &w, Names: involved, Actor: actor, At: now})
	}
}

// DeleteMaintenance removes a window added at run time.
func (m *Monitor) DeleteMaintenance(id, actor string) error {
	if m.opts.MaintenanceStore == nil || len(id) < 2 || id[:1] != storedPrefix {
		return fmt.Errorf("maintenance %q: %w (windows from the configuration file are changed there)", id, store.ErrNotFound)
	}
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	now := m.opts.Clock.Now()
	if err := m.opts.MaintenanceStore.DeleteMaintenance(id[1:], store.AuditEntry{At: now, Actor: actor, Action: "maintenance-delete"}); err != nil {
		return err
	}
	m.mu.Lock()
	for i, w := range m.stored {
		if w.ID == id {
			m.stored = append(m.stored[:i], m.stored[i+1:]...)
			break
		}
	}
	m.versions.stateChanged()
	m.mu.Unlock()
	m.evaluateAll(now, true)
	m.replan() // a window boundary may be the next deadline
	return nil
}

// ErrInvalid wraps validation failures of admin input.
var ErrInvalid = errors.New("invalid")

func (m *Monitor) validateWindow(w MaintenanceWindow) error {
	switch {
	case w.Title == "":
		return fmt.Errorf("%w: maintenance needs a title", ErrInvalid)
	case w.Start.IsZero() || w.End.IsZero() || !w.End.After(w.Start):
		return fmt.Errorf("%w: maintenance needs start before end (RFC 3339)", ErrInvalid)
	case len(w.Components) == 0:
		return fmt.Errorf("%w: maintenance needs at least one component id", ErrInvalid)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, id := range w.Components {
		if !m.hasComponentLocked(id) {
			return fmt.Errorf("%w: no component with id %q", ErrInvalid, id)
		}
	}
	return nil
}

func (m *Monitor) hasComponentLocked(id string) bool {
	for _, c := range m.comps {
		if c.ID == id {
			return true
		}
	}
	return false
}

// windowsLocked returns configured and stored windows.
func (m *Monitor) windowsLocked() []MaintenanceWindow {
	out := make([]MaintenanceWindow, 0, len(m.maintenance)+len(m.stored))
	return append(append(out, m.maintenance...), m.stored...)
}

// announceConfigured tells the public channels about configured windows
// that have not ended. Announcements are keyed by the window, so the
// outbox skips windows announced before (at an earlier start or reload).
func (m *Monitor) announceConfigured(now time.Time) error {
	q, ok := m.opts.MaintenanceStore.(interface {
		Enqueue(msgs []store.OutboxMessage) error
	})
	enqueue := m.announce("config", now)
	if !ok || enqueue == nil {
		return nil
	}
	m.mu.RLock()
	windows := append([]MaintenanceWindow(nil), m.maintenance...)
	m.mu.RUnlock()
	var msgs []store.OutboxMessage
	for _, w := range windows {
		msgs = append(msgs, enqueue(store.Maintenance{ID: w.ID, Components: w.Components, Start: w.Start, End: w.End,
			Title: w.Title, Body: w.Body, CreatedAt: w.Start, Author: "config"})...)
	}
	if len(msgs) == 0 {
		return nil
	}
	return q.Enqueue(msgs)
}
