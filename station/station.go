// Package station runs one flow on many ports at once, as a factory
// provisioning line or a QA bench does. Every run is independent (its own
// port, interpreter and context: one port's failure, hang or unplug never
// touches another's) and yields one report.Record.
//
// RunAll runs a fixed set of ports; Watch waits for ports to appear, runs
// the flow on each new one, and runs it again only after the device has
// been unplugged and plugged back in.
package station

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/runtime/replay"
)

// Target is one port to run on.
type Target struct {
	Port string
	USB  report.USB
}

// Config says what to run and where results go. OnStart, OnEvent and
// OnDone are called from the runs' goroutines, concurrently.
type Config struct {
	Program *runtime.Program
	Params  map[string]string
	// Options is the template of every run's options; Params, OnEvent and
	// Transcript are set per run.
	Options runtime.Options
	// Repeat runs the flow this many times per port, one after the other
	// (burn-in); 0 means 1.
	Repeat int
	// Open opens a port.
	Open func(port string) (io.ReadWriteCloser, error)
	// Record, if set, is where each run's session is recorded; "{port}"
	// is replaced by the port's base name and "{run}" by the run number.
	Record string
	// RecordMeta are more header lines for each recording, after script,
	// port and date (cmd/atrun puts the params there, for atrun replay).
	RecordMeta []replay.Meta
	// Transcript, like Record, names a transcript file per run.
	Transcript string
	// Report, if set, receives every record as soon as its run ends,
	// before OnDone is called: a JSONL file, PostgreSQL, or both
	// (report.Tee).
	Report report.Sink
	// Observer, if set, sees every run start, event and record too, after
	// the callbacks (a dashboard).
	Observer Observer

	OnStart func(t Target, run int)
	OnEvent func(t Target, run int, ev runtime.Event)
	// OnDone sees each finished run; err says the report could not be
	// written.
	OnDone func(rec report.Record, res *runtime.Result, err error)
}

// Observer watches runs besides the callbacks; its methods are called
// from the runs' goroutines, concurrently.
type Observer interface {
	Start(t Target, run int)
	Event(t Target, run int, ev runtime.Event)
	Done(rec report.Record)
}

func (c *Config) repeat() int { return max(c.Repeat, 1) }

// RunAll runs the flow on every target in parallel and returns the
// records in target order, runs of one port together.
func (c *Config) RunAll(ctx context.Context, targets []Target) []report.Record {
	out := make([][]report.Record, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = c.runPort(ctx, t)
		}()
	}
	wg.Wait()
	var recs []report.Record
	for _, r := range out {
		recs = append(recs, r...)
	}
	return recs
}

func (c *Config) runPort(ctx context.Context, t Target) []report.Record {
	var recs []report.Record
	for n := 1; n <= c.repeat() && ctx.Err() == nil; n++ {
		recs = append(recs, c.runOnce(ctx, t, n))
	}
	return recs
}

// runOnce runs the flow once on one port.
func (c *Config) runOnce(ctx context.Context, t Target, n int) report.Record {
	if c.OnStart != nil {
		c.OnStart(t, n)
	}
	if c.Observer != nil {
		c.Observer.Start(t, n)
	}
	info := report.ScriptInfo(c.Program)
	info.Port, info.USB, info.Run = t.Port, t.USB, n
	if p, err := report.ResolvedParams(c.Program, c.Params); err == nil {
		info.Params = p
	}
	res := c.run(ctx, t, n)
	rec := report.FromResult(info, res)
	rec.ID = report.NewID()
	var err error
	if c.Report != nil {
		err = c.Report.Append(rec)
	}
	if c.OnDone != nil {
		c.OnDone(rec, res, err)
	}
	if c.Observer != nil {
		c.Observer.Done(rec)
	}
	return rec
}

func (c *Config) run(ctx context.Context, t Target, n int) *runtime.Result {
	start := time.Now()
	fail := func(err error) *runtime.Result {
		return &runtime.Result{Start: start, End: time.Now(), Err: &runtime.Error{Kind: runtime.KindTransport, Msg: err.Error(), Err: err}}
	}
	conn, err := c.Open(t.Port)
	if err != nil {
		return fail(err)
	}
	var rw io.ReadWriteCloser = conn
	var closers []io.Closer
	if c.Record != "" {
		f, err := create(expand(c.Record, t.Port, n))
		if err != nil {
			conn.Close()
			return fail(err)
		}
		closers = append(closers, f)
		meta := append([]replay.Meta{{Key: "script", Value: c.Program.File.Path},
			{Key: "port", Value: t.Port}, {Key: "date", Value: start.UTC().Format(time.RFC3339)}}, c.RecordMeta...)
		rec, err := replay.NewRecorder(conn, f, meta...)
		if err != nil {
			conn.Close()
			f.Close()
			return fail(err)
		}
		rw = rec
	}
	opts := c.Options
	opts.Params = c.Params
	if c.Transcript != "" {
		f, err := create(expand(c.Transcript, t.Port, n))
		if err != nil {
			rw.Close()
			return fail(err)
		}
		closers = append(closers, f)
		opts.Transcript = f
	}
	switch {
	case c.OnEvent != nil && c.Observer != nil:
		opts.OnEvent = func(ev runtime.Event) { c.OnEvent(t, n, ev); c.Observer.Event(t, n, ev) }
	case c.OnEvent != nil:
		opts.OnEvent = func(ev runtime.Event) { c.OnEvent(t, n, ev) }
	case c.Observer != nil:
		opts.OnEvent = func(ev runtime.Event) { c.Observer.Event(t, n, ev) }
	}
	res := c.Program.Run(ctx, rw, opts)
	rw.Close()
	for _, cl := range closers {
		cl.Close()
	}
	return res
}

func create(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
}

// expand fills a per-run file name pattern. {port} is the port's last
// element, the same on every OS: ttyUSB2, COM10 (also from \\.\COM10,
// which filepath.Base on Windows reduces to a lone backslash), host_7000
// from tcp://host:7000.
func expand(pattern, port string, run int) string {
	trimmed := strings.TrimRight(port, `/\`)
	base := strings.ReplaceAll(trimmed[strings.LastIndexAny(trimmed, `/\`)+1:], ":", "_")
	s := strings.ReplaceAll(pattern, "{port}", base)
	return strings.ReplaceAll(s, "{run}", fmt.Sprint(run))
}

// Watch polls list every poll interval and runs the flow on each port as
// it appears, several at once. A port runs again only after it has
// vanished from the list and come back (the next device). When ctx ends,
// runs in progress are canceled (their finally blocks run) and Watch
// returns every record once they are done.
func (c *Config) Watch(ctx context.Context, list func() ([]Target, error), poll time.Duration, onListError func(error)) []report.Record {
	var (
		mu      sync.Mutex
		recs    []report.Record
		wg      sync.WaitGroup
		present = map[string]bool{}
	)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		targets, err := list()
		if err != nil && onListError != nil {
			onListError(err)
		}
		if err == nil {
			now := map[string]bool{}
			for _, t := range targets {
				now[t.Port] = true
				if present[t.Port] {
					continue
				}
				present[t.Port] = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					rs := c.runPort(ctx, t)
					mu.Lock()
					recs = append(recs, rs...)
					mu.Unlock()
				}()
			}
			for p := range present {
				if !now[p] {
					delete(present, p) // unplugged: the next device on it runs
				}
			}
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return recs
		case <-tick.C:
		}
	}
}
