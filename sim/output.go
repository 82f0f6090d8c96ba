package sim

import (
	"bytes"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// output serializes everything the modem writes and applies the output
// fault knobs. Each knob has its own seeded stream, so turning one on does
// not change the choices of another.
type output struct {
	mu      sync.Mutex
	w       io.Writer
	opts    *Options
	lineRng *rand.Rand // drop and garble decisions
	chunkRn *rand.Rand // chunk sizes
	next    time.Time  // baud pacing: when the line is free again
	lines   int        // response lines written, for InjectURC
	err     error      // first write error; later writes are skipped

	// seq counts the pieces (lines, raw writes) whose text went out; it
	// moves just before the chunk with the text's last byte (a line's
	// CR LF, a prompt's space may follow) is written. The reader stamps
	// input with it to know what the host could have seen.
	seq atomic.Uint64
}

func newOutput(w io.Writer, o *Options, seed uint64) *output {
	return &output{
		w:       w,
		opts:    o,
		lineRng: rand.New(rand.NewPCG(seed, 0x5eed_0001)),
		chunkRn: rand.New(rand.NewPCG(seed, 0x5eed_0002)),
	}
}

func (o *output) error() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// line writes "\r\nTEXT\r\n", subject to injection, drop and garble.
func (o *output) line(text string) { o.lineThen(text, nil) }

// lineThen is line for a final result: ready runs just before the last
// byte of TEXT is written (after Baud pacing, with its chunk), or at once
// if the line is dropped, because from then on the modem listens again:
// a host may act on "OK" before its CR LF, and a module's parser is back
// in command state by then (likewise on "> " at its ">"). It gets the
// piece's seq.
func (o *output) lineThen(text string, ready func(seq uint64)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.opts.InjectURC != "" {
		o.lines++
		if o.lines%o.opts.InjectEvery == 0 {
			o.write([]byte("\r\n"+o.opts.InjectURC+"\r\n"), nil)
		}
	}
	if o.opts.DropRate > 0 && o.lineRng.Float64() < o.opts.DropRate {
		if ready != nil {
			ready(o.seq.Load())
		}
		return
	}
	b := []byte("\r\n" + text + "\r\n")
	if o.opts.GarbleRate > 0 && o.lineRng.Float64() < o.opts.GarbleRate {
		garble(b[2:len(b)-2], o.lineRng)
	}
	o.write(b, ready)
}

// garble corrupts about a quarter of the line (at least one byte) with
// printable characters that differ from the originals; an empty line
// becomes "?".
func garble(b []byte, rng *rand.Rand) {
	if len(b) == 0 {
		return
	}
	n := 1 + len(b)/4
	for range n {
		i := rng.IntN(len(b))
		c := byte('!' + rng.IntN(94))
		if c == b[i] {
			c = '#'
			if b[i] == '#' {
				c = '%'
			}
		}
		b[i] = c
	}
}

// raw writes b exactly.
func (o *output) raw(b []byte) { o.rawThen(b, nil) }

// rawThen is raw for a prompt; ready as for lineThen.
func (o *output) rawThen(b []byte, ready func(seq uint64)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.write(b, ready)
}

// write applies Chunk and Baud and moves seq before the chunk with the
// last byte of b's text (not CR, LF or space); ready, if set, runs then
// (or when writing stops on an error). The caller holds mu.
func (o *output) write(b []byte, ready func(seq uint64)) {
	end := len(bytes.TrimRight(b, "\r\n "))
	off := 0
	for len(b) > 0 && o.err == nil {
		n := len(b)
		if o.opts.Chunk > 0 {
			n = min(n, 1+o.chunkRn.IntN(o.opts.Chunk))
		}
		o.pace(n)
		if off < end && end <= off+n || end <= 0 && off == 0 {
			seq := o.seq.Add(1)
			if ready != nil {
				ready(seq)
				ready = nil
			}
		}
		_, o.err = o.w.Write(b[:n])
		b = b[n:]
		off += n
	}
	if ready != nil {
		ready(o.seq.Load())
	}
}

// pace sleeps for the time n bytes take on the wire at Options.Baud
// (10 bits per byte: start, 8 data, stop).
func (o *output) pace(n int) {
	if o.opts.Baud <= 0 {
		return
	}
	now := time.Now()
	if o.next.Before(now) {
		o.next = now
	}
	o.next = o.next.Add(time.Duration(n) * 10 * time.Second / time.Duration(o.opts.Baud))
	time.Sleep(o.next.Sub(now))
}
