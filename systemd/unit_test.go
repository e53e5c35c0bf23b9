// Package systemd holds outpost.service; this test checks the unit with
// systemd's own analyzer.
package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/internal/testpeer"
)

// maxExposure is the highest `systemd-analyze security` exposure accepted,
// on its 0–100 scale (the README shows it as 1.2 on the 0–10 scale).
const maxExposure = "15"

func TestUnit(t *testing.T) {
	analyze := testpeer.Require(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile("outpost.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart exists: point it at a stand-in binary.
	dir := t.TempDir()
	bin := filepath.Join(dir, "outpost")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "outpost.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/outpost", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", path},
		{"security", "--offline=true", "--threshold=" + maxExposure, path},
	} {
		out, err := exec.Command(analyze, args...).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze %s: %v\n%s", args[0], err, out)
		}
	}
}
