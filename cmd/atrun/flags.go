package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/atrun/atrun/lang"
)

// parseFlags parses args for the command cmd ("atrun run"); flags may
// follow positional arguments, as in `atrun run SCRIPT --port P`. A
// mistake is one line, with a did-you-mean for a misspelt flag and where
// the flags are listed: the full list, 70 lines, would push the one line
// that matters off the screen. -h and --help print the full list, on
// stdout, and code is exitOK. A non-negative code means stop with it.
func (e *env) parseFlags(fs *flag.FlagSet, cmd string, args []string) (pos []string, code int) {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() {
		fs.Usage = usage
		fs.SetOutput(e.stderr)
	}()
	pos, err := parseInterleaved(fs, args)
	if err == nil {
		return pos, -1
	}
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stdout)
		if usage != nil {
			usage()
		} else {
			fs.PrintDefaults()
		}
		return nil, exitOK
	}
	fmt.Fprintf(e.stderr, "%s: %s; '%s --help' lists the flags\n", cmd, flagError(fs, err), cmd)
	return nil, exitUsage
}

// flagError rewrites the flag package's error in atrun's words, with the
// nearest flag when the name is unknown.
func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		sort.Strings(names)
		out := "unknown flag " + flagName(name)
		if dym := lang.DidYouMean(name, names); dym != "" {
			q := strings.TrimSuffix(strings.TrimPrefix(dym, " (did you mean "), "?)")
			if best, err := strconv.Unquote(q); err == nil {
				out += " (did you mean " + flagName(best) + "?)"
			}
		}
		return out
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return flagName(strings.TrimLeft(name, "-")) + " needs a value"
	}
	// invalid value "x" for flag -baud: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if val, rest, ok := strings.Cut(rest, " for flag -"); ok {
			name, why, _ := strings.Cut(rest, ": ")
			why = strings.TrimPrefix(why, "parse error")
			if strings.HasPrefix(why, "strconv.") {
				why = ""
			}
			out := flagName(name) + " " + val + ": not a valid value"
			if f := fs.Lookup(name); f != nil {
				out += " (" + flagKind(f) + ")"
			}
			if why != "" {
				out += ": " + why
			}
			return out
		}
	}
	return msg
}

// flagKind names what a flag takes, from its default.
func flagKind(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64, uint, uint64:
			return "want a whole number"
		case float64:
			return "want a number"
		case bool:
			return "want true or false"
		}
		if strings.Contains(fmt.Sprintf("%T", g.Get()), "Duration") {
			return "want a duration such as 500ms or 2s"
		}
	}
	return "see --help"
}

// flagName spells a flag as the README does: -D, -q, --port.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// notApplicable refuses flags that were set but mean nothing for this
// command line, such as replay --port: a flag silently ignored makes the
// user believe a run tested what it did not (a real modem, a port), so it
// is a usage error, before anything is opened. why maps a flag's name to
// the reason it does not apply.
func (e *env) notApplicable(fs *flag.FlagSet, cmd string, why func(name string) string) int {
	var msgs []string
	fs.Visit(func(f *flag.Flag) {
		if r := why(f.Name); r != "" {
			msgs = append(msgs, fmt.Sprintf("%s: %s does not apply: %s", cmd, flagName(f.Name), r))
		}
	})
	for _, m := range msgs {
		fmt.Fprintln(e.stderr, m)
	}
	if len(msgs) > 0 {
		return exitUsage
	}
	return -1
}

// notForCommand says why the flag name, set on the command line, does not
// apply to cmd with the other flags f; "" when it does.
func notForCommand(cmd string, f *runFlags, name string) string {
	simKnob := strings.HasPrefix(name, "sim-")
	serial := name == "baud" || name == "databits" || name == "parity" || name == "stopbits" || name == "rtscts"
	switch cmd {
	case "atrun run":
		if f.simName == "" {
			switch {
			case name == "broker":
				return "it redirects the virtual modem's connections, so it needs --sim (a real modem connects where the flow's params say: -D broker=HOST)"
			case simKnob:
				return "it sets up the virtual modem, so it needs --sim"
			}
			return ""
		}
		switch name {
		case "port", "ports", "match":
			return "--sim runs the flow against a virtual modem instead of a port; give one or the other"
		}
	case "atrun replay":
		switch {
		case name == "port" || name == "ports" || name == "match" || serial:
			return "a replay plays the recording instead of a port"
		case name == "sim" || name == "broker" || simKnob:
			return "a replay plays the recording instead of a virtual modem"
		case name == "repeat" || name == "record" || name == "transcript" || name == "report" ||
			name == "junit" || name == "http" || name == "spool" || name == "dry-run":
			return "atrun replay runs once and writes only the step log (use atrun run for " + flagName(name) + ")"
		}
	case "atrun station":
		switch {
		case name == "port":
			return "a station runs on the devices --match or --ports finds as they are plugged in"
		case name == "sim" || name == "broker" || simKnob:
			return "a station waits for real devices; try the flow against a virtual modem with atrun run --sim"
		case name == "dry-run":
			return "a station runs on devices; atrun run --dry-run prints what a flow would send"
		}
	}
	return ""
}
