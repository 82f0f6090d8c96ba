//go:build atrun_small

package main

import (
	"fmt"

	"github.com/atrun/atrun/station"
)

// startDashboard: the router build has no dashboard.
func (e *env) startDashboard(f *runFlags, _ *station.Config, _ []station.Target) (stop func(), code int) {
	if f.http == "" {
		return func() {}, -1
	}
	fmt.Fprintln(e.stderr, "atrun: --http is not in this build: this is the router build of atrun (-tags atrun_small), which leaves out the web dashboard; use a full build on a PC, or --json for machine-readable progress")
	return nil, exitUsage
}
