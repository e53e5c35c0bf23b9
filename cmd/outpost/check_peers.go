package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
)

// checkPeers asks every configured peer for its check keys and warns
// about each that is unreachable or runs other checks: all outposts of a
// deployment should run the same checks (SPEC §17), or a peer answers
// "unknown check" exactly when it is asked to confirm. Warnings only:
// a peer may be down, or not yet deployed, while this file is checked.
// It returns the number of warnings.
func checkPeers(ctx context.Context, cfg *config.Config, client *monitor.PeerClient, w io.Writer) int {
	var local []string
	for _, comp := range cfg.Components {
		for _, ch := range comp.Checks {
			local = append(local, ch.Key())
		}
	}
	warnings := 0
	for _, pc := range client.Checks(ctx) {
		if pc.Err != nil {
			fmt.Fprintf(w, "WARNING: %v (peers: %s cannot confirm this outpost's failures)\n", pc.Err, pc.Peer)
			warnings++
			continue
		}
		missing, extra := monitor.KeyDiff(local, pc.Checks)
		if len(missing) == 0 && len(extra) == 0 {
			continue
		}
		warnings++
		fmt.Fprintf(w, "WARNING: peer %s runs other checks than this configuration; deploy the same checks everywhere", pc.Peer)
		if len(missing) > 0 {
			fmt.Fprintf(w, "; missing there: %s", strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			fmt.Fprintf(w, "; only there: %s", strings.Join(extra, ", "))
		}
		fmt.Fprintln(w)
	}
	return warnings
}
