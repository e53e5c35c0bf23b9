package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/outpost-status/outpost/store"
)

// cmdBackup writes a compacted copy of the database while the daemon is
// stopped. A running daemon holds the lock; its hot copy comes from the
// admin API.
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
	if src == "" {
		cfg, err := loadConfig(*cfgPath, env)
		if err != nil {
			fmt.Fprintf(stderr, "outpost: invalid configuration:\n%v\n", err)
			return exitFail
		}
		src = filepath.Join(cfg.DataDir, store.FileName)
	}
	size, err := store.CopyFile(src, *out, 0)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(stderr, "outpost: %s is locked by a running outpost; take a hot copy through the admin API instead:\n"+
			"  curl -H 'Authorization: Bearer TOKEN' -o %s http://LISTEN/api/admin/backup\n", src, *out)
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(stderr, "outpost: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: compacted copy of %s (%d bytes)\n", *out, src, size)
	return exitOK
}
