// Package layout holds the test that keeps the package layout honest:
// dependencies point one way, so that a newcomer can find where a thing
// lives and a change in one concept does not ripple through the others.
package layout

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/outpost-status/outpost/"

// allowed lists, per package, the project packages its production code
// may import. Commands (cmd/...) wire everything and may import anything;
// tests may import what they need to set up real peers.
var allowed = map[string][]string{
	// Leaves.
	"text":              {},
	"internal/accept":   {},
	"internal/httpjson": {},
	"internal/testpeer": {},
	"internal/cdp":      {}, // a DevTools client for browser tests; no command imports it
	"probe":             {}, // probers know nothing of configuration, storage or metrics
	"config":            {"text"},
	"store":             {"config"},
	// The engine.
	"monitor":  {"config", "probe", "store", "text", "incident"},
	"incident": {"config", "probe", "store", "text"},
	// Readers of the engine: they do not import each other.
	"notify":            {"config", "monitor", "incident", "probe", "store", "text"},
	"notify/notifytest": {"notify", "store"},
	"metrics":           {"config", "monitor", "incident", "probe", "store", "text", "internal/accept"},
	"publish":           {"config", "monitor", "incident", "probe", "store", "text", "internal/accept", "internal/httpjson"},
	"admin":             {"config", "monitor", "incident", "probe", "store", "text", "internal/accept", "internal/httpjson"},
}

// thirdParty lists, per package, the modules outside the standard library
// its production code may import; packages not listed may import any
// module of go.mod.
var thirdParty = map[string][]string{
	"probe": {"github.com/miekg/dns", "golang.org/x/net", "golang.org/x/sys"},
	"text":  {},
}

// TestImportRules fails when a package imports one it must not.
func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	imports, err := productionImports(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < 8 {
		t.Fatalf("found only %d packages under %s", len(imports), root)
	}
	for _, pkg := range sortedKeys(imports) {
		if pkg == "cmd" || strings.HasPrefix(pkg, "cmd/") {
			continue
		}
		rule, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s has no import rule; add it to allowed in internal/layout", pkg)
			continue
		}
		for _, imp := range imports[pkg] {
			if own, ok := strings.CutPrefix(imp, module); ok {
				if !slices.Contains(rule, own) {
					t.Errorf("%s imports %s; it may import only %v (see SPEC §2 and README Layout)", pkg, own, rule)
				}
				continue
			}
			mods, listed := thirdParty[pkg]
			if !listed || !strings.Contains(strings.Split(imp, "/")[0], ".") {
				continue // the standard library, or no third-party rule
			}
			if !slices.ContainsFunc(mods, func(m string) bool { return imp == m || strings.HasPrefix(imp, m+"/") }) {
				t.Errorf("%s imports %s; outside the standard library it may import only %v", pkg, imp, mods)
			}
		}
	}
}

// productionImports maps every package directory below root (relative,
// slash-separated) to the imports of its non-test files.
func productionImports(root string) (map[string][]string, error) {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		for _, spec := range f.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			if !slices.Contains(out[pkg], imp) {
				out[pkg] = append(out[pkg], imp)
			}
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		return nil
	})
	if _, statErr := os.Stat(filepath.Join(root, "go.mod")); statErr != nil {
		return nil, statErr
	}
	return out, err
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
