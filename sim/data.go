package sim

import (
	"errors"
	"time"
)

// Errors a ReadData callback may receive.
var (
	// ErrCancelled: the host typed ESC (0x1B) in Ctrl-Z mode.
	ErrCancelled = errors.New("data entry cancelled by ESC")
	// ErrIdle: DataEntry.Idle passed with no input.
	ErrIdle = errors.New("data entry timed out")
)

const (
	ctrlZ = 0x1A
	esc   = 0x1B
)

// DataEntry describes a data-mode exchange started by ReadData.
type DataEntry struct {
	// Prompt is written exactly as given before input is collected, e.g.
	// "\r\n> " (SIMCom), "\r\n>" or "@" (u-blox); include any framing.
	Prompt string
	// Len > 0 collects exactly Len bytes, whatever they contain. Len 0
	// collects until Ctrl-Z (0x1A, not included); ESC (0x1B) cancels.
	Len int
	// Max, in Ctrl-Z mode, stops collecting after Max bytes (0: no limit);
	// the callback sees the first Max bytes.
	Max int
	// Echo echoes collected bytes back, as some modules do in data mode.
	Echo bool
	// Idle, if set, ends data entry after this long without input (real
	// time, not scaled: a host must be able to type within it); the
	// callback gets what arrived and ErrIdle.
	Idle time.Duration
}

type dataEntry struct {
	req  DataEntry
	buf  []byte
	done func(data []byte, err error) error
	gen  int // bumped on every input byte, for the idle timer
}

// ReadData writes the prompt and switches the session to data mode; done
// runs on the session goroutine with the collected bytes (or an error,
// ErrCancelled / ErrIdle). done's result is the command's final result as
// for a Handler. ReadData returns Pending, so a handler can end with
// `return s.ReadData(...)`.
func (s *Session) ReadData(req DataEntry, done func(data []byte, err error) error) error {
	d := &dataEntry{req: req, done: done}
	s.data = d
	// Bytes typed before the prompt (with the command line, or while it
	// ran) are not the data: modules drop them.
	keep := s.Quirk(QuirkEarlyData) == "keep"
	if req.Prompt != "" {
		s.out.rawThen([]byte(req.Prompt), func(seq uint64) { s.markReady(seq, keep) })
	} else {
		s.markReady(s.out.seq.Load(), keep)
	}
	s.armIdle(d)
	return Pending
}

func (s *Session) armIdle(d *dataEntry) {
	if d.req.Idle <= 0 {
		return
	}
	gen := d.gen
	s.afterReal(d.req.Idle, func() {
		if s.data == d && d.gen == gen {
			s.endData(d.buf, ErrIdle)
		}
	})
}

// feedData moves buffered input into the pending data entry.
func (s *Session) feedData() {
	d := s.data
	d.gen++
	in := s.inbuf
	if d.req.Len > 0 {
		n := min(d.req.Len-len(d.buf), len(in))
		d.buf = append(d.buf, in[:n]...)
		s.inbuf = in[n:]
		if d.req.Echo {
			s.out.raw(in[:n])
		}
		if len(d.buf) == d.req.Len {
			s.endData(d.buf, nil)
		} else {
			s.armIdle(d)
		}
		return
	}
	for i, b := range in {
		switch b {
		case ctrlZ:
			s.echoData(in[:i])
			s.inbuf = in[i+1:]
			s.endData(d.buf, nil)
			return
		case esc:
			s.echoData(in[:i])
			s.inbuf = in[i+1:]
			s.endData(nil, ErrCancelled)
			return
		}
		if d.req.Max == 0 || len(d.buf) < d.req.Max {
			d.buf = append(d.buf, b)
		}
	}
	s.echoData(in)
	s.inbuf = nil
	s.armIdle(d)
}

func (s *Session) echoData(b []byte) {
	if s.data.req.Echo && len(b) > 0 {
		s.out.raw(b)
	}
}

func (s *Session) endData(data []byte, err error) {
	d := s.data
	s.data = nil
	res := d.done(data, err)
	if s.data != nil {
		return // the callback started another data entry
	}
	s.Finish(res)
}
