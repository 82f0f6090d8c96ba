package main

import (
	"os"
	"runtime/debug"
	"strings"
)

// Loading a script is a burst of short-lived garbage: participle builds
// its parser from the grammar, then parses, and the expressions compile.
// A collection in the middle of it only delays the first command, so the
// commands that load a script start with a looser GC target and go back
// to the default once the script is loaded, as cmd/compile does for its
// own start. A GOGC the user set is left alone.
const startupGCPercent = 400

// scriptLoaded restores the default GC target; prepare calls it once the
// script is loaded, before a run that may last.
var scriptLoaded = func() {}

func startupGC(args []string) {
	if os.Getenv("GOGC") != "" || len(args) == 0 {
		return
	}
	switch cmd := args[0]; {
	case cmd == "run", cmd == "check", cmd == "fmt", cmd == "replay", cmd == "station", isScriptPath(cmd):
		old := debug.SetGCPercent(startupGCPercent)
		scriptLoaded = func() { debug.SetGCPercent(old) }
	}
}

// isScriptPath tells a script given in place of a command: a bare script
// path means run.
func isScriptPath(arg string) bool {
	return strings.HasSuffix(arg, ".at") || strings.ContainsAny(arg, `/`+string(os.PathSeparator))
}
