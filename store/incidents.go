package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Incident lifecycle states: a draft is published (or discarded), a
// published incident is resolved.
const (
	IncidentDraft     = "draft"
	IncidentPublished = "published"
	IncidentResolved  = "resolved"
	IncidentDiscarded = "discarded"
)

// Statuspage incident statuses.
const (
	StatusInvestigating = "investigating"
	StatusIdentified    = "identified"
	StatusMonitoring    = "monitoring"
	StatusResolved      = "resolved"
)

// Incident is an outage report: a draft until a person (or the
// auto_publish_after timer) publishes it. Public views show only
// published incidents and their published updates.
type Incident struct {
	ID     uint64 `json:"id"`
	State  string `json:"state"`  // draft, published, resolved, discarded
	Status string `json:"status"` // Statuspage status of the latest published update
	Name   string `json:"name"`
	Body   string `json:"body"`   // text of the first update when published
	Impact string `json:"impact"` // none, minor, major, critical
	// Components are the ids of the affected components.
	Components []string `json:"components"`
	// Auto is true when the engine opened the incident.
	Auto bool `json:"auto"`
	// Edited is true once a person changed the name or body; the engine
	// then stops rewriting the text.
	Edited bool `json:"edited"`

	StartedAt   time.Time `json:"started_at"` // first failed probe
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`
	// RecoveredAt is when every affected component was operational again;
	// zero while any is failing. The engine's auto_resolve timer uses it.
	RecoveredAt time.Time `json:"recovered_at,omitzero"`
	// RemindedAt is when operators were last reminded to post an update.
	RemindedAt time.Time `json:"reminded_at,omitzero"`
	// Alert names the alert an engine draft came from (SPEC §18). Its
	// summary is for operators (their notifications, the console, the
	// admin API) and never part of the public text.
	Alert *AlertSource `json:"alert,omitempty"`

	Updates []IncidentUpdate `json:"updates"`
}

// Open reports whether the incident still covers an outage.
func (i Incident) Open() bool { return i.State == IncidentDraft || i.State == IncidentPublished }

// Public reports whether the incident may be shown publicly.
func (i Incident) Public() bool { return !i.PublishedAt.IsZero() && i.State != IncidentDiscarded }

// LastPublishedUpdate returns the time of the latest published update, or
// PublishedAt.
func (i Incident) LastPublishedUpdate() time.Time {
	last := i.PublishedAt
	for _, u := range i.Updates {
		if !u.Draft && u.CreatedAt.After(last) {
			last = u.CreatedAt
		}
	}
	return last
}

// AlertSource is an Alertmanager alert as a draft names it.
type AlertSource struct {
	Name    string `json:"name"` // the alertname label
	Summary string `json:"summary,omitempty"`
}

// IncidentUpdate is one entry of an incident's timeline. Draft updates
// (e.g. the engine's proposed resolution) are never public.
type IncidentUpdate struct {
	ID        uint64    `json:"id"`
	Status    string    `json:"status"`
	Body      string    `json:"body"`
	Draft     bool      `json:"draft"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// AuditEntry records who changed what and when.
type AuditEntry struct {
	ID       uint64    `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`  // "engine", "auto", "admin", ...
	Action   string    `json:"action"` // "open", "join", "publish", "update", "resolve", "discard", "remind", ...
	Incident uint64    `json:"incident,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// ErrNotFound is returned for an unknown incident id.
var ErrNotFound = errors.New("not found")

// jsonFormatV1 prefixes JSON-encoded values (incidents, audit entries):
// they are small, rare and must stay readable across versions.
const jsonFormatV1 = 1

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, append([]byte{jsonFormatV1}, data...))
}

func getJSON(data []byte, v any) error {
	if len(data) == 0 || data[0] != jsonFormatV1 {
		return fmt.Errorf("unknown value format")
	}
	return json.Unmarshal(data[1:], v)
}

// CreateIncident stores a new incident, assigning its ID and its updates'
// IDs, together with an audit entry, in one transaction that commits
// before it returns.
func (db *DB) CreateIncident(inc Incident, audit AuditEntry) (Incident, error) {
	return db.CreateIncidentWith(inc, audit, nil)
}

// CreateIncidentWith is CreateIncident that also puts the messages
// enqueue returns for the stored incident into the outbox, in the same
// transaction.
func (db *DB) CreateIncidentWith(inc Incident, audit AuditEntry, enqueue Enqueuer) (Incident, error) {
	defer db.incidentWrites.Add(1)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIncidents)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		inc.ID = id
		for i := range inc.Updates {
			inc.Updates[i].ID = uint64(i + 1)
		}
		return db.saveIncident(tx, inc, audit, enqueue)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("store: create incident: %w", err)
	}
	return inc, nil
}

// UpdateIncident applies change to incident id and stores it with an
// audit entry in one transaction. change may return an error to abort.
// New updates without an ID get one.
func (db *DB) UpdateIncident(id uint64, audit AuditEntry, change func(*Incident) error) (Incident, error) {
	return db.UpdateIncidentWith(id, audit, change, nil)
}

// UpdateIncidentWith is UpdateIncident that also puts the messages
// enqueue returns for the changed incident into the outbox, in the same
// transaction.
func (db *DB) UpdateIncidentWith(id uint64, audit AuditEntry, change func(*Incident) error, enqueue Enqueuer) (Incident, error) {
	var inc Incident
	defer db.incidentWrites.Add(1)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIncidents)
		data := b.Get(idKey(id))
		if data == nil {
			return fmt.Errorf("incident %d: %w", id, ErrNotFound)
		}
		inc = Incident{}
		if err := getJSON(data, &inc); err != nil {
			return fmt.Errorf("incident %d: %w", id, err)
		}
		if err := change(&inc); err != nil {
			return err
		}
		var maxID uint64
		for _, u := range inc.Updates {
			maxID = max(maxID, u.ID)
		}
		for i := range inc.Updates {
			if inc.Updates[i].ID == 0 {
				maxID++
				inc.Updates[i].ID = maxID
			}
		}
		return db.saveIncident(tx, inc, audit, enqueue)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("store: update incident: %w", err)
	}
	return inc, nil
}

// saveIncident writes inc, its audit entry and its notifications in tx.
func (db *DB) saveIncident(tx *bolt.Tx, inc Incident, audit AuditEntry, enqueue Enqueuer) error {
	if err := putJSON(tx.Bucket(bucketIncidents), idKey(inc.ID), inc); err != nil {
		return err
	}
	audit.Incident = inc.ID
	if err := appendAudit(tx, audit); err != nil {
		return err
	}
	return db.enqueueFor(tx, enqueue, inc)
}

func (db *DB) enqueueFor(tx *bolt.Tx, fn Enqueuer, inc Incident) error {
	if fn == nil {
		return nil
	}
	return db.enqueue(tx, fn(inc))
}

// Incident returns one incident.
func (db *DB) Incident(id uint64) (Incident, error) {
	var inc Incident
	err := db.bolt.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bucketIncidents).Get(idKey(id))
		if data == nil {
			return fmt.Errorf("incident %d: %w", id, ErrNotFound)
		}
		return getJSON(data, &inc)
	})
	if err != nil {
		return Incident{}, fmt.Errorf("store: read incident: %w", err)
	}
	return inc, nil
}

// Incidents returns the incidents for which keep returns true (all when
// keep is nil), newest first.
func (db *DB) Incidents(keep func(Incident) bool) ([]Incident, error) {
	var out []Incident
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketIncidents).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var inc Incident
			if err := getJSON(v, &inc); err != nil {
				return fmt.Errorf("incident %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if keep == nil || keep(inc) {
				out = append(out, inc)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read incidents: %w", err)
	}
	return out, nil
}

// AppendAudit stores an audit entry on its own (for changes that are not
// incident writes, such as maintenance edits).
func (db *DB) AppendAudit(e AuditEntry) error {
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return appendAudit(tx, e) }); err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

func appendAudit(tx *bolt.Tx, e AuditEntry) error {
	b := tx.Bucket(bucketAudit)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.ID = id
	return putJSON(b, idKey(id), e)
}

// Audit returns up to limit audit entries, newest first (limit <= 0: all).
func (db *DB) Audit(limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = math.MaxInt
	}
	return db.AuditBefore(0, limit)
}
