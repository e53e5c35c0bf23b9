package probe

import (
	"os"
	"os/exec"
	"testing"
)

// requirePeer returns the path of a real peer program for an integration
// test. Under CI (CI=true) a missing peer fails the test, because .ci/run is
// supposed to install it; elsewhere the test is skipped with a hint.
func requirePeer(t testing.TB, program, debianPackage string) string {
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
