//go:build !atrun_small

// The --http dashboard. The router build (-tags atrun_small) leaves it
// out (net/http is a large part of a small binary); see http_small.go.

package main

import (
	"fmt"

	"github.com/atrun/atrun/dashboard"
	"github.com/atrun/atrun/station"
)

// startDashboard serves the --http page for the run or station; the page
// sees every run through cfg.Observer. stop ends it; a non-negative code
// means stop the command.
func (e *env) startDashboard(f *runFlags, cfg *station.Config, targets []station.Target) (stop func(), code int) {
	if f.http == "" {
		return func() {}, -1
	}
	var ports []string
	for _, t := range targets {
		ports = append(ports, t.Port)
	}
	d := dashboard.New(dashboard.Options{Script: cfg.Program.File.Path, Ports: ports, Repeat: f.repeat})
	url, stopPage, err := d.Serve(f.http)
	if err != nil {
		fmt.Fprintln(e.stderr, "atrun: --http:", err)
		return nil, exitUsage
	}
	cfg.Observer = d
	fmt.Fprintf(e.stderr, "atrun: dashboard on %s\n", url)
	if testDashboard != nil {
		beforeStop := testDashboard(url)
		return func() { beforeStop(); stopPage() }, -1
	}
	return stopPage, -1
}

// testDashboard, set by tests, is called with the page's address before
// the first run starts; what it returns is called before the page stops.
var testDashboard func(url string) (beforeStop func())
