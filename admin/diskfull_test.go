package admin

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/outpost-status/outpost/store"
)

// mountTinyFS mounts a 1 MiB tmpfs at a temporary directory, or skips.
func mountTinyFS(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs Linux and root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "outpost-test", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}

// fillDisk writes a file in dir until the file system is full and returns
// its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return path
		}
	}
}

// TestDiskFullAdminEdits fills the file system under the store while
// admin edits are saved: an edit is either acknowledged and kept, or
// refused with 507 Insufficient Storage; the public page keeps working; once space is back
// edits succeed and the file opens cleanly.
func TestDiskFullAdminEdits(t *testing.T) {
	dir := mountTinyFS(t)
	dbPath := filepath.Join(dir, store.FileName)
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newAdminPublishOn(db, testToken)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	base := srv.URL + "/api/admin/incidents"
	if status, _ := call(t, http.MethodPost, base, testToken,
		`{"name":"before","body":"b","impact":"minor","components":["web"]}`); status != http.StatusCreated {
		t.Fatalf("create before the disk fills: %d", status)
	}
	filler := fillDisk(t, dir)

	acked, refused := "before", 0
	for i := range 50 { // 8 KiB bodies, so the store needs new pages
		name := "full-" + strconv.Itoa(i)
		status, body := call(t, http.MethodPatch, base+"/1", testToken, `{"name":"`+name+`","body":"`+string(fillerText(i))+`"}`)
		switch {
		case status == http.StatusOK:
			acked = name
		case status == http.StatusInsufficientStorage:
			refused++
			if msg, _ := body["error"].(string); !strings.Contains(msg, "disk is full") {
				t.Errorf("edit %d refused without saying why: %v", i, body)
			}
		default:
			t.Fatalf("edit %d on a full disk: status %d %v", i, status, body)
		}
	}
	if status, _ := do(t, http.MethodGet, srv.URL+"/", "", ""); status != http.StatusOK {
		t.Errorf("status page on a full disk: %d", status)
	}
	t.Logf("on a full disk: %d of 50 edits refused, last acknowledged %q", refused, acked)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if status, out := call(t, http.MethodPatch, base+"/1", testToken, `{"name":"after"}`); status != http.StatusOK {
		t.Errorf("edit once space is back: %d %v", status, out)
	} else {
		acked = "after"
	}
	srv.Close()
	if err := db.Close(); err != nil {
		t.Errorf("closing the store: %v", err)
	}
	db, err = store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatalf("reopening after a full disk: %v", err)
	}
	defer db.Close()
	inc, err := db.Incident(1)
	if err != nil || inc.Name != acked {
		t.Errorf("incident 1 after reopening: %q %v, want the last acknowledged name %q", inc.Name, err, acked)
	}
}

// fillerText is an incident body of about 8 KiB that differs per edit.
func fillerText(i int) []byte {
	b := make([]byte, 8<<10)
	for j := range b {
		b[j] = 'a' + byte((i+j)%26)
	}
	return b
}
