package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Modem is a virtual modem: a profile plus options. Each Serve call runs an
// independent session (its own echo, state, sockets).
type Modem struct {
	profile *Profile
	opts    Options
}

// New returns the virtual modem of the registered profile name.
func New(name string, opts Options) (*Modem, error) {
	p, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown modem profile %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("sim %q: %w", p.Name, err)
	}
	if err := checkQuirks(p, opts.Quirks); err != nil {
		return nil, fmt.Errorf("sim %q: %w", p.Name, err)
	}
	return &Modem{profile: p, opts: opts.identity(p)}, nil
}

// Profile returns the modem's profile.
func (m *Modem) Profile() Profile { return *m.profile }

// Options returns the options with identity defaults filled in.
func (m *Modem) Options() Options { return m.opts }

// Serve runs one AT session over rw until ctx is done or reading rw fails
// (io.EOF ends it cleanly, with a nil error). If rw is an io.Closer, Serve
// closes it on return, which unblocks its reader.
func (m *Modem) Serve(ctx context.Context, rw io.ReadWriter) error {
	s := newSession(ctx, m, rw)
	return s.run()
}

// maxLine bounds a command line; longer input is discarded like a real
// modem's overflowing buffer.
const maxLine = 8192

// Session is one running AT session. Handlers and callbacks get it; all of
// them run on the session goroutine, so profile state needs no locking.
// Only Post and After may be called from other goroutines.
type Session struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	modem   *Modem
	profile *Profile
	opts    *Options
	out     *output
	rw      io.ReadWriter

	// posted functions; the only state shared with other goroutines.
	qmu    sync.Mutex
	queue  []posted
	notify chan struct{}
	epoch  atomic.Uint64 // bumped by every restart; stale callbacks are dropped

	// Everything below is owned by the session goroutine.
	rng       *rand.Rand
	inbuf     []byte
	line      []byte
	busy      bool    // a command line is executing
	inRuns    []inRun // output stamps of inbuf's bytes, oldest first
	inTotal   uint64  // bytes ever added to inbuf; inRuns count in it
	readyAt   uint64  // output seq when the modem last listened again
	keepEarly bool    // input stamped before readyAt is kept (lenient quirks)
	busyCR    bool    // a CR ended the input typed while busy, for BusyReply
	chain     []*Command
	chainAt   int
	lastRes   error
	data      *dataEntry
	booting   bool
	restart   bool // restart after the current command line
	lines     int  // command lines received, for RebootAfter
	rebooted  bool
	state     any
	resources map[io.Closer]struct{}

	echo     bool
	cmee     int
	cfun     int
	regStat  int // 0 not registered, 1 home, 2 searching
	attached bool
	regMode  map[string]int // "+CREG", "+CGREG", "+CEREG" -> URC mode
	pdp      map[int]pdpContext
}

type posted struct {
	epoch   uint64
	f       func()
	dropped func() // optional: runs instead of f when a restart made f stale
}

type pdpContext struct {
	typ, apn string
	active   bool
}

func newSession(ctx context.Context, m *Modem, rw io.ReadWriter) *Session {
	ctx, cancel := context.WithCancelCause(ctx)
	o := m.opts
	seed := uint64(o.Seed)
	s := &Session{
		ctx:       ctx,
		cancel:    cancel,
		modem:     m,
		profile:   m.profile,
		opts:      &o,
		rw:        rw,
		notify:    make(chan struct{}, 1),
		rng:       rand.New(rand.NewPCG(seed, 0x5eed_0003)),
		resources: map[io.Closer]struct{}{},
	}
	s.out = newOutput(rw, s.opts, seed)
	return s
}

func (s *Session) run() (err error) {
	defer s.cancel(nil)
	// A profile bug must not take the host process down: the session
	// ends with an error naming it.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sim %q: internal error in profile: %v\n%s", s.profile.Name, r, debug.Stack())
		}
	}()
	if c, ok := s.rw.(io.Closer); ok {
		defer c.Close()
	}
	defer s.drop()

	in := make(chan input, 16)
	readErr := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := s.rw.Read(buf)
			if n > 0 {
				// The stamp tells what the host could have seen
				// when it typed this.
				b := input{append([]byte(nil), buf[:n]...), s.out.seq.Load()}
				select {
				case in <- b:
				case <-s.ctx.Done():
					return
				}
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()

	if s.opts.ColdBoot {
		s.reboot()
	} else {
		s.resetSettings()
		s.newState()
		s.regStat, s.attached = 1, true
	}
	for {
		select {
		case b := <-in:
			s.input(b)
			// Work posted before this input (a zero-delay After at
			// TimeScale 0) runs first, as it would have on a real modem.
			s.runPosted()
		case <-s.notify:
			s.runPosted()
		case err := <-readErr:
			if errors.Is(err, io.EOF) {
				return s.outErr()
			}
			if s.ctx.Err() != nil {
				return s.outErr()
			}
			return fmt.Errorf("sim %q: read: %w", s.profile.Name, err)
		case <-s.ctx.Done():
			return s.outErr()
		}
	}
}

// input is what one read returned, stamped with the output seq then.
type input struct {
	b   []byte
	seq uint64
}

// inRun marks inbuf's bytes up to position upto (in inTotal) as read at
// output seq.
type inRun struct{ upto, seq uint64 }

// input takes what the host typed. Input typed while a command line runs
// (or before a prompt) is held, not echoed: a module's parser echoes what
// it reads, and it does not read while it executes (ESP-AT logs show
// "busy p..." and no echo, esp-at #388). When the modem listens again,
// markReady drops the held input unless a lenient quirk keeps it; input
// typed before that moment but handled after it is dropped here.
func (s *Session) input(in input) {
	stale := in.seq < s.readyAt
	if s.busy && s.data == nil || stale {
		s.answerBusy(in.b)
	}
	if stale && !s.keepEarly {
		return
	}
	head := s.inTotal - uint64(len(s.inbuf))
	for len(s.inRuns) > 0 && s.inRuns[0].upto <= head {
		s.inRuns = s.inRuns[1:]
	}
	s.inbuf = append(s.inbuf, in.b...)
	s.inTotal += uint64(len(in.b))
	s.inRuns = append(s.inRuns, inRun{s.inTotal, in.seq})
}

// answerBusy gives the profile's BusyReply for each line end typed while
// a command line runs. ESP-AT answers even an empty line (esp-at #392).
func (s *Session) answerBusy(b []byte) {
	if s.profile.BusyReply == "" || s.Quirk(QuirkBusyInput) != "ignore" {
		return
	}
	crlf := s.crlf()
	for _, c := range b {
		if crlf && c == '\n' && s.busyCR || !crlf && c == '\r' {
			s.out.line(s.profile.BusyReply)
		}
		s.busyCR = c == '\r'
	}
}

// markReady runs when the last byte of a final result's text (keep:
// busy-input "queue") or of a prompt's (keep: early-data "keep") is about
// to go out, output seq then being seq: from then on the modem reads
// input again.
// What the host typed before is dropped: a real module did not read it
// (V.250 §5.6.1 lets it ignore a line typed while a command executes; no
// module buffers data typed before its prompt). The moment is the one
// the host can see, after Latency, Baud pacing and chunking.
func (s *Session) markReady(seq uint64, keep bool) {
	s.readyAt, s.keepEarly, s.busyCR = seq, keep, false
	if keep {
		return
	}
	// Stamps grow with position, so the stale bytes are a prefix.
	head := s.inTotal - uint64(len(s.inbuf))
	for len(s.inRuns) > 0 && s.inRuns[0].seq < seq {
		if end := s.inRuns[0].upto; end > head {
			s.inbuf = s.inbuf[end-head:]
			head = end
		}
		s.inRuns = s.inRuns[1:]
	}
}

// outErr is the session's result: a failed write, or nil. A host that
// hung up (closed pipe, reset connection) ends the session cleanly.
func (s *Session) outErr() error {
	err := s.out.error()
	if err == nil || hungUp(err) {
		return nil
	}
	return fmt.Errorf("sim %q: write: %w", s.profile.Name, err)
}

func hungUp(err error) bool {
	return errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EIO)
}

func (s *Session) runPosted() {
	s.qmu.Lock()
	q := s.queue
	s.queue = nil
	s.qmu.Unlock()
	cur := s.epoch.Load()
	for _, p := range q {
		switch {
		case p.epoch == cur:
			p.f()
		case p.dropped != nil:
			p.dropped()
		}
	}
	s.process()
	if s.out.error() != nil {
		s.cancel(s.out.error())
	}
}

// Post runs f on the session goroutine. It is safe from any goroutine and
// never blocks. Functions posted before a restart are dropped.
func (s *Session) Post(f func()) { s.postAt(s.epoch.Load(), f) }

func (s *Session) postAt(epoch uint64, f func()) { s.postOr(epoch, f, nil) }

func (s *Session) postOr(epoch uint64, f, dropped func()) {
	s.qmu.Lock()
	s.queue = append(s.queue, posted{epoch, f, dropped})
	s.qmu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// After runs f on the session goroutine after d scaled by
// Options.TimeScale. Safe from any goroutine; a restart cancels it.
func (s *Session) After(d time.Duration, f func()) {
	s.afterReal(s.Scale(d), f)
}

func (s *Session) afterReal(d time.Duration, f func()) {
	ep := s.epoch.Load()
	if d <= 0 {
		s.postAt(ep, f)
		return
	}
	t := time.AfterFunc(d, func() { s.postAt(ep, f) })
	context.AfterFunc(s.ctx, func() { t.Stop() })
}

// AfterURC prints line as an unsolicited result after d (scaled).
func (s *Session) AfterURC(d time.Duration, line string) {
	s.After(d, func() { s.URC(line) })
}

// Scale multiplies a modelled delay by Options.TimeScale.
func (s *Session) Scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.opts.TimeScale)
}

// Between returns a seeded random delay in [lo, hi], unscaled: pass it to
// After, which scales it.
func (s *Session) Between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

// Rand is the session's seeded random source for profile decisions.
func (s *Session) Rand() *rand.Rand { return s.rng }

// Context is cancelled when the session ends.
func (s *Session) Context() context.Context { return s.ctx }

// Options returns the modem options (identity defaults filled in).
func (s *Session) Options() Options { return *s.opts }

// Quirk returns the selected value of a profile quirk (its default unless
// Options.Quirks names it).
func (s *Session) Quirk(name string) string {
	if v, ok := s.opts.Quirks[name]; ok {
		return v
	}
	q, _ := s.profile.quirk(name)
	return q.Default()
}

// Profile returns the session's profile.
func (s *Session) Profile() Profile { return *s.profile }

// State returns the profile state made by Profile.NewState.
func (s *Session) State() any { return s.state }

// StateOf returns the session's profile state as T. It panics if the state
// has another type, which is a programming error in the profile.
func StateOf[T any](s *Session) T { return s.state.(T) }

// Echo reports whether command echo is on (ATE1).
func (s *Session) Echo() bool { return s.echo }

// SetEcho switches command echo.
func (s *Session) SetEcho(on bool) { s.echo = on }

// CMEE returns the AT+CMEE mode.
func (s *Session) CMEE() int { return s.cmee }

// Registered reports network registration (stat 1 or 5).
func (s *Session) Registered() bool { return s.regStat == 1 || s.regStat == 5 }

// Attached reports packet-domain attach (AT+CGATT?).
func (s *Session) Attached() bool { return s.attached }

// SetAttached changes the packet-domain attach state.
func (s *Session) SetAttached(on bool) { s.attached = on }

// Track registers a resource to close on restart and at session end.
func (s *Session) Track(c io.Closer) { s.resources[c] = struct{}{} }

// Untrack forgets a resource registered with Track.
func (s *Session) Untrack(c io.Closer) { delete(s.resources, c) }

func (s *Session) closeResources() {
	for c := range s.resources {
		c.Close()
	}
	clear(s.resources)
	if c, ok := s.state.(io.Closer); ok {
		c.Close()
	}
	s.state = nil
}

// drop ends the session's resources, including sockets whose results were
// still queued.
func (s *Session) drop() {
	s.closeResources()
	s.epoch.Add(1)
	s.qmu.Lock()
	q := s.queue
	s.queue = nil
	s.qmu.Unlock()
	for _, p := range q {
		if p.dropped != nil {
			p.dropped()
		}
	}
}

func (s *Session) newState() {
	if s.profile.NewState != nil {
		s.state = s.profile.NewState(s)
	}
}

func (s *Session) resetSettings() {
	s.echo = !s.profile.EchoOff
	s.cmee = s.profile.CMEE
	s.cfun = 1
	s.regMode = map[string]int{}
	s.pdp = map[int]pdpContext{}
}

// Restart reboots the modem: after the current command's final result (or
// at once outside a command) it drops sockets and state, waits BootTime,
// prints the boot lines and registers again.
func (s *Session) Restart() {
	if s.busy {
		s.restart = true
		return
	}
	s.reboot()
}

func (s *Session) reboot() {
	s.epoch.Add(1)
	s.closeResources()
	s.resetSettings()
	s.busy, s.chain, s.data, s.restart = false, nil, nil, false
	s.inbuf, s.line = nil, nil
	s.regStat, s.attached = 0, false
	s.booting = true
	s.newState()
	if f := s.opts.OnBoot; f != nil {
		f(false, s.Scale(s.profile.BootTime))
	}
	s.After(s.profile.BootTime, s.bootDone)
}

func (s *Session) bootDone() {
	s.booting = false
	s.inbuf = nil
	if f := s.opts.OnBoot; f != nil {
		f(true, 0)
	}
	for _, l := range s.profile.Boot {
		s.Reply(l)
	}
	s.register(2)
	s.After(2*time.Second, func() {
		s.register(1)
		s.attached = true
	})
	if s.profile.OnBoot != nil {
		s.profile.OnBoot(s)
	}
}

// register changes the registration state and prints the +CREG/+CGREG/
// +CEREG URCs the host asked for, after the current command's result.
func (s *Session) register(stat int) {
	if s.regStat == stat {
		return
	}
	s.regStat = stat
	var urcs []string
	for _, name := range []string{"+CREG", "+CGREG", "+CEREG"} {
		switch s.regMode[name] {
		case 1:
			urcs = append(urcs, fmt.Sprintf("%s: %d", name, stat))
		case 2:
			urcs = append(urcs, fmt.Sprintf("%s: %d%s", name, stat, s.cellInfo(name)))
		}
	}
	if len(urcs) > 0 {
		s.Post(func() {
			for _, u := range urcs {
				s.URC(u)
			}
		})
	}
}

// Reply prints one information line framed as "\r\nTEXT\r\n".
func (s *Session) Reply(text string) { s.out.line(text) }

// Replyf is Reply with formatting.
func (s *Session) Replyf(format string, args ...any) { s.out.line(fmt.Sprintf(format, args...)) }

// URC prints an unsolicited result line; framing as Reply.
func (s *Session) URC(text string) { s.out.line(text) }

// Write prints raw bytes exactly (prompts, binary data); the drop and
// garble knobs spare them.
func (s *Session) Write(b []byte) { s.out.raw(b) }

// WriteString is Write for text.
func (s *Session) WriteString(t string) { s.out.raw([]byte(t)) }

// process consumes buffered input according to the session's mode.
func (s *Session) process() {
	for len(s.inbuf) > 0 && s.ctx.Err() == nil {
		switch {
		case s.booting:
			s.inbuf = nil // nobody listens while booting
		case s.data != nil:
			s.feedData()
		case s.busy:
			return // held until the final result (markReady)
		default:
			if !s.scanCommand() {
				return // the rest of a line end has not arrived yet
			}
		}
	}
}

// crlf reports whether only CR LF ends a command line.
func (s *Session) crlf() bool { return s.profile.CRLF && s.Quirk(QuirkLineEnd) == "module" }

// scanCommand consumes command-mode input up to and including one line
// end (CR, or CR LF for a CRLF profile), echoing what it consumes. It
// returns false when it could not go on: a CR that may start a CR LF is
// the last byte so far.
func (s *Session) scanCommand() bool {
	i := 0
	var echo []byte
	defer func() {
		if s.echo && len(echo) > 0 {
			s.out.raw(echo)
		}
	}()
	for i < len(s.inbuf) {
		b := s.inbuf[i]
		i++
		switch {
		case b == '\n' && len(s.line) == 0:
			continue // the LF of a CRLF line end
		case b == '\r' && s.crlf() && i == len(s.inbuf):
			s.inbuf = s.inbuf[i-1:] // wait for the next byte
			return false
		case b == '\r' && s.crlf() && s.inbuf[i] != '\n':
			// A bare CR does not end an ESP-AT line: it stays in it,
			// and the line will not parse.
			if len(s.line) < maxLine {
				s.line = append(s.line, b)
			}
		case b == '\r':
			echo = append(echo, b)
			if s.crlf() {
				echo = append(echo, '\n')
				i++
			}
			line := string(s.line)
			s.line = s.line[:0]
			s.inbuf = s.inbuf[i:]
			if s.echo && len(echo) > 0 {
				s.out.raw(echo)
			}
			echo = nil
			s.execLine(line)
			return true
		case b == 0x08 || b == 0x7f:
			if len(s.line) > 0 {
				s.line = s.line[:len(s.line)-1]
			}
		default:
			if len(s.line) < maxLine {
				s.line = append(s.line, b)
			}
		}
		echo = append(echo, b)
	}
	s.inbuf = s.inbuf[i:]
	return true
}

// execLine starts a command line.
func (s *Session) execLine(line string) {
	at := indexAT(line)
	if at < 0 {
		return // not a command: V.250 ignores characters before "AT"
	}
	// A bare CR left in an ESP-AT line ("AT\rAT+GMR" after "AT\r" and
	// "AT+GMR\r\n") garbles it. Assumption: the firmware keeps the bytes
	// until CR LF and rejects the line as it rejects any unparsable one.
	garbled := s.crlf() && strings.ContainsRune(line[at:], '\r')
	line = strings.TrimSpace(line[at:])
	s.lines++
	s.busy = true
	cmds, err := ParseLine(line, s.profile.BackslashEscapes)
	if err != nil || garbled {
		s.endLine(ErrError)
		return
	}
	s.chain, s.chainAt, s.lastRes = cmds, 0, nil
	if s.opts.Latency > 0 {
		s.afterReal(s.opts.Latency, s.runChain)
		return
	}
	s.runChain()
}

// indexAT finds "AT" in any case, byte-wise (the line may not be UTF-8).
func indexAT(line string) int {
	for i := 0; i+1 < len(line); i++ {
		if (line[i] == 'A' || line[i] == 'a') && (line[i+1] == 'T' || line[i+1] == 't') {
			return i
		}
	}
	return -1
}

// runChain runs the remaining commands of the current line.
func (s *Session) runChain() {
	for s.chainAt < len(s.chain) {
		c := s.chain[s.chainAt]
		s.chainAt++
		h := s.handler(c.Name)
		if h == nil {
			s.endLine(ErrError)
			return
		}
		err := h(s, c)
		if errors.Is(err, Pending) {
			return
		}
		if !chainable(err) {
			s.endLine(err)
			return
		}
		s.lastRes = err
	}
	s.endLine(s.lastRes)
}

// chainable reports whether the next command of a line may run.
func chainable(err error) bool {
	return err == nil || errors.Is(err, Done)
}

func (s *Session) handler(name string) Handler {
	if h, ok := s.profile.Commands[name]; ok {
		return h
	}
	return commonCommands[name]
}

// Finish delivers the final result of a command that returned Pending (or
// whose ReadData callback returned Pending), then continues the line.
// It does nothing when no command is pending.
func (s *Session) Finish(res error) {
	if !s.busy || s.data != nil {
		return
	}
	if errors.Is(res, Pending) {
		return
	}
	if !chainable(res) {
		s.endLine(res)
		return
	}
	s.lastRes = res
	s.runChain()
}

// Busy reports whether a command line is executing.
func (s *Session) Busy() bool { return s.busy }

func (s *Session) endLine(res error) {
	keep := s.Quirk(QuirkBusyInput) == "queue"
	if l := s.finalLine(res); l != "" {
		s.out.lineThen(l, func(seq uint64) { s.markReady(seq, keep) })
	} else {
		// Done: the handler's last line (a bare answer) was the end.
		s.markReady(s.out.seq.Load(), keep)
	}
	s.busy, s.chain, s.chainAt, s.lastRes = false, nil, 0, nil
	if s.opts.RebootAfter > 0 && s.lines >= s.opts.RebootAfter && !s.rebooted {
		s.rebooted = true
		s.restart = true
	}
	if s.restart {
		s.restart = false
		s.reboot()
	}
}
