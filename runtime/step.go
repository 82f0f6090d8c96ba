package runtime

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime/at"
)

// step runs a send and/or an expect with its timeout and retries.
func (r *run) step(ctx context.Context, s lang.Stmt, send *lang.Str, body *lang.ExpectBody, mods *lang.Mods) error {
	pos, desc := lang.StmtPos(s), lang.StmtText(s)
	timeout := r.timeout
	if mods.Timeout != nil {
		d, err := r.duration(mods.Timeout)
		if err != nil {
			return err
		}
		timeout = d
	}
	n, every, err := r.retrySpec(mods.Retry)
	if err != nil {
		return err
	}
	var text string
	if send != nil {
		if text, err = r.interpolate(send); err != nil {
			return err
		}
		if send.HasExpr() {
			// Show what was sent, not the template.
			desc = strings.Replace(desc, send.Token, quoteAT(r.redact(text)), 1)
		}
	}
	desc = shorten(desc)
	if r.dry {
		var t *string
		if send != nil {
			t = &text
		}
		return r.dryStep(pos, t, body)
	}
	for attempt := 0; ; attempt++ {
		start := time.Now()
		r.event(Event{Kind: EvStart, Pos: pos, Step: desc})
		if send != nil {
			if err := r.send(ctx, pos, desc, text); err != nil {
				return err
			}
		}
		var m *match
		if body != nil {
			m, err = r.expect(ctx, pos, desc, body, timeout)
		}
		if err == nil {
			elapsed := time.Since(start)
			r.res.Steps = append(r.res.Steps, StepTiming{Pos: pos, Step: desc, Elapsed: elapsed})
			ev := Event{Kind: EvStep, Pos: pos, Step: desc, Elapsed: elapsed}
			if m != nil {
				ev.Matched, ev.Captures = r.redact(m.text), m.caps
			}
			r.event(ev)
			if m == nil || m.action == nil {
				return nil
			}
			if !m.action.Retry {
				return r.action(ctx, desc, m)
			}
			// "=> retry" goes through this step's own retries first.
			err = &Error{Pos: m.action.Pos, Step: desc, Kind: KindFail, Msg: fmt.Sprintf("retry asked on %q", m.text), Err: errRetry, Last: r.last()}
		}
		if attempt >= n || !retryable(err) {
			if errors.Is(err, errRetry) && n > 0 {
				return &Error{Pos: pos, Step: desc, Kind: KindFail, Msg: fmt.Sprintf("still asked to retry after %d attempts", n+1), Last: r.last()}
			}
			return err
		}
		r.event(Event{Kind: EvRetry, Pos: pos, Step: desc, Err: err})
		if err := r.pause(ctx, every, pos); err != nil {
			return err
		}
	}
}

// action runs what an expect alternative says after its pattern matched;
// retry is handled by the step.
func (r *run) action(ctx context.Context, desc string, m *match) error {
	a := m.action
	switch {
	case a.OK:
		return nil
	case a.Fail != nil:
		v, err := r.eval(a.Fail)
		if err != nil {
			return err
		}
		return &Error{Pos: a.Pos, Step: desc, Kind: KindFail, Msg: toString(v), Err: ErrFailed, Last: r.last()}
	case a.Block != nil:
		return r.block(ctx, a.Block)
	}
	return nil
}

// send writes a command. Every event received before it becomes invisible
// to the expects that follow: a stale OK can never answer a new command.
func (r *run) send(ctx context.Context, pos lang.Pos, desc, text string) error {
	if err := r.settleOwed(ctx); err != nil {
		return err
	}
	if err := r.dispatch(r.conn.TryRecv()); err != nil {
		return err
	}
	r.cursor = r.seen
	r.pending = r.pending[:0]
	r.final, r.lastData = false, nil
	r.inflight = true
	r.noFinal = r.p.dialect.hasNoFinal(text)
	r.command = text
	if err := r.conn.Send([]byte(text+r.opts.LineEnding), text); err != nil {
		return r.transport(pos, desc, err)
	}
	return nil
}

// match is what completed an expect.
type match struct {
	text   string
	caps   []Capture
	action *lang.Action
}

// matcher is one compiled pattern of a waiting step.
type matcher struct {
	p       *lang.Pattern
	text    string   // interpolated literal or prompt
	prompts []string // a bare "prompt": the dialect's prompts
	re      *regexp.Regexp
	action  *lang.Action
	done    bool // for expect all
}

func (m *matcher) matches(ev *pev) ([]string, bool) {
	switch {
	case m.p.Any:
		return nil, true
	case m.p.IsPrompt:
		if ev.Kind != at.Prompt {
			return nil, false
		}
		for _, p := range m.prompts {
			if strings.TrimRight(ev.Text, " ") == strings.TrimRight(p, " ") {
				return nil, true
			}
		}
		return nil, false
	case ev.Kind != at.Line:
		return nil, false
	case m.re != nil:
		sub := m.re.FindStringSubmatch(ev.Text)
		return sub, sub != nil
	default:
		return nil, strings.TrimSpace(ev.Text) == m.text
	}
}

func (r *run) matchers(body *lang.ExpectBody) ([]*matcher, error) {
	var out []*matcher
	add := func(p *lang.Pattern, a *lang.Action) error {
		m := &matcher{p: p, re: r.p.regexes[p], action: a}
		switch {
		case p.IsPrompt:
			m.prompts = r.p.dialect.prompts
			if p.Prompt != nil {
				t, err := r.interpolate(p.Prompt)
				if err != nil {
					return err
				}
				m.prompts = []string{t}
			}
		case p.Text != nil:
			t, err := r.interpolate(p.Text)
			if err != nil {
				return err
			}
			m.text = strings.TrimSpace(t)
		}
		out = append(out, m)
		return nil
	}
	if body.Pattern != nil {
		if err := add(body.Pattern, nil); err != nil {
			return nil, err
		}
	}
	for _, p := range body.All {
		if err := add(p, nil); err != nil {
			return nil, err
		}
	}
	for _, a := range body.Alts {
		if err := add(a.Pattern, a.Action); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// expect waits for the body's pattern(s) among the events after the
// cursor, in arrival order.
func (r *run) expect(ctx context.Context, pos lang.Pos, desc string, body *lang.ExpectBody, timeout time.Duration) (*match, error) {
	ms, err := r.matchers(body)
	if err != nil {
		return nil, err
	}
	var prompts []string
	for _, m := range ms {
		if m.p.IsPrompt {
			prompts = append(prompts, m.prompts...)
		}
	}
	if len(prompts) > 0 {
		r.conn.ArmPrompt(prompts...)
	}
	all := len(body.All) > 0
	claims := func(ev *pev) bool {
		for _, m := range ms {
			if _, ok := m.matches(ev); ok && !m.done {
				return true
			}
		}
		return false
	}
	var result *match
	err = r.wait(ctx, pos, desc, timeout, claims, func() (bool, error) {
		for _, ev := range r.pending {
			if ev.consumed || ev.Seq <= r.cursor {
				continue
			}
			var hit *matcher
			var sub []string
			for _, m := range ms {
				if m.done {
					continue
				}
				if s, ok := m.matches(ev); ok {
					hit, sub = m, s
					break
				}
			}
			if hit == nil {
				if ev.Kind == at.Line && !ev.HasData && r.p.dialect.isErrorFinal(ev.Text) {
					ev.consumed = true
					r.final, r.inflight = true, false
					return true, r.deviceError(pos, desc, ev.Text)
				}
				continue
			}
			ev.consumed = true
			m := r.take(ev, hit, sub, &owed{pos: pos, step: desc, timeout: timeout})
			if !all {
				result = m
				return true, nil
			}
			hit.done = true
			if result == nil {
				result = m
			} else {
				result.caps = append(result.caps, m.caps...)
				result.text += "; " + m.text
			}
			if allDone(ms) {
				return true, nil
			}
		}
		return false, nil
	})
	if err == errWaitTimeout {
		return nil, r.timedOut(pos, desc, timeout, "timed out", r.waitingFor(ms, all))
	}
	if err != nil {
		return nil, err
	}
	return result, nil
}

// errWaitTimeout is wait's timeout, worded by its caller.
var errWaitTimeout = errors.New("wait timed out")

// wait runs scan over the pending events, and again each time new events
// arrive (once dispatched: the waiting step's claims first, then handlers
// and aborts), until scan says it is done or fails, or timeout passes.
func (r *run) wait(ctx context.Context, pos lang.Pos, desc string, timeout time.Duration, claims func(*pev) bool, scan func() (bool, error)) (err error) {
	r.waiter = claims
	defer func() {
		r.waiter = nil
		if uerr := r.unclaim(); err == nil {
			err = uerr
		}
	}()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if done, err := scan(); done || err != nil {
			return err
		}
		// Deadlines and Ctrl-C win over input: a modem that never stops
		// talking cannot keep a step alive.
		switch {
		case ctx.Err() != nil:
			return r.canceled(pos, desc, ctx.Err())
		case wctx.Err() != nil:
			return errWaitTimeout
		}
		r.compact()
		evs, err := r.conn.Recv(wctx)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return r.canceled(pos, desc, ctx.Err())
			case wctx.Err() != nil:
				return errWaitTimeout
			default:
				return r.transport(pos, desc, err)
			}
		}
		if err := r.dispatch(evs); err != nil {
			return err
		}
	}
}

// timedOut words a step's timeout: "<what> after 75s<more>".
func (r *run) timedOut(pos lang.Pos, desc string, timeout time.Duration, what, more string) error {
	return &Error{Pos: pos, Step: desc, Kind: KindTimeout, Timeout: timeout, Err: ErrTimeout,
		Msg: fmt.Sprintf("%s after %s%s", what, roundDuration(timeout), more), Last: r.last()}
}

func (r *run) waitingFor(ms []*matcher, all bool) string {
	if !all {
		return ""
	}
	var left []string
	for _, m := range ms {
		if !m.done {
			left = append(left, patternText(m))
		}
	}
	return " waiting for " + strings.Join(left, " and ")
}

func patternText(m *matcher) string {
	switch {
	case m.re != nil:
		return m.p.Regex
	case m.p.IsPrompt:
		q := make([]string, len(m.prompts))
		for i, p := range m.prompts {
			q[i] = strconv.Quote(p)
		}
		return "prompt " + strings.Join(q, " or ")
	case m.p.Any:
		return "any"
	}
	return strconv.Quote(m.text)
}

func allDone(ms []*matcher) bool {
	for _, m := range ms {
		if !m.done {
			return false
		}
	}
	return true
}

// take binds what a matched event carries. For a step (o is the step),
// it notes whether the command still owes its final result code: any
// answer that is not itself one (an information line, a bare answer such
// as an IMEI) leaves it owed, unless the dialect says the command has none.
func (r *run) take(ev *pev, m *matcher, sub []string, o *owed) *match {
	out := &match{text: ev.Text, action: m.action}
	if m.re != nil {
		for i, name := range m.re.SubexpNames() {
			if name != "" && i < len(sub) {
				r.vars[name] = sub[i]
				out.caps = append(out.caps, Capture{Name: name, Value: r.redact(sub[i])})
			}
		}
	}
	r.lastData = nil
	if ev.HasData {
		d := ev.Data
		r.vars["data"] = d
		r.lastData = &d
		out.caps = append(out.caps, Capture{Name: "data", Value: r.redact(d)})
	}
	switch {
	case o == nil || ev.Kind != at.Line:
	case !ev.HasData && r.p.dialect.isFinal(ev.Text):
		r.final, r.owed, r.inflight = true, nil, false
	case r.inflight && !r.final && !r.noFinal && r.owed == nil:
		// The first step that took an answer owes the final: its
		// position is where a missing or failed final is reported.
		o.answer = r.redact(excerpt(ev.Text))
		o.command = r.redact(r.command)
		r.owed = o
	}
	return out
}

// settleOwed waits for the final result code of a command whose info line
// a step captured, so that its OK cannot answer the next command and its
// ERROR is not lost.
func (r *run) settleOwed(ctx context.Context) error {
	o := r.owed
	if o == nil {
		return nil
	}
	r.owed = nil
	isFinal := r.isFinalEvent
	err := r.wait(ctx, o.pos, o.step, o.timeout, isFinal, func() (bool, error) {
		for _, ev := range r.pending {
			if ev.consumed || ev.Seq <= r.cursor || !isFinal(ev) {
				continue
			}
			ev.consumed = true
			r.final, r.inflight = true, false
			if r.p.dialect.isErrorFinal(ev.Text) {
				return true, r.deviceError(o.pos, o.step, ev.Text)
			}
			return true, nil
		}
		return false, nil
	})
	if err == errWaitTimeout {
		return r.timedOut(o.pos, o.step, o.timeout, fmt.Sprintf("no final result code (OK or ERROR) followed %q", o.answer),
			fmt.Sprintf(" (if %q ends the command, declare it in the dialect: final %q; if %s never ends with one: no_final %q)", o.answer, o.answer, o.command, o.command))
	}
	return err
}

// isFinalEvent reports whether ev is a final result code line.
func (r *run) isFinalEvent(ev *pev) bool {
	return ev.Kind == at.Line && !ev.HasData && r.p.dialect.isFinal(ev.Text)
}

func (r *run) deviceError(pos lang.Pos, desc, line string) error {
	derr, ok := at.ParseDeviceError(line)
	msg := fmt.Sprintf("modem answered %q", excerpt(line))
	if ok {
		msg = "modem answered " + derr.Error()
	} else {
		derr = errors.New(line)
	}
	return &Error{Pos: pos, Step: desc, Kind: KindDevice, Msg: msg, Err: derr, Last: r.last()}
}

// dispatch takes newly received events in order: the waiting step's
// pattern first, then on handlers, then abort patterns; what nobody takes
// stays pending for later expects.
func (r *run) dispatch(evs []at.Event) error {
	for i := range evs {
		ev := &pev{Event: evs[i]}
		r.seen = ev.Seq
		if ev.Echo {
			continue
		}
		r.remember(ev)
		if r.waiter != nil && ev.Seq > r.cursor && r.waiter(ev) {
			ev.claimed = true
			r.pending = append(r.pending, ev)
			continue
		}
		if !r.inHandle {
			handled, err := r.handle(ev)
			if err != nil {
				return err
			}
			if handled {
				continue
			}
		}
		if err := r.abort(ev); err != nil {
			return err
		}
		r.pending = append(r.pending, ev)
	}
	return nil
}

// unclaim hands the lines the waiting step held but did not take to the
// handlers and abort patterns, as if they had arrived now: a URC that
// raced the awaited line in one read must not slip past its handler.
func (r *run) unclaim() error {
	for _, ev := range r.pending {
		if !ev.claimed || ev.consumed {
			continue
		}
		ev.claimed = false
		if !r.inHandle {
			handled, err := r.handle(ev)
			if err != nil {
				return err
			}
			if handled {
				ev.consumed = true
				continue
			}
		}
		if err := r.abort(ev); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) remember(ev *pev) {
	text := excerpt(ev.Text)
	if ev.HasData {
		text += fmt.Sprintf("<%d bytes>", len(ev.Data))
	}
	r.tail = append(r.tail, r.redact(text))
	if len(r.tail) > 5 {
		r.tail = r.tail[len(r.tail)-5:]
	}
}

// fixedMatcher is the matcher of a handler or abort pattern, built once
// per run unless it interpolates a variable, which may change.
func (r *run) fixedMatcher(p *lang.Pattern) (*matcher, error) {
	if m, ok := r.matcherCache[p]; ok {
		return m, nil
	}
	m := &matcher{p: p, re: r.p.regexes[p]}
	if p.Text != nil {
		t, err := r.interpolate(p.Text)
		if err != nil {
			return nil, err
		}
		m.text = strings.TrimSpace(t)
		if p.Text.HasExpr() {
			return m, nil
		}
	}
	if r.matcherCache == nil {
		r.matcherCache = map[*lang.Pattern]*matcher{}
	}
	r.matcherCache[p] = m
	return m, nil
}

// handle runs the first on handler whose pattern matches.
func (r *run) handle(ev *pev) (bool, error) {
	for _, h := range r.p.handlers {
		m, err := r.fixedMatcher(h.Pattern)
		if err != nil {
			return false, err
		}
		sub, ok := m.matches(ev)
		if !ok {
			continue
		}
		caps := r.take(ev, m, sub, nil).caps
		r.event(Event{Kind: EvHandler, Pos: h.Pos, Step: stmtText(h), Matched: r.redact(ev.Text), Captures: caps})
		r.inHandle = true
		err = r.block(context.Background(), h.Body)
		r.inHandle = false
		return true, err
	}
	return false, nil
}

// abort fails the run when an abort pattern matches.
func (r *run) abort(ev *pev) error {
	for _, p := range r.p.aborts {
		m, err := r.fixedMatcher(p)
		if err != nil {
			return err
		}
		if _, ok := m.matches(ev); !ok {
			continue
		}
		if r.p.dialect.isErrorFinal(ev.Text) {
			return r.deviceError(p.Pos, "abort", ev.Text)
		}
		return &Error{Pos: p.Pos, Step: "abort", Kind: KindAbort, Msg: fmt.Sprintf("%s matched %q", patternText(m), excerpt(ev.Text)), Last: r.last()}
	}
	return nil
}

// compact drops consumed events from the pending list, and the oldest
// unread ones past MaxPending lines or MaxPendingBytes, counted.
func (r *run) compact() {
	keep := r.pending[:0]
	size := 0
	for _, ev := range r.pending {
		if !ev.consumed && ev.Seq > r.cursor {
			keep = append(keep, ev)
			size += len(ev.Text) + len(ev.Data)
		}
	}
	clear(r.pending[len(keep):])
	r.pending = keep
	drop := 0
	for drop < len(r.pending) && (len(r.pending)-drop > MaxPending || size > MaxPendingBytes) {
		size -= len(r.pending[drop].Text) + len(r.pending[drop].Data)
		drop++
	}
	if drop > 0 {
		r.dropped += drop
		r.pending = append(r.pending[:0], r.pending[drop:]...)
	}
}

// Bounds of what waits unread: a modem that floods lines nobody expects
// cannot grow memory without end. The oldest go first, counted.
const (
	MaxPending      = 1000
	MaxPendingBytes = 1 << 20
)

// maxExcerpt bounds a modem line quoted in a message.
const maxExcerpt = 200

// excerpt cuts a modem line for a message: garbage without line ends
// can be 64 KiB long.
func excerpt(s string) string {
	if len(s) <= maxExcerpt {
		return s
	}
	return fmt.Sprintf("%s... (%d bytes)", runeCut(s, maxExcerpt), len(s))
}

// runeCut is at most the first n bytes of s, not splitting a character.
func runeCut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// read takes counted binary data: the data that came with the last matched
// event, or the next event that carries data.
func (r *run) read(ctx context.Context, s *lang.Read) error {
	desc := r.stepText(s)
	v, err := r.eval(s.Count)
	if err != nil {
		return err
	}
	n, ok := toInt(v)
	if !ok || n < 0 {
		return r.scriptErr(s.Count.Pos, desc, fmt.Errorf("count must be a whole number, got %v", v))
	}
	var data, header string
	if r.lastData != nil {
		data, header = *r.lastData, "the last matched line"
		r.lastData = nil
	} else {
		timeout := r.timeout
		if s.Mods.Timeout != nil {
			if timeout, err = r.duration(s.Mods.Timeout); err != nil {
				return err
			}
		}
		ev, err := r.nextData(ctx, s.Pos, desc, timeout)
		if err != nil {
			return err
		}
		data, header = ev.Data, strconv.Quote(ev.Text)
	}
	if len(data) != n {
		return &Error{Pos: s.Pos, Step: desc, Kind: KindScript, Msg: fmt.Sprintf("want %d bytes, the modem sent %d after %s", n, len(data), header), Last: r.last()}
	}
	r.vars[s.Into] = data
	r.event(Event{Kind: EvStep, Pos: s.Pos, Step: desc, Captures: []Capture{{Name: s.Into, Value: r.redact(data)}}})
	return nil
}

func (r *run) nextData(ctx context.Context, pos lang.Pos, desc string, timeout time.Duration) (*pev, error) {
	hasData := func(ev *pev) bool { return ev.HasData }
	var got *pev
	err := r.wait(ctx, pos, desc, timeout, hasData, func() (bool, error) {
		for _, ev := range r.pending {
			if !ev.consumed && ev.Seq > r.cursor && ev.HasData {
				ev.consumed = true
				got = ev
				return true, nil
			}
		}
		return false, nil
	})
	if err == errWaitTimeout {
		return nil, r.timedOut(pos, desc, timeout, "no counted data", "")
	}
	return got, err
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d
}

// redact hides every form of every secret in s.
func (r *run) redact(s string) string { return r.red.String(s) }

// toString renders a value for interpolation, logs and emits.
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	}
	return 0, false
}

// writeBytes converts what write was given to bytes: a string is its
// bytes, a number 0..255 one byte, a list of numbers those bytes.
func writeBytes(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return []byte(x), nil
	case []byte:
		return x, nil
	case []any:
		out := make([]byte, 0, len(x))
		for _, e := range x {
			n, ok := toInt(e)
			if !ok || n < 0 || n > 255 {
				return nil, fmt.Errorf("write: list element %v is not a byte (0..255)", e)
			}
			out = append(out, byte(n))
		}
		return out, nil
	}
	if n, ok := toInt(v); ok {
		if n < 0 || n > 255 {
			return nil, fmt.Errorf("write: %d is not a byte (0..255)", n)
		}
		return []byte{byte(n)}, nil
	}
	return nil, fmt.Errorf("write: cannot write a %T", v)
}

// quoteAT quotes a command for display: in backquotes when it holds
// double quotes, as AT commands often do.
func quoteAT(s string) string {
	if strings.Contains(s, `"`) && !strings.Contains(s, "`") && strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// drainInflight waits a little for the final result code of a command the
// run was interrupted in, so that its late OK or ERROR cannot answer the
// first command of finally.
func (r *run) drainInflight(ctx context.Context) {
	if !r.inflight || r.conn == nil {
		return
	}
	r.owed = nil
	isFinal := r.isFinalEvent
	r.wait(ctx, lang.Pos{}, "", min(r.timeout, r.scale(5*time.Second)), isFinal, func() (bool, error) {
		for _, ev := range r.pending {
			if !ev.consumed && ev.Seq > r.cursor && isFinal(ev) {
				ev.consumed = true
				r.inflight = false
				return true, nil
			}
		}
		return false, nil
	})
}
