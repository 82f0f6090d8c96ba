package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/runtime/replay"
	"github.com/atrun/atrun/station"
)

// replayCmd runs a script against a recorded session.
func (e *env) replayCmd(args []string) int {
	return e.jsonErrors(args, func() int { return e.replayFlow(args) })
}

func (e *env) replayFlow(args []string) int {
	var f runFlags
	fs := e.runFlagSet(&f)
	speed := fs.Float64("speed", 0, "0 answers at once; 1 keeps the recorded timing; 2 twice as fast")
	var rec *replay.Recording
	var fromRec []string // params taken from the recording, for the log
	f.recorded = func(pos []string, prog *runtime.Program) (map[string]string, error) {
		var err error
		if rec, err = loadRecording(pos[1]); err != nil {
			return nil, err
		}
		return e.recordedParams(rec, pos[1], prog, &f, &fromRec)
	}
	p, code := e.prepare(fs, &f, args, 2, "atrun replay SCRIPT RECORDING [-D name=value ...]")
	if code >= 0 {
		return code
	}
	pos, prog, params := p.pos, p.prog, p.params
	if len(fromRec) > 0 && !f.quiet && !f.jsonOut {
		fmt.Fprintf(e.stdout, "params from %s: %s\n", pos[1], strings.Join(fromRec, " "))
	}
	player := replay.NewPlayer(rec, replay.PlayerOptions{Speed: *speed})
	defer player.Close()
	ctx, hard, stop := interrupts()
	defer stop()
	log := &stepLog{w: e.stdout, json: f.jsonOut, quiet: f.quiet, port: "replay:" + pos[1]}
	res := prog.Run(ctx, player, runtime.Options{Params: params, TimeoutScale: f.timeoutScale, LineEnding: f.eol(), OnEvent: log.event, Stop: hard})
	code = e.finish(prog, res, log, log.port)
	var div *replay.Divergence
	if errors.As(res.Err, &div) {
		return exitFailed // the script no longer matches the recorded session
	}
	return code
}

func loadRecording(path string) (*replay.Recording, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	rec, err := replay.Load(file)
	if err != nil {
		return nil, fmt.Errorf("%s:%v", path, err)
	}
	return rec, nil
}

// recordedParams are the params the recording was made with, for the
// replay to send the same bytes without the user knowing them. -D and
// --var-file override them (prepare merges). A secret was masked in the
// header: it must be given again, or the replay would send the script's
// default and diverge at its first use for a reason the user cannot see;
// so it is a usage error naming the param. Params the script no longer
// declares are left out, with a note.
func (e *env) recordedParams(rec *replay.Recording, path string, prog *runtime.Program, f *runFlags, used *[]string) (map[string]string, error) {
	values, masked, err := rec.Params()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	given, err := e.params(f)
	if err != nil {
		return nil, err
	}
	for _, name := range masked {
		if _, ok := given[name]; !ok && prog.Param(name) != nil {
			return nil, fmt.Errorf("%s was recorded with the secret param %s, which its header masks: give it with -D %s=... (a replay must send the same bytes)", path, name, name)
		}
	}
	out := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if prog.Param(name) == nil {
			fmt.Fprintf(e.stderr, "atrun replay: note: %s sets param %s, which %s does not declare; left out\n", path, name, prog.File.Path)
			continue
		}
		out[name] = values[name]
		if _, ok := given[name]; !ok {
			*used = append(*used, name+"="+quoteIfNeeded(values[name]))
		}
	}
	return out, nil
}

// stationCmd waits for devices and runs the flow on each as it appears.
func (e *env) stationCmd(args []string) int {
	var f runFlags
	fs := e.runFlagSet(&f)
	poll := fs.Duration("poll", 500*time.Millisecond, "how often to look for new devices")
	p, code := e.prepare(fs, &f, args, 1, "atrun station SCRIPT (--match VID:PID | --ports GLOB) [--report FILE.jsonl | --report postgres://...] [--http :8080] [-D name=value ...]")
	if code >= 0 {
		return code
	}
	if (f.match == "") == (f.portsGlob == "") {
		fmt.Fprintln(e.stderr, "atrun station: want exactly one of --match or --ports")
		return exitUsage
	}
	if (f.record != "" && !strings.Contains(f.record, "{port}")) || (f.transcript != "" && !strings.Contains(f.transcript, "{port}")) {
		fmt.Fprintln(e.stderr, "atrun station: --record and --transcript need {port} in the file name")
		return exitUsage
	}
	prog, params := p.prog, p.params
	cfg := &station.Config{
		Program:    prog,
		Params:     params,
		Options:    runtime.Options{TimeoutScale: f.timeoutScale, LineEnding: f.eol()},
		Repeat:     f.repeat,
		Open:       func(port string) (io.ReadWriteCloser, error) { return openPort(port, f.serial) },
		Record:     f.record,
		RecordMeta: replay.ParamMeta(params, secretParam(prog)),
		Transcript: f.transcript,
	}
	ctx, hard, stop := interrupts()
	defer stop()
	cfg.Options.Stop = hard
	if cfg.Report, code = e.openReports(ctx, &f); code >= 0 {
		return code
	}
	if cfg.Report != nil {
		defer cfg.Report.Close()
	}
	stopDashboard, code := e.startDashboard(&f, cfg, nil)
	if code >= 0 {
		return code
	}
	defer stopDashboard()
	list := func() ([]station.Target, error) {
		if f.portsGlob != "" {
			return globTargets(f.portsGlob, nil)
		}
		return matchTargets(f.match)
	}
	board := newBoard(e.stdout, nil, f.jsonOut, f.quiet, false)
	cfg.OnStart = board.start
	cfg.OnEvent = board.event
	cfg.OnDone = func(rec report.Record, _ *runtime.Result, err error) {
		if err != nil {
			fmt.Fprintf(e.stderr, "atrun: report for %s: %v\n", rec.Port, err)
		}
		if f.jsonOut {
			board.done(rec)
			return
		}
		// Big enough to read at arm's length.
		verdict, detail := "PASS", emittedText(rec)
		if rec.Failure != nil {
			verdict, detail = "FAIL", rec.Failure.String()
		}
		fmt.Fprintf(e.stdout, "\n========  %s  %s  ========\n          %s\n\n", verdict, rec.Port, detail)
	}
	if !f.jsonOut {
		what := f.match
		if what == "" {
			what = f.portsGlob
		}
		fmt.Fprintf(e.stdout, "station: waiting for devices (%s); Ctrl-C ends the shift\n", what)
	}
	recs := cfg.Watch(ctx, list, *poll, func(err error) { fmt.Fprintln(e.stderr, "atrun station:", err) })
	if f.junit != "" {
		if err := writeJUnit(f.junit, prog.File.Path, recs); err != nil {
			fmt.Fprintln(e.stderr, "atrun:", err)
		}
	}
	pass := 0
	for _, r := range recs {
		if r.Status == report.Pass {
			pass++
		}
	}
	if !f.jsonOut {
		fmt.Fprintf(e.stdout, "shift totals: %d devices, %d passed, %d failed\n", len(recs), pass, len(recs)-pass)
	}
	if pass != len(recs) {
		return exitFailed
	}
	return exitOK
}
