package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeAdmin answers POST /api/admin/incidents as the admin API does,
// recording the bodies it was sent; a template called "unknown" is
// refused as the API refuses one it does not know.
func fakeAdmin(t *testing.T) (*httptest.Server, *[]map[string]any) {
	t.Helper()
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/admin/incidents" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":"unexpected request"}`, http.StatusNotFound)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var in map[string]any
		if err := json.Unmarshal(data, &in); err != nil {
			t.Errorf("body is not JSON: %s", data)
		}
		got = append(got, in)
		w.Header().Set("Content-Type", "application/json")
		if in["template"] == "unknown" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid: template \"unknown\" is unknown (use tel-down)"}`)
			return
		}
		state := "draft"
		if in["publish"] == true {
			state = "published"
		}
		name, _ := in["name"].(string)
		if name == "" {
			name = "Telephony unavailable" // the template's title
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "7", "name": name, "state": state, "status": "investigating",
			"impact": "major", "body": "Calls fail."})
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestIncidentNew(t *testing.T) {
	srv, got := fakeAdmin(t)
	env := func(k string) string {
		return map[string]string{"OUTPOST_SERVER": srv.URL, "OUTPOST_TOKEN": "tok"}[k]
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		sent     string // the JSON body sent; empty when nothing is
		out, err string
	}{
		{"from a template with overrides", []string{"new", "-template", "tel-down", "-impact", "critical", "-components", "telephony, web", "-publish"}, exitOK,
			`{"components":["telephony","web"],"impact":"critical","publish":true,"template":"tel-down"}`,
			"#7  Telephony unavailable  [published, investigating, impact major]\n\nCalls fail.\n", ""},
		{"without a template", []string{"new", "-title", "Billing delayed", "-body", "Invoices are late.", "-status", "identified"}, exitOK,
			`{"body":"Invoices are late.","name":"Billing delayed","status":"identified"}`,
			"#7  Billing delayed  [draft, investigating, impact major]\n\nCalls fail.\n\npublish with: outpost incident publish 7\n", ""},
		{"empty components override the template's", []string{"new", "-template", "tel-down", "-components", ""}, exitOK,
			`{"components":[],"template":"tel-down"}`, "#7  Telephony unavailable  [draft", ""},
		{"unknown template", []string{"new", "-template", "unknown"}, exitFail,
			`{"template":"unknown"}`, "", `HTTP 400: invalid: template "unknown" is unknown (use tel-down)`},
		{"neither title nor template", []string{"new", "-body", "x"}, exitUsage, "", "", "give -title or -template NAME"},
		{"an id", []string{"new", "12"}, exitUsage, "", "", `unexpected argument "12"`},
		{"unknown flag", []string{"new", "-severity", "high"}, exitUsage, "", "", "flag provided but not defined: -severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*got = nil
			var stdout, stderr bytes.Buffer
			code := cmdIncident(context.Background(), append([]string{}, tt.args...), env, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			switch {
			case tt.sent == "" && len(*got) != 0:
				t.Errorf("sent %v, want nothing", *got)
			case tt.sent != "":
				if len(*got) != 1 {
					t.Fatalf("sent %d requests, want 1", len(*got))
				}
				if sent, _ := json.Marshal((*got)[0]); string(sent) != tt.sent {
					t.Errorf("sent %s\nwant %s", sent, tt.sent)
				}
			}
			if !strings.HasPrefix(stdout.String(), tt.out) {
				t.Errorf("stdout = %q, want it to start with %q", stdout.String(), tt.out)
			}
			if !strings.Contains(stderr.String(), tt.err) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.err)
			}
		})
	}
	t.Run("usage names new", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		cmdIncident(context.Background(), nil, env, &stdout, &stderr)
		if !strings.Contains(stderr.String(), "new     [-template NAME]") {
			t.Errorf("usage lacks new:\n%s", stderr.String())
		}
	})
}
