package probe

import (
	"strings"
	"testing"
	"time"
)

// Discount takes time spent waiting for a CPU off latency grading only.
func TestDiscount(t *testing.T) {
	o := Options{DegradedLatency: 2 * time.Second}
	slow := grade(Result{Duration: 2400 * time.Millisecond, Outcome: Up}, o, time.Time{})
	if slow.Outcome != Degraded || slow.Class != ClassLatency {
		t.Fatalf("grade(2.4s) = %+v, want degraded for latency", slow)
	}
	expiring := Result{Duration: 2400 * time.Millisecond, Outcome: Degraded, Class: ClassCertExpiry, Message: "certificate expires"}
	timeout := Result{Duration: 10 * time.Second, Outcome: Down, Class: ClassTimeout, Message: "timeout"}
	cases := []struct {
		name    string
		r       Result
		delay   time.Duration
		outcome Outcome
		class   Class
		message string
	}{
		{"an honest slow probe stays degraded", slow, 0, Degraded, ClassLatency, "took 2.4s, above degraded_latency 2s"},
		{"a probe slow from waiting for a CPU is up", slow, 900 * time.Millisecond, Up, ClassNone,
			"took 2.4s, of which up to 900ms waiting for a CPU; within degraded_latency 2s"},
		{"exactly degraded_latency left is up", slow, 400 * time.Millisecond, Up, ClassNone, "of which up to 400ms"},
		{"too slow even without the wait", slow, 100 * time.Millisecond, Degraded, ClassLatency, "above degraded_latency"},
		{"an expiring certificate stays degraded", expiring, time.Second, Degraded, ClassCertExpiry, "certificate expires"},
		{"a failure stays a failure", timeout, 5 * time.Second, Down, ClassTimeout, "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Discount(tc.r, o, tc.delay)
			if got.Outcome != tc.outcome || got.Class != tc.class || !strings.Contains(got.Message, tc.message) {
				t.Errorf("Discount = %s/%s %q, want %s/%s containing %q", got.Outcome, got.Class, got.Message,
					tc.outcome, tc.class, tc.message)
			}
			if got.SchedDelay != tc.delay || got.Duration != tc.r.Duration {
				t.Errorf("SchedDelay %s Duration %s, want %s and the measured %s", got.SchedDelay, got.Duration, tc.delay, tc.r.Duration)
			}
		})
	}
}
