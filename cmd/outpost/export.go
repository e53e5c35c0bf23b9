package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/outpost-status/outpost/publish"
)

// maxExportDocument bounds one fetched document.
const maxExportDocument = 64 << 20

// cmdExport writes a static snapshot of the public site. The daemon holds
// the database lock, so the snapshot comes from the running daemon over
// HTTP: the list of paths from /api/v1/export.json (the same list the
// daemon's own static export uses), then each document.
func cmdExport(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the export to `DIR` (replaced atomically)")
	server := fs.String("server", env("OUTPOST_SERVER"), "daemon `URL` (env OUTPOST_SERVER; default: the config's listen address)")
	path := configFlag(fs, env)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return exitUsage
	}
	if *out == "" {
		fmt.Fprintln(stderr, "outpost export: -out DIR is required")
		return exitUsage
	}
	if *server == "" {
		cfg, err := loadConfig(*path, env)
		if err != nil {
			fmt.Fprintf(stderr, "outpost export: no -server or OUTPOST_SERVER, and the configuration is invalid:\n%v\n", err)
			return exitFail
		}
		*server = listenURL(cfg.Listen)
	}
	c := exportClient{server: strings.TrimSuffix(*server, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	paths, err := c.paths(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "outpost export: %v\n", err)
		return exitFail
	}
	n, err := publish.WriteExport(ctx, *out, paths, c.fetch)
	if err != nil {
		fmt.Fprintf(stderr, "outpost export: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "exported %d files from %s to %s\n", n, c.server, *out)
	return exitOK
}

// listenURL turns a listen address into a URL to reach it locally.
func listenURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

type exportClient struct {
	server string
	http   *http.Client
}

func (c exportClient) paths(ctx context.Context) ([]string, error) {
	body, err := c.fetch(ctx, "/api/v1/export.json")
	if err != nil {
		return nil, err
	}
	var list struct {
		Paths []string `json:"paths"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("read the export list from %s: %w", c.server, err)
	}
	if len(list.Paths) == 0 {
		return nil, errors.New("the daemon listed nothing to export")
	}
	return list.Paths, nil
}

func (c exportClient) fetch(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach %s: %w (is the daemon running? set -server or OUTPOST_SERVER)", c.server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxExportDocument))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return body, nil
}
