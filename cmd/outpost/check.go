package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/monitor"
	"github.com/outpost-status/outpost/probe"
)

// configFlag registers -config with its default from the environment.
func configFlag(fs *flag.FlagSet, env func(string) string) *string {
	def := env("OUTPOST_CONFIG")
	if def == "" {
		def = "/etc/outpost/config.yaml"
	}
	return fs.String("config", def, "configuration `FILE` (env OUTPOST_CONFIG)")
}

func loadConfig(path string, env func(string) string) (*config.Config, error) {
	return config.Load(path, config.Options{
		ValidateTarget: func(raw string) error { _, err := probe.ParseTarget(raw); return err },
		Getenv:         env,
	})
}

func cmdCheck(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := configFlag(fs, env)
	askPeers := fs.Bool("peers", true, "ask each of peers for its checks and warn when they differ (false: offline)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return exitUsage
	}
	cfg, err := loadConfig(*path, env)
	if err != nil {
		if list := config.List(err); len(list) > 0 {
			for _, e := range list {
				fmt.Fprintln(stderr, e)
			}
		} else {
			fmt.Fprintf(stderr, "outpost: %v\n", err)
		}
		return exitFail
	}
	checks := 0
	for _, c := range cfg.Components {
		checks += len(c.Checks)
	}
	fmt.Fprintf(stdout, "%s: OK (%d components, %d checks)\n", *path, len(cfg.Components), checks)
	if *askPeers && len(cfg.Peers) > 0 {
		client := monitor.NewPeerClient(monitor.PeerClientOptions{Peers: monitor.PeersFromConfig(cfg), Timeout: cfg.Confirm.Timeout.D()})
		checkPeers(context.Background(), cfg, client, stderr)
	}
	return exitOK
}
