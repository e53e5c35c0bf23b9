package monitor

import (
	"fmt"
	"time"

	"github.com/outpost-status/outpost/probe"
)

// DelayEstimator estimates how long the monitor waited for a CPU, so that
// a starved monitor does not take its own slowness for the target's. The
// default is a sampler (schedSampler); tests inject a fake.
type DelayEstimator interface {
	// ProbeStarted and ProbeEnded bracket every probe: an estimator may
	// measure only while probes are in flight.
	ProbeStarted()
	ProbeEnded()
	// Delay estimates how much of [start, end] a goroutine woken by the
	// network spent waiting for a CPU.
	Delay(start, end time.Time) time.Duration
}

// starvedShare is the share of a check's timeout the monitor may have
// waited for a CPU during a probe before that probe's timeout proves
// nothing: past a quarter, the reply may well have been in the socket,
// unread, when the deadline passed (a conn deadline wins over data that
// arrived but was not read). Below it, a timeout counts as usual; a
// target that answers in milliseconds does not time out because of a
// few hundred milliseconds of waiting.
const starvedShare = 4

// judge adds the estimated wait for a CPU to r and tells whether r
// counts. A result degraded only because of that wait is up
// (probe.Discount). A timeout taken while the monitor was starved for
// more than a quarter of the check's timeout is inconclusive: like a
// probe of a blind monitor, it changes no state and counts toward no
// fail_after; the scheduler probes again after retry_interval. The
// trade-off: while the monitor stays starved, a target that really times
// out is not declared down until the monitor gets its CPU back.
func (m *Monitor) judge(c Check, r probe.Result) (probe.Result, bool) {
	if c.Pushed() { // the job's duration and verdict, not a probe of outpost's
		return r, true
	}
	delay := m.opts.Delays.Delay(r.Start, r.Start.Add(r.Duration))
	r = probe.Discount(r, c.Target.Options, delay)
	if r.Outcome != probe.Down || r.Class != probe.ClassTimeout || delay*starvedShare <= c.Timeout {
		return r, true
	}
	r.Message += fmt.Sprintf("; inconclusive: the monitor waited up to %s for a CPU during the probe",
		delay.Round(time.Millisecond))
	return r, false
}

// unchanged is the state after a result that does not count: only the
// last result changes.
func unchanged(prev CheckState, r probe.Result) CheckState {
	next := prev
	next.Last = &r
	return next
}
