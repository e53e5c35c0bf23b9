package publish

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/outpost-status/outpost/monitor"
)

// staticRefresh re-exports even without a content change, so day bars
// and live check data in a static export stay reasonably fresh.
const staticRefresh = 5 * time.Minute

// RunStaticExport keeps a static export in dir (publish.static_dir): every
// tick it rebuilds the view, hashes what the public may see and exports
// again when that changed (or staticRefresh passed). It returns when ctx
// ends.
func (s *Server) RunStaticExport(ctx context.Context, dir string, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	st := &staticState{}
	for {
		s.staticStep(ctx, dir, st)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// staticState is what the static export loop remembers between ticks.
type staticState struct {
	hash    [32]byte
	at      time.Time
	lastErr string
}

// staticStep exports when the public content changed; it reports whether
// it wrote a new export.
func (s *Server) staticStep(ctx context.Context, dir string, st *staticState) bool {
	v, err := s.buildView()
	var hash [32]byte
	if err == nil {
		hash, err = v.contentHash(s.opts.Monitor.Snapshot())
	}
	now := s.opts.Now()
	if err == nil && hash == st.hash && now.Sub(st.at) < staticRefresh {
		return false
	}
	if err == nil {
		_, err = WriteExport(ctx, dir, v.exportPaths(), s.fetchLocal)
	}
	if err != nil {
		if ctx.Err() == nil && err.Error() != st.lastErr {
			s.log.Error("static export failed; retrying", "dir", dir, "err", err)
		}
		st.lastErr = err.Error()
		return false
	}
	if st.lastErr != "" || st.at.IsZero() {
		s.log.Info("static export written", "dir", dir)
	}
	st.hash, st.at, st.lastErr = hash, now, ""
	return true
}

// contentHash covers everything the public pages show that can change:
// statuses, public incidents, maintenance and its status, the blind flag,
// live check states and the day (bars move at midnight).
func (v *view) contentHash(checks []monitor.CheckStatus) ([32]byte, error) {
	type checkState struct{ ID, State string }
	content := struct {
		Page        spPage
		Status      spStatus
		Blind       bool
		Day         string
		Components  []spComponent
		Incidents   []spIncident
		Maintenance []spMaintenance
		Checks      []checkState
	}{v.spPage(), v.spStatus(), v.blind, v.now.In(v.page.Location).Format(dayLayout), v.spComponents(),
		v.spIncidents(v.incidents), v.maintenances(func(string) bool { return true }), nil}
	for _, c := range checks {
		content.Checks = append(content.Checks, checkState{c.Key, string(c.State)})
	}
	data, err := json.Marshal(content)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(data), nil
}
