package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/runtime/serialport"
	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/broker"
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
	if err := fs.Parse(args); err != nil {
		return exitUsage
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

func (e *env) sim(args []string) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	pty := fs.String("pty", "", "serve on a pseudo-terminal and make LINK a symlink to it")
	listen := fs.String("listen", "", "serve on a TCP address, e.g. tcp://127.0.0.1:7000")
	brokerAddr := fs.String("broker", "", "send every connection the modem opens to this broker (mqtt://host:port); default: an embedded broker")
	knobs := addSimFlags(fs, "", 1)
	quirks := fs.Bool("quirks", false, "list the profile's variants and exit")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: atrun sim PROFILE [--pty LINK | --listen ADDR] [flags]\nprofiles: %s\n", strings.Join(sim.Names(), ", "))
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) == 1 && *quirks {
		fmt.Fprint(e.stdout, quirkHelp(pos[0]))
		return exitOK
	}
	if len(pos) != 1 || (*pty == "") == (*listen == "") {
		fs.Usage()
		return exitUsage
	}
	name := pos[0]
	opts := knobs.options()
	opts.ColdBoot = true
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *brokerAddr == "" {
		b, err := broker.Start("127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun sim: embedded broker:", err)
			return exitTransport
		}
		defer b.Close()
		opts.Broker = b.Addr()
		b.Observe(func(m broker.Message) { fmt.Fprintf(e.stdout, "broker: %s\n", m) })
		fmt.Fprintf(e.stdout, "embedded broker on %s\n", b.Addr())
	} else {
		opts.Broker = *brokerAddr
	}
	if _, ok := sim.Lookup(name); !ok {
		fmt.Fprintf(e.stderr, "atrun sim: unknown profile %q (have: %s)\n", name, strings.Join(sim.Names(), ", "))
		return exitUsage
	}
	if *pty != "" {
		m, err := sim.New(name, opts)
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun sim:", err)
			return exitUsage
		}
		p, err := m.OpenPTY(*pty)
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun sim:", err)
			return exitTransport
		}
		defer p.Close() // removes the link before the process exits
		fmt.Fprintf(e.stdout, "%s on %s (link %s)\n", name, p.Path(), *pty)
		if err := p.Serve(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintln(e.stderr, "atrun sim:", err)
			return exitTransport
		}
		return exitOK
	} else {
		addr, err := sim.ListenTCP(ctx, name, opts, strings.TrimPrefix(*listen, "tcp://"))
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun sim:", err)
			return exitTransport
		}
		fmt.Fprintf(e.stdout, "%s on tcp://%s\n", name, addr)
	}
	<-ctx.Done()
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
