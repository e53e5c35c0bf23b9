package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestPushCounter(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, err := NewPushCounter(reg, []string{"accepted", "unauthorized", "rejected"})
	if err != nil {
		t.Fatal(err)
	}
	c.ObservePush("accepted")
	c.ObservePush("accepted")
	c.ObservePush("unauthorized")
	want := `
# HELP outpost_pushes_total Pushes of push checks by result: accepted (recorded), unauthorized (no or a wrong token, or too many of those), rejected (refused for another reason).
# TYPE outpost_pushes_total counter
outpost_pushes_total{result="accepted"} 2
outpost_pushes_total{result="rejected"} 0
outpost_pushes_total{result="unauthorized"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "outpost_pushes_total"); err != nil {
		t.Error(err)
	}
	if _, err := NewPushCounter(reg, nil); err == nil {
		t.Error("registering twice succeeded")
	}
}
