package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExportFromRunningDaemon runs the real daemon with publish.static_dir
// and, while it runs, `outpost export` against it.
func TestExportFromRunningDaemon(t *testing.T) {
	dir := t.TempDir()
	configPath := writeConfig(t, dir, "tcp://127.0.0.1:1")
	static := filepath.Join(dir, "static")
	f, err := os.OpenFile(configPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "page: {title: \"E2E Status\", language: de, time_zone: Europe/Berlin}\npublish: {static_dir: %q}\n", static)
	f.Close()
	d := startDaemon(t, configPath)

	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(filepath.Join(static, "index.html")); err == nil {
			if !strings.Contains(string(data), "E2E Status") || !strings.Contains(string(data), `lang="de"`) {
				t.Fatalf("static index.html:\n%.500s", data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no static export in %s\n%s", static, d.drainLogs())
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bounded wait
	}

	out := filepath.Join(dir, "snapshot")
	cmd := exec.Command(outpostBin, "export", "-out", out, "-server", "http://"+d.addr)
	cmd.Env = append(os.Environ(), "OUTPOST_SERVER=")
	if msg, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(msg), "exported 14 files") {
		t.Fatalf("outpost export: %v\n%s", err, msg)
	}
	for _, name := range []string{"index.html", "history/index.html", "history.atom", "history.rss", "badge/web.svg",
		"api/v2/summary.json", "api/v1/checks.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("export lacks %s", name)
		}
	}
	d.stop()
}

func TestExportCommandErrors(t *testing.T) {
	t.Setenv("OUTPOST_SERVER", "")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no out", []string{"export", "-server", "http://127.0.0.1:1"}, exitUsage, "-out DIR is required"},
		{"daemon down", []string{"export", "-out", t.TempDir() + "/x", "-server", "http://127.0.0.1:1"}, exitFail, "is the daemon running?"},
		{"no config", []string{"export", "-out", t.TempDir() + "/x", "-config", "/nonexistent.yaml"}, exitFail, "no -server or OUTPOST_SERVER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("exit %d, output %s%s", code, stdout, stderr)
			}
		})
	}
}

func TestListenURL(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1:8080": "http://127.0.0.1:8080", ":8080": "http://127.0.0.1:8080",
		"0.0.0.0:80": "http://127.0.0.1:80", "[::]:80": "http://127.0.0.1:80", "[::1]:80": "http://[::1]:80"} {
		if got := listenURL(in); got != want {
			t.Errorf("listenURL(%q) = %q, want %q", in, got, want)
		}
	}
}
