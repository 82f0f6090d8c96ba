package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/atrun/atrun/sim"
)

// simFlags are the virtual modem's knobs, shared by `atrun sim` (no
// prefix) and `atrun run --sim` (prefix "sim-").
type simFlags struct {
	opts   sim.Options
	quirks defines
}

func addSimFlags(fs *flag.FlagSet, prefix string, scale float64) *simFlags {
	f := &simFlags{quirks: defines{}}
	o := &f.opts
	fs.Float64Var(&o.TimeScale, prefix+"time-scale", scale, "scale of the modem's modelled delays (0 instant, 1 realistic)")
	fs.DurationVar(&o.Latency, prefix+"latency", 0, "fault: delay before each response")
	fs.IntVar(&o.Baud, prefix+"baud", 0, "fault: throttle the modem's output to this baud rate")
	fs.IntVar(&o.Chunk, prefix+"chunk", 0, "fault: split output into random writes of 1..N bytes")
	fs.Float64Var(&o.DropRate, prefix+"drop", 0, "fault: drop this fraction of response lines (0-1)")
	fs.Float64Var(&o.GarbleRate, prefix+"garble", 0, "fault: corrupt this fraction of response lines (0-1)")
	fs.StringVar(&o.InjectURC, prefix+"inject", "", "fault: inject this unsolicited line between output lines")
	fs.IntVar(&o.InjectEvery, prefix+"inject-every", 0, "fault: inject before every N-th output line")
	fs.DurationVar(&o.RemoteCloseAfter, prefix+"remote-close", 0, "fault: the remote end closes sockets and MQTT sessions after this long")
	fs.IntVar(&o.RemoteCloseSends, prefix+"remote-close-sends", 0, "fault: the remote end closes after this many sends or publishes")
	fs.IntVar(&o.RebootAfter, prefix+"reboot-after", 0, "fault: the modem reboots after the N-th command")
	fs.Int64Var(&o.Seed, prefix+"seed", 0, "seed for every random fault")
	fs.Var(f.quirks, prefix+"quirk", "select a profile variant: name=value (repeatable; see atrun sim --quirks PROFILE)")
	return f
}

func (f *simFlags) options() sim.Options {
	o := f.opts
	if len(f.quirks) > 0 {
		o.Quirks = map[string]string(f.quirks)
	}
	return o
}

// quirkHelp describes a profile's variants.
func quirkHelp(name string) string {
	p, ok := sim.Lookup(name)
	if !ok {
		return fmt.Sprintf("unknown profile %q (have: %s)", name, strings.Join(sim.Names(), ", "))
	}
	var b strings.Builder
	for _, set := range []map[string]sim.Quirk{p.Quirks, sim.EngineQuirks()} {
		for _, k := range sortedKeys(set) {
			q := set[k]
			fmt.Fprintf(&b, "%s: %s\n    values: %s (default %s)\n", k, q.Doc, strings.Join(q.Values, ", "), q.Default())
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
