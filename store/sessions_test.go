package store

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

func TestSessionsStoreOnlyAHashOfTheID(t *testing.T) {
	db := openTest(t)
	const id = "session-id-that-must-never-be-stored-0123456789"
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	want := Session{Name: "alice", TokenFingerprint: "fp", CreatedAt: at, LastSeen: at}
	if err := db.PutSession(id, want); err != nil {
		t.Fatal(err)
	}
	got, err := db.Session(id)
	if err != nil || got.Name != want.Name || !got.CreatedAt.Equal(at) || got.TokenFingerprint != "fp" {
		t.Fatalf("Session = %+v, %v; want %+v", got, err, want)
	}
	if _, err := db.Session("other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown session: err = %v, want ErrNotFound", err)
	}
	if err := db.bolt.Sync(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(id)) {
		t.Error("the database file holds the session id itself")
	}
	if err := db.DeleteSession(id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Session(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("after DeleteSession: err = %v, want ErrNotFound", err)
	}
	if err := db.PutSession("", want); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty id: err = %v, want ErrInvalid", err)
	}
}

func TestDeleteSessionsIsBounded(t *testing.T) {
	db := openTest(t)
	for i := range 25 {
		name := "keep"
		if i%5 != 0 {
			name = "drop"
		}
		if err := db.PutSession(string(rune('a'+i)), Session{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	drop := func(s Session) bool { return s.Name == "drop" }
	total := 0
	for {
		n, err := db.DeleteSessions(drop, 7)
		if err != nil {
			t.Fatal(err)
		}
		if n > 7 {
			t.Fatalf("deleted %d in one call, limit 7", n)
		}
		total += n
		if n < 7 {
			break
		}
	}
	if total != 20 {
		t.Errorf("deleted %d sessions, want 20", total)
	}
	if _, err := db.Session("a"); err != nil {
		t.Errorf("kept session a: %v", err)
	}
}

func TestAuditBeforePages(t *testing.T) {
	db := openTest(t)
	for i := range 7 {
		if err := db.AppendAudit(AuditEntry{Actor: "test", Action: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(es []AuditEntry) []uint64 {
		var out []uint64
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	tests := []struct {
		name   string
		before uint64
		want   []uint64
	}{
		{"newest", 0, []uint64{7, 6, 5}},
		{"before 5", 5, []uint64{4, 3, 2}},
		{"before 2", 2, []uint64{1}},
		{"before 1", 1, nil},
		{"beyond the newest", 100, []uint64{7, 6, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.AuditBefore(tt.before, 3)
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(got); !slices.Equal(g, tt.want) {
				t.Errorf("AuditBefore(%d, 3) = %v, want %v", tt.before, g, tt.want)
			}
		})
	}
}
