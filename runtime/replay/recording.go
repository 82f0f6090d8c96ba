package replay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Magic is the first line of every version 1 recording.
const Magic = "# atrun recording v1"

// Dir is the direction of a chunk.
type Dir string

const (
	TX Dir = "TX" // host to modem
	RX Dir = "RX" // modem to host
)

// Meta is one "# key: value" header line.
type Meta struct{ Key, Value string }

// Chunk is the bytes one Read or Write carried.
type Chunk struct {
	Line int           // 1-based line in the recording file; 0 if built in memory
	At   time.Duration // since the recording started
	Dir  Dir
	Data []byte
}

// Recording is a loaded session.
type Recording struct {
	Meta   []Meta
	Chunks []Chunk
}

// Get returns the value of the first metadata key, or "".
func (r *Recording) Get(key string) string {
	for _, m := range r.Meta {
		if m.Key == key {
			return m.Value
		}
	}
	return ""
}

// SyntaxError is a malformed line of a recording.
type SyntaxError struct {
	Line int // 1-based
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Load reads a recording. A malformed line gives a *SyntaxError with its
// line number.
func Load(r io.Reader) (*Recording, error) {
	br := bufio.NewReader(r)
	rec := &Recording{}
	inHeader := true
	var last time.Duration
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if line == "" && err != nil {
			if n == 1 {
				return nil, &SyntaxError{Line: 1, Msg: fmt.Sprintf("empty file: want %q", Magic)}
			}
			return rec, nil
		}
		line = strings.TrimRight(line, "\r\n")
		if n == 1 {
			if err := checkMagic(line); err != nil {
				return nil, &SyntaxError{Line: 1, Msg: err.Error()}
			}
			continue
		}
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, "#"):
			if inHeader {
				m, err := parseMeta(line)
				if err != nil {
					return nil, &SyntaxError{Line: n, Msg: err.Error()}
				}
				rec.Meta = append(rec.Meta, m)
			}
			continue
		}
		inHeader = false
		c, err := parseChunk(line)
		if err != nil {
			return nil, &SyntaxError{Line: n, Msg: err.Error()}
		}
		if c.At < last {
			return nil, &SyntaxError{Line: n, Msg: fmt.Sprintf("time goes backwards: %s after %s", formatAt(c.At), formatAt(last))}
		}
		last = c.At
		c.Line = n
		rec.Chunks = append(rec.Chunks, c)
	}
}

func checkMagic(line string) error {
	line = strings.TrimSpace(line)
	if line == Magic {
		return nil
	}
	if v, ok := strings.CutPrefix(line, "# atrun recording "); ok {
		return fmt.Errorf("unsupported recording version %q: this atrun reads v1", v)
	}
	return fmt.Errorf("not an atrun recording: got %q, want %q", clip(line, 40), Magic)
}

func parseMeta(line string) (Meta, error) {
	body := strings.TrimSpace(strings.TrimPrefix(line, "#"))
	key, value, ok := strings.Cut(body, ":")
	if !ok || key == "" || strings.ContainsAny(key, " \t") {
		return Meta{}, fmt.Errorf("bad header line %q: want \"# key: value\"", clip(line, 40))
	}
	return Meta{Key: key, Value: strings.TrimSpace(value)}, nil
}

func parseChunk(line string) (Chunk, error) {
	at, rest, ok := strings.Cut(line, " ")
	if !ok {
		return Chunk{}, fmt.Errorf("bad chunk line %q: want +SECONDS.MICROS TX|RX \"bytes\"", clip(line, 40))
	}
	d, err := parseAt(at)
	if err != nil {
		return Chunk{}, err
	}
	dir, q, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	switch Dir(dir) {
	case TX, RX:
	default:
		return Chunk{}, fmt.Errorf("bad direction %q: want TX or RX", clip(dir, 20))
	}
	q = strings.TrimSpace(q)
	if !strings.HasPrefix(q, `"`) {
		return Chunk{}, fmt.Errorf("bad bytes %s: want a double-quoted Go string", quoteOr(q))
	}
	s, err := strconv.Unquote(q)
	if err != nil {
		return Chunk{}, fmt.Errorf("bad bytes %s: not a valid Go double-quoted string", quoteOr(q))
	}
	if s == "" {
		return Chunk{}, errors.New("empty chunk")
	}
	return Chunk{At: d, Dir: Dir(dir), Data: []byte(s)}, nil
}

// parseAt reads "+S.FFFFFF" (one to nine fraction digits).
func parseAt(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("bad time %q: want +SECONDS.MICROS", clip(s, 20))
	}
	body, ok := strings.CutPrefix(s, "+")
	if !ok {
		return bad()
	}
	sec, frac, _ := strings.Cut(body, ".")
	if sec == "" || len(frac) > 9 || !digits(sec) || !digits(frac) {
		return bad()
	}
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n > int64(time.Duration(1<<63-1)/time.Second)-1 {
		return bad()
	}
	ns := int64(0)
	if frac != "" {
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		ns = f
	}
	return time.Duration(n)*time.Second + time.Duration(ns), nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func formatAt(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("+%d.%06d", us/1e6, us%1e6)
}

// appendChunkLine appends one chunk line, newline included.
func appendChunkLine(b []byte, at time.Duration, dir Dir, data []byte) []byte {
	b = append(b, formatAt(at)...)
	b = append(b, ' ')
	b = append(b, dir...)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, string(data))
	return append(b, '\n')
}

func appendHeader(b []byte, meta []Meta) ([]byte, error) {
	b = append(b, Magic...)
	b = append(b, '\n')
	for _, m := range meta {
		if m.Key == "" || strings.ContainsAny(m.Key, " \t:\r\n") {
			return nil, fmt.Errorf("bad recording header key %q: want a word without spaces or colons", m.Key)
		}
		if strings.ContainsAny(m.Value, "\r\n") {
			return nil, fmt.Errorf("bad recording header %q: the value has a line break", m.Key)
		}
		b = fmt.Appendf(b, "# %s: %s\n", m.Key, m.Value)
	}
	return b, nil
}

// WriteTo writes the recording in the version 1 format. Times are written
// to the microsecond.
func (r *Recording) WriteTo(w io.Writer) (int64, error) {
	b, err := appendHeader(nil, r.Meta)
	if err != nil {
		return 0, err
	}
	for _, c := range r.Chunks {
		b = appendChunkLine(b, c.At, c.Dir, c.Data)
	}
	n, err := w.Write(b)
	return int64(n), err
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func quoteOr(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(clip(s, 40))
}
