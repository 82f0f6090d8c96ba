package sim_test

import (
	"slices"
	"testing"

	"github.com/atrun/atrun/sim"
)

// A profile registered with RegisterFunc is listed at once but built only
// when first looked up, and once.
func TestRegisterFuncBuildsOnFirstUse(t *testing.T) {
	builds := 0
	sim.RegisterFunc("Lazy-Test", func() sim.Profile {
		builds++
		return sim.Profile{Name: "lazy-test", Commands: map[string]sim.Handler{"+x": nil}}
	})
	if !slices.Contains(sim.Names(), "lazy-test") || builds != 0 {
		t.Fatalf("names %v after %d builds; want lazy-test listed and nothing built", sim.Names(), builds)
	}
	for range 2 {
		p, ok := sim.Lookup("LAZY-TEST")
		if !ok || p.Name != "lazy-test" {
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
