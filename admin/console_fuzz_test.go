package admin

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// FuzzSafeNext: whatever a login link says, the browser goes to a path of
// the console on this host, or to /admin/.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/admin/", "/admin/incidents/1?x=y", "//evil", "/admin/../x", "/admin/%2e%2e/", `/admin/\x`, "https://e/admin/", "/admin//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/admin/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /admin/", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/admin/") || strings.Contains(got, `\`) ||
			strings.HasPrefix(got, "//") || strings.Contains(u.Path, "/../") || strings.Contains(u.Path, "//") {
			t.Fatalf("safeNext(%q) = %q leaves the console", next, got)
		}
	})
}

// FuzzDisplayName: an accepted name is trimmed, short and printable.
func FuzzDisplayName(f *testing.F) {
	for _, s := range []string{"alice", "  bob ", "a\x07b", "\u202eevil", strings.Repeat("ä", 65), ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, ok := displayName(in)
		if !ok {
			return
		}
		if name == "" || name != strings.TrimSpace(name) || len([]rune(name)) > maxNameLen {
			t.Fatalf("displayName(%q) accepted %q", in, name)
		}
		for _, r := range name {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("displayName(%q) accepted %q with %U", in, name, r)
			}
		}
	})
}
