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
	return b.String()
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
