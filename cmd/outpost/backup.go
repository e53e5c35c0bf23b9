package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/outpost-status/outpost/config"
	"github.com/outpost-status/outpost/store"
)

// cmdBackup writes a compacted copy of the database while the daemon is
// stopped. A running daemon holds the lock; then the consistent hot copy
// comes from its admin API (GET /api/admin/backup), with the token from
// OUTPOST_TOKEN or the configured admin token.
func cmdBackup(args []string, env func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := configFlag(fs, env)
	dbPath := fs.String("db", "", "database `FILE` (default: data_dir/"+store.FileName+" from -config)")
	out := fs.String("out", "", "write the copy to `FILE` (required)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return exitUsage
	}
	if *out == "" {
		fmt.Fprintln(stderr, "outpost backup: -out FILE is required")
		return exitUsage
	}
	src := *dbPath
	var cfg *config.Config
	if src == "" {
		var err error
		if cfg, err = loadConfig(*cfgPath, env); err != nil {
			fmt.Fprintf(stderr, "outpost: invalid configuration:\n%v\n", err)
			return exitFail
		}
		src = filepath.Join(cfg.DataDir, store.FileName)
	}
	size, err := store.CopyFile(src, *out, 0)
	if errors.Is(err, store.ErrLocked) {
		size, err = hotBackup(cfg, env, *out)
		if err != nil {
			fmt.Fprintf(stderr, "outpost: %s is locked by a running outpost and the hot copy through its admin API (GET /api/admin/backup) failed: %v\n"+
				"set OUTPOST_SERVER and OUTPOST_TOKEN, or stop the daemon\n", src, err)
			return exitFail
		}
		fmt.Fprintf(stdout, "%s: hot copy from the running outpost (%d bytes)\n", *out, size)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "outpost: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: compacted copy of %s (%d bytes)\n", *out, src, size)
	return exitOK
}

// hotBackup downloads the running daemon's consistent copy to out,
// atomically, and checks that it opens as an outpost database.
func hotBackup(cfg *config.Config, env func(string) string, out string) (int64, error) {
	server, token := env("OUTPOST_SERVER"), env("OUTPOST_TOKEN")
	if cfg != nil {
		if server == "" {
			host, port, _ := net.SplitHostPort(cfg.Listen)
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			server = "http://" + net.JoinHostPort(host, port)
		}
		if token == "" {
			t, _ := config.AdminToken(cfg, env)
			token = t.Reveal()
		}
	}
	if server == "" || token == "" {
		return 0, errors.New("no admin API address or token")
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(server, "/")+"/api/admin/backup", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("admin API answered %s", resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".outpost-backup-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, resp.Body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	db, err := store.Open(tmp.Name(), store.Options{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("downloaded copy does not open: %w", err)
	}
	if err := db.Close(); err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), out)
}
