package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime/at"
	"github.com/expr-lang/expr"
)

// DefaultTimeout applies to steps until a script sets its own.
const DefaultTimeout = 5 * time.Second

// Options configure one run.
type Options struct {
	// Params are the -D values, as text; each is converted to the type of
	// its param's default.
	Params map[string]string
	// OnEvent, if set, sees the step log as it happens.
	OnEvent func(Event)
	// Transcript, if set, receives every byte sent and received, with
	// timestamps and direction, secrets redacted. Each line is written as
	// soon as it is known.
	Transcript io.Writer
	// TimeoutScale multiplies every timeout, retry interval and sleep
	// (0 means 1).
	TimeoutScale float64
	// Stop, if set, ends finally too when it is done: the run's own
	// context ends the steps (a first Ctrl-C), Stop the cleanup (a second).
	Stop context.Context
	// LineEnding is appended by send; "" means the script's dialect's,
	// else "\r".
	LineEnding string
	// Conn options for framing (line limits). Nil DataHeaders means the
	// script's dialect's.
	Conn at.Options
}

// EventKind names a step-log event.
type EventKind string

const (
	EvStep    EventKind = "step"    // a step finished
	EvStart   EventKind = "start"   // a step started
	EvLog     EventKind = "log"     // log statement
	EvEmit    EventKind = "emit"    // emit statement
	EvHandler EventKind = "handler" // an on handler fired
	EvRetry   EventKind = "retry"   // a step or block is retried
	EvFinally EventKind = "finally" // cleanup starts
)

// Event is one entry of the step log.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Pos      lang.Pos
	Step     string        // the statement as written
	Elapsed  time.Duration // for EvStep
	Matched  string        // the line that completed the step
	Captures []Capture     // values bound by the step
	Name     string        // for EvEmit
	Value    string        // for EvEmit and EvLog, as Show has it: any bytes (see ValueText)
	Err      error         // for EvRetry: why
}

// Capture is one variable bound by a step.
type Capture struct{ Name, Value string }

// Emitted is one emitted value.
type Emitted struct {
	Name  string
	Value any
}

// StepTiming is how long one step took.
type StepTiming struct {
	Pos     lang.Pos
	Step    string
	Elapsed time.Duration
}

// Result is what a run produced. Err is nil on success; otherwise an
// *Error.
type Result struct {
	// Warnings are things the run survived that a record should show,
	// such as lines dropped unread.
	Warnings []string
	Emitted  []Emitted
	Steps    []StepTiming
	Start    time.Time
	End      time.Time
	Err      error
}

// Value returns the last value emitted under name.
func (r *Result) Value(name string) (any, bool) {
	for i := len(r.Emitted) - 1; i >= 0; i-- {
		if r.Emitted[i].Name == name {
			return r.Emitted[i].Value, true
		}
	}
	return nil, false
}

// Run executes the program over rw until the script ends, fails, or ctx is
// canceled; finally runs in every case. Params are resolved first: a bad
// -D value returns a lang.ErrorList and nothing is sent.
//
// Run takes rw over: if rw is an io.Closer, Run closes it before it
// returns, which also ends the goroutine reading it. Any other rw is left
// open, and its reader ends at its first failed Read: close such an rw
// (or make its Read fail) when Run returns.
func (p *Program) Run(ctx context.Context, rw io.ReadWriter, opts Options) *Result {
	res := &Result{Start: time.Now()}
	vars, err := p.ResolveParams(opts.Params)
	if err != nil {
		res.Err = err // params are masked by ResolveParams itself
		res.End = time.Now()
		return res
	}
	r := &run{p: p, vars: vars, opts: opts, res: res, timeout: DefaultTimeout, red: p.Redactor(vars)}
	if r.opts.TimeoutScale <= 0 {
		r.opts.TimeoutScale = 1
	}
	if r.opts.LineEnding == "" {
		r.opts.LineEnding = p.dialect.lineEnding
	}
	if r.opts.LineEnding == "" {
		r.opts.LineEnding = "\r"
	}
	copts := opts.Conn
	if copts.DataHeaders == nil {
		copts.DataHeaders = p.dialect.headers
	}
	if opts.Transcript != nil {
		r.tr = newTranscript(opts.Transcript, r.red)
		copts.OnRx = r.tr.onRx
		copts.OnTx = r.tr.onTx
	}
	r.conn = at.NewConn(rw, copts)
	defer func() {
		r.conn.Close()
		if r.tr != nil {
			r.tr.close()
		}
	}()

	err = r.stmts(ctx, p.File.Stmts)
	if err == nil {
		err = r.settleOwed(ctx)
	}
	if err == nil {
		// Lines that came after the last step still meet the abort
		// patterns and handlers.
		err = r.dispatch(r.conn.TryRecv())
	}
	if err == nil && ctx.Err() != nil {
		err = r.canceled(lang.Pos{}, "", ctx.Err())
	}
	if p.finally != nil {
		r.event(Event{Kind: EvFinally, Pos: p.finally.Pos})
		// Cleanup gets its own time: the run's context may be canceled.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.scale(2*time.Minute))
		if opts.Stop != nil {
			defer context.AfterFunc(opts.Stop, cancel)()
		}
		if err != nil {
			r.drainInflight(fctx)
		}
		ferr := r.block(fctx, p.finally.Body)
		cancel()
		if err == nil && ferr != nil {
			err = ferr
		}
	}
	r.finish(err)
	return res
}

// finish records how the run ended, every secret masked: what leaves a
// run never holds one.
func (r *run) finish(err error) {
	res := r.res
	if r.conn != nil {
		if n := r.dropped + r.conn.Dropped(); n > 0 {
			w := fmt.Sprintf("%d lines dropped unread: more than %d lines or %d KiB were waiting for an expect", n, MaxPending, MaxPendingBytes>>10)
			res.Warnings = append(res.Warnings, w)
			if r.tr != nil {
				r.tr.note(w)
			}
		}
	}
	res.Err = r.red.Error(err)
	for i := range res.Emitted {
		res.Emitted[i].Value = r.red.Value(res.Emitted[i].Value)
	}
	for i := range res.Steps {
		res.Steps[i].Step = r.red.String(res.Steps[i].Step)
	}
	res.End = time.Now()
}

// Redactor returns the redactor of a run with these param values.
func (p *Program) Redactor(vars map[string]any) *Redactor {
	return NewRedactor(p.secretValues(vars)...)
}

// ResolveParams converts -D values to each param's type and fills in
// defaults. Unknown names, missing required params and bad values are all
// reported.
func (p *Program) ResolveParams(given map[string]string) (map[string]any, error) {
	vars := map[string]any{}
	var errs lang.ErrorList
	declared := map[string]*lang.Param{}
	var names []string
	for _, prm := range p.Params {
		declared[prm.Name] = prm
		names = append(names, prm.Name)
	}
	for _, k := range sortedKeys(given) {
		if _, ok := declared[k]; !ok {
			errs = append(errs, &lang.Error{Msg: fmt.Sprintf("-D %s: no such param in %s%s", k, p.File.Path, lang.DidYouMean(k, names))})
		}
	}
	// A default computed from a missing required param would only fail
	// with a <nil>: the missing param is the whole story.
	missing := false
	for _, prm := range p.Params {
		if _, set := given[prm.Name]; !set && prm.Default == nil {
			missing = true
		}
	}
	for _, prm := range p.Params {
		var def any
		if prm.Default != nil {
			v, err := expr.Run(p.exprs[prm.Default], vars)
			if err != nil {
				if !missing {
					errs = append(errs, &lang.Error{Pos: prm.Default.Pos, Msg: err.Error()})
				}
				continue
			}
			def = v
		}
		text, set := given[prm.Name]
		switch {
		case set:
			v, err := convertParam(text, def)
			if err != nil {
				errs = append(errs, &lang.Error{Msg: fmt.Sprintf("-D %s=%s: %s", prm.Name, maskIf(prm.Secret, text), err)})
				continue
			}
			vars[prm.Name] = v
		case prm.Default != nil:
			vars[prm.Name] = def
		default:
			errs = append(errs, &lang.Error{Pos: prm.Pos, Msg: fmt.Sprintf("param %q is required: set it with -D %s=...", prm.Name, prm.Name)})
			continue
		}
		if n := len(toString(vars[prm.Name])); prm.Secret && n > 0 && n < MinSecret {
			errs = append(errs, &lang.Error{Pos: prm.Pos, Msg: fmt.Sprintf("secret param %q has %d bytes: a secret needs at least %d to be masked safely (or none: empty)", prm.Name, n, MinSecret)})
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return vars, nil
}

func maskIf(secret bool, s string) string {
	if secret {
		return "***"
	}
	return s
}

// convertParam converts a -D value to the type of the param's default.
func convertParam(text string, def any) (any, error) {
	switch def.(type) {
	case int:
		n, err := strconv.Atoi(strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("want a whole number")
		}
		return n, nil
	case float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return nil, fmt.Errorf("want a number")
		}
		return f, nil
	case bool:
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("want true or false")
		}
		return b, nil
	}
	return text, nil
}

func (p *Program) secretValues(vars map[string]any) []string {
	var out []string
	for name := range p.secret {
		if s := toString(vars[name]); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// run is the state of one execution. It is only touched by the goroutine
// running the script; the connection's reader goroutine hands over events
// through at.Conn.
type run struct {
	p       *Program
	conn    *at.Conn
	vars    map[string]any
	opts    Options
	res     *Result
	timeout time.Duration // default step timeout
	red     *Redactor
	tr      *transcript

	matcherCache map[*lang.Pattern]*matcher // handler and abort patterns

	pending  []*pev  // received events not yet consumed, oldest first
	dropped  int     // unread events dropped past the pending bounds
	depth    int     // flow calls in progress
	cursor   uint64  // expects only see events after this sequence number
	seen     uint64  // sequence number of the last event received
	inflight bool    // the last command's final result code has not arrived
	noFinal  bool    // the dialect says the last command has no final result code
	command  string  // the last command sent
	final    bool    // the last command's final result code was consumed
	owed     *owed   // a step whose command still owes its final result code
	lastData *string // counted data of the last matched event, until read
	tail     []string
	inHandle bool
	waiter   func(*pev) bool // the waiting step's pattern, when one waits

	dry     bool            // a dry run: nothing is sent
	drySent []string        // what a dry run would send
	unknown map[string]bool // names a dry run cannot know: the modem's answers
}

type pev struct {
	at.Event
	consumed bool
	claimed  bool // held for the waiting step rather than handlers and aborts
}

type owed struct {
	pos     lang.Pos
	step    string
	timeout time.Duration
	answer  string // the line the step took, for the message
	command string // the command that owes it
}

func (r *run) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * r.opts.TimeoutScale)
}

// event hands a step-log entry to the caller, every secret masked.
func (r *run) event(e Event) {
	if r.opts.OnEvent == nil {
		return
	}
	e.Time = time.Now()
	e.Step, e.Matched, e.Value = r.red.String(e.Step), r.red.String(e.Matched), r.red.String(e.Value)
	if len(e.Captures) > 0 {
		caps := make([]Capture, len(e.Captures))
		for i, c := range e.Captures {
			caps[i] = Capture{Name: c.Name, Value: r.red.String(c.Value)}
		}
		e.Captures = caps
	}
	e.Err = r.red.Error(e.Err)
	r.opts.OnEvent(e)
}

func (r *run) stmts(ctx context.Context, list []lang.Stmt) error {
	for _, s := range list {
		if err := ctx.Err(); err != nil {
			return r.canceled(lang.StmtPos(s), r.stepText(s), err)
		}
		if !r.dry {
			if err := r.dispatch(r.conn.TryRecv()); err != nil {
				return err
			}
		}
		if err := r.stmt(ctx, s); err != nil {
			return err
		}
		r.compact()
	}
	return nil
}

func (r *run) block(ctx context.Context, b *lang.Block) error { return r.stmts(ctx, b.Stmts) }

func (r *run) stmt(ctx context.Context, s lang.Stmt) error {
	switch s := s.(type) {
	case *lang.Param, *lang.Flow, *lang.On, *lang.Finally, *lang.Abort, *lang.Dialect:
		return nil // declarations
	case *lang.Include:
		if s.File != nil {
			return r.stmts(ctx, s.File.Stmts)
		}
		return nil
	case *lang.TimeoutStmt:
		d, err := r.duration(s.Duration)
		if err != nil {
			return err
		}
		r.timeout = d
		return nil
	case *lang.Send:
		return r.step(ctx, s, s.Text, s.Expect, &s.Mods)
	case *lang.Expect:
		return r.step(ctx, s, nil, s.Body, &s.Mods)
	case *lang.Write:
		v, err := r.eval(s.Value)
		if err != nil {
			return err
		}
		b, err := writeBytes(v)
		if err != nil {
			return r.scriptErr(s.Value.Pos, r.stepText(s), err)
		}
		if r.dry {
			r.dryWrite(b)
			return nil
		}
		if err := r.settleOwed(ctx); err != nil {
			return err
		}
		// A write draws a line too: an OK the modem printed before its
		// prompt (ESP-AT MQTTLONG*, MQTTPUBRAW) cannot answer the data.
		if err := r.dispatch(r.conn.TryRecv()); err != nil {
			return err
		}
		r.cursor = r.seen
		r.pending = r.pending[:0]
		if err := r.conn.WriteData(b); err != nil {
			return r.transport(s.Pos, r.stepText(s), err)
		}
		return nil
	case *lang.Read:
		if r.dry {
			r.unknown[s.Into] = true
			return nil
		}
		return r.read(ctx, s)
	case *lang.RetryBlock:
		return r.retryBlock(ctx, s)
	case *lang.Let:
		v, err := r.eval(s.Value)
		var stop *dryStop
		if r.dry && errors.As(err, &stop) {
			r.unknown[s.Name] = true // known only once the modem has answered
			return nil
		}
		if err != nil {
			return err
		}
		delete(r.unknown, s.Name)
		r.vars[s.Name] = v
		return nil
	case *lang.If:
		return r.ifStmt(ctx, s)
	case *lang.Repeat:
		return r.repeat(ctx, s)
	case *lang.Call:
		return r.call(ctx, s)
	case *lang.Sleep:
		d, err := r.duration(s.Duration)
		if err != nil {
			return err
		}
		if r.dry {
			return nil
		}
		// A sleep still hands arriving lines to abort patterns and
		// handlers, at once.
		err = r.wait(ctx, s.Pos, r.stepText(s), d, func(*pev) bool { return false }, func() (bool, error) { return false, nil })
		if err == errWaitTimeout {
			return nil
		}
		return err
	case *lang.Log, *lang.Emit:
		if r.dry {
			return nil // a dry run shows what is sent, not what is found
		}
	}
	switch s := s.(type) {
	case *lang.Log:
		v, err := r.eval(s.Value)
		if err != nil {
			return err
		}
		r.event(Event{Kind: EvLog, Pos: s.Pos, Value: Show(v)})
		return nil
	case *lang.Emit:
		var v any
		if s.Value != nil {
			var err error
			if v, err = r.eval(s.Value); err != nil {
				return err
			}
		} else {
			var ok bool
			if v, ok = r.vars[s.Name]; !ok {
				return r.scriptErr(s.Pos, r.stepText(s), fmt.Errorf("%q is not set", s.Name))
			}
		}
		r.res.Emitted = append(r.res.Emitted, Emitted{Name: s.Name, Value: v})
		r.event(Event{Kind: EvEmit, Pos: s.Pos, Name: s.Name, Value: Show(v)})
		return nil
	case *lang.Fail:
		v, err := r.eval(s.Message)
		if err != nil {
			return err
		}
		return &Error{Pos: s.Pos, Kind: KindFail, Msg: toString(v), Err: ErrFailed, Last: r.last()}
	}
	return fmt.Errorf("internal error: unknown statement %T", s)
}

func (r *run) ifStmt(ctx context.Context, s *lang.If) error {
	for s != nil {
		v, err := r.eval(s.Cond)
		if err != nil {
			return err
		}
		b, ok := v.(bool)
		if !ok {
			return r.scriptErr(s.Cond.Pos, "if", fmt.Errorf("condition is %T, not true or false", v))
		}
		if b {
			return r.block(ctx, s.Then)
		}
		if s.Else == nil {
			return nil
		}
		if s.Else.Block != nil {
			return r.block(ctx, s.Else.Block)
		}
		s = s.Else.If
	}
	return nil
}

func (r *run) repeat(ctx context.Context, s *lang.Repeat) error {
	v, err := r.eval(s.Count)
	if err != nil {
		return err
	}
	n, ok := toInt(v)
	if !ok || n < 0 {
		return r.scriptErr(s.Count.Pos, "repeat", fmt.Errorf("count must be a whole number, got %v", v))
	}
	for i := 0; i < n; i++ {
		if s.While != nil {
			c, err := r.eval(s.While)
			if err != nil {
				return err
			}
			if b, ok := c.(bool); !ok {
				return r.scriptErr(s.While.Pos, "repeat", fmt.Errorf("while condition is %T, not true or false", c))
			} else if !b {
				return nil
			}
		}
		if err := r.block(ctx, s.Body); err != nil {
			return err
		}
	}
	return nil
}

// MaxCallDepth bounds flow calls in progress: a flow that calls itself
// without end fails with its position instead of exhausting the stack.
const MaxCallDepth = 200

func (r *run) call(ctx context.Context, s *lang.Call) error {
	if r.depth >= MaxCallDepth {
		return &Error{Pos: s.Pos, Step: r.stepText(s), Kind: KindScript, Msg: fmt.Sprintf("flows nested deeper than %d calls (a flow that calls itself without end?)", MaxCallDepth)}
	}
	r.depth++
	defer func() { r.depth-- }()
	f := r.p.flows[s.Name]
	args := make([]any, len(s.Args))
	for i, a := range s.Args {
		v, err := r.eval(a)
		if err != nil {
			return err
		}
		args[i] = v
	}
	// Flow params shadow variables of the same name for the call's length.
	saved := map[string]any{}
	unset := map[string]bool{}
	for i, name := range f.Params {
		if old, ok := r.vars[name]; ok {
			saved[name] = old
		} else {
			unset[name] = true
		}
		r.vars[name] = args[i]
	}
	err := r.block(ctx, f.Body)
	var re *Error
	if errors.As(err, &re) && re.Pos.Filename != "" {
		re.Calls = append(re.Calls, s.Pos)
	}
	for name, v := range saved {
		r.vars[name] = v
	}
	for name := range unset {
		delete(r.vars, name)
	}
	return err
}

func (r *run) retryBlock(ctx context.Context, s *lang.RetryBlock) error {
	n, every, err := r.retrySpec(s.Retry)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := r.block(ctx, s.Body)
		if err == nil || attempt >= n || !retryable(err) {
			return err
		}
		r.event(Event{Kind: EvRetry, Pos: s.Pos, Step: "retry", Err: err})
		if err := r.pause(ctx, every, s.Pos); err != nil {
			return err
		}
	}
}

// retryable reports whether a failure may be cured by trying again:
// timeouts, modem errors and explicit retries, not script bugs, aborts,
// fail, transport errors or Ctrl-C.
func retryable(err error) bool {
	switch KindOf(err) {
	case KindTimeout, KindDevice:
		return true
	}
	return errors.Is(err, errRetry)
}

var errRetry = errors.New("retry")

func (r *run) retrySpec(rt *lang.Retry) (n int, every time.Duration, err error) {
	if rt == nil {
		return 0, 0, nil
	}
	if rt.Count.Literal != "" {
		n, _ = strconv.Atoi(rt.Count.Literal)
	} else {
		v := r.vars[rt.Count.Var]
		var ok bool
		if n, ok = toInt(v); !ok || n < 1 {
			return 0, 0, r.scriptErr(rt.Count.Pos, "retry", fmt.Errorf("%s must be a whole number >= 1, got %v", rt.Count.Var, v))
		}
	}
	if rt.Every != nil {
		if every, err = r.duration(rt.Every); err != nil {
			return 0, 0, err
		}
	}
	return n, every, nil
}

func (r *run) pause(ctx context.Context, d time.Duration, pos lang.Pos) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return r.canceled(pos, "retry", ctx.Err())
	}
}

// eval runs a compiled expression.
func (r *run) eval(e *lang.Expr) (any, error) {
	prog := r.p.exprs[e]
	if r.dry && prog != nil {
		for _, name := range identifiers(prog.Node()) {
			if r.unknown[name] {
				return nil, &dryStop{pos: e.Pos, name: name}
			}
		}
	}
	if prog == nil {
		return nil, &Error{Pos: e.Pos, Kind: KindScript, Msg: "internal error: expression not compiled"}
	}
	v, err := expr.Run(prog, r.vars)
	if err != nil {
		return nil, r.scriptErr(e.Pos, "", err)
	}
	// The budget holds across statements too: let s = s + s in a loop.
	if n := valueBytes(v, builtins.MaxValueBytes); n > builtins.MaxValueBytes {
		return nil, r.scriptErr(e.Pos, "", fmt.Errorf("the value is over the %d MiB a value may hold", builtins.MaxValueBytes>>20))
	}
	return v, nil
}

// valueBytes counts the bytes of the strings in v, deeply, stopping once
// past limit.
func valueBytes(v any, limit int) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	case []any:
		n := 8 * len(x)
		for _, e := range x {
			if n += valueBytes(e, limit-n); n > limit {
				break
			}
		}
		return n
	case map[string]any:
		n := 0
		for k, e := range x {
			if n += len(k) + valueBytes(e, limit-n); n > limit {
				break
			}
		}
		return n
	}
	return 8
}

// interpolate renders a string with its ${...} parts.
func (r *run) interpolate(s *lang.Str) (string, error) {
	if len(s.Parts) == 1 && s.Parts[0].Expr == nil {
		return s.Parts[0].Lit, nil
	}
	var b strings.Builder
	for _, part := range s.Parts {
		if part.Expr == nil {
			b.WriteString(part.Lit)
			continue
		}
		v, err := r.eval(part.Expr)
		if err != nil {
			return "", err
		}
		b.WriteString(toString(v))
	}
	return b.String(), nil
}

func (r *run) duration(d *lang.Duration) (time.Duration, error) {
	if d.Literal != "" {
		v, err := time.ParseDuration(strings.ReplaceAll(d.Literal, "µ", "u"))
		if err != nil {
			return 0, r.scriptErr(d.Pos, "", err)
		}
		return r.scale(v), nil
	}
	v := r.vars[d.Var]
	var out time.Duration
	switch x := v.(type) {
	case string:
		dd, err := time.ParseDuration(x)
		if err != nil {
			if secs, err2 := strconv.ParseFloat(x, 64); err2 == nil {
				dd = time.Duration(secs * float64(time.Second))
			} else {
				return 0, r.scriptErr(d.Pos, "", fmt.Errorf("%s = %q is not a duration (like 30s or 2m)", d.Var, x))
			}
		}
		out = dd
	case int:
		out = time.Duration(x) * time.Second
	case float64:
		out = time.Duration(x * float64(time.Second))
	default:
		return 0, r.scriptErr(d.Pos, "", fmt.Errorf("%s is %T, not a duration", d.Var, v))
	}
	if out <= 0 {
		return 0, r.scriptErr(d.Pos, "", fmt.Errorf("%s must be a positive duration", d.Var))
	}
	return r.scale(out), nil
}

func (r *run) scriptErr(pos lang.Pos, step string, err error) error {
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	return &Error{Pos: pos, Step: step, Kind: KindScript, Msg: err.Error(), Err: err}
}

func (r *run) transport(pos lang.Pos, step string, err error) error {
	return &Error{Pos: pos, Step: step, Kind: KindTransport, Msg: transportMessage(err), Err: err, Last: r.last()}
}

func transportMessage(err error) string {
	if errors.Is(err, io.EOF) {
		return "the modem closed the connection"
	}
	return err.Error()
}

func (r *run) canceled(pos lang.Pos, step string, err error) error {
	return &Error{Pos: pos, Step: step, Kind: KindCanceled, Msg: "interrupted", Err: err, Last: r.last()}
}

func (r *run) last() []string {
	return append([]string(nil), r.tail...)
}

// stepText is the statement as the formatter prints it, for messages.
func (r *run) stepText(s lang.Stmt) string { return stmtText(s) }

func stmtText(s lang.Stmt) string { return shorten(lang.StmtText(s)) }

// shorten keeps step descriptions to one readable line.
func shorten(line string) string {
	if len(line) > 100 {
		return runeCut(line, 97) + "..."
	}
	return line
}

// Param is the declaration of the param name, or nil.
func (p *Program) Param(name string) *lang.Param {
	for _, prm := range p.Params {
		if prm.Name == name {
			return prm
		}
	}
	return nil
}

// Source returns the text of the script or included file named filename,
// as it was loaded.
func (p *Program) Source(filename string) string {
	for _, f := range lang.Files(p.File) {
		if f.Path == filename {
			return f.Source
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
