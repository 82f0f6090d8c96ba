// Package simtest drives a virtual modem from tests the way a host would:
// send command lines and raw bytes, and check the exact bytes that come
// back (echo, framing, prompts, URCs).
//
//	h := simtest.Start(t, "sim7000", sim.Options{})
//	h.Run(t, []simtest.Step{
//		{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
//		{Send: "AT+CSQ", Want: "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"},
//	})
package simtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/atrun/atrun/sim"
)

// Timeout is how long Expect waits for bytes.
const Timeout = 5 * time.Second

// Host is the host end of a modem session.
type Host struct {
	// EOL ends what Send writes: CR, or CR LF for a profile that wants it
	// (ESP-AT), as set by Start.
	EOL    string
	rw     io.ReadWriter
	mu     sync.Mutex
	buf    []byte
	err    error
	notify chan struct{}
}

// Start runs the named modem over an in-memory pipe for the duration of
// the test.
func Start(t testing.TB, name string, opts sim.Options) *Host {
	t.Helper()
	m, err := sim.New(name, opts)
	if err != nil {
		t.Fatalf("sim.New(%q): %v", name, err)
	}
	return StartModem(t, m)
}

// StartModem is Start for a ready Modem.
func StartModem(t testing.TB, m *sim.Modem) *Host {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn := m.Pipe(ctx)
	t.Cleanup(func() {
		cancel()
		conn.Close()
	})
	h := New(conn)
	if m.Profile().CRLF {
		h.EOL = "\r\n"
	}
	return h
}

// New wraps any connection to a modem (a pty, a TCP conn) and starts
// reading it.
func New(rw io.ReadWriter) *Host {
	h := &Host{rw: rw, notify: make(chan struct{}, 1), EOL: "\r"}
	go h.read()
	return h
}

func (h *Host) read() {
	b := make([]byte, 4096)
	for {
		n, err := h.rw.Read(b)
		h.mu.Lock()
		h.buf = append(h.buf, b[:n]...)
		if err != nil {
			h.err = err
		}
		h.mu.Unlock()
		select {
		case h.notify <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// Send writes line followed by the line end (EOL).
func (h *Host) Send(t testing.TB, line string) {
	t.Helper()
	h.Write(t, []byte(line+h.EOL))
}

// Write writes raw bytes.
func (h *Host) Write(t testing.TB, b []byte) {
	t.Helper()
	if _, err := h.rw.Write(b); err != nil {
		t.Fatalf("write %q: %v", b, err)
	}
}

// Expect reads exactly len(want) bytes and fails the test unless they
// equal want.
func (h *Host) Expect(t testing.TB, want string) {
	t.Helper()
	got, err := h.Next(len(want), Timeout)
	if err != nil {
		t.Fatalf("waiting for %q: %v; got %q", want, err, got)
	}
	if string(got) != want {
		t.Fatalf("output mismatch\n got: %s\nwant: %s", strconv.Quote(string(got)), strconv.Quote(want))
	}
}

// ExpectAnyOrder reads the total length of parts and fails the test unless
// it is the concatenation of parts in some order (a network event racing
// a result line, like "SEND OK" and the echoed data).
func (h *Host) ExpectAnyOrder(t testing.TB, parts ...string) {
	t.Helper()
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	got, err := h.Next(n, Timeout)
	if err != nil {
		t.Fatalf("waiting for %q in any order: %v; got %q", parts, err, got)
	}
	if !isPermutation(string(got), parts) {
		t.Fatalf("output %q is not %q in any order", got, parts)
	}
}

func isPermutation(s string, parts []string) bool {
	if len(parts) == 0 {
		return s == ""
	}
	for i, p := range parts {
		if len(s) >= len(p) && s[:len(p)] == p {
			rest := append(append([]string{}, parts[:i]...), parts[i+1:]...)
			if isPermutation(s[len(p):], rest) {
				return true
			}
		}
	}
	return false
}

// Next returns the next n bytes, waiting up to d. On timeout it returns
// what arrived (without consuming it) and an error.
func (h *Host) Next(n int, d time.Duration) ([]byte, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		if len(h.buf) >= n {
			out := append([]byte(nil), h.buf[:n]...)
			h.buf = h.buf[n:]
			h.mu.Unlock()
			return out, nil
		}
		have, err := append([]byte(nil), h.buf...), h.err
		h.mu.Unlock()
		if err != nil {
			return have, fmt.Errorf("connection: %w", err)
		}
		select {
		case <-h.notify:
		case <-deadline.C:
			return have, fmt.Errorf("timed out after %v with %d of %d bytes", d, len(have), n)
		}
	}
}

// Until reads up to and including the first occurrence of marker.
func (h *Host) Until(marker string, d time.Duration) ([]byte, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		if i := bytes.Index(h.buf, []byte(marker)); i >= 0 {
			out := append([]byte(nil), h.buf[:i+len(marker)]...)
			h.buf = h.buf[i+len(marker):]
			h.mu.Unlock()
			return out, nil
		}
		have, err := append([]byte(nil), h.buf...), h.err
		h.mu.Unlock()
		if err != nil {
			return have, fmt.Errorf("connection: %w", err)
		}
		select {
		case <-h.notify:
		case <-deadline.C:
			return have, fmt.Errorf("timed out after %v waiting for %q", d, marker)
		}
	}
}

// Pending returns and consumes whatever has arrived so far.
func (h *Host) Pending() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.buf
	h.buf = nil
	return out
}

// Quiet fails the test if anything arrives within d.
func (h *Host) Quiet(t testing.TB, d time.Duration) {
	t.Helper()
	if got, err := h.Next(1, d); err == nil {
		time.Sleep(10 * time.Millisecond)
		t.Fatalf("expected silence, got %q", append(got, h.Pending()...))
	}
}

// Ready polls with "AT" every interval until the modem answers OK, as
// drivers do after a restart of a modem with no greeting (input during a
// boot is lost), then discards the answer.
func (h *Host) Ready(t testing.TB, interval time.Duration) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		h.Send(t, "AT")
		if _, err := h.Until("OK\r\n", interval); err == nil {
			return
		}
	}
	t.Fatalf("modem not ready after %v; got %q", Timeout, h.Pending())
}

// Step is one exchange of a transcript: Send (CR appended) or Raw is
// written, then exactly Want is expected, then the AnyOrder parts in some
// order.
type Step struct {
	Send     string
	Raw      []byte
	Want     string
	AnyOrder []string
}

// Run plays a transcript.
func (h *Host) Run(t testing.TB, steps []Step) {
	t.Helper()
	for _, st := range steps {
		switch {
		case st.Raw != nil:
			h.Write(t, st.Raw)
		case st.Send != "":
			h.Send(t, st.Send)
		}
		if st.Want != "" {
			h.Expect(t, st.Want)
		}
		if len(st.AnyOrder) > 0 {
			h.ExpectAnyOrder(t, st.AnyOrder...)
		}
	}
}

// Relay is a TCP relay to a server (a broker) whose answers can be held
// back, so a test can send a command while a network result such as a
// PUBACK is still on its way, without racing the real server.
type Relay struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	held   bool
	free   *sync.Cond
}

// StartRelay relays connections made to its Addr to target until the
// test ends.
func StartRelay(t testing.TB, target string) *Relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("relay: %v", err)
	}
	r := &Relay{ln: ln, target: target}
	r.free = sync.NewCond(&r.mu)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		r.Release()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.serve(c)
			}()
		}
	}()
	return r
}

// Addr is the relay's address, for Options.Broker.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Hold keeps what the server sends from here on until Release.
func (r *Relay) Hold() {
	r.mu.Lock()
	r.held = true
	r.mu.Unlock()
}

// Release lets the held answers through.
func (r *Relay) Release() {
	r.mu.Lock()
	r.held = false
	r.mu.Unlock()
	r.free.Broadcast()
}

func (r *Relay) serve(c net.Conn) {
	defer c.Close()
	srv, err := net.Dial("tcp", r.target)
	if err != nil {
		return
	}
	defer srv.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(srv, c)
		srv.Close()
		close(done)
	}()
	b := make([]byte, 4096)
	for {
		n, err := srv.Read(b)
		r.mu.Lock()
		for r.held {
			r.free.Wait()
		}
		r.mu.Unlock()
		if n > 0 {
			if _, werr := c.Write(b[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
	<-done
}
