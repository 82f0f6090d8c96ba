package replay

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Recorder passes reads and writes through to a connection and logs each
// chunk to a recording as it happens. Read and Write may be called from
// different goroutines.
type Recorder struct {
	rw    io.ReadWriter
	start time.Time

	mu  sync.Mutex // orders lines and guards out, err
	out io.Writer
	err error // first error writing the recording; later lines are dropped
}

// NewRecorder writes the header (Magic and the meta lines) to out and
// returns a Recorder over rw. Times are measured from now.
func NewRecorder(rw io.ReadWriter, out io.Writer, meta ...Meta) (*Recorder, error) {
	b, err := appendHeader(nil, meta)
	if err != nil {
		return nil, err
	}
	if _, err := out.Write(b); err != nil {
		return nil, fmt.Errorf("write recording: %w", err)
	}
	return &Recorder{rw: rw, out: out, start: time.Now()}, nil
}

// Read reads from the connection and logs what arrived as RX.
func (r *Recorder) Read(p []byte) (int, error) {
	n, err := r.rw.Read(p)
	if n > 0 {
		// Logged before the caller sees the bytes, so anything the caller
		// sends in reaction is logged after them.
		r.log(RX, p[:n])
	}
	return n, err
}

// Write logs p as TX, then writes it to the connection. Logging first
// keeps a fast answer from being logged before the command that caused
// it.
func (r *Recorder) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return r.rw.Write(p)
	}
	r.log(TX, p)
	n, err := r.rw.Write(p)
	if n < len(p) {
		r.note(strings.ReplaceAll(fmt.Sprintf("# tx: only %d of %d bytes were written: %v", n, len(p), err), "\n", " "))
	}
	return n, err
}

// Close closes the connection if it is an io.Closer and returns the first
// error met writing the recording, if any, else the close error.
func (r *Recorder) Close() error {
	var cerr error
	if c, ok := r.rw.(io.Closer); ok {
		cerr = c.Close()
	}
	if err := r.Err(); err != nil {
		return err
	}
	return cerr
}

// Err returns the first error met writing the recording. After it, the
// recording is incomplete and no more lines are written.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Recorder) log(dir Dir, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// The time is read under the lock so that times never go backwards.
	r.writeLocked(appendChunkLine(nil, time.Since(r.start), dir, data))
}

func (r *Recorder) note(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writeLocked([]byte(text + "\n"))
}

func (r *Recorder) writeLocked(line []byte) {
	if r.err != nil {
		return
	}
	if _, err := r.out.Write(line); err != nil {
		r.err = fmt.Errorf("write recording: %w", err)
	}
}
