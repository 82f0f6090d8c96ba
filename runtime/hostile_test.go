package runtime

import (
	"bytes"
	"context"
	"io"
	"net"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile is a modem that, once it has read a command line, writes what
// talk produces until the connection closes.
func hostile(t *testing.T, talk func(w net.Conn)) net.Conn {
	host, dev := net.Pipe()
	go func() {
		buf := make([]byte, 256)
		if _, err := dev.Read(buf); err != nil {
			return
		}
		go func() { // keep reading what the host sends (finally, echo)
			for {
				if _, err := dev.Read(buf); err != nil {
					return
				}
			}
		}()
		talk(dev)
	}()
	t.Cleanup(func() { host.Close(); dev.Close() })
	return host
}

// flood writes s forever.
func flood(s string) func(net.Conn) {
	return func(w net.Conn) {
		b := []byte(strings.Repeat(s, 256))
		for {
			if _, err := w.Write(b); err != nil {
				return
			}
		}
	}
}

func TestHostileModems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		talk   func(net.Conn)
		cancel time.Duration // Ctrl-C after this long; 0 for none
		kind   ErrKind
		want   string // in the error
		warn   bool   // lines dropped unread
	}{
		{name: "an endless stream of OK: the step still times out",
			script: `send "AT+X" expect "CONNECT OK" timeout 300ms`, talk: flood("OK\r\n"),
			kind: KindTimeout, want: `expect "CONNECT OK" timeout 300ms: timed out after 300ms (last received: "OK")`, warn: true},
		{name: "an endless stream of OK: Ctrl-C ends it",
			script: `send "AT+X" expect "CONNECT OK" timeout 1m`, talk: flood("OK\r\n"), cancel: 300 * time.Millisecond,
			kind: KindCanceled, want: "interrupted"},
		{name: "garbage without line ends: bounded, and quoted short",
			script: "timeout 1s\nsend \"AT+X\" expect \"OK\"", talk: flood("garbage!"),
			kind: KindTimeout, want: `... (65536 bytes)")`, warn: true},
		{name: "an abort line during the last sleep",
			script: "abort \"BOOM\"\nsend \"AT\" expect \"OK\"\nsleep 30s",
			talk: func(w net.Conn) {
				w.Write([]byte("\r\nOK\r\n"))
				time.Sleep(100 * time.Millisecond)
				w.Write([]byte("\r\nBOOM\r\n"))
			},
			kind: KindAbort, want: `"BOOM" matched "BOOM"`},
		{name: "an abort line after the last step",
			script: "abort \"BOOM\"\nsend \"AT\" expect \"OK\"",
			talk:   func(w net.Conn) { w.Write([]byte("\r\nOK\r\n\r\nBOOM\r\n")) },
			kind:   KindAbort, want: `"BOOM" matched "BOOM"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel > 0 {
				time.AfterFunc(tc.cancel, cancel)
			}
			p := compile(t, tc.script+"\nfinally {\n  log \"cleaned up\"\n}\n")
			var mu sync.Mutex
			var logs []string
			done := make(chan *Result)
			var tr notesOnly
			go func() {
				done <- p.Run(ctx, hostile(t, tc.talk), Options{Transcript: &tr, OnEvent: func(e Event) {
					if e.Kind == EvLog {
						mu.Lock()
						logs = append(logs, e.Value)
						mu.Unlock()
					}
				}})
			}()
			var res *Result
			var peak uint64
			goruntime.GC() // what earlier cases left is not this one's
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			deadline := time.After(20 * time.Second)
		wait:
			for {
				select {
				case res = <-done:
					break wait
				case <-tick.C:
					var ms goruntime.MemStats
					goruntime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				case <-deadline:
					t.Fatal("the run did not end") // a hang, not a timing target
				}
			}
			// Unread input is bounded (4 MiB framed, 1 MiB pending): the
			// heap stays far from what an endless modem would fill.
			assert.Less(t, peak, uint64(64<<20), "peak heap in use")
			require.Error(t, res.Err)
			assert.Equal(t, tc.kind, KindOf(res.Err), res.Err.Error())
			assert.Contains(t, res.Err.Error(), tc.want)
			assert.Less(t, len(res.Err.Error()), 600, "error excerpts are capped")
			mu.Lock()
			assert.Equal(t, []string{"cleaned up"}, logs, "finally ran")
			mu.Unlock()
			if tc.warn {
				require.Len(t, res.Warnings, 1)
				assert.Contains(t, res.Warnings[0], "lines dropped unread")
				assert.Contains(t, tr.String(), " -- "+res.Warnings[0]+"\n", "the transcript says so too")
			}
		})
	}
}

func TestRecursionIsBounded(t *testing.T) {
	p := compile(t, "flow down(n) {\n  call down(n + 1)\n}\ncall down(0)\nfinally {\n  log \"cleaned up\"\n}\n")
	var logs []string
	res := p.Run(context.Background(), hostile(t, func(net.Conn) {}), Options{OnEvent: func(e Event) {
		if e.Kind == EvLog {
			logs = append(logs, e.Value)
		}
	}})
	require.Error(t, res.Err)
	assert.Equal(t, KindScript, KindOf(res.Err))
	assert.Equal(t, "main.at:2:3: call down(n + 1): flows nested deeper than 200 calls (a flow that calls itself without end?) (called at 2:3 199 times, from 4:1)", res.Err.Error())
	assert.Equal(t, []string{"cleaned up"}, logs)
}

func TestExpressionBudget(t *testing.T) {
	for _, tc := range []struct{ script, want string }{
		{"let s = \"x\"\nrepeat 64 {\n  let s = s + s\n}\n", "main.at:3:11: the value is over the 16 MiB a value may hold"},
		{"let s = repeat(repeat(\"x\", 100000), 100000)\n", "main.at:1:9: repeat: 100000 times 100000 bytes is over the 16 MiB a value may hold"},
		{"let l = [repeat(\"x\", 9000000), repeat(\"y\", 9000000)]\n", "main.at:1:9: the value is over the 16 MiB a value may hold"},
	} {
		p := compile(t, tc.script)
		res := p.Run(context.Background(), hostile(t, func(net.Conn) {}), Options{})
		require.Error(t, res.Err)
		assert.Equal(t, KindScript, KindOf(res.Err))
		assert.Contains(t, res.Err.Error(), tc.want)
	}
}

// TestSecondInterruptEndsFinally: the first Ctrl-C ends the steps and
// finally runs; a second one ends finally too, however long it would wait.
func TestSecondInterruptEndsFinally(t *testing.T) {
	ctx, first := context.WithCancel(context.Background())
	stop, second := context.WithCancel(context.Background())
	p := compile(t, "timeout 200ms\nsend \"AT\" expect \"NEVER\" timeout 1m\nfinally {\n  log \"cleaning\"\n  send \"AT+CLEAN\" expect \"NEVER\" timeout 1m\n}\n")
	done := make(chan *Result)
	var mu sync.Mutex
	var logs []string
	go func() {
		done <- p.Run(ctx, hostile(t, func(net.Conn) {}), Options{Stop: stop, OnEvent: func(e Event) {
			if e.Kind == EvLog {
				mu.Lock()
				logs = append(logs, e.Value)
				mu.Unlock()
				second() // the operator presses Ctrl-C again during cleanup
			}
		}})
	}()
	time.AfterFunc(100*time.Millisecond, first)
	select {
	case res := <-done:
		require.Error(t, res.Err)
		assert.Equal(t, KindCanceled, KindOf(res.Err))
		assert.Equal(t, []string{"cleaning"}, logs)
	case <-time.After(20 * time.Second):
		t.Fatal("finally went on after the second interrupt")
	}
}

// notesOnly is a transcript that keeps only the run's own notes: a
// flood must not grow the test's memory either.
type notesOnly struct {
	mu    sync.Mutex
	notes []string
}

func (w *notesOnly) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(" -- ")) {
		w.notes = append(w.notes, string(p))
	}
	return len(p), nil
}

func (w *notesOnly) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.notes, "")
}

// TestRunOwnsThePort: Run closes the io.Closer it was given, and the
// goroutine reading it ends with it, on success, failure and Ctrl-C.
func TestRunOwnsThePort(t *testing.T) {
	for _, script := range []string{"send \"AT\" expect \"OK\"", "send \"AT\" expect \"NEVER\" timeout 50ms", "fail \"no\""} {
		before := goruntime.NumGoroutine()
		host, dev := net.Pipe()
		go func() {
			buf := make([]byte, 64)
			for {
				if _, err := dev.Read(buf); err != nil {
					return
				}
				dev.Write([]byte("\r\nOK\r\n"))
			}
		}()
		compile(t, script).Run(context.Background(), host, Options{})
		_, err := host.Write([]byte("x"))
		assert.ErrorIs(t, err, io.ErrClosedPipe, "Run closed the port")
		dev.Close()
		deadline := time.Now().Add(5 * time.Second)
		for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		assert.LessOrEqual(t, goruntime.NumGoroutine(), before, "the reader stopped: %s", script)
	}
}

func TestMissingParamsAreTheOnlyErrors(t *testing.T) {
	p := compile(t, "param host\nparam port\nparam url = \"mqtt://\" + host + \":\" + port\nparam who = upper(host)\nsend \"AT\"\n")
	_, err := p.ResolveParams(nil)
	require.Error(t, err)
	assert.Equal(t, "main.at:1:1: param \"host\" is required: set it with -D host=...\nmain.at:2:1: param \"port\" is required: set it with -D port=...", err.Error())
}
