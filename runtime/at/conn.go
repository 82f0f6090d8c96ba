// Package at is the AT line protocol: it turns the bytes a modem sends into
// events (lines, prompts, lines carrying counted binary data), recognises
// the echo of what was just sent, and classifies final result codes.
//
// One goroutine owns reading the port. It frames bytes as they arrive and
// queues events; the interpreter takes them with Recv. Nothing is flushed
// away: every event is delivered once, in order.
package at

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind says what an event is.
type Kind int

const (
	// Line is a line of text, without its line ending.
	Line Kind = iota
	// Prompt is a prompt that arrived with no line ending (">", "@").
	Prompt
)

// Event is one thing the modem said.
type Event struct {
	Seq  uint64
	Kind Kind
	Text string
	// Data is the counted binary data that followed a data header such as
	// "+IPD,8:". HasData tells an empty payload from none.
	Data    string
	HasData bool
	// Echo marks the modem's echo of what was just sent: never matched.
	Echo bool
	// Cut marks a line cut at MaxLine because it had no end.
	Cut bool
	At  time.Time
}

// DataHeader describes a line that announces counted binary data: the data
// must be read by length, never split into lines. Which headers a modem
// prints is vendor knowledge: scripts declare them (dialect ... data).
type DataHeader struct {
	// Re matches the whole header. For inline data the header ends where
	// the data starts, with a punctuation character (`^#XRECV: (\d+),$`);
	// otherwise it matches the whole header line and the data follows its
	// line ending.
	Re *regexp.Regexp
	// LenGroup is the index of the group holding the byte count.
	LenGroup int
	// Inline is true when the data follows the header on the same line.
	Inline bool
	// Suffix is skipped after the data (the closing quote of some reads).
	Suffix string
	prefix string // the literal start of every match, to skip Re cheaply
}

// maxInlineHeader bounds how long a line may grow while still being tried
// as an inline header: headers are short, and trying a long line at each
// punctuation character would cost time quadratic in its length.
const maxInlineHeader = 1024

// Options configure a Conn. The zero value is usable.
type Options struct {
	DataHeaders []DataHeader // counted-data headers; none by default
	MaxLine     int          // a longer line is cut; 0 means 64 KiB
	MaxPending  int          // undelivered events kept; 0 means 10000
	// MaxPendingBytes bounds the text and data of undelivered events; 0
	// means 4 MiB. Past either bound the oldest events are dropped.
	MaxPendingBytes int
	// OnRx and OnTx see every byte received and sent (for transcripts).
	// OnRx is called from the reader goroutine.
	OnRx, OnTx func(b []byte, at time.Time)
	Now        func() time.Time
}

// ErrClosed is returned once the connection has been closed by Close.
var ErrClosed = errors.New("connection closed")

// Conn frames one modem connection.
type Conn struct {
	rw   io.ReadWriter
	opts Options

	wmu sync.Mutex // serialises writes

	mu      sync.Mutex
	queue   []Event       // framed, not yet taken by Recv
	wake    chan struct{} // closed when queue grows or err is set
	err     error         // why reading stopped
	seq     uint64
	armed   []string // prompts recognised without a line ending
	echo    []string // lines expected as echo of the last send, in order
	partial []byte   // the line being received
	// counted data in progress: a header matched and remaining bytes follow
	dataHdr  *DataHeader
	dataText string
	data     []byte
	dataLeft int
	skipLF   bool // a CR ended the last line: a following LF is part of it
	// held is counted data that completed but whose header promised a
	// suffix (the closing quote of +USORD): it is delivered when the
	// suffix follows; otherwise the header was not one (u-blox hex mode
	// prints the same header) and the bytes go back into the line.
	held       *Event
	heldSuffix string
	// echoData is a payload just written that the modem may echo byte for
	// byte: it is dropped as it arrives, until the first byte that differs.
	echoData     []byte
	droppedOld   int // events dropped because nobody took them
	pendingBytes int // text and data of the queue
}

// NewConn starts reading rw in its own goroutine.
func NewConn(rw io.ReadWriter, opts Options) *Conn {
	opts.DataHeaders = withPrefixes(opts.DataHeaders)
	if opts.MaxLine == 0 {
		opts.MaxLine = 64 << 10
	}
	if opts.MaxPending == 0 {
		opts.MaxPending = 10000
	}
	if opts.MaxPendingBytes == 0 {
		opts.MaxPendingBytes = 4 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Conn{rw: rw, opts: opts, wake: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *Conn) readLoop() {
	buf := make([]byte, 4096)
	for {
		n, err := c.rw.Read(buf)
		if n > 0 {
			now := c.opts.Now()
			if c.opts.OnRx != nil {
				c.opts.OnRx(buf[:n], now)
			}
			c.mu.Lock()
			c.feed(buf[:n], now)
			c.mu.Unlock()
		}
		if err != nil {
			c.mu.Lock()
			c.flushPartial(c.opts.Now())
			if c.err == nil {
				c.err = err
			}
			c.signal()
			c.mu.Unlock()
			return
		}
	}
}

// signal wakes every Recv. Called with mu held.
func (c *Conn) signal() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// feed frames bytes. Called with mu held, from the reader goroutine.
func (c *Conn) feed(b []byte, now time.Time) {
	before := len(c.queue)
	c.frame(b, now)
	c.checkPrompt(now)
	if len(c.queue) != before {
		c.signal()
	}
}

// frame turns bytes into events. Called with mu held.
func (c *Conn) frame(b []byte, now time.Time) {
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if len(c.echoData) > 0 && c.dataLeft == 0 && c.held == nil {
			if ch == c.echoData[0] {
				c.echoData = c.echoData[1:]
				continue
			}
			c.echoData = nil // no echo, or no more of it
		}
		if c.held != nil {
			if ch == c.heldSuffix[0] {
				c.heldSuffix = c.heldSuffix[1:]
				if c.heldSuffix == "" {
					c.push(*c.held)
					c.held = nil
				}
				continue
			}
			c.unhold(now)
		}
		switch {
		case ch == '\n' && c.skipLF:
			c.skipLF = false
		case c.dataLeft > 0:
			c.skipLF = false
			n := min(c.dataLeft, len(b)-i)
			c.data = append(c.data, b[i:i+n]...)
			c.dataLeft -= n
			i += n - 1
			if c.dataLeft == 0 {
				c.complete(Event{Kind: Line, Text: c.dataText, Data: string(c.data), HasData: true, At: now}, c.dataHdr.Suffix)
				c.data, c.dataHdr = nil, nil
			}
		case ch == '\r' || ch == '\n':
			c.skipLF = ch == '\r'
			c.endLine(now)
		default:
			c.skipLF = false
			c.partial = append(c.partial, ch)
			if isPunct(ch) && len(c.partial) <= maxInlineHeader {
				c.inlineHeader(now)
			}
			if len(c.partial) >= c.opts.MaxLine {
				c.push(Event{Kind: Line, Text: string(c.partial), Cut: true, At: now})
				c.partial = c.partial[:0]
			}
		}
	}
}

func (c *Conn) endLine(now time.Time) {
	text := string(c.partial)
	c.partial = c.partial[:0]
	if strings.TrimSpace(text) == "" {
		return // blank lines are skipped (a space left after a prompt, too)
	}
	for i := range c.opts.DataHeaders {
		h := &c.opts.DataHeaders[i]
		if h.Inline || !strings.HasPrefix(text, h.prefix) {
			continue
		}
		if m := h.Re.FindStringSubmatch(text); m != nil {
			if c.startData(h, text, m, now) {
				return
			}
		}
	}
	ev := Event{Kind: Line, Text: text, At: now}
	if len(c.echo) > 0 && c.echo[0] == text {
		ev.Echo = true
		c.echo = c.echo[1:]
	}
	c.push(ev)
}

func (c *Conn) inlineHeader(now time.Time) {
	var text string
	for i := range c.opts.DataHeaders {
		h := &c.opts.DataHeaders[i]
		if !h.Inline || !bytes.HasPrefix(c.partial, []byte(h.prefix)) {
			continue
		}
		if text == "" {
			text = string(c.partial)
		}
		if m := h.Re.FindStringSubmatch(text); m != nil && c.startData(h, text, m, now) {
			c.partial = c.partial[:0]
			return
		}
	}
}

// complete delivers a counted-data event, or holds it until its suffix.
func (c *Conn) complete(ev Event, suffix string) {
	if suffix == "" {
		c.push(ev)
		return
	}
	c.held, c.heldSuffix = &ev, suffix
}

// unhold frames a held event's header and data again as ordinary text.
func (c *Conn) unhold(now time.Time) {
	h := c.held
	c.held = nil
	c.partial = append(c.partial[:0], h.Text...)
	c.frame([]byte(h.Data), now)
}

// startData switches to counted mode. A zero count delivers at once.
func (c *Conn) startData(h *DataHeader, text string, m []string, now time.Time) bool {
	n, err := strconv.Atoi(m[h.LenGroup])
	if err != nil || n < 0 || n > 16<<20 {
		return false
	}
	if n == 0 {
		c.complete(Event{Kind: Line, Text: text, HasData: true, At: now}, h.Suffix)
		return true
	}
	c.dataHdr, c.dataText, c.dataLeft = h, text, n
	c.data = make([]byte, 0, n)
	return true
}

func (c *Conn) checkPrompt(now time.Time) {
	if len(c.armed) == 0 || len(c.partial) == 0 || c.dataLeft > 0 {
		return
	}
	got := strings.TrimRight(string(c.partial), " ")
	for _, p := range c.armed {
		if got == strings.TrimRight(p, " ") {
			c.push(Event{Kind: Prompt, Text: p, At: now})
			c.partial = c.partial[:0]
			c.armed = nil
			return
		}
	}
}

// flushPartial delivers an unterminated last line when reading ends.
func (c *Conn) flushPartial(now time.Time) {
	if c.held != nil {
		c.unhold(now)
	}
	if c.dataLeft > 0 {
		c.push(Event{Kind: Line, Text: c.dataText, Data: string(c.data), HasData: true, Cut: true, At: now})
		c.dataLeft = 0
	}
	if strings.TrimSpace(string(c.partial)) != "" {
		c.push(Event{Kind: Line, Text: string(c.partial), Cut: true, At: now})
	}
	c.partial = c.partial[:0]
}

func (c *Conn) push(ev Event) {
	c.seq++
	ev.Seq = c.seq
	c.queue = append(c.queue, ev)
	c.pendingBytes += len(ev.Text) + len(ev.Data)
	drop := 0
	for drop < len(c.queue)-1 && (len(c.queue)-drop > c.opts.MaxPending || c.pendingBytes > c.opts.MaxPendingBytes) {
		c.pendingBytes -= len(c.queue[drop].Text) + len(c.queue[drop].Data)
		drop++
	}
	if drop > 0 {
		c.queue = append(c.queue[:0], c.queue[drop:]...)
		c.droppedOld += drop
	}
}

// Dropped returns how many events were dropped unread because more than
// the pending bounds were waiting.
func (c *Conn) Dropped() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.droppedOld
}

// Recv returns the events framed since the last call, waiting until there
// is at least one. It returns the read error (io.EOF, a vanished port) once
// every event before it has been delivered.
func (c *Conn) Recv(ctx context.Context) ([]Event, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			q := c.queue
			c.queue, c.pendingBytes = nil, 0
			c.mu.Unlock()
			return q, nil
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return nil, err
		}
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TryRecv returns the events framed since the last call without waiting.
func (c *Conn) TryRecv() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queue
	c.queue, c.pendingBytes = nil, 0
	return q
}

// ArmPrompt makes p (">", "> ", "@") recognisable without a line ending
// until it arrives or the next Send. A prompt already waiting in the
// unfinished line is delivered at once.
func (c *Conn) ArmPrompt(p ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = append(c.armed[:0], p...)
	before := len(c.queue)
	c.checkPrompt(c.opts.Now())
	if len(c.queue) != before {
		c.signal()
	}
}

// Send writes b. Lines in echo are what the modem is expected to echo
// back; they are marked Echo when they arrive, in order.
func (c *Conn) Send(b []byte, echo ...string) error {
	c.mu.Lock()
	c.echo = append(c.echo[:0], echo...)
	c.echoData = nil
	c.armed = c.armed[:0]
	c.mu.Unlock()
	return c.Write(b)
}

// WriteData writes a payload, such as the bytes typed after a prompt.
// Modems that echo what is typed send it back byte for byte; that echo is
// dropped, so a payload holding "OK\r\n" cannot answer the step.
func (c *Conn) WriteData(b []byte) error {
	c.mu.Lock()
	c.echoData = append(c.echoData[:0], b...)
	c.mu.Unlock()
	return c.Write(b)
}

// Write writes b without touching echo or prompt state.
func (c *Conn) Write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.opts.OnTx != nil {
		c.opts.OnTx(b, c.opts.Now())
	}
	for len(b) > 0 {
		n, err := c.rw.Write(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// Close closes the underlying connection if it can be closed, which also
// ends the reader goroutine.
func (c *Conn) Close() error {
	if cl, ok := c.rw.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// Final result codes (V.250 and 3GPP TS 27.007).
var (
	errorFinals = []string{"ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE"}
)

// IsFinal reports whether a line is a final result code.
func IsFinal(line string) bool {
	return line == "OK" || IsErrorFinal(line)
}

// IsErrorFinal reports whether a line is a final result code that means
// the command failed.
func IsErrorFinal(line string) bool {
	for _, f := range errorFinals {
		if line == f {
			return true
		}
	}
	return strings.HasPrefix(line, "+CME ERROR:") || strings.HasPrefix(line, "+CMS ERROR:")
}

func isPunct(ch byte) bool {
	return ch > ' ' && ch < 0x7F && !('0' <= ch && ch <= '9') && !('a' <= ch && ch <= 'z') && !('A' <= ch && ch <= 'Z')
}

// withPrefixes copies headers, noting the literal text each match starts
// with.
func withPrefixes(hs []DataHeader) []DataHeader {
	out := make([]DataHeader, len(hs))
	for i, h := range hs {
		h.prefix = literalPrefix(h.Re)
		out[i] = h
	}
	return out
}

// literalPrefix is the literal text every match of an anchored re starts
// with ("+IPD," for `^\+IPD,(\d+):$`), or "".
func literalPrefix(re *regexp.Regexp) string {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(t *syntax.Regexp) bool // false once the literal part ends
	walk = func(t *syntax.Regexp) bool {
		switch t.Op {
		case syntax.OpBeginText, syntax.OpBeginLine, syntax.OpEmptyMatch:
			return true
		case syntax.OpLiteral:
			if t.Flags&syntax.FoldCase != 0 {
				return false
			}
			b.WriteString(string(t.Rune))
			return true
		case syntax.OpCapture:
			return walk(t.Sub[0])
		case syntax.OpConcat:
			for _, s := range t.Sub {
				if !walk(s) {
					return false
				}
			}
			return true
		}
		return false
	}
	walk(t)
	return b.String()
}
