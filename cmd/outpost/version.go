package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/outpost-status/outpost/metrics"
)

// version and commit may be set at build time with
// -ldflags "-X main.version=v1.2.3 -X main.commit=abc123"; otherwise they
// come from the build info (module version, vcs.revision).
var (
	version = ""
	commit  = ""
)

func buildInfo() metrics.BuildInfo {
	b := metrics.BuildInfo{Version: version, Revision: commit, GoVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && b.Revision == "" {
				b.Revision = s.Value
			}
			if s.Key == "vcs.modified" && s.Value == "true" && b.Revision != "" {
				b.Revision += "-dirty"
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Revision == "" {
		b.Revision = "unknown"
	}
	return b
}

func versionString() string {
	b := buildInfo()
	return fmt.Sprintf("outpost %s (commit %s, %s)", b.Version, b.Revision, b.GoVersion)
}
