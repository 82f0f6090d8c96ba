package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/runtime/serialport"
	"github.com/expr-lang/expr"
)

func (e *env) eval(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(e.stderr, "usage: atrun eval 'EXPR'   (e.g. atrun eval 'hex(mqtt_connect(\"dev1\"))')")
		return exitUsage
	}
	opts := append([]expr.Option{expr.Env(map[string]any{})}, builtins.ExprOptions()...)
	prog, err := expr.Compile(args[0], opts...)
	if err != nil {
		fmt.Fprintf(e.stderr, "atrun eval: %v\n", err)
		return exitUsage
	}
	// A misspelt key in an option map written out in the call is a
	// mistake in what was typed: a usage error, as check reports it.
	if errs := runtime.CheckOptions(&lang.Expr{Source: args[0]}, prog.Node(), false); len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(e.stderr, "atrun eval: %s\n", err.Msg)
		}
		return exitUsage
	}
	v, err := expr.Run(prog, map[string]any{})
	if err != nil {
		fmt.Fprintf(e.stderr, "atrun eval: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(e.stdout, formatValue(v))
	return exitOK
}

// formatValue prints a value; byte strings that are not text print as hex.
func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) || strings.ContainsFunc(x, func(r rune) bool { return r < ' ' && r != '\t' && r != '\n' }) {
			return strings.ToUpper(hex.EncodeToString([]byte(x)))
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, el := range x {
			parts[i] = formatValue(el)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			s := formatValue(x[k])
			if str, ok := x[k].(string); ok && s == str {
				s = fmt.Sprintf("%q", str)
			}
			parts[i] = k + ": " + s
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func (e *env) help(args []string) int {
	if len(args) == 1 && args[0] == "builtins" {
		for _, f := range builtins.All() {
			fmt.Fprintf(e.stdout, "%s\n    %s\n", f.Signature, f.Doc)
		}
		return exitOK
	}
	fmt.Fprint(e.stdout, usage)
	return exitOK
}

func (e *env) ports(args []string) int {
	fs := flag.NewFlagSet("ports", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	match := fs.String("match", "", "only USB ports with this VID:PID")
	if _, code := e.parseFlags(fs, "atrun ports", args); code >= 0 {
		return code
	}
	infos, err := serialport.List()
	if err != nil {
		fmt.Fprintln(e.stderr, "atrun ports:", err)
		return exitTransport
	}
	if *match != "" {
		if infos, err = serialport.Match(infos, *match); err != nil {
			fmt.Fprintln(e.stderr, "atrun ports:", err)
			return exitUsage
		}
	}
	if len(infos) == 0 {
		fmt.Fprintln(e.stderr, "no serial ports found")
		return exitOK
	}
	for _, in := range infos {
		if in.IsUSB {
			fmt.Fprintf(e.stdout, "%-16s %s:%s  serial=%s  %s\n", in.Name, in.VID, in.PID, in.Serial, in.Product)
		} else {
			fmt.Fprintf(e.stdout, "%-16s\n", in.Name)
		}
	}
	return exitOK
}

// dryRun prints what the script would send, without a port, stopping at
// the first step that depends on the modem's answer.
func (e *env) dryRun(prog *runtime.Program, params map[string]string) int {
	lines, stop, err := prog.DryRun(params)
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	if stop != "" {
		fmt.Fprintln(e.stdout, stop)
	}
	if err != nil {
		var re *runtime.Error
		if errors.As(err, &re) {
			fmt.Fprintln(e.stderr, err)
			return exitFailed
		}
		e.printErrors(err)
		return exitUsage
	}
	return exitOK
}
