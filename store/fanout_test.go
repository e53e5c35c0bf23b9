package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func fanOutJobs(t *testing.T, db *DB, channel string) []FanOutJob {
	t.Helper()
	jobs, err := db.FanOutJobs(channel, 0)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func copies(job FanOutJob, ids ...uint64) []OutboxMessage {
	var out []OutboxMessage
	for _, id := range ids {
		m := job.Message
		m.FanOut, m.Subscriber, m.Key = false, id, fmt.Sprintf("%s-sub-%d", job.Message.Key, id)
		out = append(out, m)
	}
	return out
}

func TestFanOutJobWaitsBesideTheQueueWithItsChange(t *testing.T) {
	db := openTest(t)
	_, err := db.CreateIncidentWith(Incident{Name: "A", State: IncidentPublished}, AuditEntry{Action: "open"},
		func(inc Incident) []OutboxMessage {
			job := msg("mail", "inc-1-published-subscribers")
			job.FanOut = true
			return []OutboxMessage{job, msg("mail", "inc-1-published")}
		})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(t, db, "mail"); !reflect.DeepEqual(got, []string{"inc-1-published"}) {
		t.Fatalf("queue %q: the job must not be queued as a message", got)
	}
	jobs := fanOutJobs(t, db, "mail")
	if len(jobs) != 1 || jobs[0].Message.Key != "inc-1-published-subscribers" || jobs[0].Cursor != 0 {
		t.Fatalf("jobs %+v", jobs)
	}
	// The same job again (a retried change) is no second job.
	job := msg("mail", "inc-1-published-subscribers")
	job.FanOut = true
	if err := db.Enqueue([]OutboxMessage{job}); err != nil {
		t.Fatal(err)
	}
	if n := len(fanOutJobs(t, db, "mail")); n != 1 {
		t.Fatalf("%d jobs after enqueueing the same key again", n)
	}
}

func TestFanOutStepMovesCursorWithCopiesAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	job := msg("mail", "ev")
	job.FanOut = true
	if err := db.Enqueue([]OutboxMessage{job}); err != nil {
		t.Fatal(err)
	}
	j := fanOutJobs(t, db, "mail")[0]
	if err := db.FanOutStep("mail", j.Seq, copies(j, 1, 2), 2, false, outboxT0); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // a crash after the first step
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j = fanOutJobs(t, db, "mail")[0]
	if j.Cursor != 2 {
		t.Fatalf("cursor %d after reopening, want 2", j.Cursor)
	}
	// Repeating the first step (a worker that did not see its commit)
	// enqueues nothing twice; a cursor behind is refused.
	if err := db.FanOutStep("mail", j.Seq, copies(j, 1, 2), 2, false, outboxT0); err != nil {
		t.Fatal(err)
	}
	if err := db.FanOutStep("mail", j.Seq, copies(j, 1), 1, false, outboxT0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("cursor moved back: %v", err)
	}
	if err := db.FanOutStep("mail", j.Seq, copies(j, 3), 3, true, outboxT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(t, db, "mail"), []string{"ev-sub-1", "ev-sub-2", "ev-sub-3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("queue %q, want %q", got, want)
	}
	if n := len(fanOutJobs(t, db, "mail")); n != 0 {
		t.Fatalf("%d jobs left after the last step", n)
	}
	if err := db.FanOutStep("mail", j.Seq, nil, 3, true, outboxT0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("step of a finished job: %v", err)
	}
	// The job's mark is complete, so PruneSent forgets it in time; until
	// then the event cannot start a second fan-out.
	if err := db.Enqueue([]OutboxMessage{job}); err != nil {
		t.Fatal(err)
	}
	if n := len(fanOutJobs(t, db, "mail")); n != 0 {
		t.Fatalf("a finished fan-out started again")
	}
	if n, err := db.PruneSent(outboxT0.Add(time.Hour), 100); err != nil || n != 1 {
		t.Fatalf("pruned %d marks (%v), want 1: the job's (its copies are not delivered yet)", n, err)
	}
}
