package sim_test

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atrun/atrun/sim"
)

// lazyRuns names each run's profile apart: the registry is global, and
// go test -count=2 runs the test twice in one process.
var lazyRuns atomic.Int32

// A profile registered with RegisterFunc is listed at once but built only
// when first looked up, and once.
func TestRegisterFuncBuildsOnFirstUse(t *testing.T) {
	builds := 0
	name := fmt.Sprintf("lazy-test-%d", lazyRuns.Add(1))
	sim.RegisterFunc(strings.ToUpper(name[:1])+name[1:], func() sim.Profile {
		builds++
		return sim.Profile{Name: name, Commands: map[string]sim.Handler{"+x": nil}}
	})
	if !slices.Contains(sim.Names(), name) || builds != 0 {
		t.Fatalf("names %v after %d builds; want %s listed and nothing built", sim.Names(), builds, name)
	}
	for range 2 {
		p, ok := sim.Lookup(strings.ToUpper(name))
		if !ok || p.Name != name {
			t.Fatalf("Lookup: %q, %v", p.Name, ok)
		}
		if _, ok := p.Commands["+X"]; !ok {
			t.Errorf("commands %v, want +X upper-cased", p.Commands)
		}
	}
	if builds != 1 {
		t.Errorf("built %d times, want 1", builds)
	}
}
