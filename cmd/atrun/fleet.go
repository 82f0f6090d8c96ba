package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/runtime/serialport"
	"github.com/atrun/atrun/station"
)

// targets resolves --port (repeatable), --ports GLOB and --match VID:PID,
// or the single default port.
func (e *env) targets(f *runFlags, prog *runtime.Program, params map[string]string) ([]station.Target, error) {
	var out []station.Target
	seen := map[string]bool{}
	add := func(t station.Target) {
		if k := serialport.Key(t.Port); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	// Only a --report shows a port's USB identity, and listing is not free:
	// go.bug.st/serial opens every /dev/ttyS* to see if it is real (setting
	// it to 9600 8N1), milliseconds at each start on a port never used.
	infos := sync.OnceValue(func() []serialport.Info { in, _ := serialport.List(); return in })
	usb := func(port string) report.USB {
		if len(f.reports) == 0 {
			return report.USB{}
		}
		in, _ := serialport.Find(infos(), port)
		return report.USB{VID: in.VID, PID: in.PID, Serial: in.Serial, Product: in.Product}
	}
	for _, p := range f.ports {
		add(station.Target{Port: p, USB: usb(p)})
	}
	if f.portsGlob != "" {
		ts, err := globTargets(f.portsGlob, usb)
		if err != nil {
			return nil, err
		}
		if len(ts) == 0 {
			return nil, fmt.Errorf("--ports %q matches no port", f.portsGlob)
		}
		for _, t := range ts {
			add(t)
		}
	}
	if f.match != "" {
		ts, err := matchTargets(f.match)
		if err != nil {
			return nil, err
		}
		if len(ts) == 0 {
			return nil, fmt.Errorf("no USB serial port matches %s (see atrun ports)", f.match)
		}
		for _, t := range ts {
			add(t)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	p, err := e.choosePort(f, prog, params)
	if err != nil {
		return nil, err
	}
	return []station.Target{{Port: p, USB: usb(p)}}, nil
}

func globTargets(pattern string, usb func(string) report.USB) ([]station.Target, error) {
	names, err := serialport.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("--ports %q: %v", pattern, err)
	}
	var out []station.Target
	for _, p := range names {
		t := station.Target{Port: p}
		if usb != nil {
			t.USB = usb(p)
		}
		out = append(out, t)
	}
	return out, nil
}

func matchTargets(spec string) ([]station.Target, error) {
	infos, err := serialport.List()
	if err != nil {
		return nil, err
	}
	infos, err = serialport.Match(infos, spec)
	if err != nil {
		return nil, err
	}
	var out []station.Target
	for _, in := range infos {
		out = append(out, station.Target{Port: in.Name, USB: report.USB{VID: in.VID, PID: in.PID, Serial: in.Serial, Product: in.Product}})
	}
	return out, nil
}

// isTerminal reports whether w is a terminal that takes the live table's
// cursor movements.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	return enableANSI(f)
}

// runMany runs on several ports (or several times) with a live table on a
// terminal, timestamped lines prefixed with the port otherwise, and a
// summary at the end.
func (e *env) runMany(ctx context.Context, cfg *station.Config, targets []station.Target, f *runFlags) []report.Record {
	board := newBoard(e.stdout, targets, f.jsonOut, f.quiet, isTerminal(e.stdout) && !f.jsonOut)
	cfg.OnStart = board.start
	cfg.OnEvent = board.event
	cfg.OnDone = func(rec report.Record, _ *runtime.Result, err error) {
		board.done(rec)
		if err != nil {
			fmt.Fprintf(e.stderr, "atrun: report for %s: %v\n", rec.Port, err)
		}
	}
	stop := board.live()
	recs := cfg.RunAll(ctx, targets)
	stop()
	if !f.jsonOut {
		writeSummary(e.stdout, recs)
		if f.repeat > 1 {
			fmt.Fprintln(e.stdout)
			report.Summarize(recs).WriteText(e.stdout)
		}
	}
	return recs
}

// board shows what every port is doing.
type board struct {
	mu       sync.Mutex
	w        io.Writer
	json     bool
	quiet    bool
	terminal bool
	order    []string
	rows     map[string]*row
	drawn    int // lines drawn by the last redraw
}

type row struct {
	step     string
	started  time.Time // of the current step
	runStart time.Time
	status   string
	run      int
}

func newBoard(w io.Writer, targets []station.Target, json, quiet, terminal bool) *board {
	b := &board{w: w, json: json, quiet: quiet, terminal: terminal, rows: map[string]*row{}}
	for _, t := range targets {
		b.order = append(b.order, t.Port)
		b.rows[t.Port] = &row{status: "waiting"}
	}
	return b
}

func (b *board) line(port, text string) {
	if b.quiet || b.terminal || b.json {
		return
	}
	fmt.Fprintf(b.w, "%s %-14s %s\n", time.Now().Format("15:04:05.000"), port, text)
}

func (b *board) start(t station.Target, run int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.row(t.Port)
	r.status, r.run, r.runStart, r.started, r.step = "running", run, time.Now(), time.Now(), ""
	if run > 1 {
		b.line(t.Port, fmt.Sprintf("run %d", run))
	} else {
		b.line(t.Port, "start")
	}
}

func (b *board) row(port string) *row {
	r, ok := b.rows[port]
	if !ok {
		r = &row{}
		b.rows[port] = r
		b.order = append(b.order, port)
	}
	return r
}

func (b *board) event(t station.Target, run int, ev runtime.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.json {
		m := jsonEvent(ev, t.Port)
		m["run"] = run
		writeJSONLine(b.w, m)
		return
	}
	r := b.row(t.Port)
	switch ev.Kind {
	case runtime.EvStart:
		r.step, r.started = ev.Step, time.Now()
	case runtime.EvStep:
		b.line(t.Port, fmt.Sprintf("%9s  %s", roundMs(ev.Elapsed), ev.Step))
	case runtime.EvEmit:
		b.line(t.Port, fmt.Sprintf("%9s  emit %s = %s", "", ev.Name, emitText(ev)))
	case runtime.EvLog:
		b.line(t.Port, fmt.Sprintf("%9s  log: %s", "", logText(ev)))
	case runtime.EvRetry:
		b.line(t.Port, fmt.Sprintf("%9s  retry %s (%v)", "", ev.Step, ev.Err))
	case runtime.EvFinally:
		r.step = "finally"
	}
}

func (b *board) done(rec report.Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.json {
		writeJSONLine(b.w, map[string]any{"event": "record", "record": rec})
		return
	}
	r := b.row(rec.Port)
	r.status = strings.ToUpper(string(rec.Status))
	r.step = ""
	if rec.Failure != nil {
		r.step = rec.Failure.String()
	}
	if rec.Failure != nil {
		b.line(rec.Port, "FAIL "+rec.Failure.String())
	} else {
		b.line(rec.Port, fmt.Sprintf("PASS in %s %s", roundMs(time.Duration(rec.DurationMS*1e6)), emittedText(rec)))
	}
}

// live redraws the table in place on a terminal until stop is called.
func (b *board) live() (stop func()) {
	if !b.terminal || b.quiet {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			b.redraw()
			select {
			case <-done:
				b.redraw()
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (b *board) redraw() {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	if b.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", b.drawn)
	}
	fmt.Fprintf(&sb, "\x1b[2K%-16s %-8s %9s  %s\n", "PORT", "STATUS", "ELAPSED", "STEP")
	for _, p := range b.order {
		r := b.rows[p]
		el := ""
		if r.status == "running" {
			el = roundMs(time.Since(r.runStart)).String()
		}
		step := r.step
		if len(step) > 70 {
			step = step[:67] + "..."
		}
		fmt.Fprintf(&sb, "\x1b[2K%-16s %-8s %9s  %s\n", p, r.status, el, step)
	}
	b.drawn = len(b.order) + 1
	io.WriteString(b.w, sb.String())
}

func emittedText(rec report.Record) string {
	var parts []string
	for _, v := range rec.Emitted {
		parts = append(parts, v.String())
	}
	return strings.Join(parts, " ")
}

// writeSummary prints one line per run: port, status, duration, detail.
func writeSummary(w io.Writer, recs []report.Record) {
	pass := 0
	fmt.Fprintf(w, "\n%-16s %-4s %4s %10s  %s\n", "PORT", "RUN", "", "TIME", "RESULT")
	for _, r := range recs {
		detail := emittedText(r)
		if r.Failure != nil {
			detail = r.Failure.String()
		} else {
			pass++
		}
		fmt.Fprintf(w, "%-16s %-4d %4s %10s  %s\n", r.Port, max(r.Run, 1), strings.ToUpper(string(r.Status)), roundMs(time.Duration(r.DurationMS*1e6)), detail)
	}
	fmt.Fprintf(w, "%d of %d passed\n", pass, len(recs))
}

func writeJUnit(path, suite string, recs []report.Record) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.WriteJUnit(f, suite, recs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// recordsExit is 0 when every run passed; for one run, the code of its
// failure; for several, 1.
func recordsExit(recs []report.Record) int {
	failed := 0
	code := exitOK
	for _, r := range recs {
		if r.Status != report.Pass {
			failed++
			code = exitFailed
			if r.Failure != nil && r.Failure.Kind == string(runtime.KindTransport) {
				code = exitTransport
			}
		}
	}
	if len(recs) == 0 {
		return exitFailed
	}
	if failed > 1 || len(recs) > 1 && failed == 1 {
		return exitFailed
	}
	return code
}
