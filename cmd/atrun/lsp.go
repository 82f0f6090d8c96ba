package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/atrun/atrun/lsp"
)

// lspCmd serves the Language Server Protocol on stdin and stdout, for
// editors (editors/vscode starts it). --stdio is accepted because
// language clients pass it; stdio is the only transport.
func (e *env) lspCmd(args []string) int {
	fs := flag.NewFlagSet("lsp", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Bool("stdio", true, "talk over stdin and stdout (the only transport)")
	fs.Usage = func() { fmt.Fprintln(e.stderr, "usage: atrun lsp [--stdio]") }
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	if err := lsp.Serve(context.Background(), e.stdin, e.stdout, lsp.Options{Log: e.stderr}); err != nil {
		fmt.Fprintln(e.stderr, "atrun lsp:", err)
		return exitFailed
	}
	return exitOK
}
