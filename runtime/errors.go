package runtime

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atrun/atrun/lang"
)

// ErrKind classifies why a run failed.
type ErrKind string

const (
	KindTimeout   ErrKind = "timeout"   // an expect timed out
	KindAbort     ErrKind = "abort"     // an abort pattern matched
	KindDevice    ErrKind = "modem"     // the modem answered ERROR, +CME ERROR, +CMS ERROR ...
	KindFail      ErrKind = "fail"      // the script said fail
	KindScript    ErrKind = "script"    // an expression failed at run time
	KindTransport ErrKind = "transport" // the port or connection failed
	KindCanceled  ErrKind = "canceled"  // Ctrl-C or the caller's context
)

// Error is a failed run: where, which step, what kind, and what the modem
// said last.
type Error struct {
	Pos     lang.Pos
	Step    string // the statement, as written, e.g. `expect "CONNECT OK"`
	Kind    ErrKind
	Timeout time.Duration // for KindTimeout
	Err     error         // the cause: a device error, a transport error ...
	Msg     string
	Last    []string // the last lines received, oldest first
	// Calls are the call statements that led to Pos when it is inside a
	// flow, innermost first.
	Calls []lang.Pos
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos.Filename != "" && e.Pos.Line > 0 {
		fmt.Fprintf(&b, "%s: ", e.Pos)
	}
	if e.Step != "" {
		b.WriteString(e.Step)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if len(e.Last) > 0 && (e.Kind == KindTimeout || e.Kind == KindAbort) {
		fmt.Fprintf(&b, " (last received: %q)", e.Last[len(e.Last)-1])
	} else if len(e.Last) == 0 && e.Kind == KindTimeout {
		b.WriteString(" (nothing received)")
	}
	// The call sites, a run of the same one (recursion) written once.
	for i := 0; i < len(e.Calls); {
		n := 1
		for i+n < len(e.Calls) && e.Calls[i+n] == e.Calls[i] {
			n++
		}
		if i == 0 {
			b.WriteString(" (called at ")
		} else {
			b.WriteString(", from ")
		}
		b.WriteString(shortPos(e.Calls[i], e.Pos))
		if n > 1 {
			fmt.Fprintf(&b, " %d times", n)
		}
		if i += n; i == len(e.Calls) {
			b.WriteByte(')')
		}
	}
	return b.String()
}

// shortPos prints a call site, without its file name when it is in the
// same file as the error.
func shortPos(p, at lang.Pos) string {
	if p.Filename == at.Filename {
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	return p.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTimeout is matched by errors.Is for every timed-out step.
var ErrTimeout = errors.New("timed out")

// ErrFailed is matched by errors.Is for an explicit fail.
var ErrFailed = errors.New("failed")

// KindOf returns the kind of a run error, or "" when err is not one.
func KindOf(err error) ErrKind {
	var re *Error
	if errors.As(err, &re) {
		return re.Kind
	}
	return ""
}
