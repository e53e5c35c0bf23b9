package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

var logT0 = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

// reopen closes db and opens path again.
func reopen(t *testing.T, db *DB, path string) *DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func logResult(i int) Result {
	return Result{Check: "web/home", Time: logT0.Add(time.Duration(i) * time.Second), Outcome: OutcomeUp,
		Duration: 3 * time.Millisecond, Code: 200, Message: "200 OK", CertExpiry: logT0.Add(90 * 24 * time.Hour)}
}

// Results in the log of a process that ended without a commit are
// committed by the next Open, once, with the later heartbeat; the log is
// then gone.
func TestResultLogReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := db.LogBatch(Batch{Results: []Result{logResult(i)}, Heartbeat: logT0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	db = reopen(t, db, path) // as after a kill: closed without a commit
	if db.Replayed() != 3 {
		t.Errorf("replayed %d results, want 3", db.Replayed())
	}
	got, err := db.Results("web/home", logT0.Add(-time.Hour), logT0.Add(time.Hour), 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("after the replay %d results (%v), want 3", len(got), err)
	}
	if want := logResult(2); got[2].Message != want.Message || got[2].Code != 200 || !got[2].CertExpiry.Equal(want.CertExpiry.Truncate(time.Second)) {
		t.Errorf("replayed %+v, want %+v", got[2], want)
	}
	if hb, _ := db.LastHeartbeat(); !hb.Equal(logT0.Add(2 * time.Second)) {
		t.Errorf("heartbeat %s after the replay, want the log's last", hb)
	}
	if _, err := os.Stat(path + LogSuffix); !os.IsNotExist(err) {
		t.Errorf("the log is still there after its replay: %v", err)
	}
	checkAndClose(t, db)
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Replayed() != 0 {
		t.Errorf("a second open replayed %d results again", db.Replayed())
	}
}

// A commit with LogSeq moves the log's position past its records, so a
// log that could not be emptied is not applied twice.
func TestResultLogSkipsCommittedRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := db.LogBatch(Batch{Results: []Result{logResult(0)}})
	if err != nil {
		t.Fatal(err)
	}
	// A kill after the commit but before the log was emptied: keep a copy
	// of the log as it was and put it back.
	saved, err := os.ReadFile(path + LogSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.WriteBatch(Batch{Results: []Result{logResult(0)}, LogSeq: seq}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + LogSuffix); err != nil || fi.Size() != 0 {
		t.Errorf("after the commit the log is %v (%v), want empty", fi.Size(), err)
	}
	db.Close()
	if err := os.WriteFile(path+LogSuffix, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Replayed() != 0 {
		t.Errorf("replayed %d committed results", db.Replayed())
	}
	if got, _ := db.Results("web/home", logT0.Add(-time.Hour), logT0.Add(time.Hour), 0); len(got) != 1 {
		t.Errorf("%d results, want 1", len(got))
	}
	// New records continue the numbering, so they are not taken for old.
	if next, err := db.LogBatch(Batch{Results: []Result{logResult(1)}}); err != nil || next <= seq {
		t.Errorf("next record %d (%v), want after %d", next, err, seq)
	}
}

// A torn or corrupt tail (a power cut) is cut at the first bad record:
// the records before it are committed, and the database opens.
func TestResultLogTornTail(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"torn":      func(b []byte) []byte { return b[:len(b)-5] },
		"bit flip":  func(b []byte) []byte { b[len(b)-3] ^= 0x40; return b },
		"garbage":   func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5) },
		"zero page": func(b []byte) []byte { return append(b, make([]byte, 4096)...) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			db, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if _, err := db.LogBatch(Batch{Results: []Result{logResult(i)}}); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			data, err := os.ReadFile(path + LogSuffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+LogSuffix, damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			db, err = Open(path, Options{})
			if err != nil {
				t.Fatalf("open with a damaged log: %v", err)
			}
			defer db.Close()
			want := 2
			if name == "garbage" || name == "zero page" {
				want = 3 // the damage is after the last record
			}
			if db.Replayed() != want {
				t.Errorf("replayed %d results, want %d", db.Replayed(), want)
			}
		})
	}
}

// Transitions are never logged: they are committed at once.
func TestLogBatchRefusesTransitions(t *testing.T) {
	db := openTest(t)
	_, err := db.LogBatch(Batch{Transitions: []Transition{{Subject: CheckSubject("web/home"), State: StateUp, At: logT0}}})
	if err == nil {
		t.Error("a batch with transitions was logged")
	}
}

// A quiet writer appends to the log and commits within logCommitEvery;
// a flush with transitions, or with more than logMaxResults results,
// commits at once.
func TestWriterLogsQuietFlushes(t *testing.T) {
	db := openTest(t)
	w := NewWriter(db, WriterOptions{})
	w.Add(logResult(0))
	w.AddHeartbeat(logT0)
	if err := w.step(false); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Written != 0 || s.Logged != 1 {
		t.Errorf("a quiet flush: %+v, want the result logged, not committed", s)
	}
	if due := w.commitDue(); due.IsZero() || time.Until(due) > logCommitEvery {
		t.Errorf("commit due %v, want within %s", due, logCommitEvery)
	}
	if err := w.step(false); err != nil { // nothing new: nothing written
		t.Fatal(err)
	}
	if s := w.Stats(); s.LoggedTotal != 1 {
		t.Errorf("a flush with nothing new logged again: %+v", s)
	}
	w.AddTransitions([]Transition{{Subject: CheckSubject("web/home"), State: StateUp, At: logT0}})
	if err := w.step(false); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Written != 1 || s.Logged != 0 || !w.commitDue().IsZero() {
		t.Errorf("a flush with a transition: %+v, want everything committed", s)
	}
	if fi, err := os.Stat(db.path + LogSuffix); err != nil || fi.Size() != 0 {
		t.Errorf("the log after the commit: %v (%v), want empty", fi.Size(), err)
	}
	for i := range logMaxResults + 1 {
		w.Add(logResult(10 + i))
	}
	if err := w.step(false); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Written != uint64(logMaxResults+2) || s.LoggedTotal != 1 {
		t.Errorf("a flush of %d results: %+v, want them committed, not logged", logMaxResults+1, s)
	}
	// A clean stop leaves no log behind.
	if err := db.log.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db.path + LogSuffix); !os.IsNotExist(err) {
		t.Errorf("an emptied log was left behind: %v", err)
	}
}

func FuzzDecodeLogRecord(f *testing.F) {
	f.Add(encodeLogRecord(7, Batch{Results: []Result{logResult(0), logResult(1)}, Heartbeat: logT0}))
	f.Add(encodeLogRecord(1, Batch{}))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		seq, b, rest, ok := decodeLogRecord(data)
		if !ok {
			return
		}
		if len(rest) >= len(data) {
			t.Fatalf("a record of no length")
		}
		for _, r := range b.Results {
			if !validResult(r) {
				t.Fatalf("decoded an invalid result %+v", r)
			}
		}
		again := encodeLogRecord(seq, b)
		seq2, b2, _, ok := decodeLogRecord(again)
		if !ok || seq2 != seq || len(b2.Results) != len(b.Results) || !b2.Heartbeat.Equal(b.Heartbeat) {
			t.Fatalf("re-encoding %d/%+v gave %v %d/%+v", seq, b, ok, seq2, b2)
		}
	})
}

// While Run is idle, Add appends to the log itself, at once: an idle
// daemon's result costs a write, not a second thread's wake-up. It does
// not when Run is busy, nor past the flush budget.
func TestAddLogsInlineWhileIdle(t *testing.T) {
	db := openTest(t)
	w := NewWriter(db, WriterOptions{})
	w.Add(logResult(0))
	if s := w.Stats(); s.Logged != 0 {
		t.Fatalf("logged %d before Run was idle", s.Logged)
	}
	<-w.kick
	w.setIdle(true)
	w.Add(logResult(1))
	if s := w.Stats(); s.Logged != 2 {
		t.Errorf("after an Add while idle %d results are logged, want 2 (the one queued before too)", s.Logged)
	}
	select {
	case <-w.kick:
		// The first record of a log period wakes Run to plan the commit.
	default:
		t.Error("the first record since a commit did not wake Run")
	}
	w.Add(logResult(2))
	if s := w.Stats(); s.Logged != 3 {
		t.Errorf("logged %d, want 3", s.Logged)
	}
	select {
	case <-w.kick:
		t.Error("a record within a log period woke Run")
	default:
	}
	w.Add(logResult(3)) // the last of flushBurst flushes
	w.Add(logResult(4)) // past the budget: Run's to write
	if s := w.Stats(); s.Logged != 4 {
		t.Errorf("logged %d, want 4: none past the budget", s.Logged)
	}
	select {
	case <-w.kick:
	default:
		t.Error("a result past the budget did not wake Run")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Written != 5 || s.Logged != 0 {
		t.Errorf("after Flush: %+v, want all 5 committed", s)
	}
}
