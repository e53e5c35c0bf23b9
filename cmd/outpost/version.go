package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/outpost-status/outpost/publish"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

func buildInfo() publish.BuildInfo {
	b := publish.BuildInfo{Version: version, Revision: "unknown", GoVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				b.Revision = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

func versionString() string {
	b := buildInfo()
	return fmt.Sprintf("outpost %s (commit %s, %s)", b.Version, b.Revision, b.GoVersion)
}
