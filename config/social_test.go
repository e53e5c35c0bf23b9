package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/config"
)

func TestSocialChannels(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "mastodon.token")
	if err := os.WriteFile(tokenFile, []byte("mastodon-token-1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := opts()
	o.Getenv = func(name string) string { return map[string]string{"BSKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}[name] }
	cfg, err := config.Parse("social.yaml", []byte(`
page: {url: "https://status.example.com"}
components: [{name: Web, checks: [{name: Home, target: "http://127.0.0.1/"}]}]
notify:
  - type: mastodon
    url: https://mastodon.example.com
    token_file: `+tokenFile+`
  - type: mastodon
    name: test-instance
    url: http://127.0.0.1:3000
    token_file: `+tokenFile+`
    visibility: unlisted
    max_chars: 1000
  - type: bluesky
    identifier: status.example.com
    app_password_env: BSKY_APP_PASSWORD
`), o)
	if err != nil {
		t.Fatal(err)
	}
	m, test, b := cfg.Notify[0], cfg.Notify[1], cfg.Notify[2]
	checks := []struct {
		name      string
		got, want any
	}{
		{"mastodon audience", m.Audience, "public"},
		{"mastodon visibility", m.Visibility, "public"},
		{"mastodon max_chars", m.MaxChars, 0},
		{"mastodon token", m.Token.Reveal(), "mastodon-token-1234"},
		{"loopback url", test.URL, "http://127.0.0.1:3000"},
		{"unlisted", test.Visibility, "unlisted"},
		{"max_chars", test.MaxChars, 1000},
		{"bluesky audience", b.Audience, "public"},
		{"bluesky url", b.URL, config.DefaultBlueskyURL},
		{"bluesky name", b.Name, "bluesky-3"},
		{"app password", b.Password.Reveal(), "abcd-efgh-ijkl-mnop"},
		{"language of the posts", b.Language + m.Language, "enen"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	if s := fmt.Sprintf("%v %+v %#v", cfg.Notify, cfg.Notify, cfg.Notify); strings.Contains(s, "mastodon-token-1234") || strings.Contains(s, "abcd-efgh") {
		t.Errorf("printing the channels reveals a secret: %s", s)
	}
}

func TestSocialChannelsNeedPageURL(t *testing.T) {
	_, err := config.Parse("social.yaml", []byte(`
components: [{name: Web, checks: [{name: Home, target: "http://127.0.0.1/"}]}]
notify:
  - type: bluesky
    identifier: did:plc:abc123
    app_password_file: /nonexistent/outpost-test
`), opts())
	var got []string
	for _, e := range config.List(err) {
		got = append(got, e.Error())
	}
	want := []string{
		"social.yaml:4:11: notify[0].type: bluesky posts link to the incident page; set page.url",
		"social.yaml:6:24: notify[0].app_password_file: read secret file: open /nonexistent/outpost-test: no such file or directory",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
}

// TestSocialExamplesParse uncomments the mastodon and bluesky examples of
// config.example.yaml, so they cannot drift from what outpost accepts.
func TestSocialExamplesParse(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var block []string
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "  # - type: mastodon"):
			block = []string{}
		case block == nil:
			continue
		case !strings.HasPrefix(line, "  # "):
			line = ""
		}
		if line == "" {
			break
		}
		line = "  " + strings.TrimPrefix(line, "  # ")
		for _, key := range []string{"token_file: ", "app_password_file: "} {
			if i := strings.Index(line, key); i >= 0 {
				line = line[:i] + key + secret
			}
		}
		block = append(block, line)
	}
	if len(block) < 8 {
		t.Fatalf("no mastodon and bluesky examples in config.example.yaml: %q", block)
	}
	cfg, err := config.Parse("example.yaml", []byte("page: {url: \"https://status.example.com\"}\n"+
		"components: [{name: Web, checks: [{name: Home, target: \"http://127.0.0.1/\"}]}]\nnotify:\n"+strings.Join(block, "\n")), opts())
	if err != nil {
		t.Fatalf("the examples do not parse:\n%s\n%v", strings.Join(block, "\n"), err)
	}
	if len(cfg.Notify) != 2 || cfg.Notify[0].Type != "mastodon" || cfg.Notify[1].Type != "bluesky" || cfg.Notify[1].Password.Reveal() != "s3cret-s3cret" {
		t.Errorf("examples decoded as %+v", cfg.Notify)
	}
}
