package sim_test

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/simtest"
)

const ok = "\r\nOK\r\n"

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := simtest.Start(t, "enginetest", sim.Options{Latency: 20 * time.Millisecond})
		start := time.Now()
		h.Send(t, "AT")
		h.Expect(t, "AT\r") // echo is immediate
		if d := time.Since(start); d != 0 {
			t.Errorf("echo after %v, want at once", d)
		}
		h.Expect(t, ok)
		if d := time.Since(start); d != 20*time.Millisecond {
			t.Errorf("response after %v, want 20ms", d)
		}
	})
}

func TestBaud(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := simtest.Start(t, "enginetest", sim.Options{Baud: 9600})
		start := time.Now()
		h.Send(t, "AT")
		h.Expect(t, "AT\r"+ok)
		// 9 bytes of 10 bits at 9600 bit/s.
		if d, want := time.Since(start), 9*10*time.Second/9600; d != want {
			t.Errorf("9 bytes took %v, want %v", d, want)
		}
	})
}

// recorder is the modem's side of a pipe that records each write's size.
type recorder struct {
	net.Conn
	mu     sync.Mutex
	writes []int
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.writes = append(r.writes, len(b))
	r.mu.Unlock()
	return r.Conn.Write(b)
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.writes)
}

func serveRecorded(t *testing.T, opts sim.Options) (*simtest.Host, *recorder) {
	t.Helper()
	m, err := sim.New("enginetest", opts)
	if err != nil {
		t.Fatal(err)
	}
	host, dev := net.Pipe()
	rec := &recorder{Conn: dev}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Serve(ctx, rec); close(done) }()
	t.Cleanup(func() { cancel(); host.Close(); <-done })
	return simtest.New(host), rec
}

func TestChunk(t *testing.T) {
	run := func(seed int64) []int {
		h, rec := serveRecorded(t, sim.Options{Chunk: 3, Seed: seed})
		h.Run(t, []simtest.Step{
			{Send: "ATI", Want: "ATI\r\r\nACME\r\n\r\nT1000\r\n\r\nRevision: T1000R01\r\n" + ok},
		})
		return rec.sizes()
	}
	a, b, c := run(1), run(1), run(2)
	total := 0
	for _, n := range a {
		if n < 1 || n > 3 {
			t.Fatalf("write of %d bytes with Chunk 3: %v", n, a)
		}
		total += n
	}
	if total != len("ATI\r\r\nACME\r\n\r\nT1000\r\n\r\nRevision: T1000R01\r\n"+ok) {
		t.Fatalf("writes %v sum to %d bytes", a, total)
	}
	if !slices.Equal(a, b) {
		t.Errorf("same seed gave different chunks: %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 1 and 2 gave the same chunks %v", a)
	}
	if !slices.ContainsFunc(a, func(n int) bool { return n < 3 }) || !slices.Contains(a, 3) {
		t.Errorf("chunk sizes %v are not random in 1..3", a)
	}
}

func TestDropRate(t *testing.T) {
	count := func(seed int64, rate float64) (n int, out string) {
		// A host cannot wait for an OK that may be dropped; in a bubble
		// synctest.Wait tells when the modem is done with a line, so the
		// next goes only after the previous final result (or its drop).
		synctest.Test(t, func(t *testing.T) {
			h := simtest.Start(t, "enginetest", sim.Options{DropRate: rate, Seed: seed})
			h.Send(t, "ATE0")
			h.Expect(t, "ATE0\r") // the echo is spared
			synctest.Wait()
			h.Pending()
			var all strings.Builder
			for range 40 {
				h.Send(t, "AT")
				synctest.Wait()
				all.Write(h.Pending())
			}
			out = all.String()
			n = strings.Count(out, "\r\nOK\r\n")
		})
		return n, out
	}
	if n, out := count(1, 1); n != 0 || out != "" {
		t.Fatalf("DropRate 1 let through %q", out)
	}
	n1, out1 := count(7, 0.5)
	n2, out2 := count(7, 0.5)
	if out1 != out2 {
		t.Errorf("same seed dropped differently:\n%q\n%q", out1, out2)
	}
	if n1 < 8 || n1 > 32 {
		t.Errorf("DropRate 0.5 kept %d of 40 lines", n1)
	}
	if out1 != strings.Repeat(ok, n2) {
		t.Errorf("dropped lines left partial output: %q", out1)
	}
}

func TestGarbleRate(t *testing.T) {
	h := simtest.Start(t, "enginetest", sim.Options{GarbleRate: 1, Seed: 3})
	h.Send(t, "AT+CGMR")
	h.Expect(t, "AT+CGMR\r\r\n")
	line, err := h.Until("\r\n", simtest.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSuffix(string(line), "\r\n")
	if len(got) != len("T1000R01") || got == "T1000R01" {
		t.Fatalf("garbled line %q: want same length, different content from T1000R01", got)
	}
	final, err := h.Until("\r\n", simtest.Timeout) // the CRLF before the final line
	if err != nil || string(final) != "\r\n" {
		t.Fatalf("framing of the final line: %q %v", final, err)
	}
	final, err = h.Until("\r\n", simtest.Timeout)
	if err != nil || len(final) != 4 || string(final) == "OK\r\n" {
		t.Fatalf("final line %q %v: want a garbled OK", final, err)
	}
}

func TestRebootAfter(t *testing.T) {
	h := simtest.Start(t, "enginetest", sim.Options{RebootAfter: 3})
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: "AT+TCOUNT", Want: "\r\n+TCOUNT: 1\r\n" + ok},
		{Send: "AT+TCOUNT", Want: "\r\n+TCOUNT: 2\r\n" + ok + "\r\nRDY\r\n\r\n+CPIN: READY\r\n"},
		// State and echo are back to power-on values; no second reboot.
		{Send: "AT+TCOUNT", Want: "AT+TCOUNT\r\r\n+TCOUNT: 1\r\n" + ok},
		{Send: "AT+TCOUNT", Want: "AT+TCOUNT\r\r\n+TCOUNT: 2\r\n" + ok},
		{Send: "AT+TCOUNT", Want: "AT+TCOUNT\r\r\n+TCOUNT: 3\r\n" + ok},
	})
}

func TestInjectURC(t *testing.T) {
	t.Run("every line", func(t *testing.T) {
		h := simtest.Start(t, "enginetest", sim.Options{InjectURC: "+CREG: 1"})
		urc := "\r\n+CREG: 1\r\n"
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r" + urc + ok},
			{Send: "AT+CSQ", Want: urc + "\r\n+CSQ: 20,99\r\n" + urc + ok},
			// Never inside data: the prompt and payload echo are raw.
			{Send: "AT+TDATA=2", Want: "\r\n> "},
			{Raw: []byte("OK"), Want: urc + "\r\n+TDATA: 4f4b\r\n" + urc + ok},
		})
	})
	t.Run("every third line", func(t *testing.T) {
		h := simtest.Start(t, "enginetest", sim.Options{InjectURC: "+CREG: 1", InjectEvery: 3})
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r" + ok},
			{Send: "AT", Want: ok},
			{Send: "AT", Want: "\r\n+CREG: 1\r\n" + ok},
			{Send: "AT", Want: ok},
			{Send: "AT", Want: ok},
			{Send: "AT", Want: "\r\n+CREG: 1\r\n" + ok},
		})
	})
}

// TestSessionEnds: closing the host end ends Serve with no error, and a
// cancelled context ends it too.
func TestSessionEnds(t *testing.T) {
	m, err := sim.New("enginetest", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	host, dev := net.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- m.Serve(context.Background(), dev) }()
	host.Close()
	if err := <-errc; err != nil {
		t.Fatalf("Serve after host close = %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	host, dev = net.Pipe()
	go func() { errc <- m.Serve(ctx, dev) }()
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Serve after cancel = %v", err)
	}
	if _, err := host.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("host read after Serve ended = %v, want EOF", err)
	}
}
