package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the open database to w from one read
// transaction, while writers go on. The copy is not compacted: it has the
// size of the live file. It returns the bytes written.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup %s: %w", db.path, err)
	}
	return n, nil
}

// compactTxSize bounds one transaction of CopyFile's compaction.
const compactTxSize = 64 << 20

// CopyFile writes a compacted copy of the database file src to dst while
// no process has src open for writing: a running outpost holds the lock,
// and CopyFile fails with ErrLocked after lockTimeout (default 1 s). bbolt
// never shrinks its file; the copy holds only live pages. It is written to
// a temporary file next to dst, synced and renamed, so dst is either the
// old file or the complete copy. It returns the size of the copy.
func CopyFile(src, dst string, lockTimeout time.Duration) (int64, error) {
	if lockTimeout <= 0 {
		lockTimeout = time.Second
	}
	if _, err := os.Stat(src); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	in, err := openBolt(src, lockTimeout, true)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(tmpPath) // fails harmlessly after the rename
	if err := compactInto(in, tmpPath); err != nil {
		return 0, fmt.Errorf("store: backup %s to %s: %w", src, dst, err)
	}
	size, err := syncFile(tmpPath)
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Rename(tmpPath, dst); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	if _, err := syncFile(filepath.Dir(dst)); err != nil {
		return 0, fmt.Errorf("store: backup: sync directory: %w", err)
	}
	return size, nil
}

func compactInto(src *bolt.DB, path string) error {
	out, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	// Grow the file only as far as the pages need, not in 16 MB steps
	// or to the next power of two.
	out.AllocSize = os.Getpagesize()
	return errors.Join(bolt.Compact(out, src, compactTxSize), out.Close())
}

// syncFile fsyncs the file or directory at path and returns its size.
func syncFile(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
