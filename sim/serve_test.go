package sim_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/simtest"
)

// pyClient is a host that is not atrun: plain Python, the pty opened as a
// file and put in raw mode with termios, reading until each final OK.
const pyClient = `
import os, sys, termios, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
out = b""
for cmd in (b"ATE0\r", b"AT+CGSN\r", b"AT+TDATA=3\r"):
    os.write(fd, cmd)
    buf = b""
    while not (buf.endswith(b"OK\r\n") or buf.endswith(b"> ")):
        buf += os.read(fd, 256)
    out += buf
os.write(fd, b"\x00\r\n")
buf = b""
while not buf.endswith(b"OK\r\n"):
    buf += os.read(fd, 256)
out += buf
os.close(fd)
sys.stdout.write(out.decode("latin-1"))
`

func TestPTYWithPythonClient(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	m, err := sim.New("enginetest", sim.Options{IMEI: "490154203237518"})
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "ttyV0")
	p, err := m.OpenPTY(link)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx) }()

	if dst, err := os.Readlink(link); err != nil || dst != p.Path() {
		t.Fatalf("link %s -> %q, %v; want %s", link, dst, err, p.Path())
	}
	// Two clients one after the other: the modem keeps its state (echo
	// stays off) across opens.
	for i, want := range []string{
		"ATE0\r\r\nOK\r\n\r\n490154203237518\r\n\r\nOK\r\n\r\n> \r\n+TDATA: 000d0a\r\n\r\nOK\r\n",
		"\r\nOK\r\n\r\n490154203237518\r\n\r\nOK\r\n\r\n> \r\n+TDATA: 000d0a\r\n\r\nOK\r\n",
	} {
		out, err := exec.Command(py, "-c", pyClient, link).CombinedOutput()
		if err != nil {
			t.Fatalf("client %d: %v: %s", i, err, out)
		}
		if string(out) != want {
			t.Fatalf("client %d read %q, want %q", i, out, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	p.Close()
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Fatalf("link still there after Close: %v", err)
	}
}

func TestOpenPTYRefusesToReplaceAFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pseudo-terminals")
	}
	m, err := sim.New("enginetest", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(f, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := m.OpenPTY(f); err == nil {
		t.Fatal("OpenPTY replaced a regular file")
	}
	if b, _ := os.ReadFile(f); string(b) != "data" {
		t.Fatalf("file changed to %q", b)
	}
}

func TestListenTCP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := sim.ListenTCP(ctx, "enginetest", sim.Options{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dial := func() *simtest.Host {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return simtest.New(c)
	}
	a, b := dial(), dial()
	// Sessions are independent: echo off in one, still on in the other.
	a.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"}, {Send: "AT+TCOUNT", Want: "\r\n+TCOUNT: 1\r\n\r\nOK\r\n"}})
	b.Run(t, []simtest.Step{{Send: "AT+TCOUNT", Want: "AT+TCOUNT\r\r\n+TCOUNT: 1\r\n\r\nOK\r\n"}})

	// Cancelling ends the sessions: the modem closes the connections.
	cancel()
	for _, h := range []*simtest.Host{a, b} {
		if got, err := h.Next(1, simtest.Timeout); err == nil || !strings.Contains(err.Error(), "EOF") {
			t.Fatalf("after cancel: read %q, %v; want EOF", got, err)
		}
	}
}

func TestServePTYBadProfile(t *testing.T) {
	if _, err := sim.ServePTY(context.Background(), "nosuch", sim.Options{}, ""); err == nil {
		t.Fatal("ServePTY with an unknown profile succeeded")
	}
}
