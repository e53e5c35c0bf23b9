package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBackupHotCopy(t *testing.T) {
	db := openTest(t)
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	fillDays(t, db, []string{"a/1", "b/2"}, 2, now)
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sameContent(t, db, path, now)
}

// sameContent opens the copy at path and compares results and windows
// with db.
func sameContent(t *testing.T, db *DB, path string, now time.Time) {
	t.Helper()
	cp, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer checkAndClose(t, cp)
	for _, c := range []string{"a/1", "b/2"} {
		a, _ := db.Results(c, time.Time{}, now, 0)
		b, _ := cp.Results(c, time.Time{}, now, 0)
		if len(a) != len(b) || len(a) == 0 {
			t.Errorf("%s: %d results in the copy, %d in the original", c, len(b), len(a))
		}
		subs := []Subject{CheckSubject(c)}
		wa, _ := db.Windows(subs, []time.Duration{72 * time.Hour}, now, 0.3)
		wb, _ := cp.Windows(subs, []time.Duration{72 * time.Hour}, now, 0.3)
		if wa[subs[0]][0].Seconds != wb[subs[0]][0].Seconds {
			t.Errorf("%s: windows differ: %+v, %+v", c, wa, wb)
		}
	}
}

func TestCopyFileCompacts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	fillDays(t, db, []string{"a/1", "b/2"}, 2, now)
	fillDays(t, db, []string{"old/1", "old/2", "old/3"}, 60, now.Add(-100*24*time.Hour))
	if _, err := db.Prune(context.Background(), now, Retention{Results: 30 * 24 * time.Hour}, 1000); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "backup.db")
	if _, err := CopyFile(path, out, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Errorf("CopyFile of an open database: %v, want ErrLocked", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("old backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	size, err := CopyFile(path, out, 0)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := os.Stat(path)
	if size >= src.Size()/2 {
		t.Errorf("copy is %d bytes, source %d: not compacted", size, src.Size())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("directory holds %d entries, want the database and the copy", len(entries))
	}
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sameContent(t, db, out, now)
	if _, err := CopyFile(filepath.Join(dir, "missing.db"), out, 0); err == nil {
		t.Error("CopyFile of a missing file succeeded")
	}
}
