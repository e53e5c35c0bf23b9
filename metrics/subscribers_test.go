package metrics

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/outpost-status/outpost/internal/testpeer"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

// countsFunc is a SubscriberSource.
type countsFunc func() (int, int, error)

func (f countsFunc) SubscriberCounts() (int, int, error) { return f() }

func TestSubscribersGauge(t *testing.T) {
	confirmed, unconfirmed := 3, 0
	c := NewSubscriberCollector(countsFunc(func() (int, int, error) { return confirmed, unconfirmed, nil }))
	want := `# HELP outpost_subscribers Email subscribers by state: confirmed, or waiting for the confirmation link (deleted after subscriptions.confirm_ttl).
# TYPE outpost_subscribers gauge
outpost_subscribers{state="confirmed"} 3
outpost_subscribers{state="unconfirmed"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	confirmed, unconfirmed = 2, 5 // read at every scrape
	want = strings.NewReplacer("} 3", "} 2", "} 0", "} 5").Replace(want)
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Errorf("after a change: %v", err)
	}
	text, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain, "outpost_subscribers")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testpeer.Require(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(string(text))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	broken := NewSubscriberCollector(countsFunc(func() (int, int, error) { return 0, 0, errors.New("disk gone") }))
	if _, err := testutil.CollectAndFormat(broken, expfmt.TypeTextPlain); err == nil {
		t.Error("a store error was not reported as an invalid metric")
	}
}
