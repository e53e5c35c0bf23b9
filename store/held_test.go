package store

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// heldDraft stores a draft incident and enqueues for it an escalation on
// channel "deputy", held until outboxT0+10m.
func heldDraft(t *testing.T, db *DB) Incident {
	t.Helper()
	inc, err := db.CreateIncidentWith(Incident{Name: "A", State: IncidentDraft}, AuditEntry{Action: "open"},
		func(inc Incident) []OutboxMessage {
			m := msg("deputy", "inc-draft")
			m.IncidentID, m.NotBefore, m.IfDraft = inc.ID, outboxT0.Add(10*time.Minute), true
			return []OutboxMessage{m, msg("ops", "inc-draft")}
		})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func releaseAt(t *testing.T, db *DB, channel string, now time.Time) time.Time {
	t.Helper()
	next, err := db.Release(channel, now)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func TestHeldMessageJoinsTheQueueAtItsTime(t *testing.T) {
	tests := []struct {
		name   string
		change func(i *Incident)
		want   []string
	}{
		{"still a draft", nil, []string{"inc-draft"}},
		{"published", func(i *Incident) { i.State = IncidentPublished }, []string{}},
		{"discarded", func(i *Incident) { i.State = IncidentDiscarded }, []string{}},
		{"recovered before publication", func(i *Incident) { i.State = IncidentResolved }, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			db, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			inc := heldDraft(t, db)
			if got := keysOf(t, db, "deputy"); len(got) != 0 {
				t.Fatalf("held message is queued at once: %q", got)
			}
			if got := keysOf(t, db, "ops"); !reflect.DeepEqual(got, []string{"inc-draft"}) {
				t.Fatalf("ops queue %q", got)
			}
			if next := releaseAt(t, db, "deputy", outboxT0.Add(9*time.Minute)); !next.Equal(outboxT0.Add(10 * time.Minute)) {
				t.Errorf("next = %v", next)
			}
			if tt.change != nil {
				if _, err := db.UpdateIncident(inc.ID, AuditEntry{}, func(i *Incident) error { tt.change(i); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			// A restart before the time loses nothing.
			checkAndClose(t, db)
			if db, err = Open(path, Options{}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { checkAndClose(t, db) })
			at := outboxT0.Add(10 * time.Minute)
			if next := releaseAt(t, db, "deputy", at); !next.IsZero() {
				t.Errorf("next after release = %v", next)
			}
			if got := keysOf(t, db, "deputy"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("deputy queue %q, want %q", got, tt.want)
			}
			// Released once: a second release and a second enqueue add nothing.
			releaseAt(t, db, "deputy", at.Add(time.Hour))
			if err := db.Enqueue([]OutboxMessage{{Key: "inc-draft", Channel: "deputy", NotBefore: at, IfDraft: true, IncidentID: inc.ID}}); err != nil {
				t.Fatal(err)
			}
			releaseAt(t, db, "deputy", at.Add(2*time.Hour))
			if got := keysOf(t, db, "deputy"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("deputy queue after a second release %q, want %q", got, tt.want)
			}
			if held, err := db.Held("deputy"); err != nil || len(held) != 0 {
				t.Errorf("still held: %v %v", held, err)
			}
			// Follow-ups reach the deputy only after an escalation it got.
			follow := msg("deputy", "inc-auto-published")
			follow.After = "inc-draft"
			if err := db.Enqueue([]OutboxMessage{follow}); err != nil {
				t.Fatal(err)
			}
			want := append(tt.want, "inc-auto-published")
			if len(tt.want) == 0 {
				want = []string{}
			}
			if got := keysOf(t, db, "deputy"); !reflect.DeepEqual(got, want) {
				t.Errorf("deputy queue with a follow-up %q, want %q", got, want)
			}
		})
	}
}

func TestHeldMessageDelaysNothingElse(t *testing.T) {
	db := openTest(t)
	heldDraft(t, db)
	early := msg("deputy", "other")
	early.After = "inc-draft" // a follow-up of a held escalation is dropped
	if err := db.Enqueue([]OutboxMessage{msg("deputy", "plain"), early}); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(t, db, "deputy"); !reflect.DeepEqual(got, []string{"plain"}) {
		t.Errorf("deputy queue %q", got)
	}
	releaseAt(t, db, "deputy", outboxT0.Add(10*time.Minute))
	if got := keysOf(t, db, "deputy"); !reflect.DeepEqual(got, []string{"plain", "inc-draft"}) {
		t.Errorf("deputy queue %q", got)
	}
	m, err := db.Outbox("deputy", 0)
	if err != nil || !m[1].CreatedAt.Equal(outboxT0.Add(10*time.Minute)) {
		t.Errorf("released message created at %v (%v), want its release time", m[1].CreatedAt, err)
	}
}
