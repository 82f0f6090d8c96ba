//go:build atrun_small

// The router build: no virtual modems, no embedded broker (together nearly
// half of the binary on linux/mipsle), so atrun sim and run --sim say so
// instead.

package main

import (
	"flag"
	"fmt"

	"github.com/atrun/atrun/runtime"
)

const notInBuild = "not in this build: this is the router build of atrun (-tags atrun_small), which leaves out the virtual modems and the embedded MQTT broker; use a full build on a PC (go install github.com/atrun/atrun/cmd/atrun@latest), or try a change without hardware with atrun replay SCRIPT RECORDING"

// haveSim: this build has the virtual modems.
const haveSim = false

// buildNote is printed by atrun version.
const buildNote = " (router build: no virtual modems, no embedded broker)"

type simFlags struct{} // no knobs without a modem

// addRunSimFlags keeps --sim and --broker so that using them says why they
// do not work rather than "flag provided but not defined".
func addRunSimFlags(fs *flag.FlagSet, f *runFlags) {
	fs.StringVar(&f.simName, "sim", "", "virtual modems are not in this build")
	fs.StringVar(&f.brokerAddr, "broker", "", "with --sim; not in this build")
	f.sim = &simFlags{}
}

func simHint(*runtime.Program) string { return "" }

func (e *env) startSim(*runFlags) (*simSession, int) {
	fmt.Fprintln(e.stderr, "atrun: --sim is "+notInBuild)
	return nil, exitUsage
}

func (e *env) sim([]string) int {
	fmt.Fprintln(e.stderr, "atrun sim: "+notInBuild)
	return exitUsage
}
