package store

import (
	"errors"
	"testing"
	"time"
)

// A batch is written whole or not at all.
func TestWriteBatchIsOneTransaction(t *testing.T) {
	db := openTest(t)
	t0 := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	subj := CheckSubject("web/home")
	bad := Batch{
		Results:     []Result{{Check: "web/home", Time: t0, Outcome: OutcomeUp}},
		Transitions: []Transition{{Subject: subj, State: StateUp, At: t0}, {Subject: subj, State: StateUp, At: time.Unix(0, 0)}},
		Heartbeat:   t0,
	}
	if err := db.WriteBatch(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a batch with an invalid transition: %v, want ErrInvalid", err)
	}
	if hb, _ := db.LastHeartbeat(); !hb.IsZero() {
		t.Errorf("the refused batch wrote its heartbeat %s", hb)
	}
	if open, _ := db.OpenIntervals(); len(open) != 0 {
		t.Errorf("the refused batch wrote intervals %v", open)
	}

	good := bad
	good.Transitions = good.Transitions[:1]
	if err := db.WriteBatch(good); err != nil {
		t.Fatal(err)
	}
	if hb, _ := db.LastHeartbeat(); !hb.Equal(t0) {
		t.Errorf("heartbeat %s, want %s", hb, t0)
	}
	if open, _ := db.OpenIntervals(); open[subj].State != StateUp {
		t.Errorf("open intervals %v, want %s up", open, subj)
	}
	if got, err := db.Results("web/home", t0.Add(-time.Hour), t0.Add(time.Hour), 0); err != nil || len(got) != 1 {
		t.Errorf("stored %d results (%v), want 1", len(got), err)
	}
}

// batchRecorder is a BatchWriter that keeps every batch it is given.
type batchRecorder struct{ batches []Batch }

func (b *batchRecorder) WriteResults(rs []Result) error { return b.WriteBatch(Batch{Results: rs}) }
func (b *batchRecorder) WriteBatch(x Batch) error {
	b.batches = append(b.batches, x)
	return nil
}

// A flush is one transaction with the results, the transitions after
// them and the heartbeat; more than MaxBatch results take more, the last
// of which carries the rest.
func TestFlushIsOneBatch(t *testing.T) {
	dst := &batchRecorder{}
	w := NewWriter(dst, WriterOptions{MaxBatch: 2})
	t0 := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	w.Add(Result{Check: "web/home", Time: t0, Outcome: OutcomeUp})
	w.AddTransitions([]Transition{{Subject: CheckSubject("web/home"), State: StateUp, At: t0}})
	w.AddHeartbeat(t0)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(dst.batches) != 1 {
		t.Fatalf("one flush wrote %d batches, want 1", len(dst.batches))
	}
	if b := dst.batches[0]; len(b.Results) != 1 || len(b.Transitions) != 1 || !b.Heartbeat.Equal(t0) {
		t.Errorf("batch %+v, want the result, the transition and the heartbeat", b)
	}

	dst.batches = nil
	for i := range 3 {
		w.Add(Result{Check: "web/home", Time: t0.Add(time.Duration(i+1) * time.Second), Outcome: OutcomeUp})
	}
	w.AddHeartbeat(t0.Add(3 * time.Second))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(dst.batches) != 2 || len(dst.batches[0].Results) != 2 || !dst.batches[0].Heartbeat.IsZero() ||
		len(dst.batches[1].Results) != 1 || dst.batches[1].Heartbeat.IsZero() {
		t.Errorf("batches %+v, want 2 results, then 1 with the heartbeat", dst.batches)
	}
}

// An invalid transition is dropped when queued, so that it cannot block
// the queue; the valid ones around it are written.
func TestWriterDropsAnInvalidTransition(t *testing.T) {
	dst := &batchRecorder{}
	w := NewWriter(dst, WriterOptions{})
	t0 := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	subj := CheckSubject("web/home")
	w.AddTransitions([]Transition{{Subject: subj, State: StateUp, At: t0}, {Subject: CheckSubject(""), State: StateUp, At: t0},
		{Subject: subj, State: StateDown, At: t0.Add(time.Second)}})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(dst.batches) != 1 || len(dst.batches[0].Transitions) != 2 {
		t.Errorf("batches %+v, want one with the 2 valid transitions", dst.batches)
	}
	if s := w.Stats(); s.Dropped != 1 {
		t.Errorf("dropped %d, want 1", s.Dropped)
	}
}

// The flush budget lets flushBurst flushes through at once, then one per
// interval.
func TestFlushBudget(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	b := newFlushBudget(time.Second, t0)
	for i := range flushBurst {
		if w := b.wait(t0); w != 0 {
			t.Fatalf("flush %d waits %s, want none", i+1, w)
		}
		b.spend(t0)
	}
	if w := b.wait(t0); w != time.Second {
		t.Errorf("after a burst a flush waits %s, want 1s", w)
	}
	if w := b.wait(t0.Add(400 * time.Millisecond)); w != 600*time.Millisecond {
		t.Errorf("0.4 s later it waits %s, want 600ms", w)
	}
	// Results three seconds apart (an idle daemon) never wait.
	for i := range 20 {
		at := t0.Add(time.Duration(i+1) * 3 * time.Second)
		if w := b.wait(at); w != 0 {
			t.Fatalf("result %d, 3 s after the last, waits %s", i+1, w)
		}
		b.spend(at)
	}
}
