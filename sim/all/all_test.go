package all_test

import (
	"slices"
	"testing"

	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/all"
)

func TestAllRegistered(t *testing.T) {
	names := sim.Names()
	for _, want := range []string{"sim7000", "sara-r4", "bc26", "ec20", "esp8266", "esp32", "sim8200", "air780"} {
		if !slices.Contains(names, want) {
			t.Errorf("profile %q not registered; have %v", want, names)
		}
		if _, err := sim.New(want, sim.Options{}); err != nil {
			t.Errorf("sim.New(%q): %v", want, err)
		}
	}
}
