package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the on-disk layout this binary reads and writes.
const SchemaVersion = 3

// moveResultsPerTx bounds the transactions of the schema 3 migration.
const moveResultsPerTx = 50_000

// FileName is the database file inside data_dir.
const FileName = "outpost.db"

// appendFill is the FillPercent of buckets whose keys are mostly appended
// (results, intervals, rollups): pages split at 90 % instead of 50 %.
const appendFill = 0.9

// Top-level buckets.
var (
	bucketMeta          = []byte("meta")
	bucketResults       = []byte("results") // schema 1 and 2: results/<check>/<time>; moved by Open
	bucketResultsByTime = []byte("results-by-time")
	bucketIntervals     = []byte("intervals")
	bucketRollups       = []byte("rollups")
	bucketProbeDays     = []byte("probe-days") // probe-days/<subject>: the latest day's probe counts
	bucketIncidents     = []byte("incidents")
	bucketUpdates       = []byte("updates")
	bucketMaintenance   = []byte("maintenance")
	bucketAudit         = []byte("audit")
	bucketOutbox        = []byte("outbox")   // outbox/<channel>/<seq>: pending notifications
	bucketSent          = []byte("sent")     // sent/<channel>/<key>: idempotency marks
	bucketSessions      = []byte("sessions") // sessions/<SHA-256 of the id>: review console logins
	bucketHeld          = []byte("held")     // held/<channel>/<not before><seq>: escalations waiting for their time
	bucketFanOut        = []byte("fanout")   // fanout/<channel>/<seq>: subscriber fan-outs in progress
	allBuckets          = [][]byte{bucketMeta, bucketResultsByTime, bucketIntervals, bucketRollups, bucketProbeDays,
		bucketIncidents, bucketUpdates, bucketMaintenance, bucketAudit, bucketOutbox, bucketSent, bucketSessions, bucketHeld,
		bucketFanOut, bucketSubscribers, bucketSubscriberMail}
	keySchema    = []byte("schema")
	keyLocation  = []byte("location")
	keyHeartbeat = []byte("heartbeat")
)

// Errors callers can match with errors.Is.
var (
	ErrLocked      = errors.New("database is locked by another process")
	ErrNewerSchema = errors.New("database was written by a newer outpost")
	ErrCorrupt     = errors.New("database is missing a bucket")
	ErrInvalid     = errors.New("invalid argument")
)

// Options configure Open.
type Options struct {
	// LockTimeout bounds the wait for another process's file lock.
	// Default 1 s: a second outpost fails fast instead of hanging.
	LockTimeout time.Duration
	// ReadOnly opens without taking the write lock (for inspection tools).
	ReadOnly bool
	// Location is the page time zone: daily rollups and Days use its
	// calendar days. Nil means UTC.
	Location *time.Location
}

// DB is an open outpost database.
type DB struct {
	bolt *bolt.DB
	path string
	loc  *time.Location
	// onEnqueue runs after a transaction that enqueued notifications commits.
	onEnqueue atomic.Pointer[func()]
	// incidentWrites counts write transactions on incidents (see
	// IncidentsVersion).
	incidentWrites atomic.Uint64
	// log holds quiet results between commits (resultlog.go); nil when
	// read-only.
	log   *resultLog
	logMu sync.Mutex
	// replayed is how many results Open committed from the log.
	replayed int
}

// Replayed is how many results Open found in the result log and
// committed: those of a process that was killed or lost its power.
func (db *DB) Replayed() int { return db.replayed }

// IncidentsVersion changes whenever incidents may have changed (created or
// edited), so that a reader can keep what it derived from them
// until it does. It counts attempts, so an aborted write costs a reader one
// needless refresh, never a stale one.
func (db *DB) IncidentsVersion() uint64 { return db.incidentWrites.Load() }

// Open opens or creates the database at path, creating its directory,
// every bucket and the schema version in one transaction. An older schema
// is migrated in that transaction; a newer one is refused.
func Open(path string, o Options) (*DB, error) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("store: create data directory: %w (check data_dir and its permissions)", err)
		}
	}
	b, err := openBolt(path, o.LockTimeout, o.ReadOnly)
	if err != nil {
		return nil, err
	}
	db := &DB{bolt: b, path: path, loc: o.Location}
	if o.ReadOnly {
		err = b.View(func(tx *bolt.Tx) error { return checkReadable(tx, path) })
	} else {
		err = b.Update(func(tx *bolt.Tx) error { return initSchema(tx, path, o.Location) })
		if err == nil {
			err = db.moveResults(moveResultsPerTx)
		}
		if err == nil {
			db.log, db.replayed, err = openResultLog(b, path, db.writeBatchTx)
		}
	}
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	return db, nil
}

func openBolt(path string, timeout time.Duration, readOnly bool) (*bolt.DB, error) {
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: readOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s: %w; stop the other outpost or change data_dir", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return b, nil
}

// initSchema checks the version, creates missing buckets, runs migrations
// and follows a change of the page time zone.
func initSchema(tx *bolt.Tx, path string, loc *time.Location) error {
	version, err := storedSchema(tx, path)
	if err != nil {
		return err
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if version == 0 { // new file
		if err := meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion)); err != nil {
			return fmt.Errorf("store: %s: write schema version: %w", path, err)
		}
		return meta.Put(keyLocation, []byte(loc.String()))
	}
	if version < inTxSchema {
		if err := migrate(tx, version, inTxSchema, migrations, loc); err != nil {
			return fmt.Errorf("store: %s: %w", path, err)
		}
	}
	if err := followLocation(tx, loc); err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	return nil
}

// storedSchema returns the schema version in meta, 0 for a new file, and
// refuses a newer one.
func storedSchema(tx *bolt.Tx, path string) (uint32, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	v := meta.Get(keySchema)
	if v == nil {
		return 0, nil
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("store: %s: schema version is unreadable (%d bytes)", path, len(v))
	}
	version := binary.BigEndian.Uint32(v)
	if version > SchemaVersion {
		return 0, fmt.Errorf("store: %s: %w (schema %d, this binary reads up to %d); upgrade outpost or restore a backup",
			path, ErrNewerSchema, version, SchemaVersion)
	}
	if version == 0 {
		return 0, fmt.Errorf("store: %s: schema version 0 is invalid", path)
	}
	return version, nil
}

// checkReadable is the read-only open: the schema must be current.
func checkReadable(tx *bolt.Tx, path string) error {
	version, err := storedSchema(tx, path)
	if err != nil {
		return err
	}
	switch {
	case version == 0:
		return fmt.Errorf("store: %s: %w meta", path, ErrCorrupt)
	case version < SchemaVersion:
		return fmt.Errorf("store: %s: schema %d must be migrated to %d; open it once read-write (outpost run)",
			path, version, SchemaVersion)
	}
	return nil
}

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// Location returns the time zone of daily rollups.
func (db *DB) Location() *time.Location { return db.loc }

// Close closes the database file.
func (db *DB) Close() error {
	if db.log != nil {
		_ = db.log.close() // written with write(2) only: nothing left to flush
	}
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

// Heartbeat records that the monitor was alive at t.
func (db *DB) Heartbeat(t time.Time) error {
	return db.WriteBatch(Batch{Heartbeat: t})
}

// LastHeartbeat returns the time of the last Heartbeat, zero if never.
func (db *DB) LastHeartbeat() (time.Time, error) {
	var t time.Time
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyHeartbeat)
		if v == nil {
			return nil
		}
		var err error
		t, err = decodeHeartbeat(v)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: read heartbeat: %w", err)
	}
	return t, nil
}

// heartbeatFormatV1 starts a heartbeat value: format byte, 8-byte
// big-endian Unix nanoseconds.
const heartbeatFormatV1 = 1

func encodeHeartbeat(t time.Time) []byte {
	return append([]byte{heartbeatFormatV1}, timeKey(t)...)
}

func decodeHeartbeat(v []byte) (time.Time, error) {
	if len(v) != 9 || v[0] != heartbeatFormatV1 {
		return time.Time{}, errors.New("malformed heartbeat value")
	}
	return keyTime(v[1:]), nil
}

// timeKey encodes t as 8-byte big-endian Unix nanoseconds.
func timeKey(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())) }

func keyTime(k []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC() }

// seekKey is timeKey for range bounds: times before 1970 or after 2262
// are clamped to the ends of the key space.
func seekKey(t time.Time) []byte {
	switch {
	case t.Before(time.Unix(0, 0)):
		return make([]byte, 8)
	case t.After(time.Unix(0, math.MaxInt64)):
		return binary.BigEndian.AppendUint64(nil, math.MaxInt64)
	}
	return timeKey(t)
}
