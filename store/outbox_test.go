package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var outboxT0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

func msg(channel, key string) OutboxMessage {
	return OutboxMessage{Key: key, Channel: channel, Event: "test", Subject: "s " + key, Text: "t", CreatedAt: outboxT0}
}

func keysOf(t *testing.T, db *DB, channel string) []string {
	t.Helper()
	msgs, err := db.Outbox(channel, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, m := range msgs {
		keys = append(keys, m.Key)
	}
	return keys
}

func TestOutboxEnqueuedWithTheIncident(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		write   func(db *DB) error
		want    []string
		wantErr bool
	}{
		{"create enqueues", func(db *DB) error {
			_, err := db.CreateIncidentWith(Incident{Name: "A"}, AuditEntry{Action: "open"}, func(inc Incident) []OutboxMessage {
				return []OutboxMessage{msg("ops", fmt.Sprintf("inc-%d-draft", inc.ID))}
			})
			return err
		}, []string{"inc-2-draft"}, false},
		{"update enqueues with the stored update ids", func(db *DB) error {
			_, err := db.UpdateIncidentWith(1, AuditEntry{Action: "update"}, func(i *Incident) error {
				i.Updates = append(i.Updates, IncidentUpdate{Status: StatusIdentified, Body: "x"})
				return nil
			}, func(inc Incident) []OutboxMessage {
				return []OutboxMessage{msg("ops", fmt.Sprintf("inc-%d-update-%d", inc.ID, inc.Updates[len(inc.Updates)-1].ID))}
			})
			return err
		}, []string{"inc-1-update-1"}, false},
		{"failed change enqueues nothing", func(db *DB) error {
			_, err := db.UpdateIncidentWith(1, AuditEntry{}, func(*Incident) error { return boom },
				func(Incident) []OutboxMessage { return []OutboxMessage{msg("ops", "never")} })
			return err
		}, []string{}, true},
		{"invalid message rolls the change back", func(db *DB) error {
			_, err := db.UpdateIncidentWith(1, AuditEntry{}, func(i *Incident) error { i.Name = "changed"; return nil },
				func(Incident) []OutboxMessage { return []OutboxMessage{{Channel: "ops"}} })
			return err
		}, []string{}, true},
		{"maintenance enqueues", func(db *DB) error {
			_, err := db.AddMaintenanceWith(Maintenance{Title: "M"}, AuditEntry{}, func(m Maintenance) []OutboxMessage {
				return []OutboxMessage{msg("ops", "maint-"+m.ID)}
			})
			return err
		}, []string{"maint-1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			if _, err := db.CreateIncident(Incident{Name: "first"}, AuditEntry{}); err != nil {
				t.Fatal(err)
			}
			err := tt.write(db)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got := keysOf(t, db, "ops"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("outbox = %q, want %q", got, tt.want)
			}
			if inc, _ := db.Incident(1); inc.Name != "first" && tt.wantErr {
				t.Errorf("incident changed by a failed write: %+v", inc)
			}
		})
	}
}

func TestOutboxOrderDedupAndMarks(t *testing.T) {
	db := openTest(t)
	for _, k := range []string{"a", "b", "c", "a"} {
		if err := db.Enqueue([]OutboxMessage{msg("ops", k), msg("public", k)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := keysOf(t, db, "ops"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("ops outbox = %q, want a b c (dedup keeps the first)", got)
	}
	head, err := db.Outbox("ops", 1)
	if err != nil || len(head) != 1 || head[0].Key != "a" || head[0].Seq != 1 {
		t.Fatalf("head = %+v, %v", head, err)
	}
	if err := db.MarkSent("ops", head[0].Seq, "a", outboxT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent("ops", head[0].Seq, "a", outboxT0); !errors.Is(err, ErrNotFound) {
		t.Errorf("second MarkSent: %v, want ErrNotFound", err)
	}
	if err := db.Enqueue([]OutboxMessage{msg("ops", "a")}); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(t, db, "ops"); !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Fatalf("after sending a and enqueueing it again: %q, want b c", got)
	}
	next := outboxT0.Add(time.Hour)
	if err := db.Reschedule("ops", 2, 3, next, "503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkFailed("ops", 3, "c", outboxT0, "400 Bad Request", AuditEntry{Actor: "notify", Action: "notify-failed"}); err != nil {
		t.Fatal(err)
	}
	pending, err := db.Pending()
	if err != nil || !reflect.DeepEqual(pending, map[string]int{"ops": 1, "public": 3}) {
		t.Fatalf("Pending = %v, %v", pending, err)
	}
	b, _ := db.Outbox("ops", 0)
	if b[0].Attempts != 3 || !b[0].NextAttempt.Equal(next) || b[0].LastError != "503 Service Unavailable" {
		t.Errorf("rescheduled message = %+v", b[0])
	}
	if audit, _ := db.Audit(1); len(audit) != 1 || audit[0].Action != "notify-failed" {
		t.Errorf("audit = %+v", audit)
	}
}

func TestPruneSentAllowsTheKeyAgain(t *testing.T) {
	db := openTest(t)
	if err := db.Enqueue([]OutboxMessage{msg("ops", "a"), msg("ops", "b"), msg("ops", "pending")}); err != nil {
		t.Fatal(err)
	}
	for seq, k := range map[uint64]string{1: "a", 2: "b"} {
		if err := db.MarkSent("ops", seq, k, outboxT0.Add(time.Duration(seq)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.PruneSent(outboxT0.Add(90*time.Minute), 10)
	if err != nil || n != 1 {
		t.Fatalf("PruneSent = %d, %v; want 1 (a only; b is newer, pending is not done)", n, err)
	}
	if err := db.Enqueue([]OutboxMessage{msg("ops", "a"), msg("ops", "b"), msg("ops", "pending")}); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(t, db, "ops"); !reflect.DeepEqual(got, []string{"pending", "a"}) {
		t.Errorf("outbox = %q, want pending a", got)
	}
}

func TestOutboxSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := msg("ops", "k")
	want.Incident = &MessageIncident{ID: 7, Name: "X", Components: []string{"web"}}
	if err := db.Enqueue([]OutboxMessage{want}); err != nil {
		t.Fatal(err)
	}
	checkAndClose(t, db)
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, db)
	got, err := db.Outbox("ops", 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("outbox after reopen = %+v, %v", got, err)
	}
	want.Seq = 1
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("got %+v\nwant %+v", got[0], want)
	}
}

func TestOnEnqueueRunsAfterCommit(t *testing.T) {
	db := openTest(t)
	woken := 0
	db.OnEnqueue(func() {
		woken++
		if keys := keysOf(t, db, "ops"); len(keys) == 0 {
			t.Error("woken before the message was committed")
		}
	})
	if _, err := db.CreateIncidentWith(Incident{}, AuditEntry{}, func(Incident) []OutboxMessage { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateIncidentWith(1, AuditEntry{}, func(*Incident) error { return errors.New("no") },
		func(Incident) []OutboxMessage { return []OutboxMessage{msg("ops", "x")} }); err == nil {
		t.Fatal("change error ignored")
	}
	if woken != 0 {
		t.Fatalf("woken %d times without a committed message", woken)
	}
	if err := db.Enqueue([]OutboxMessage{msg("ops", "a")}); err != nil {
		t.Fatal(err)
	}
	if woken != 1 {
		t.Errorf("woken %d times, want 1", woken)
	}
}
