package store

import (
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Maintenance is a maintenance window added through the admin API
// (windows from the configuration file are not stored).
type Maintenance struct {
	ID         string    `json:"id"`
	Components []string  `json:"components"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
	Author     string    `json:"author"`
}

// AddMaintenance stores a window, assigning its ID, with an audit entry,
// and commits before returning.
func (db *DB) AddMaintenance(m Maintenance, audit AuditEntry) (Maintenance, error) {
	return db.AddMaintenanceWith(m, audit, nil)
}

// AddMaintenanceWith is AddMaintenance that also puts the messages
// enqueue returns for the stored window into the outbox, in the same
// transaction.
func (db *DB) AddMaintenanceWith(m Maintenance, audit AuditEntry, enqueueFn MaintenanceEnqueuer) (Maintenance, error) {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMaintenance)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		m.ID = strconv.FormatUint(seq, 10)
		if err := putJSON(b, idKey(seq), m); err != nil {
			return err
		}
		audit.Detail = fmt.Sprintf("maintenance %s: %s", m.ID, m.Title)
		if err := appendAudit(tx, audit); err != nil {
			return err
		}
		if enqueueFn == nil {
			return nil
		}
		return db.enqueue(tx, enqueueFn(m))
	})
	if err != nil {
		return Maintenance{}, fmt.Errorf("store: add maintenance: %w", err)
	}
	return m, nil
}

// DeleteMaintenance removes a stored window.
func (db *DB) DeleteMaintenance(id string, audit AuditEntry) error {
	seq, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return fmt.Errorf("store: maintenance %q: %w", id, ErrNotFound)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMaintenance)
		if b.Get(idKey(seq)) == nil {
			return fmt.Errorf("maintenance %s: %w", id, ErrNotFound)
		}
		if err := b.Delete(idKey(seq)); err != nil {
			return err
		}
		audit.Detail = "maintenance " + id + " deleted"
		return appendAudit(tx, audit)
	})
	if err != nil {
		return fmt.Errorf("store: delete maintenance: %w", err)
	}
	return nil
}

// Maintenances returns the stored windows, oldest first.
func (db *DB) Maintenances() ([]Maintenance, error) {
	var out []Maintenance
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMaintenance).ForEach(func(k, v []byte) error {
			var m Maintenance
			if err := getJSON(v, &m); err != nil {
				return fmt.Errorf("maintenance %x: %w", k, err)
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read maintenance: %w", err)
	}
	return out, nil
}
