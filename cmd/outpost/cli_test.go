package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckCommand(t *testing.T) {
	t.Setenv("HOOK_SECRET", "example signing secret") // read by the example's webhook channel
	tests := []struct {
		name      string
		args      []string
		code      int
		wantLines int
		want      string
	}{
		{"example config is valid", []string{"check", "-config", "../../config.example.yaml"}, exitOK, 0, "OK (4 components"},
		{"three mistakes, three lines", []string{"check", "-config", "../../config/testdata/three_mistakes.yaml"}, exitFail, 3, "three_mistakes.yaml:2:13: "},
		{"bad templates, each with its position", []string{"check", "-config", "../../config/testdata/bad/template_mistakes.yaml"}, exitFail, 9,
			"template_mistakes.yaml:14:56: templates[3].components[1]: no component with id \"shop\""},
		{"bad wording", []string{"check", "-config", "../../config/testdata/bad/wording_unknown_language.yaml"}, exitFail, 1,
			"wording_unknown_language.yaml:6:50: components[0].impact: unknown language \"fr\" (use en, de, sv)"},
		{"missing file", []string{"check", "-config", "/nonexistent/outpost.yaml"}, exitFail, 1, "OUTPOST_CONFIG"},
		{"stray argument", []string{"check", "extra"}, exitUsage, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("output lacks %q:\n%s%s", tt.want, stdout, stderr)
			}
			if tt.wantLines > 0 {
				if n := strings.Count(strings.TrimSpace(stderr), "\n") + 1; n != tt.wantLines {
					t.Errorf("stderr has %d lines, want %d:\n%s", n, tt.wantLines, stderr)
				}
			}
		})
	}
}

func TestProbeCommand(t *testing.T) {
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer live.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"live server", []string{"probe", live.URL + "/"}, exitOK, "UP "},
		{"closed port", []string{"probe", "http://" + closed + "/"}, exitFail, "refused: "},
		{"any down fails", []string{"probe", live.URL + "/", "tcp://" + closed}, exitFail, "DOWN "},
		{"unknown scheme", []string{"probe", "htp://example.com/"}, exitUsage, `unknown scheme "htp"`},
		{"push target", []string{"probe", "push:"}, exitUsage, "push: is not probed"},
		{"no target", []string{"probe"}, exitUsage, "usage: outpost probe"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("output lacks %q:\n%s%s", tt.want, stdout, stderr)
			}
		})
	}
	t.Run("one line per target", func(t *testing.T) {
		_, stdout, _ := runCLI("probe", "http://"+closed+"/")
		if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 1 {
			t.Errorf("got %d lines: %q", len(lines), stdout)
		}
	})
	t.Run("json", func(t *testing.T) {
		code, stdout, _ := runCLI("probe", "-json", live.URL+"/")
		var line struct {
			Target  string `json:"target"`
			Outcome string `json:"outcome"`
			Details struct {
				HTTPStatus int `json:"http_status"`
			} `json:"details"`
		}
		if err := json.Unmarshal([]byte(stdout), &line); err != nil || code != exitOK {
			t.Fatalf("exit %d, %v: %s", code, err, stdout)
		}
		if line.Outcome != "up" || line.Details.HTTPStatus != 200 || line.Target != live.URL+"/" {
			t.Errorf("json line = %+v", line)
		}
	})
}

func TestVersionCommand(t *testing.T) {
	code, stdout, _ := runCLI("version")
	if code != exitOK || !strings.HasPrefix(stdout, "outpost ") || !strings.Contains(stdout, "go1.") {
		t.Errorf("version: exit %d %q", code, stdout)
	}
}
