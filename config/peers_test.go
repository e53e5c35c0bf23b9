package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpost-status/outpost/config"
)

const onePeerCheck = "components:\n  - {name: Web, checks: [{name: Home, target: \"https://127.0.0.1/\"}]}\n"

func peerToken(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "peer.token")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPeerDefaults: a majority quorum, a timeout that outlasts the
// longest check timeout, fallback local, role publisher, name from id.
func TestPeerDefaults(t *testing.T) {
	tok := peerToken(t, "peer-token-0123456789abcdef\n")
	peers := func(n int) string {
		var b strings.Builder
		b.WriteString("peers:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {id: p%d, url: \"https://p%d.example.com\", token_file: %s}\n", i, i, tok)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name    string
		yaml    string
		quorum  int
		timeout time.Duration
	}{
		{"alone", onePeerCheck, 1, 12 * time.Second},
		{"one peer: both must fail", "location: {id: fra}\n" + peers(1) + onePeerCheck, 2, 12 * time.Second},
		{"two peers", "location: {id: fra}\n" + peers(2) + onePeerCheck, 2, 12 * time.Second},
		{"three peers", "location: {id: fra}\n" + peers(3) + onePeerCheck, 3, 12 * time.Second},
		{"a long check timeout", "location: {id: fra}\n" + peers(2) +
			"components:\n  - {name: Web, checks: [{name: Home, target: \"https://127.0.0.1/\", interval: 1m, timeout: 40s}]}\n", 2, 42 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse("p.yaml", []byte(tc.yaml), opts())
			if err != nil {
				t.Fatal(err)
			}
			c := cfg.Confirm
			if c.Quorum != tc.quorum || c.Timeout.D() != tc.timeout || c.Fallback != config.FallbackLocal || cfg.Role != config.RolePublisher {
				t.Errorf("confirm %+v, role %q; want quorum %d, timeout %s, fallback local, publisher", c, cfg.Role, tc.quorum, tc.timeout)
			}
			if cfg.Location.Name != cfg.Location.ID {
				t.Errorf("location %+v: name should default to id", cfg.Location)
			}
			for _, p := range cfg.Peers {
				if p.Token.Reveal() != "peer-token-0123456789abcdef" {
					t.Errorf("peer %s token %q", p.ID, p.Token.Reveal())
				}
			}
		})
	}
}

func TestPeerMistakes(t *testing.T) {
	good := peerToken(t, "peer-token-0123456789abcdef")
	short := peerToken(t, "short")
	spaced := peerToken(t, "peer token 0123456789abcdef")
	for _, tc := range []struct{ name, yaml, want string }{
		{"peers without location", "peers: [{id: ams, url: \"https://ams.example.com\", token_file: " + good + "}]\n",
			"p.yaml:1:1: location: peers, peer_api and role need location.id, the short name of this outpost's location (e.g. location: {id: fra, name: Frankfurt})"},
		{"bad location id", "location: {id: Frankfurt}\n", `p.yaml:1:16: location.id: id "Frankfurt" must be 1-63 lower case letters, digits, - or _ (e.g. fra)`},
		{"confirmer without peer_api", "location: {id: fra}\nrole: confirmer\n",
			"p.yaml:1:1: peer_api: a confirmer answers its peers: set peer_api.token_file to the token they present"},
		{"short token", "location: {id: fra}\npeer_api: {token_file: " + short + "}\n",
			"p.yaml:2:24: peer_api.token_file: the token holds fewer than 16 characters; use a long random token (openssl rand -hex 32)"},
		{"token with spaces", "location: {id: fra}\npeer_api: {token_file: " + spaced + "}\n",
			"p.yaml:2:24: peer_api.token_file: the token contains white space; use one line of letters and digits (openssl rand -hex 32)"},
		{"quorum 0", "location: {id: fra}\nconfirm: {quorum: 0}\n",
			"p.yaml:2:19: confirm.quorum: 0 is out of range: there are 1 locations (this one and 0 peers); use 1 to 1"},
		{"a peer cannot wait out the check's timeout", "location: {id: fra}\npeers: [{id: ams, url: \"https://ams.example.com\", token_file: " + good +
			"}]\nconfirm: {timeout: 10s}\n",
			"p.yaml:3:20: confirm.timeout: 10s is not longer than the timeout 10s of check web/home (components[0].checks[0]); peers could not confirm a target that does not answer: raise confirm.timeout above it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("p.yaml", []byte(tc.yaml+onePeerCheck), opts())
			list := config.List(err)
			if len(list) != 1 || list[0].Error() != tc.want {
				t.Errorf("errors:\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
}
