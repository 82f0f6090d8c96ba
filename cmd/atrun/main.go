// Command atrun runs declarative AT-command scripts against modems.
//
//	atrun run SCRIPT [--port P] [-D name=value ...]   run a flow (a bare SCRIPT means run)
//	atrun check FILE...                               parse and check, touching no port
//	atrun fmt [-w] [-l] FILE...                       canonical formatting
//	atrun eval EXPR                                   evaluate an expression with the builtins
//	atrun replay SCRIPT RECORDING                     run against a recorded session
//	atrun station SCRIPT --match VID:PID              run on each device as it is plugged in
//	atrun sim PROFILE [--pty LINK | --listen ADDR]    serve a virtual modem
//	atrun ports                                       list serial ports
//	atrun records export --report postgres://...      device records as CSV
//	atrun lsp                                         language server for editors, on stdio
//	atrun help [builtins]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK        = 0 // success
	exitFailed    = 1 // the script failed: expect, abort, modem error, fail, timeout
	exitUsage     = 2 // usage, parse or check error; nothing was sent
	exitTransport = 3 // the port or connection failed
)

func main() {
	startupGC(os.Args[1:])
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return e.runCmd(rest)
	case "check":
		return e.check(rest)
	case "fmt":
		return e.fmt(rest)
	case "eval":
		return e.eval(rest)
	case "sim":
		return e.sim(rest)
	case "replay":
		return e.replayCmd(rest)
	case "station":
		return e.stationCmd(rest)
	case "ports":
		return e.ports(rest)
	case "records":
		return e.records(rest)
	case "lsp":
		return e.lspCmd(rest)
	case "help", "-h", "--help", "-help":
		return e.help(rest)
	case "version", "--version":
		fmt.Fprintln(stdout, "atrun", version+buildNote)
		return exitOK
	}
	if isScriptPath(cmd) {
		return e.runCmd(args)
	}
	fmt.Fprintf(stderr, "atrun: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

var version = "dev"

const usage = `usage:
  atrun run SCRIPT [--port P] [-D name=value ...]   run a flow against a modem
  atrun SCRIPT [flags]                              same as run
  atrun check FILE...                               parse and check scripts, touching no port
  atrun fmt [-w] [-l] FILE...                       format scripts canonically
  atrun eval EXPR                                   evaluate an expression (bytes print as hex)
  atrun replay SCRIPT RECORDING                     run a script against a recorded session
  atrun station SCRIPT --match VID:PID              run the flow on every device as it is plugged in
  atrun sim PROFILE [--pty LINK | --listen ADDR]    serve a virtual modem for other tools
  atrun ports                                       list serial ports with USB identity
  atrun records export --report postgres://...      device records from PostgreSQL as CSV
  atrun lsp                                         language server for editors (on stdin/stdout)
  atrun help [builtins]                             this help, or the builtin functions

Run 'atrun run -h' for the flags of run.
Exit codes: 0 success, 1 the script failed, 2 usage or script error, 3 transport error.
`

// interrupts returns a context ended by the first Ctrl-C or SIGTERM (the
// steps stop, finally runs) and one ended by the second (finally stops).
func interrupts() (first, second context.Context, stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	first, cancel1 := context.WithCancel(context.Background())
	second, cancel2 := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-ch:
				if n == 1 {
					cancel1()
					continue
				}
				cancel2()
				return
			case <-done:
				return
			}
		}
	}()
	return first, second, func() {
		signal.Stop(ch)
		close(done)
		cancel1()
		cancel2()
	}
}
