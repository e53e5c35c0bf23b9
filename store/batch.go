package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Batch is what the monitor has to write at one flush: probe results,
// state transitions and a heartbeat, in that order.
type Batch struct {
	Results     []Result
	Transitions []Transition
	Heartbeat   time.Time // zero: none
	// LogSeq, when not zero, is the last result log record whose results
	// this batch commits (with earlier batches): the log's position
	// moves there in the same transaction (resultlog.go).
	LogSeq uint64
}

func (b Batch) empty() bool {
	return len(b.Results) == 0 && len(b.Transitions) == 0 && b.Heartbeat.IsZero() && b.LogSeq == 0
}

// BatchWriter writes a Batch in one transaction; *DB satisfies it.
type BatchWriter interface {
	WriteBatch(b Batch) error
}

var _ BatchWriter = (*DB)(nil)

// WriteBatch writes b in one transaction: all of it or, on error, none.
// One commit costs two fdatasyncs and, on an idle daemon, wakes more
// threads than the work it stores, so a flush's results, transitions and
// heartbeat share one (they were three).
//
// Invalid results or transitions fail the whole batch with ErrInvalid
// before anything is written.
func (db *DB) WriteBatch(b Batch) error {
	for _, r := range b.Results {
		if !validResult(r) {
			return fmt.Errorf("store: write %d results: %w: check %q at %s", len(b.Results), ErrInvalid, r.Check, r.Time)
		}
	}
	for _, t := range b.Transitions {
		if err := validTransition(t); err != nil {
			return fmt.Errorf("store: record transitions: %w", err)
		}
	}
	if b.empty() {
		return nil
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error { return db.writeBatchTx(tx, b) })
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if b.LogSeq != 0 && db.log != nil {
		db.logMu.Lock()
		if db.log.next-1 == b.LogSeq { // nothing was logged since: all of it is committed
			_ = db.log.truncate() // failing, the records stay and are skipped by their numbers
		}
		db.logMu.Unlock()
	}
	return nil
}

// writeBatchTx is WriteBatch inside tx; b is valid.
func (db *DB) writeBatchTx(tx *bolt.Tx, b Batch) error {
	if err := db.writeResultsTx(tx, b.Results); err != nil {
		return fmt.Errorf("write %d results: %w", len(b.Results), err)
	}
	if err := db.recordTransitionsTx(tx, b.Transitions); err != nil {
		return fmt.Errorf("record %d transitions: %w", len(b.Transitions), err)
	}
	if !b.Heartbeat.IsZero() {
		if err := tx.Bucket(bucketMeta).Put(keyHeartbeat, encodeHeartbeat(b.Heartbeat)); err != nil {
			return fmt.Errorf("heartbeat: %w", err)
		}
	}
	if b.LogSeq != 0 {
		if err := putLogPosition(tx, b.LogSeq); err != nil {
			return fmt.Errorf("result log position: %w", err)
		}
	}
	return nil
}

// LogBatch appends b's results and heartbeat to the result log without a
// sync and returns the record's number; a later WriteBatch with that
// LogSeq commits them (see resultlog.go). Transitions are never logged.
func (db *DB) LogBatch(b Batch) (uint64, error) {
	if len(b.Transitions) > 0 {
		return 0, fmt.Errorf("store: %w: transitions are committed, not logged", ErrInvalid)
	}
	for _, r := range b.Results {
		if !validResult(r) {
			return 0, fmt.Errorf("store: log %d results: %w: check %q at %s", len(b.Results), ErrInvalid, r.Check, r.Time)
		}
	}
	if db.log == nil {
		return 0, fmt.Errorf("store: %w: read-only database has no result log", ErrInvalid)
	}
	db.logMu.Lock()
	defer db.logMu.Unlock()
	return db.log.append(b)
}

// splitBatch writes a Batch through a ResultWriter that is not a
// BatchWriter (tests' fakes): results, then transitions and heartbeat if
// it can hold them, each its own write.
type splitBatch struct{ ResultWriter }

func (s splitBatch) WriteBatch(b Batch) error {
	if len(b.Results) > 0 {
		if err := s.WriteResults(b.Results); err != nil {
			return err
		}
	}
	if tw, ok := s.ResultWriter.(transitionWriter); ok && len(b.Transitions) > 0 {
		if err := tw.RecordTransitions(b.Transitions); err != nil {
			return err
		}
	}
	if hw, ok := s.ResultWriter.(heartbeatWriter); ok && !b.Heartbeat.IsZero() {
		return hw.Heartbeat(b.Heartbeat)
	}
	return nil
}
