package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeConfirmations map[string]uint64

func (f fakeConfirmations) Confirmations() map[string]uint64 { return f }

func TestConfirmationsTotal(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewConfirmationCollector(fakeConfirmations{"refuted": 4, "confirmed": 1}))
	want := `
# HELP outpost_confirmations_total Questions to the other locations before a check changed to or from down (SPEC §17), by result: confirmed (they agreed), refuted (they did not: the check kept its state), fallback (nobody answered).
# TYPE outpost_confirmations_total counter
outpost_confirmations_total{result="confirmed"} 1
outpost_confirmations_total{result="fallback"} 0
outpost_confirmations_total{result="refuted"} 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "outpost_confirmations_total"); err != nil {
		t.Error(err)
	}
}
