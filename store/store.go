// Package store keeps outpost's data in one bbolt file, <data_dir>/outpost.db.
//
// Layout (schema version 1):
//
//	meta/schema                      uint32 big-endian schema version
//	results/<check key>/<time>       one probe result per key
//	intervals, rollups, incidents, maintenance, audit, outbox
//	                                 created empty; filled by later features
//
// Keys are 8-byte big-endian Unix nanoseconds so that a time range is a
// cursor seek. Values start with a format version byte (see encode.go).
// Callers never see a bbolt transaction: each method runs one transaction
// and copies bytes out before it ends.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the on-disk layout this binary reads and writes.
const SchemaVersion = 1

// FileName is the database file inside data_dir.
const FileName = "outpost.db"

// Top-level buckets.
var (
	bucketMeta        = []byte("meta")
	bucketResults     = []byte("results")
	bucketIntervals   = []byte("intervals")
	bucketRollups     = []byte("rollups")
	bucketIncidents   = []byte("incidents")
	bucketMaintenance = []byte("maintenance")
	bucketAudit       = []byte("audit")
	bucketOutbox      = []byte("outbox")
	allBuckets        = [][]byte{bucketMeta, bucketResults, bucketIntervals, bucketRollups,
		bucketIncidents, bucketMaintenance, bucketAudit, bucketOutbox}
	keySchema = []byte("schema")
)

// Errors callers can match with errors.Is.
var (
	ErrLocked      = errors.New("database is locked by another process")
	ErrNewerSchema = errors.New("database was written by a newer outpost")
	ErrCorrupt     = errors.New("database is missing a bucket")
)

// Options configure Open.
type Options struct {
	// LockTimeout bounds the wait for another process's file lock.
	// Default 1 s: a second outpost fails fast instead of hanging.
	LockTimeout time.Duration
	// ReadOnly opens without taking the write lock (for inspection tools).
	ReadOnly bool
}

// DB is an open outpost database.
type DB struct {
	bolt *bolt.DB
	path string
}

// Open opens or creates the database at path, creating its directory,
// every bucket and the schema version in one transaction.
func Open(path string, o Options) (*DB, error) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("store: create data directory: %w (check data_dir and its permissions)", err)
		}
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, ReadOnly: o.ReadOnly})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("store: %s: %w; stop the other outpost or change data_dir", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	if o.ReadOnly {
		err = b.View(func(tx *bolt.Tx) error { return checkSchema(tx, path) })
	} else {
		err = b.Update(func(tx *bolt.Tx) error { return initSchema(tx, path) })
	}
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	return db, nil
}

func initSchema(tx *bolt.Tx, path string) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta.Get(keySchema) == nil {
		return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
	}
	return checkSchema(tx, path)
}

func checkSchema(tx *bolt.Tx, path string) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("store: %s: %w meta", path, ErrCorrupt)
	}
	v := meta.Get(keySchema)
	if len(v) != 4 {
		return fmt.Errorf("store: %s: schema version is unreadable (%d bytes)", path, len(v))
	}
	switch version := binary.BigEndian.Uint32(v); {
	case version > SchemaVersion:
		return fmt.Errorf("store: %s: %w (schema %d, this binary reads up to %d); upgrade outpost or restore a backup",
			path, ErrNewerSchema, version, SchemaVersion)
	case version < SchemaVersion:
		// No older schema exists yet; migrations go here.
		return fmt.Errorf("store: %s: schema %d has no migration to %d", path, version, SchemaVersion)
	}
	return nil
}

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// Close closes the database file.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// Size returns the database file size in bytes.
func (db *DB) Size() (int64, error) {
	var size int64
	err := db.bolt.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })
	return size, err
}

// timeKey encodes t as 8-byte big-endian Unix nanoseconds.
func timeKey(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())) }

func keyTime(k []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC() }
