package replay

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"
)

// PlayerOptions configure a Player.
type PlayerOptions struct {
	// Speed, when above 0, delays each RX chunk by its recorded gap from
	// the chunk before it, divided by Speed: 1 is real time, 10 is ten
	// times faster. 0 makes each RX chunk readable as soon as it is due.
	Speed float64
}

// Player plays a recording as a fake modem; see the package doc. Read,
// Write and Close may be called from different goroutines.
type Player struct {
	chunks []Chunk
	tx     []byte   // every TX chunk, concatenated
	txAt   []int    // txAt[i] is the offset in tx where TX chunk txIdx[i] starts
	txIdx  []int    // index in chunks of each TX chunk
	rx     []rxItem // RX chunks in order
	speed  float64

	mu      sync.Mutex
	txPos   int       // bytes of tx the host has sent
	elig    int       // rx[:elig] have their eligibleAt set
	next    int       // rx[:next] have been made readable
	lastDue time.Time // when the last readable chunk became due
	buf     []byte    // readable, not yet read
	closed  bool
	err     *Divergence // sticky: once diverged, every Write fails
	wake    chan struct{}
}

type rxItem struct {
	data       []byte
	need       int           // TX bytes that precede it in the recording
	gap        time.Duration // recorded time since the chunk before it
	eligibleAt time.Time     // when the host had sent need bytes
}

// NewPlayer returns a Player for rec. The recording's clock starts now.
func NewPlayer(rec *Recording, opts PlayerOptions) *Player {
	p := &Player{chunks: rec.Chunks, speed: opts.Speed, wake: make(chan struct{})}
	var prev time.Duration
	for i, c := range rec.Chunks {
		switch c.Dir {
		case TX:
			p.txAt = append(p.txAt, len(p.tx))
			p.txIdx = append(p.txIdx, i)
			p.tx = append(p.tx, c.Data...)
		case RX:
			p.rx = append(p.rx, rxItem{data: c.Data, need: len(p.tx), gap: max(c.At-prev, 0)})
		}
		prev = c.At
	}
	now := time.Now()
	p.lastDue = now
	p.markEligible(now)
	return p
}

// Read returns received bytes once they are due. After the last RX chunk
// it blocks until Close, like a silent modem; after Close it returns
// io.EOF.
func (p *Player) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return 0, io.EOF
		}
		wait := p.advance(time.Now())
		if len(p.buf) > 0 {
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			return n, nil
		}
		wake := p.wake
		p.mu.Unlock()
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-wake:
			case <-t.C:
			}
			t.Stop()
		} else {
			<-wake
		}
		p.mu.Lock()
	}
}

// advance makes due RX chunks readable. It returns how long until the next
// one is due, or 0 when none is waiting on time alone.
func (p *Player) advance(now time.Time) time.Duration {
	for p.next < p.elig {
		it := &p.rx[p.next]
		due := now
		if p.speed > 0 {
			base := it.eligibleAt
			if p.lastDue.After(base) {
				base = p.lastDue
			}
			due = base.Add(time.Duration(float64(it.gap) / p.speed))
			if due.After(now) {
				return due.Sub(now)
			}
		}
		p.buf = append(p.buf, it.data...)
		it.data = nil
		p.lastDue = due
		p.next++
	}
	return 0
}

func (p *Player) markEligible(now time.Time) {
	for p.elig < len(p.rx) && p.rx[p.elig].need <= p.txPos {
		p.rx[p.elig].eligibleAt = now
		p.elig++
	}
}

// Write accepts b if it continues the recording's TX stream. Otherwise it
// accepts the matching prefix and returns a *Divergence; every later Write
// returns the same error.
func (p *Player) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, io.ErrClosedPipe
	}
	if p.err != nil {
		return 0, p.err
	}
	rest := p.tx[p.txPos:]
	k := 0
	for k < len(b) && k < len(rest) && b[k] == rest[k] {
		k++
	}
	if k < len(b) {
		p.err = p.divergence(b, k)
	}
	if k > 0 {
		p.txPos += k
		p.markEligible(time.Now())
		p.signal()
	}
	if p.err != nil {
		return k, p.err
	}
	return k, nil
}

// Close makes blocked and later Reads return io.EOF and later Writes fail.
func (p *Player) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.signal()
	}
	return nil
}

// Unsent returns how many recorded TX bytes the host has not sent and the
// recording line where they start; (0, 0) when it sent them all.
func (p *Player) Unsent() (line, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txPos >= len(p.tx) {
		return 0, 0
	}
	return p.chunks[p.txChunk(p.txPos)].Line, len(p.tx) - p.txPos
}

func (p *Player) signal() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// txChunk returns the index in chunks of the TX chunk holding tx[off].
func (p *Player) txChunk(off int) int {
	i := sort.Search(len(p.txAt), func(i int) bool { return p.txAt[i] > off }) - 1
	return p.txIdx[i]
}

// contextBytes bounds how much of a line a Divergence shows either side of
// the first differing byte.
const contextBytes = 40

// divergence describes b[k] differing from the recording (or running past
// its end) at tx[p.txPos+k]. Both sides are shown from the start of the
// current line (the byte after the last CR or LF) to its end.
func (p *Player) divergence(b []byte, k int) *Divergence {
	d := p.txPos + k
	if d >= len(p.tx) {
		// Everything before matched; only the extra bytes are news.
		sent, cut := lineEnd(b[k:])
		return &Divergence{Offset: int64(d), End: true, Sent: append([]byte(nil), sent...), cutSent: cut}
	}
	from := bytes.LastIndexAny(p.tx[:d], "\r\n") + 1
	cutBefore := d-from > contextBytes
	if cutBefore {
		from = d - contextBytes
	}
	sent, cutSent := lineEnd(b[k:])
	dv := &Divergence{
		Offset:    int64(d),
		Sent:      append(append([]byte(nil), p.tx[from:d]...), sent...),
		cutBefore: cutBefore,
		cutSent:   cutSent,
	}
	want, cutWant := lineEnd(p.tx[d:])
	dv.Want = append(append([]byte(nil), p.tx[from:d]...), want...)
	dv.cutWant = cutWant
	dv.Line = p.chunks[p.txChunk(d)].Line
	return dv
}

// lineEnd returns b up to and including its first CR or LF, at most
// contextBytes long, and whether it was cut short.
func lineEnd(b []byte) ([]byte, bool) {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 && i < contextBytes {
		return b[:i+1], false
	}
	if len(b) > contextBytes {
		return b[:contextBytes], true
	}
	return b, false
}

// Divergence is a host write that the recording does not have.
type Divergence struct {
	// Offset is where the host's bytes first differ, counted in the
	// recording's TX stream (every TX chunk concatenated).
	Offset int64
	// Line is the recording line of the TX chunk holding the differing
	// byte; 0 when End.
	Line int
	// End is set when the host wrote past the end of the recording.
	End bool
	// Sent is what the host sent, from the start of the line the
	// difference is in (at most 40 bytes before it) to the end of that
	// line in the host's write (at most 40 bytes after it). When End, only
	// the bytes past the end.
	Sent []byte
	// Want is what the recording has over the same span; nil when End.
	Want []byte

	cutBefore, cutSent, cutWant bool
}

func (d *Divergence) Error() string {
	if d.End {
		return fmt.Sprintf("replay: the recording ends here (sent %s)", d.quote(d.Sent, d.cutSent))
	}
	return fmt.Sprintf("replay diverged: sent %s, recording has %s (recording line %d)",
		d.quote(d.Sent, d.cutSent), d.quote(d.Want, d.cutWant), d.Line)
}

func (d *Divergence) quote(b []byte, cutAfter bool) string {
	s := strconv.Quote(string(b))
	if d.cutBefore {
		s = "..." + s
	}
	if cutAfter {
		s += "..."
	}
	return s
}
