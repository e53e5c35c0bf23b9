package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/store"
)

func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "http://127.0.0.1:1/")
	dbPath := filepath.Join(dir, "data", store.FileName)
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := db.WriteResults([]store.Result{{Check: "web/home", Time: t0, Outcome: store.OutcomeUp}}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI("backup", "-db", dbPath, "-out", filepath.Join(dir, "locked.db"))
	if code != exitFail || !strings.Contains(stderr, "/api/admin/backup") || !strings.Contains(stderr, dbPath) {
		t.Errorf("backup of a locked database: exit %d, stderr %s", code, stderr)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"by -db", []string{"-db", dbPath, "-out", filepath.Join(dir, "a.db")}, exitOK, "compacted copy of " + dbPath},
		{"by -config", []string{"-config", cfg, "-out", filepath.Join(dir, "b.db")}, exitOK, "compacted copy of " + dbPath},
		{"no -out", []string{"-db", dbPath}, exitUsage, "-out FILE is required"},
		{"missing database", []string{"-db", filepath.Join(dir, "none.db"), "-out", filepath.Join(dir, "c.db")}, exitFail, "no such file"},
		{"bad config", []string{"-config", filepath.Join(dir, "none.yaml"), "-out", filepath.Join(dir, "c.db")}, exitFail, "invalid configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"backup"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Fatalf("exit %d, want %d; output lacks %q?\nstdout: %s\nstderr: %s", code, tt.code, tt.want, stdout, stderr)
			}
		})
	}
	for _, name := range []string{"a.db", "b.db"} {
		cp, err := store.Open(filepath.Join(dir, name), store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := cp.Results("web/home", t0, t0.Add(time.Hour), 0)
		if err != nil || len(rs) != 1 {
			t.Errorf("%s: results %v, %v", name, rs, err)
		}
		_ = cp.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "c.db")); !os.IsNotExist(err) {
		t.Errorf("failed backup left c.db: %v", err)
	}
}
