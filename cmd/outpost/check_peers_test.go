package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/outpost-status/outpost/admin"
	"github.com/outpost-status/outpost/monitor"
)

// keysProber is a peer's monitor as the peer API sees it.
type keysProber struct {
	keys  []string
	asked atomic.Int32
}

func (k *keysProber) ProbeNow(context.Context, []string) map[string]monitor.PeerVerdict { return nil }
func (k *keysProber) CheckKeys() []string                                               { k.asked.Add(1); return k.keys }

// TestCheckWarnsAboutPeers: outpost check asks each peer for its checks
// (through the real peer API) and warns, exit 0, when one runs other
// checks or does not answer.
func TestCheckWarnsAboutPeers(t *testing.T) {
	const token = "peer-token-0123456789abcdef"
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "peer.token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	peer := func(loc string, keys ...string) (*httptest.Server, *keysProber) {
		p := &keysProber{keys: keys}
		srv := httptest.NewServer(admin.NewPeerAPI(admin.PeerOptions{Prober: p, Location: loc, Token: token}).Handler())
		t.Cleanup(srv.Close)
		return srv, p
	}
	same, sameProber := peer("ams", "web/api", "web/home")
	other, _ := peer("par", "web/home", "web/shop")
	gone := httptest.NewServer(nil)
	gone.Close()
	cfg := filepath.Join(dir, "config.yaml")
	data := `location: {id: fra}
peers:
  - {id: ams, url: "` + same.URL + `", token_file: ` + tokenFile + `}
  - {id: par, url: "` + other.URL + `/", token_file: ` + tokenFile + `}
  - {id: lon, url: "` + gone.URL + `", token_file: ` + tokenFile + `}
components:
  - name: Web
    checks:
      - {name: Home, target: "https://www.example.com/"}
      - {name: API, target: "https://api.example.com/"}
`
	if err := os.WriteFile(cfg, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI("check", "-config", cfg)
	if code != exitOK || !strings.Contains(stdout, "OK (1 components, 2 checks)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 2 {
		t.Fatalf("want two warnings (par, lon), got:\n%s", stderr)
	}
	wantPar := "WARNING: peer par runs other checks than this configuration; deploy the same checks everywhere; missing there: web/api; only there: web/shop"
	if lines[0] != wantPar {
		t.Errorf("warning\n%s\nwant\n%s", lines[0], wantPar)
	}
	if !strings.HasPrefix(lines[1], "WARNING: peer lon: ") || !strings.Contains(lines[1], "lon cannot confirm") {
		t.Errorf("warning %q, want one about lon being unreachable", lines[1])
	}
	if strings.Contains(stderr, token) {
		t.Error("a warning shows the token")
	}
	asked := sameProber.asked.Load()
	code, _, stderr = runCLI("check", "-peers=false", "-config", cfg)
	if code != exitOK || stderr != "" || sameProber.asked.Load() != asked {
		t.Errorf("-peers=false: exit %d, stderr %q, peer asked %d more times", code, stderr, sameProber.asked.Load()-asked)
	}
}
