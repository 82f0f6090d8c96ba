package sim_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoRuntimeImports keeps the virtual modems an independent check of the
// host side: nothing under sim/ may import atrun's runtime packages.
func TestNoRuntimeImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/atrun/atrun/sim/...").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v: %s", err, out) // another package may be mid-edit
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/atrun/atrun/runtime") || strings.HasPrefix(p, "github.com/atrun/atrun/lang") {
			t.Errorf("sim depends on %s", p)
		}
	}
}
