package runtime

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
)

// MinSecret is the shortest secret value a param may hold: a shorter one
// would be masked inside unrelated text, or give itself away by what is
// masked.
const MinSecret = 4

// Mask replaces a secret wherever output shows one.
const Mask = "***"

// Redactor masks secrets in every form they take in a run's output: as
// they are, in hex (both cases, with or without spaces), in base64, escaped
// for an AT string in each at_escape style, and escaped by Go's %q and by
// JSON. One is built per run and applied at every sink.
type Redactor struct {
	forms   []string // longest first
	replace *strings.Replacer
}

// NewRedactor builds the redactor of the given secret values. Values
// shorter than MinSecret are ignored (params refuse them).
func NewRedactor(secrets ...string) *Redactor {
	seen := map[string]bool{}
	var forms []string
	for _, sec := range secrets {
		if len(sec) < MinSecret {
			continue
		}
		for _, f := range secretForms(sec) {
			if len(f) >= MinSecret && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	r := &Redactor{forms: forms}
	if len(forms) > 0 {
		pairs := make([]string, 0, 2*len(forms))
		for _, f := range forms {
			pairs = append(pairs, f, Mask)
		}
		r.replace = strings.NewReplacer(pairs...)
	}
	return r
}

// secretForms are the shapes a secret takes on the wire and in output.
func secretForms(sec string) []string {
	b := []byte(sec)
	up := strings.ToUpper(hex.EncodeToString(b))
	forms := []string{
		sec,
		up, strings.ToLower(up),
		fmt.Sprintf("% X", b), fmt.Sprintf("% x", b),
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
	}
	for _, style := range []string{"quote", "luat", "esp"} {
		if f, err := builtins.ATEscape(sec, style); err == nil {
			forms = append(forms, f)
		}
	}
	q := strconv.Quote(sec)
	forms = append(forms, q[1:len(q)-1])
	q = strconv.QuoteToASCII(sec)
	forms = append(forms, q[1:len(q)-1])
	if j, err := json.Marshal(sec); err == nil {
		forms = append(forms, string(j[1:len(j)-1]))
	}
	return forms
}

// String masks every secret form in s.
func (r *Redactor) String(s string) string {
	if r == nil || r.replace == nil {
		return s
	}
	return r.replace.Replace(s)
}

// Value masks secrets in a value, deeply: strings and bytes, inside lists
// and maps too. It returns a copy; v is not changed.
func (r *Redactor) Value(v any) any {
	if r == nil || r.replace == nil {
		return v
	}
	switch x := v.(type) {
	case string:
		return r.String(x)
	case []byte:
		return []byte(r.String(string(x)))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.Value(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[r.String(k)] = r.Value(e)
		}
		return out
	}
	return v
}

// Error masks secrets in an error's text. A run *Error keeps its type,
// kind and position; a lang.ErrorList stays one.
func (r *Redactor) Error(err error) error {
	if err == nil || r == nil || r.replace == nil {
		return err
	}
	switch e := err.(type) {
	case *Error:
		c := *e
		c.Msg, c.Step = r.String(c.Msg), r.String(c.Step)
		c.Last = make([]string, len(e.Last))
		for i, l := range e.Last {
			c.Last[i] = r.String(l)
		}
		c.Err = r.Error(e.Err)
		return &c
	case lang.ErrorList:
		out := make(lang.ErrorList, len(e))
		for i, le := range e {
			c := *le
			c.Msg = r.String(c.Msg)
			out[i] = &c
		}
		return out
	}
	if s := err.Error(); r.String(s) != s {
		return &redactedError{msg: r.String(s)}
	}
	return err
}

// redactedError stands for an error whose text held a secret; its cause
// is dropped, since printing it would show the secret.
type redactedError struct{ msg string }

func (e *redactedError) Error() string { return e.msg }

// stream masks a byte stream written in pieces: a secret split across
// pieces is still masked, because a tail that may be the start of a
// secret is held back until the next piece tells.
type stream struct {
	red  *Redactor
	held string
}

// next returns what can be shown of the stream so far: what was held
// back, when the new piece shows it was no secret, and the new piece.
func (s *stream) next(b []byte) (held, piece string) {
	out := s.red.String(s.held + string(b))
	k := s.red.partial(out)
	show := out[:len(out)-k]
	if s.held != "" && strings.HasPrefix(show, s.held) {
		held, show = s.held, show[len(s.held):]
	}
	s.held = out[len(out)-k:]
	return held, show
}

// flush returns what is held back: the stream ended.
func (s *stream) flush() string {
	out := s.held
	s.held = ""
	return out
}

// partial is the length of the longest tail of s that is the start of a
// secret form, but not a whole one.
func (r *Redactor) partial(s string) int {
	best := 0
	for _, f := range r.forms {
		for k := min(len(f)-1, len(s)); k > best; k-- {
			if strings.HasSuffix(s, f[:k]) {
				best = k
				break
			}
		}
	}
	return best
}

// transcript writes timestamped TX/RX records as they happen, secrets
// masked across pieces.
type transcript struct {
	mu     sync.Mutex
	w      io.Writer
	rx, tx stream
	last   time.Time
}

func newTranscript(w io.Writer, red *Redactor) *transcript {
	return &transcript{w: w, rx: stream{red: red}, tx: stream{red: red}}
}

func (t *transcript) onRx(b []byte, at time.Time) { t.write("RX", &t.rx, b, at) }
func (t *transcript) onTx(b []byte, at time.Time) { t.write("TX", &t.tx, b, at) }

func (t *transcript) write(dir string, s *stream, b []byte, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = at
	// Pieces stay pieces where no secret joins them: a record starts
	// where a write or read did.
	held, piece := s.next(b)
	for _, out := range []string{held, piece} {
		if out != "" {
			fmt.Fprintf(t.w, "%s %s %s\n", at.Format("15:04:05.000000"), dir, strconv.Quote(out))
		}
	}
}

// note writes a remark of the run's own between the records.
func (t *transcript) note(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "%s -- %s\n", time.Now().Format("15:04:05.000000"), msg)
}

// close writes what each direction held back.
func (t *transcript) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range []struct {
		dir string
		s   *stream
	}{{"TX", &t.tx}, {"RX", &t.rx}} {
		if out := d.s.flush(); out != "" {
			fmt.Fprintf(t.w, "%s %s %s\n", t.last.Format("15:04:05.000000"), d.dir, strconv.Quote(out))
		}
	}
}
