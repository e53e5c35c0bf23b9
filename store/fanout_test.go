package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func fanOutJobs(t *testing.T, db *DB, channel string) []FanOutJob {
	t.Helper()
	jobs, err := db.FanOutJobs(channel, 0)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// copyFor is the notify package's copy: the job's key and the subscriber id.
func copyFor(m OutboxMessage, s Subscriber) []OutboxMessage {
	m.FanOut, m.Subscriber, m.Key = false, s.ID, fmt.Sprintf("%s-%d", m.Key, s.ID)
	return []OutboxMessage{m}
}

// putSubscribers stores subscribers as they are (ids given).
func putSubscribers(t *testing.T, db *DB, subs ...Subscriber) {
	t.Helper()
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSubscribers)
		if err != nil {
			return err
		}
		for _, s := range subs {
			if err := putJSON(b, idKey(s.ID), s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func step(t *testing.T, db *DB, limit int) (int, bool) {
	t.Helper()
	n, more, err := db.FanOutStep("mail", limit, copyFor, outboxT0)
	if err != nil {
		t.Fatal(err)
	}
	return n, more
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

func TestFanOutStepsResumeAfterReopenNobodyTwiceNobodySkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	confirmed := outboxT0.Add(-time.Hour)
	putSubscribers(t, db,
		Subscriber{ID: 1, Email: "a@example.com", Confirmed: confirmed},
		Subscriber{ID: 2, Email: "b@example.com", Confirmed: confirmed, Components: []string{"voice"}},
		Subscriber{ID: 3, Email: "c@example.com"}, // unconfirmed
		Subscriber{ID: 4, Email: "d@example.com", Confirmed: confirmed, Components: []string{"web"}},
		Subscriber{ID: 5, Email: "e@example.com", Confirmed: confirmed, Components: []string{"web", "voice"}},
		Subscriber{ID: 6, Email: "f@example.com", Confirmed: confirmed})
	job := msg("mail", "ev")
	job.FanOut, job.Incident = true, &MessageIncident{ID: 1, Components: []string{"web"}}
	if err := db.Enqueue([]OutboxMessage{job}); err != nil {
		t.Fatal(err)
	}
	if n, more := step(t, db, 2); n != 1 || !more { // visits 1, 2 (voice only)
		t.Fatalf("first step queued %d, more %v", n, more)
	}
	if err := db.Close(); err != nil { // a crash after the first step
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if j := fanOutJobs(t, db, "mail"); len(j) != 1 || j[0].Cursor != 2 {
		t.Fatalf("jobs after reopening %+v, want one at cursor 2", j)
	}
	if n, more := step(t, db, 2); n != 1 || !more { // 3 unconfirmed, 4
		t.Fatalf("second step queued %d, more %v", n, more)
	}
	if n, more := step(t, db, 2); n != 2 || more { // 5, 6, and the end
		t.Fatalf("third step queued %d, more %v", n, more)
	}
	if got, want := keysOf(t, db, "mail"), []string{"ev-1", "ev-4", "ev-5", "ev-6"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("queue %q, want %q", got, want)
	}
	if n, more := step(t, db, 2); n != 0 || more {
		t.Fatalf("step without a job queued %d, more %v", n, more)
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

func TestFanOutStepTakesJobsInOrderAndRefusesNonsense(t *testing.T) {
	db := openTest(t)
	putSubscribers(t, db, Subscriber{ID: 1, Email: "a@example.com", Confirmed: outboxT0})
	for _, k := range []string{"first", "second"} {
		job := msg("mail", k)
		job.FanOut = true // no components: news for everyone
		if err := db.Enqueue([]OutboxMessage{job}); err != nil {
			t.Fatal(err)
		}
	}
	if n, more := step(t, db, 10); n != 1 || !more {
		t.Fatalf("first job: %d queued, more %v", n, more)
	}
	if n, more := step(t, db, 10); n != 1 || more {
		t.Fatalf("second job: %d queued, more %v", n, more)
	}
	if got, want := keysOf(t, db, "mail"), []string{"first-1", "second-1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("queue %q, want %q", got, want)
	}
	if _, _, err := db.FanOutStep("mail", 0, copyFor, outboxT0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("limit 0: %v", err)
	}
}
