package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/runtime/replay"
	"github.com/atrun/atrun/runtime/serialport"
	"github.com/atrun/atrun/station"
)

// defines collects repeated -D name=value flags.
type defines map[string]string

func (d defines) String() string { return "" }
func (d defines) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	d[strings.TrimSpace(k)] = v
	return nil
}

type runFlags struct {
	ports        multi
	defs         defines
	varFile      string
	transcript   string
	timeoutScale float64
	lineEnding   string
	serial       serialport.Config
	simName      string
	brokerAddr   string
	sim          *simFlags
	jsonOut      bool
	quiet        bool
	dryRun       bool
	portsGlob    string
	match        string
	reports      multi // --report: JSONL files and postgres:// URLs
	spool        string
	http         string
	junit        string
	record       string
	repeat       int

	// recorded, for replay: the params a recording was made with, given
	// the positional arguments; -D and --var-file override them.
	recorded func(pos []string, prog *runtime.Program) (map[string]string, error)
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func (e *env) runFlagSet(f *runFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f.defs = defines{}
	fs.Var(&f.ports, "port", "serial port ("+serialport.ExampleName()+") or tcp://host:port; default $ATRUN_PORT, the script's `param device`, or the only USB serial port")
	fs.Var(f.defs, "D", "set a param: -D name=value (repeatable)")
	fs.StringVar(&f.varFile, "var-file", "", "read params from a file of name=value lines")
	fs.StringVar(&f.transcript, "transcript", "", "write every byte sent and received, timestamped, secrets redacted, to `FILE`; {port} and {run} expand")
	fs.Float64Var(&f.timeoutScale, "timeout-scale", 1, "multiply every timeout, retry interval and sleep")
	fs.StringVar(&f.lineEnding, "line-ending", "", "what send appends: cr, crlf or lf (default: the script's dialect, else cr)")
	fs.IntVar(&f.serial.Baud, "baud", 115200, "baud rate")
	fs.IntVar(&f.serial.DataBits, "databits", 8, "data bits (5-8)")
	fs.StringVar(&f.serial.Parity, "parity", "none", "parity: none, odd, even, mark, space")
	fs.StringVar(&f.serial.StopBits, "stopbits", "1", "stop bits: 1, 1.5, 2")
	fs.BoolVar(&f.serial.RTSCTS, "rtscts", false, "RTS/CTS hardware flow control")
	addRunSimFlags(fs, f)
	fs.BoolVar(&f.jsonOut, "json", false, "print events and the final summary as JSON lines")
	fs.BoolVar(&f.quiet, "q", false, "print only failures")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print what would be sent, without opening a port")
	fs.StringVar(&f.portsGlob, "ports", "", "run on every port matching this glob, e.g. '"+serialport.ExampleGlob()+"', one session each, in parallel")
	fs.StringVar(&f.match, "match", "", "run on every USB serial port with this VID:PID")
	fs.Var(&f.reports, "report", "append one record per run to `FILE.jsonl`, or insert it into PostgreSQL (postgres://user@host/db); repeatable")
	fs.StringVar(&f.spool, "spool", "", "with --report postgres://...: the `FILE` where records wait while the database is unreachable (default: one under ~/.local/state/atrun)")
	fs.StringVar(&f.http, "http", "", "serve a live dashboard on `ADDR` (:8080 means 127.0.0.1:8080; 0.0.0.0:8080 serves every interface)")
	fs.StringVar(&f.junit, "junit", "", "write a JUnit XML report (one test case per port and run) to `FILE`")
	fs.StringVar(&f.record, "record", "", "record the session (every byte each way, with timing) to `FILE` for atrun replay; {port} and {run} expand")
	fs.IntVar(&f.repeat, "repeat", 1, "run the flow N times per port (burn-in) and report pass rate and step timings")
	return fs
}

// eol is the --line-ending value as bytes; "" leaves it to the script.
func (f *runFlags) eol() string {
	switch strings.ToLower(f.lineEnding) {
	case "cr":
		return "\r"
	case "crlf":
		return "\r\n"
	case "lf":
		return "\n"
	}
	return ""
}

// parseInterleaved parses flags that may follow positional arguments, as
// in `atrun run SCRIPT --port P`.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// prepared is a command line of run, replay or station, parsed: the
// positional arguments, the script loaded and checked, the params
// resolved.
type prepared struct {
	pos    []string
	prog   *runtime.Program
	params map[string]string
}

// prepare parses args (flags may follow positionals), wants npos
// positional arguments, the first being the script, and loads it. A
// non-negative code means stop with that exit code. usage starts with
// the command, "atrun run".
func (e *env) prepare(fs *flag.FlagSet, f *runFlags, args []string, npos int, usage string) (p prepared, code int) {
	words := strings.Fields(usage)
	cmd := strings.Join(words[:2], " ")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: "+usage)
		fs.PrintDefaults()
	}
	pos, code := e.parseFlags(fs, cmd, args)
	if code >= 0 {
		return p, code
	}
	if len(pos) != npos {
		fmt.Fprintf(e.stderr, "usage: %s\n'%s --help' lists the flags\n", usage, cmd)
		return p, exitUsage
	}
	if code := e.notApplicable(fs, cmd, func(name string) string { return notForCommand(cmd, f, name) }); code >= 0 {
		return p, code
	}
	// Checked with --sim too, so that a command line that works against a
	// virtual modem does not fail on the bench for a typo in --parity.
	if err := f.serial.Validate(); err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return p, exitUsage
	}
	prog, err := runtime.Load(pos[0], nil)
	scriptLoaded()
	if err != nil {
		e.printErrors(err)
		return p, exitUsage
	}
	params, err := e.params(f)
	if err != nil {
		fmt.Fprintln(e.stderr, "atrun:", err)
		return p, exitUsage
	}
	if f.recorded != nil {
		base, err := f.recorded(pos, prog)
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun:", err)
			return p, exitUsage
		}
		for k, v := range params {
			base[k] = v
		}
		params = base
	}
	if _, err := prog.ResolveParams(params); err != nil {
		e.printErrors(err)
		return p, exitUsage
	}
	switch strings.ToLower(f.lineEnding) {
	case "", "cr", "crlf", "lf":
	default:
		fmt.Fprintf(e.stderr, "atrun: --line-ending %q: want cr, crlf or lf\n", f.lineEnding)
		return p, exitUsage
	}
	return prepared{pos: pos, prog: prog, params: params}, -1
}

func (e *env) runCmd(args []string) int {
	return e.jsonErrors(args, func() int { return e.runFlow(args) })
}

// jsonErrors runs cmd; with --json on the command line, an error that
// ends it before a run's summary (a bad flag or param, a script that does
// not check, no port) also comes as one JSON line on stdout, as a run's
// summary would: {"event":"finished","status":"error","kind":"usage",...}.
// The words still go to stderr.
func (e *env) jsonErrors(args []string, cmd func() int) int {
	if !jsonRequested(args) {
		return cmd()
	}
	stdout, stderr := e.stdout, e.stderr
	out := &countingWriter{w: stdout}
	var msg strings.Builder
	e.stdout, e.stderr = out, io.MultiWriter(stderr, &msg)
	code := cmd()
	e.stdout, e.stderr = stdout, stderr
	if code == exitOK || out.n > 0 {
		return code
	}
	kind := "usage"
	if code == exitTransport {
		kind = "transport"
	} else if code != exitUsage {
		kind = "failed"
	}
	var lines []string
	for _, l := range strings.Split(msg.String(), "\n") {
		// Not the source line and caret under an error: a JSON reader
		// has the position.
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "    ") {
			lines = append(lines, strings.TrimRight(l, " "))
		}
	}
	m := map[string]any{"event": "finished", "status": "error", "kind": kind, "exit_code": code}
	if len(lines) > 0 {
		m["error"] = strings.TrimPrefix(lines[0], "atrun: ")
		m["messages"] = lines
	}
	writeJSONLine(stdout, m)
	return code
}

// jsonRequested: --json is among args (before any "--").
func jsonRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
}

type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

func (e *env) runFlow(args []string) int {
	var f runFlags
	p, code := e.prepare(e.runFlagSet(&f), &f, args, 1, "atrun run SCRIPT [flags]")
	if code >= 0 {
		return code
	}
	prog, params := p.prog, p.params
	var err error
	if f.dryRun {
		return e.dryRun(prog, params)
	}

	ctx, hard, stop := interrupts()
	defer stop()

	var vm *simSession
	var targets []station.Target
	var open func(string) (io.ReadWriteCloser, error)
	if f.simName != "" {
		var code int
		if vm, code = e.startSim(&f); code >= 0 {
			return code
		}
		defer vm.close()
		open = vm.open
		targets = []station.Target{{Port: vm.port}}
		// The shipped TLS flows take the CA and client certificate as
		// ca_file, client_cert, client_key: unless given, they are the
		// embedded broker's, so that its TLS listeners can be tried.
		for name, path := range vm.tlsParams {
			if _, given := params[name]; !given && prog.Param(name) != nil {
				params[name] = path
			}
		}
	} else {
		if targets, err = e.targets(&f, prog, params); err != nil {
			fmt.Fprintln(e.stderr, "atrun:", err)
			return exitUsage
		}
		open = func(port string) (io.ReadWriteCloser, error) { return openPort(port, f.serial) }
	}
	if len(targets) > 1 && ((f.record != "" && !strings.Contains(f.record, "{port}")) || (f.transcript != "" && !strings.Contains(f.transcript, "{port}"))) {
		fmt.Fprintln(e.stderr, "atrun: with several ports, --record and --transcript need {port} in the file name, e.g. --record 'rec-{port}.txt'")
		return exitUsage
	}
	if f.repeat > 1 && ((f.record != "" && !strings.Contains(f.record, "{run}")) || (f.transcript != "" && !strings.Contains(f.transcript, "{run}"))) {
		fmt.Fprintln(e.stderr, "atrun: with --repeat, --record and --transcript need {run} in the file name, e.g. --record 'rec-{port}-{run}.txt'")
		return exitUsage
	}

	cfg := &station.Config{
		Program:    prog,
		Params:     params,
		Options:    runtime.Options{TimeoutScale: f.timeoutScale, LineEnding: f.eol(), Stop: hard},
		Repeat:     f.repeat,
		Open:       open,
		Record:     f.record,
		RecordMeta: replay.ParamMeta(params, secretParam(prog)),
		Transcript: f.transcript,
	}
	if cfg.Report, code = e.openReports(ctx, &f); code >= 0 {
		return code
	}
	if cfg.Report != nil {
		defer cfg.Report.Close()
	}
	stopDashboard, code := e.startDashboard(&f, cfg, targets)
	if code >= 0 {
		return code
	}
	defer stopDashboard()
	if vm != nil && vm.broker != "" && !f.jsonOut && !f.quiet {
		fmt.Fprintf(e.stdout, "embedded broker on %s\n", vm.broker)
		if vm.tlsNote != "" {
			fmt.Fprintln(e.stdout, vm.tlsNote)
		}
	}
	var recs []report.Record
	if len(targets) == 1 && f.repeat <= 1 {
		recs = e.runSingle(ctx, cfg, targets[0], &f, vm)
	} else {
		recs = e.runMany(ctx, cfg, targets, &f)
	}
	if vm != nil && vm.broker != "" && !f.jsonOut {
		vm.received(e.stdout)
	}
	if vm != nil && vm.failedConnections != nil {
		// The flow's message names the address it asked for; say where
		// --broker sent the connection and why it failed.
		for _, c := range vm.failedConnections() {
			fmt.Fprintf(e.stderr, "virtual modem: connection to %s\n", c)
		}
	}
	if f.junit != "" {
		if err := writeJUnit(f.junit, prog.File.Path, recs); err != nil {
			fmt.Fprintln(e.stderr, "atrun:", err)
			return exitUsage
		}
	}
	return recordsExit(recs)
}

// secretParam reports whether prog declares the param name secret.
func secretParam(prog *runtime.Program) func(string) bool {
	return func(name string) bool {
		p := prog.Param(name)
		return p != nil && p.Secret
	}
}

// simSession is an in-process virtual modem for run --sim (see startSim;
// the router build has none).
type simSession struct {
	port     string // "sim:PROFILE"
	open     func(string) (io.ReadWriteCloser, error)
	broker   string          // the embedded broker's address, if one runs
	received func(io.Writer) // prints what the embedded broker received
	close    func()
	// tlsParams are the embedded broker's throw-away CA and client
	// certificate files, by the param names of the shipped TLS flows
	// (ca_file, client_cert, client_key); tlsNote says where they are.
	tlsParams map[string]string
	tlsNote   string
	// observe, with --json, has every message the embedded broker
	// receives or publishes to the flow passed to f as a JSON event;
	// settle waits (up to a second) for a publish still on its way.
	observe func(f func(map[string]any)) (stop func())
	settle  func()
	// failedConnections are the virtual modem's connections that failed,
	// each naming where it was redirected.
	failedConnections func() []string
}

// runSingle runs on one port with the step log.
func (e *env) runSingle(ctx context.Context, cfg *station.Config, t station.Target, f *runFlags, vm *simSession) []report.Record {
	log := &stepLog{w: e.stdout, json: f.jsonOut, quiet: f.quiet, port: t.Port}
	cfg.OnEvent = func(_ station.Target, _ int, ev runtime.Event) { log.event(ev) }
	if vm != nil && vm.observe != nil && f.jsonOut {
		stop := vm.observe(func(m map[string]any) {
			log.mu.Lock()
			defer log.mu.Unlock()
			m["port"] = t.Port
			log.writeJSON(m)
		})
		defer stop()
	}
	cfg.OnDone = func(rec report.Record, res *runtime.Result, err error) {
		if vm != nil && vm.settle != nil && f.jsonOut {
			vm.settle() // the broker's events before the summary
		}
		e.finish(cfg.Program, res, log, t.Port)
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun: report:", err)
		}
	}
	return cfg.RunAll(ctx, []station.Target{t})
}

// params merges --var-file and -D values (-D wins).
func (e *env) params(f *runFlags) (map[string]string, error) {
	out := map[string]string{}
	if f.varFile != "" {
		file, err := os.Open(f.varFile)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		sc := bufio.NewScanner(file)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				// The line is not echoed: it may be a secret.
				return nil, fmt.Errorf("%s:%d: want name=value (a line of %d bytes without \"=\")", f.varFile, n, len(line))
			}
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	for k, v := range f.defs {
		out[k] = v
	}
	return out, nil
}

// choosePort picks the port: --port, $ATRUN_PORT, the script's `param
// device`, or the only USB serial port present.
func (e *env) choosePort(f *runFlags, prog *runtime.Program, params map[string]string) (string, error) {
	if p := e.getenv("ATRUN_PORT"); p != "" {
		return p, nil
	}
	if vars, err := prog.ResolveParams(params); err == nil {
		if d, ok := vars["device"].(string); ok && d != "" {
			return d, nil
		}
	}
	infos, err := serialport.List()
	if err != nil {
		return "", err
	}
	var usb []serialport.Info
	for _, in := range infos {
		if in.IsUSB {
			usb = append(usb, in)
		}
	}
	if len(usb) == 1 {
		return usb[0].Name, nil
	}
	var b strings.Builder
	if len(usb) == 0 {
		b.WriteString("no port given and no USB serial port found")
	} else {
		b.WriteString("no port given and several USB serial ports found:")
		for _, in := range usb {
			fmt.Fprintf(&b, "\n  %s  %s:%s %s", in.Name, in.VID, in.PID, in.Product)
		}
	}
	fmt.Fprintf(&b, "\nchoose one with --port %s (or set ATRUN_PORT); `atrun ports` lists them", serialport.ExampleName())
	if haveSim {
		b.WriteString("; " + simHint(prog) + " runs against a virtual modem")
	}
	return "", errors.New(b.String())
}

// openPort opens a serial device or a tcp://host:port connection.
func openPort(name string, cfg serialport.Config) (io.ReadWriteCloser, error) {
	if addr, ok := strings.CutPrefix(name, "tcp://"); ok {
		conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return nil, fmt.Errorf("connect %s: %v", name, err)
		}
		return conn, nil
	}
	p, err := serialport.Open(name, cfg)
	if err != nil && looksLikeHostPort(name) {
		return nil, fmt.Errorf("%w; for a TCP port, write --port tcp://%s", err, name)
	}
	return p, err
}

// looksLikeHostPort: 127.0.0.1:7000, localhost:7000, [::1]:7000, a name
// no serial device has, written without tcp://.
func looksLikeHostPort(name string) bool {
	host, port, err := net.SplitHostPort(name)
	if err != nil || host == "" || strings.ContainsAny(host, `/\`) {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// finish prints the outcome and returns the exit code.
func (e *env) finish(prog *runtime.Program, res *runtime.Result, log *stepLog, port string) int {
	code := exitCode(res.Err)
	if log.json {
		log.summary(res, code)
		if res.Err != nil {
			fmt.Fprintln(e.stderr, res.Err)
		}
		return code
	}
	if res.Err == nil {
		if !log.quiet {
			fmt.Fprintf(e.stdout, "PASS %s in %s\n", prog.File.Path, roundMs(res.End.Sub(res.Start)))
		}
		return code
	}
	var le lang.ErrorList
	if errors.As(res.Err, &le) {
		e.printErrors(res.Err)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "FAIL %s\n", res.Err)
	var re *runtime.Error
	if errors.As(res.Err, &re) {
		if src := prog.Source(re.Pos.Filename); src != "" {
			fmt.Fprint(e.stderr, caret(src, re.Pos))
		}
		if len(re.Last) > 0 {
			fmt.Fprintln(e.stderr, "last received:")
			for _, l := range re.Last {
				fmt.Fprintf(e.stderr, "    %q\n", l)
			}
		}
	}
	return code
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var le lang.ErrorList
	if errors.As(err, &le) {
		return exitUsage
	}
	switch runtime.KindOf(err) {
	case runtime.KindTransport:
		return exitTransport
	}
	return exitFailed
}

// roundMs shortens a duration to three significant digits.
func roundMs(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// stepLog renders run events: readable lines, or JSON lines.
type stepLog struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	quiet bool
	port  string

	retryPos lang.Pos // the step being retried, and how often so far
	retries  int
	emitted  map[string]shownValue // --json: the last emit event's value by name
}

// shownValue is a value as --json shows it (runtime.TextOrHex).
type shownValue struct{ text, encoding string }

// retryCause is why a step is retried, without the position and step
// text the retry line already shows.
func retryCause(err error) string {
	var re *runtime.Error
	if errors.As(err, &re) {
		short := *re
		short.Pos, short.Step, short.Calls = lang.Pos{}, "", nil
		return short.Error()
	}
	if err == nil {
		return "retrying"
	}
	return err.Error()
}

func (l *stepLog) event(ev runtime.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.json {
		if ev.Kind == runtime.EvEmit {
			if l.emitted == nil {
				l.emitted = map[string]shownValue{}
			}
			text, enc := ev.ValueText()
			l.emitted[ev.Name] = shownValue{text, enc}
		}
		l.writeJSON(jsonEvent(ev, l.port))
		return
	}
	if l.quiet {
		return
	}
	switch ev.Kind {
	case runtime.EvStep:
		l.retryPos = lang.Pos{}
		line := fmt.Sprintf("%9s  %s", roundMs(ev.Elapsed), ev.Step)
		if len(ev.Captures) > 0 {
			var caps []string
			for _, c := range ev.Captures {
				caps = append(caps, fmt.Sprintf("%s=%s", c.Name, quoteIfNeeded(c.Value)))
			}
			line += "   -> " + strings.Join(caps, " ")
		} else if ev.Matched != "" && !strings.Contains(ev.Step, ev.Matched) {
			line += fmt.Sprintf("   -> %q", ev.Matched)
		}
		fmt.Fprintln(l.w, line)
	case runtime.EvLog:
		fmt.Fprintf(l.w, "%9s  log: %s\n", "", logText(ev))
	case runtime.EvEmit:
		fmt.Fprintf(l.w, "%9s  emit %s = %s\n", "", ev.Name, emitText(ev))
	case runtime.EvHandler:
		fmt.Fprintf(l.w, "%9s  on %q\n", "", ev.Matched)
	case runtime.EvRetry:
		// One short line per retry: the step is at its position, and a
		// silent port retried 30 times must not print it 60 times.
		if ev.Pos != l.retryPos {
			l.retryPos, l.retries = ev.Pos, 0
		}
		l.retries++
		fmt.Fprintf(l.w, "%9s  retry %d at %s: %s\n", "", l.retries, ev.Pos, retryCause(ev.Err))
	case runtime.EvFinally:
		fmt.Fprintf(l.w, "%9s  finally\n", "")
	}
}

// emitText is an emitted value in the step log: quoted when it has spaces
// or control bytes, and as hex:... when it is not UTF-8 (as the records'
// name=hex:value).
func emitText(ev runtime.Event) string {
	if text, enc := ev.ValueText(); enc != "" {
		return enc + ":" + text
	}
	return quoteIfNeeded(ev.Value)
}

// logText is a log line's text, quoted with escapes when it has control
// bytes or is not UTF-8: a modem's stray bytes or escape sequences, logged
// by a script, must not reach the terminal as they are.
func logText(ev runtime.Event) string {
	for _, r := range ev.Value {
		if r == utf8.RuneError || r < ' ' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return strconv.Quote(ev.Value)
		}
	}
	return ev.Value
}

func quoteIfNeeded(s string) string {
	for _, r := range s {
		if r < ' ' || r == '"' || r == ' ' || r > '~' {
			return fmt.Sprintf("%q", s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

func (l *stepLog) writeJSON(v any) { writeJSONLine(l.w, v) }

func writeJSONLine(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	w.Write(append(b, '\n'))
}

func jsonEvent(ev runtime.Event, port string) map[string]any {
	m := map[string]any{"event": string(ev.Kind), "time": ev.Time.Format(time.RFC3339Nano), "port": port}
	if ev.Pos.Filename != "" && ev.Pos.Line > 0 {
		m["pos"] = ev.Pos.String()
	}
	if ev.Step != "" {
		m["step"] = ev.Step
	}
	if ev.Kind == runtime.EvStep {
		m["elapsed_ms"] = float64(ev.Elapsed.Microseconds()) / 1000
	}
	// What the modem sent may be any bytes: those that are not UTF-8 go
	// as hex, named in matched_encoding and captured_encoding.
	if ev.Matched != "" {
		putText(m, "matched", "matched_encoding", ev.Matched)
	}
	if len(ev.Captures) > 0 {
		caps, encs := map[string]string{}, map[string]string{}
		for _, c := range ev.Captures {
			text, enc := runtime.TextOrHex(c.Value)
			caps[c.Name] = text
			if enc != "" {
				encs[c.Name] = enc
			}
		}
		m["captured"] = caps
		if len(encs) > 0 {
			m["captured_encoding"] = encs
		}
	}
	if ev.Name != "" {
		m["name"] = ev.Name
	}
	if ev.Value != "" || ev.Kind == runtime.EvEmit || ev.Kind == runtime.EvLog {
		putText(m, "value", "encoding", ev.Value) // "encoding", as the records name it
	}
	if ev.Err != nil {
		m["error"] = ev.Err.Error()
	}
	return m
}

// putText sets m[key] to s, or to its hex with m[encKey] = "hex" when s is
// not UTF-8 (runtime.TextOrHex).
func putText(m map[string]any, key, encKey, s string) {
	text, enc := runtime.TextOrHex(s)
	m[key] = text
	if enc != "" {
		m[encKey] = enc
	}
}

func (l *stepLog) summary(res *runtime.Result, code int) {
	m := map[string]any{"event": "finished", "port": l.port, "status": "pass", "exit_code": code,
		"duration_ms": float64(res.End.Sub(res.Start).Microseconds()) / 1000}
	// The values as the emit events showed them (text, secrets masked,
	// hex named in emitted_encoding), so that a value has one form in the
	// events, the summary and the records. Every emit was an event.
	emitted, encodings := map[string]any{}, map[string]any{}
	for name, v := range l.emitted {
		emitted[name] = v.text
		if v.encoding != "" {
			encodings[name] = v.encoding
		}
	}
	if len(emitted) > 0 {
		m["emitted"] = emitted
	}
	if len(encodings) > 0 {
		m["emitted_encoding"] = encodings
	}
	if res.Err != nil {
		m["status"] = "fail"
		m["error"] = res.Err.Error()
		var re *runtime.Error
		if errors.As(res.Err, &re) {
			m["kind"] = string(re.Kind)
			if re.Pos.Line > 0 { // a transport error may have no position
				m["pos"] = re.Pos.String()
			}
			m["step"] = re.Step
			var last []string // null when nothing came
			for _, l := range re.Last {
				last = append(last, runtime.EscapeInvalid(l))
			}
			m["last_received"] = last
		} else {
			m["kind"] = "usage"
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeJSON(m)
}
