package probe

import (
	"testing"

	"github.com/outpost-status/outpost/internal/testpeer"
)

// requirePeer returns the path of a real peer program; see testpeer.Require.
func requirePeer(t testing.TB, program, debianPackage string) string {
	t.Helper()
	return testpeer.Require(t, program, debianPackage)
}
