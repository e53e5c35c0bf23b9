package metrics

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/outpost-status/outpost/monitor"
)

type peerStatuses []monitor.PeerStatus

func (p *peerStatuses) PeerStatus() []monitor.PeerStatus { return *p }

func TestPeerUp(t *testing.T) {
	src := &peerStatuses{{Peer: "ams", Up: true, LastAnswer: time.Now()}, {Peer: "par"}}
	c := NewPeerCollector(src)
	want := `# HELP outpost_peer_up 1 when the peer's last answer to a confirmation request was good (SPEC §17), else 0; 0 before the first.
# TYPE outpost_peer_up gauge
outpost_peer_up{peer="ams"} 1
outpost_peer_up{peer="par"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "outpost_peer_up"); err != nil {
		t.Error(err)
	}
	*src = peerStatuses{{Peer: "par", Up: true}} // a reload removed ams
	if n := testutil.CollectAndCount(c, "outpost_peer_up"); n != 1 {
		t.Errorf("%d series after ams was removed, want 1", n)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	text, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain, "outpost_peer_up")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testpeer.Require(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(string(text))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
