// Package deps keeps the package arrows pointing one way: cmd -> runtime
// -> lang and builtins; sim is an independent check of the AT code.
package deps

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/atrun/atrun/"

var forbidden = []struct {
	pkg  string
	deny []string // import path prefixes, relative to the module
}{
	// lang resolves names over expr's syntax tree (its parser), so expr is
	// allowed; compiling and running expressions is runtime's.
	{"lang", []string{"runtime", "builtins", "sim", "cmd", "station", "report"}},
	{"builtins/mqtt", []string{""}}, // standard library only
	{"runtime/at", []string{""}},
	{"runtime/replay", []string{""}},
	{"runtime", []string{"sim", "cmd", "station", "report"}},
	{"sim", []string{"runtime", "cmd", "station", "report", "lang", "builtins"}},
	{"report", []string{"cmd", "station", "sim"}},
	{"station", []string{"cmd", "sim"}},
}

func TestImportArrows(t *testing.T) {
	for _, f := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", mod+f.pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", f.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == mod+f.pkg || strings.HasPrefix(dep, mod+f.pkg+"/") && f.deny[0] != "" {
				continue
			}
			for _, d := range f.deny {
				bad := false
				switch {
				case d == "":
					bad = dep != mod+f.pkg // nothing outside the standard library
				case strings.HasPrefix(d, "github.com/"):
					bad = strings.HasPrefix(dep, d)
				default:
					bad = dep == mod+d || strings.HasPrefix(dep, mod+d+"/")
				}
				if bad {
					t.Errorf("%s imports %s", f.pkg, dep)
				}
			}
		}
	}
}
