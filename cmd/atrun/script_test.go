package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/atrun/atrun/sim"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"atrun": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI transcripts in testdata/script. The command
// `simpty PROFILE LINK` serves a virtual modem on a pseudo-terminal for
// the rest of the script, so that atrun reaches it through the real
// serial port code.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("ROOT", root)
			e.Setenv("ATRUN_PORT", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"simpty": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: simpty PROFILE LINK")
				}
				ctx, cancel := context.WithCancel(context.Background())
				ts.Defer(cancel)
				if _, err := sim.ServePTY(ctx, args[0], sim.Options{}, ts.MkAbs(args[1])); err != nil {
					ts.Fatalf("simpty: %v", err)
				}
			},
		},
	})
}
