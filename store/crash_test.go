package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Environment of the crash child; read only by this test file.
const (
	crashDirEnv = "OUTPOST_CRASH_CHILD"
	crashRunEnv = "OUTPOST_CRASH_RUN"
	crashKills  = 30
)

var crashBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// crashStates cycle so that every transition changes the state.
var crashStates = [...]State{StateUp, StateDown, StateDegraded}

// TestCrashChild is the child process of TestCrashRecovery: it writes
// results through a Writer and records transitions until it is killed,
// printing "flushed N" after results are committed and "transitions M"
// after transitions are.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	run, err := strconv.Atoi(os.Getenv(crashRunEnv))
	if err != nil {
		t.Fatal(err)
	}
	if err := crashChild(dir, run); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

func crashChild(dir string, run int) error {
	db, err := Open(filepath.Join(dir, FileName), Options{LockTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	w := NewWriter(db, WriterOptions{FlushInterval: 2 * time.Millisecond})
	go func() { _ = w.Run(context.Background()) }()
	check := fmt.Sprintf("crash/%d", run)
	base := crashBase.Add(time.Duration(run) * 24 * time.Hour)
	tick := time.NewTicker(time.Millisecond)
	var written uint64
	// Even runs add few results, which go to the result log; odd runs
	// more than it takes, which are committed.
	perTick := 20
	if run%2 == 1 {
		perTick = logMaxResults + 44
	}
	for i := 0; ; i++ {
		for j := range perTick {
			w.Add(Result{Check: check, Time: base.Add(time.Duration(perTick*i+j) * time.Millisecond), Outcome: OutcomeUp})
		}
		at := base.Add(time.Duration(i+1) * time.Second)
		st := crashStates[i%len(crashStates)]
		err := db.RecordTransitions([]Transition{{CheckSubject(check), st, at}, {ComponentSubject("crash"), st, at}})
		if err != nil {
			return err
		}
		fmt.Printf("transitions %d\n", i+1)
		if s := w.Stats(); s.Written+s.Logged != written {
			written = s.Written + s.Logged // committed, or in the log: both survive a kill
			fmt.Printf("flushed %d\n", written)
		}
		<-tick.C
	}
}

// TestCrashRecovery kills a writing child with SIGKILL at random moments;
// every reopen must succeed, pass bbolt's check and hold everything the
// child reported as committed.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var total, totalTr uint64
	var replayed int
	for run := range crashKills {
		flushed, transitions := crashRun(t, dir, run, 1+rng.IntN(400))
		total, totalTr = total+flushed, totalTr+transitions
		db, err := Open(filepath.Join(dir, FileName), Options{})
		if err != nil {
			t.Fatalf("run %d: reopen after kill: %v", run, err)
		}
		replayed += db.Replayed()
		verifyCrashRun(t, db, run, flushed, transitions)
		checkAndClose(t, db)
		if t.Failed() {
			t.FailNow()
		}
	}
	if total == 0 {
		t.Error("no child ever reported a flush")
	}
	t.Logf("%d kills; every reopen passed; %d results (%d from result logs) and %d transitions reported committed were all there",
		crashKills, total, replayed, totalTr)
}

// crashRun starts a child, kills it after lines output lines and returns
// the last counts it reported.
func crashRun(t *testing.T, dir string, run, lines int) (flushed, transitions uint64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRunEnv+"="+strconv.Itoa(run))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for n := 0; sc.Scan(); n++ {
		if n == lines {
			_ = cmd.Process.Kill() // SIGKILL
		}
		// Lines printed before the kill landed are committed too.
		name, num, _ := strings.Cut(sc.Text(), " ")
		v, err := strconv.ParseUint(num, 10, 64)
		switch {
		case err != nil:
		case name == "flushed":
			flushed = v
		case name == "transitions":
			transitions = v
		}
	}
	err = cmd.Wait()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("run %d: child ended with %v before the kill:\n%s", run, err, stderr.String())
	}
	return flushed, transitions
}

func verifyCrashRun(t *testing.T, db *DB, run int, flushed, transitions uint64) {
	t.Helper()
	check := fmt.Sprintf("crash/%d", run)
	base := crashBase.Add(time.Duration(run) * 24 * time.Hour)
	rs, err := db.Results(check, base, base.Add(24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(rs)) < flushed {
		t.Errorf("run %d: %d results after the kill, but %d were reported flushed", run, len(rs), flushed)
	}
	for i, r := range rs {
		if !r.Time.Equal(base.Add(time.Duration(i) * time.Millisecond)) {
			t.Fatalf("run %d: result %d at %s: results are not the consecutive prefix", run, i, r.Time)
		}
	}
	ivs := verifyIntervals(t, db, CheckSubject(check))
	if uint64(len(ivs)) < transitions {
		t.Errorf("run %d: %d intervals after the kill, but %d transitions were reported", run, len(ivs), transitions)
	}
	verifyIntervals(t, db, ComponentSubject("crash"))
}

// verifyIntervals checks that s's intervals are contiguous, change state,
// end with the open one, and that its rollups hold exactly the closed time.
func verifyIntervals(t *testing.T, db *DB, s Subject) []Interval {
	t.Helper()
	ivs, err := db.Intervals(s, crashBase.Add(-time.Hour), crashBase.Add(1000*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var closed nanos
	for i, iv := range ivs {
		last := i == len(ivs)-1
		switch {
		case iv.Open() != last:
			t.Errorf("%s: interval %d of %d: open %v", s, i, len(ivs), iv.Open())
		case !last && (!iv.End.Equal(ivs[i+1].Start) || iv.State == ivs[i+1].State):
			t.Errorf("%s: interval %d %+v does not lead to %+v", s, i, iv, ivs[i+1])
		case !last:
			closed[iv.State] += int64(iv.End.Sub(iv.Start))
		}
	}
	var rolled nanos
	err = db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRollups).Bucket(s.bucket())
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			ns, err := decodeRollupNanos(v)
			rolled.add(ns)
			return err
		})
	})
	if err != nil || rolled != closed {
		t.Errorf("%s: rollups hold %v, closed intervals %v (%v)", s, rolled, closed, err)
	}
	return ivs
}
