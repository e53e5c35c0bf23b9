// Command outpost watches services from outside their infrastructure.
//
// main only wires: it parses flags, loads the config, builds store →
// probers → monitor → publish and waits for a signal. Logic lives in the
// packages.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Exit codes: scripts tell "down" from "usage" by them.
const (
	exitOK    = 0
	exitFail  = 1 // probe down, invalid config, runtime failure
	exitUsage = 2
)

const usage = `usage: outpost COMMAND [flags]

commands:
  run      [-config FILE]                 run the daemon
  check    [-config FILE]                 validate the configuration
  probe    [-timeout D] [-json] TARGET... probe targets once (exit 0 all up, 1 any down)
  incident list|show|new|edit|publish|update|resolve|discard ...
                                          manage incidents over the admin API
  subscribers list|remove|export ...      email subscribers over the admin API (export: CSV)
  backup   -out FILE [-db FILE]           compacted database copy (daemon stopped)
  export   -out DIR [-server URL] [-config FILE]
                                          static snapshot of the public site, fetched
                                          from the running daemon
  version                                 print version information

-config defaults to $OUTPOST_CONFIG, else /etc/outpost/config.yaml.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	env := os.Getenv
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], env, stderr)
	case "check":
		return cmdCheck(args[1:], env, stdout, stderr)
	case "probe":
		return cmdProbe(ctx, args[1:], stdout, stderr)
	case "incident":
		return cmdIncident(ctx, args[1:], env, stdout, stderr)
	case "subscribers":
		return cmdSubscribers(ctx, args[1:], env, stdout, stderr)
	case "backup":
		return cmdBackup(args[1:], env, stdout, stderr)
	case "export":
		return cmdExport(ctx, args[1:], env, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionString())
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "outpost: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}
