// Package testpeer finds the real peer programs that integration tests run
// (kamailio, unbound, promtool, chromium, systemd-analyze, ...).
package testpeer

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of program. Under CI (CI=true) a missing peer
// fails the test, because .ci/run installs it; elsewhere the test is
// skipped with the Debian package to install.
func Require(t testing.TB, program, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("integration peer %s not found (CI installs Debian package %s in .ci/run): %v", program, debianPackage, err)
	}
	t.Skipf("integration peer %s not installed; apt-get install %s", program, debianPackage)
	return ""
}
