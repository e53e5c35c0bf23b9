package store

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// openTest opens a database in a temp dir; cleanup runs bbolt's
// consistency check and closes it.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), FileName), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkAndClose(t, db) })
	return db
}

// checkAndClose runs bbolt's consistency check and closes db.
func checkAndClose(t testing.TB, db *DB) {
	t.Helper()
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Errorf("consistency check: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Error(err)
	}
}

func TestOpenCreatesSchema(t *testing.T) {
	db := openTest(t)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		if v := binary.BigEndian.Uint32(tx.Bucket(bucketMeta).Get(keySchema)); v != SchemaVersion {
			t.Errorf("schema = %d", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	db := openTest(t)
	start := time.Now()
	_, err := Open(db.Path(), Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open error = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), db.Path()) || !strings.Contains(err.Error(), "change data_dir") {
		t.Errorf("message does not name the file and the fix: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("second Open took %s", d)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "upgrade outpost") {
		t.Fatalf("Open of newer schema: %v", err)
	}
}

func TestResultsRoundTripAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	want := []Result{
		{Check: "web/home", Time: t0, Duration: 12 * time.Millisecond, Outcome: OutcomeUp, Code: 200},
		{Check: "web/home", Time: t0, Duration: time.Second, Outcome: OutcomeDown, Class: "timeout", Message: "deadline"},
		{Check: "web/home", Time: t0.Add(time.Minute), Outcome: OutcomeDegraded, Class: "cert_expiry", CertExpiry: t0.Add(72 * time.Hour)},
		{Check: "tel/sip", Time: t0, Outcome: OutcomeDown, Code: 503},
	}
	if err := db.WriteResults(want); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, path)
	defer db.Close()
	got, err := db.Results("web/home", t0, t0.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d results, want 3 (same-time results kept apart)", len(got))
	}
	if got[1].Time != t0.Add(time.Nanosecond) || got[1].Class != "timeout" || got[1].Message != "deadline" {
		t.Errorf("second result = %+v", got[1])
	}
	if !got[2].CertExpiry.Equal(t0.Add(72*time.Hour)) || got[2].Outcome != OutcomeDegraded {
		t.Errorf("third result = %+v", got[2])
	}
	limited, _ := db.Results("web/home", t0, t0.Add(time.Hour), 1)
	if len(limited) != 1 || limited[0].Code != 200 {
		t.Errorf("limit 1 = %+v", limited)
	}
	checks, _ := db.Checks()
	if len(checks) != 2 {
		t.Errorf("Checks() = %v", checks)
	}
}

// flakyWriter fails while failing is set, then records what it gets.
type flakyWriter struct {
	mu      sync.Mutex
	failing bool
	got     []Result
}

func (f *flakyWriter) WriteResults(rs []Result) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing {
		return errors.New("no space left on device")
	}
	f.got = append(f.got, rs...)
	return nil
}

func TestWriterRetriesAfterWriteErrors(t *testing.T) {
	dst := &flakyWriter{failing: true}
	w := NewWriter(dst, WriterOptions{MaxPending: 5, MaxBatch: 2})
	for i := range 7 {
		w.Add(Result{Check: "c", Time: time.Unix(int64(1000+i), 0), Outcome: OutcomeUp})
	}
	if err := w.Flush(); err == nil {
		t.Fatal("Flush succeeded on a failing writer")
	}
	st := w.Stats()
	if st.Failures != 1 || st.Dropped != 2 || st.Pending != 5 || st.Written != 0 {
		t.Errorf("stats while failing = %+v", st)
	}
	dst.failing = false
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Written != 5 || st.Pending != 0 {
		t.Errorf("stats after recovery = %+v", st)
	}
	if len(dst.got) != 5 || dst.got[0].Time.Unix() != 1002 {
		t.Errorf("written %d results starting at %v; want the newest 5 from t=1002", len(dst.got), dst.got[0].Time.Unix())
	}
}

func FuzzDecodeResult(f *testing.F) {
	f.Add(encodeResult(Result{Outcome: OutcomeDown, Class: "timeout", Message: "m", Code: 503, Duration: time.Second}))
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeResult(b)
		if err != nil {
			return
		}
		again, err := decodeResult(encodeResult(r))
		if err != nil || again.Class != r.Class || again.Message != r.Message || again.Code != r.Code {
			t.Fatalf("round trip of %+v gave %+v, %v", r, again, err)
		}
	})
}

// reentrantWriter adds results to the Writer while a flush is writing.
type reentrantWriter struct {
	w     *Writer
	extra []Result
	got   []Result
}

func (r *reentrantWriter) WriteResults(rs []Result) error {
	for _, x := range r.extra {
		r.w.Add(x)
	}
	r.extra = nil
	r.got = append(r.got, rs...)
	return nil
}

func TestWriterOverflowDuringFlushKeepsNewResults(t *testing.T) {
	dst := &reentrantWriter{}
	w := NewWriter(dst, WriterOptions{MaxPending: 5})
	dst.w = w
	res := func(i int) Result { return Result{Check: "c", Time: time.Unix(int64(100+i), 0), Outcome: OutcomeUp} }
	for i := range 3 {
		w.Add(res(i))
	}
	for i := 3; i < 8; i++ {
		dst.extra = append(dst.extra, res(i))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(dst.got) != 8 {
		t.Fatalf("wrote %d results, want all 8", len(dst.got))
	}
	for i, r := range dst.got {
		if r.Time.Unix() != int64(100+i) {
			t.Errorf("result %d has time %d", i, r.Time.Unix())
		}
	}
	if st := w.Stats(); st.Pending != 0 || st.Dropped != 3 || st.Written != 8 {
		t.Errorf("stats = %+v", st)
	}
}

func TestInvalidResults(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		name string
		r    Result
	}{
		{"no check", Result{Time: time.Unix(10, 0), Outcome: OutcomeUp}},
		{"zero time", Result{Check: "c"}},
		{"before 1970", Result{Check: "c", Time: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := db.WriteResults([]Result{tc.r}); !errors.Is(err, ErrInvalid) {
				t.Errorf("WriteResults: %v, want ErrInvalid", err)
			}
			w := NewWriter(db, WriterOptions{})
			w.Add(tc.r)
			w.Add(Result{Check: "c", Time: time.Unix(20, 0), Outcome: OutcomeUp})
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if st := w.Stats(); st.Dropped != 1 || st.Written != 1 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

// flakyHistory is a flakyWriter that also records transitions.
type flakyHistory struct {
	flakyWriter
	ts []Transition
}

func (f *flakyHistory) RecordTransitions(ts []Transition) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing {
		return errors.New("no space left on device")
	}
	f.ts = append(f.ts, ts...)
	return nil
}

func TestWriterQueuesTransitionsInOrder(t *testing.T) {
	dst := &flakyHistory{flakyWriter: flakyWriter{failing: true}}
	w := NewWriter(dst, WriterOptions{})
	h := BufferedHistory{Writer: w}
	at := time.Unix(1000, 0)
	for i, st := range []State{StateUp, StateDown, StateUp} {
		if err := h.RecordTransitions([]Transition{{Subject: CheckSubject("c/a"), State: st, At: at.Add(time.Duration(i) * time.Second)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err == nil {
		t.Fatal("flush succeeded while writes fail")
	}
	dst.failing = false
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(dst.ts) != 3 || dst.ts[1].State != StateDown || !dst.ts[2].At.Equal(at.Add(2*time.Second)) {
		t.Errorf("transitions written: %+v", dst.ts)
	}
}

// TestWriterRunWritesWhatArrivesWhileIdle: Run sleeps while nothing is
// queued (no ticker), yet a result that arrives later is written, and one
// whose write fails is written once the disk recovers.
func TestWriterRunWritesWhatArrivesWhileIdle(t *testing.T) {
	dst := &flakyWriter{}
	w := NewWriter(dst, WriterOptions{FlushInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting: %s (stats %+v)", what, w.Stats())
			}
			time.Sleep(time.Millisecond)
		}
	}
	written := func(n uint64) { waitFor("results written", func() bool { return w.Stats().Written >= n }) }
	w.Add(Result{Check: "c", Time: time.Unix(1000, 0), Outcome: OutcomeUp})
	written(1)
	dst.mu.Lock()
	dst.failing = true
	dst.mu.Unlock()
	w.Add(Result{Check: "c", Time: time.Unix(1001, 0), Outcome: OutcomeUp})
	waitFor("a retry without new results", func() bool { return w.Stats().Failures >= 2 })
	dst.mu.Lock()
	dst.failing = false
	dst.mu.Unlock()
	written(2)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("final flush: %v", err)
	}
}

// TestHeartbeatGoesWithTheNextBatch: through BufferedHistory a heartbeat
// waits for the writer's next flush (the monitor records it under its
// evaluation lock, which must not wait for a disk sync); a later one
// replaces an earlier one not yet written.
func TestHeartbeatGoesWithTheNextBatch(t *testing.T) {
	db := openTest(t)
	w := NewWriter(db, WriterOptions{})
	h := BufferedHistory{DB: db, Writer: w}
	first, second := time.Unix(1000, 0), time.Unix(1030, 0)
	for _, at := range []time.Time{first, second} {
		if err := h.Heartbeat(at); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := db.LastHeartbeat(); err != nil || !got.IsZero() {
		t.Fatalf("before the flush the stored heartbeat is %v (%v), want none", got, err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, err := db.LastHeartbeat(); err != nil || !got.Equal(second) {
		t.Errorf("after the flush the stored heartbeat is %v (%v), want %v", got, err, second)
	}
	if w.unwritten() || !w.commitDue().IsZero() {
		t.Error("something is still queued after the flush")
	}
}
