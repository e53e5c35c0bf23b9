package probe

import (
	"context"
	"fmt"
)

// NotImplemented is a placeholder Prober for kinds not written yet. It
// reports down with class not_implemented so nothing pretends to be up.
type NotImplemented struct{ Clock Clock }

var _ Prober = NotImplemented{}

// Probe implements Prober.
func (n NotImplemented) Probe(_ context.Context, t Target) Result {
	c := n.Clock
	if c == nil {
		c = SystemClock{}
	}
	return Result{Start: c.Now(), Outcome: Down, Class: ClassNotImplemented,
		Message: fmt.Sprintf("%s probes are not implemented yet", t.Kind)}
}

// Set dispatches to one Prober per Kind; it is built in main.
type Set map[Kind]Prober

var _ Prober = Set(nil)

// Probe runs the prober registered for t.Kind.
func (s Set) Probe(ctx context.Context, t Target) Result {
	p, ok := s[t.Kind]
	if !ok {
		return NotImplemented{}.Probe(ctx, t)
	}
	return p.Probe(ctx, t)
}
