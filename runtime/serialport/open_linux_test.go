package serialport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// failsafe bounds every wait; it is never slept, only raced against events.
const failsafe = 5 * time.Second

// newPTY returns the master of a fresh pseudo-terminal, the slave's path and
// an extra slave descriptor the test may use to inspect the tty.
func newPTY(t *testing.T) (master *os.File, path string, slave *os.File) {
	t.Helper()
	master, slave, err := pty.Open()
	require.NoError(t, err)
	t.Cleanup(func() {
		master.Close()
		slave.Close()
	})
	return master, slave.Name(), slave
}

func open(t *testing.T, path string, cfg Config) *Port {
	t.Helper()
	p, err := Open(path, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// readN reads exactly n bytes or fails the test after failsafe.
func readN(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		ch <- result{b, err}
	}()
	select {
	case res := <-ch:
		require.NoError(t, res.err)
		return res.b
	case <-time.After(failsafe):
		t.Fatalf("no %d bytes within %v", n, failsafe)
		return nil
	}
}

// readErr waits for one Read to fail and returns its error.
func readErr(t *testing.T, r io.Reader) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := r.Read(buf)
			if err != nil {
				ch <- err
				return
			}
			if n == 0 {
				ch <- errors.New("read returned (0, nil)")
				return
			}
		}
	}()
	select {
	case err := <-ch:
		return err
	case <-time.After(failsafe):
		t.Fatalf("read did not fail within %v", failsafe)
		return nil
	}
}

func TestRoundTripExactBytes(t *testing.T) {
	master, path, _ := newPTY(t)
	p := open(t, path, Config{})
	require.Equal(t, path, p.Name())

	// Raw mode: CR stays CR, ^C is not a signal, ^Z and NUL pass, no echo.
	in := "AT+CSQ\r\n\x00\x03\x1a\x1b\xff> "
	_, err := master.Write([]byte(in[:3]))
	require.NoError(t, err)
	_, err = master.Write([]byte(in[3:]))
	require.NoError(t, err)
	require.Equal(t, in, string(readN(t, p, len(in))))

	out := "AT\r" + "\x10\x10\x00\x04MQTT" + "\r\n\x1a"
	n, err := p.Write([]byte(out))
	require.NoError(t, err)
	require.Equal(t, len(out), n)
	require.Equal(t, out, string(readN(t, master, len(out))))
}

// A pty keeps speed, stop bits and CRTSCTS, but the kernel forces CS8 and
// no parity on it (pty_set_termios), so data bits and parity are checked
// through Config.mode in TestConfigMode instead.
func TestConfigAppliedToTTY(t *testing.T) {
	tests := []struct {
		cfg         Config
		speed       uint32
		cstopb, rts bool
	}{
		{Config{}, unix.B115200, false, false},
		{Config{Baud: 9600, DataBits: 7, Parity: "even", StopBits: "2", RTSCTS: true}, unix.B9600, true, true},
		{Config{Baud: 57600, DataBits: 8, Parity: "ODD", StopBits: "1"}, unix.B57600, false, false},
		{Config{Baud: 921600, Parity: "none", RTSCTS: true}, unix.B921600, false, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.cfg), func(t *testing.T) {
			_, path, slave := newPTY(t)
			open(t, path, tt.cfg)
			tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
			require.NoError(t, err)
			require.Equal(t, tt.speed, tio.Cflag&unix.CBAUD, "speed")
			require.Equal(t, tt.cstopb, tio.Cflag&unix.CSTOPB != 0, "CSTOPB")
			require.Equal(t, tt.rts, tio.Cflag&unix.CRTSCTS != 0, "CRTSCTS")
			require.Zero(t, tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG), "raw mode")
			require.Zero(t, tio.Iflag&(unix.ICRNL|unix.IXON), "no input translation")
			require.Zero(t, tio.Oflag&unix.OPOST, "no output processing")
		})
	}
}

func TestStaleInputFlushed(t *testing.T) {
	master, path, slave := newPTY(t)
	_, err := master.Write([]byte("OK\n"))
	require.NoError(t, err)
	// Wait until the stale line has reached the slave's input queue.
	fds := []unix.PollFd{{Fd: int32(slave.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int(failsafe/time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, 1, n)

	p := open(t, path, Config{})
	_, err = master.Write([]byte("fresh"))
	require.NoError(t, err)
	require.Equal(t, "fresh", string(readN(t, p, 5)))
}

func TestCloseUnblocksRead(t *testing.T) {
	_, path, _ := newPTY(t)
	p, err := Open(path, Config{})
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- readErr(t, p) }()
	require.NoError(t, p.Close())
	err = <-errc
	require.ErrorIs(t, err, os.ErrClosed)
	require.NotErrorIs(t, err, ErrPortGone)
	require.NoError(t, p.Close(), "second close")
	_, err = p.Write([]byte("AT\r"))
	require.ErrorIs(t, err, os.ErrClosed)
}

func TestVanishedDevice(t *testing.T) {
	master, path, _ := newPTY(t)
	p := open(t, path, Config{})
	_, err := master.Write([]byte("RDY\r\n"))
	require.NoError(t, err)
	require.Equal(t, "RDY\r\n", string(readN(t, p, 5)))

	require.NoError(t, master.Close()) // the "USB unplug" of a pty
	err = readErr(t, p)
	require.ErrorIs(t, err, ErrPortGone)
	require.ErrorContains(t, err, "port gone: "+path+" disappeared during read (unplugged or reset?)")

	_, err = p.Write([]byte("AT\r"))
	require.ErrorIs(t, err, ErrPortGone)
	require.ErrorContains(t, err, "disappeared during write")
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "notatty")
	require.NoError(t, os.WriteFile(regular, []byte("x"), 0o600))
	_, pts, _ := newPTY(t)

	tests := []struct {
		path string
		cfg  Config
		is   error
		want string
	}{
		{"/dev/ttyUSB-atrun-missing", Config{}, ErrNotFound, "no such port /dev/ttyUSB-atrun-missing (see `atrun ports`)"},
		{regular, Config{}, nil, "open " + regular + ": not a serial port (inappropriate ioctl for device)"},
		{dir, Config{}, nil, "open " + dir + ": is a directory"},
		{pts, Config{Baud: -1}, nil, "open " + pts + ": invalid baud rate -1"},
		{pts, Config{DataBits: 9}, nil, "open " + pts + ": invalid data bits 9 (want 5, 6, 7 or 8)"},
		{pts, Config{Parity: "n"}, nil, `open ` + pts + `: invalid parity "n" (want none, odd, even, mark or space)`},
		{pts, Config{StopBits: "3"}, nil, `open ` + pts + `: invalid stop bits "3" (want 1, 1.5 or 2)`},
		{pts, Config{StopBits: "1.5"}, nil, "open " + pts + ": 1.5 stop bits are not supported on Linux"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			p, err := Open(tt.path, tt.cfg)
			require.Nil(t, p)
			require.EqualError(t, err, tt.want)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
		})
	}
}

// Permission and not-found mapping for errors a root test cannot provoke.
func TestOpenErrorMapping(t *testing.T) {
	tests := []struct {
		errno unix.Errno
		is    error
		want  string
	}{
		{unix.ENOENT, ErrNotFound, "no such port /dev/ttyX (see `atrun ports`)"},
		{unix.ENXIO, ErrNotFound, "no such port /dev/ttyX (see `atrun ports`)"},
		{unix.EACCES, ErrPermission, "permission denied: cannot open /dev/ttyX (add yourself to the \"dialout\" group: `sudo usermod -aG dialout $USER`, then log in again)"},
		{unix.EBUSY, ErrBusy, "port busy: /dev/ttyX is in use by another program (ModemManager grabs modem ports on Linux: `sudo systemctl stop ModemManager` or add a udev rule ID_MM_DEVICE_IGNORE=1)"},
		{unix.EIO, nil, "open /dev/ttyX: input/output error"},
	}
	for _, tt := range tests {
		t.Run(tt.errno.Error(), func(t *testing.T) {
			err := openError("/dev/ttyX", tt.errno)
			require.EqualError(t, err, tt.want)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func TestSecondOpenIsBusy(t *testing.T) {
	_, path, _ := newPTY(t)
	first, err := Open(path, Config{})
	require.NoError(t, err)

	second, err := Open(path, Config{})
	require.Nil(t, second)
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorContains(t, err, "port busy: "+path+" is in use by ")

	require.NoError(t, first.Close())
	again := open(t, path, Config{})
	require.NotNil(t, again)
}

// TIOCEXCL keeps other programs out, except root, which the kernel lets
// through; the flock and TIOCGEXCL checks in Open cover root.
func TestExclusiveAgainstPlainOpen(t *testing.T) {
	_, path, _ := newPTY(t)
	open(t, path, Config{})
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if os.Geteuid() == 0 {
		require.NoError(t, err, "root bypasses TIOCEXCL")
		f.Close()
		return
	}
	require.ErrorIs(t, err, unix.EBUSY)
}

// helper starts python3 holding path: "flock" takes an advisory lock as
// another atrun would, "excl" sets TIOCEXCL as ModemManager does.
func helper(t *testing.T, path, how string) int {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not available")
	}
	script := `
import fcntl, os, sys, termios
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
if sys.argv[2] == "flock":
    fcntl.flock(fd, fcntl.LOCK_EX)
else:
    fcntl.ioctl(fd, termios.TIOCEXCL)
print("ready", flush=True)
sys.stdin.read()
`
	cmd := exec.Command(py, "-c", script, path, how)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)
	return cmd.Process.Pid
}

func TestBusyNamesTheHolder(t *testing.T) {
	tests := []struct {
		how, hint string
	}{
		{"flock", "(it holds a lock on the port: another atrun, or a terminal program such as picocom)"},
		{"excl", "(ModemManager grabs modem ports on Linux: `sudo systemctl stop ModemManager` or add a udev rule ID_MM_DEVICE_IGNORE=1)"},
	}
	for _, tt := range tests {
		t.Run(tt.how, func(t *testing.T) {
			_, path, _ := newPTY(t)
			pid := helper(t, path, tt.how)
			comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			require.NoError(t, err)

			p, err := Open(path, Config{})
			require.Nil(t, p)
			require.ErrorIs(t, err, ErrBusy)
			want := fmt.Sprintf("port busy: %s is in use by %s (pid %d) %s", path, strings.TrimSpace(string(comm)), pid, tt.hint)
			require.EqualError(t, err, want)
		})
	}
}

func TestHolders(t *testing.T) {
	_, path, _ := newPTY(t)
	require.Empty(t, holders(path), "own process is not listed")
	pid := helper(t, path, "flock")
	require.Contains(t, holders(path), fmt.Sprintf("(pid %d)", pid))
	require.Empty(t, holders("/nonexistent/tty"))
}

func TestList(t *testing.T) {
	infos, err := List()
	require.NoError(t, err)
	for _, in := range infos {
		require.True(t, strings.HasPrefix(in.Name, "/dev/"), in.Name)
		if !in.IsUSB {
			require.Empty(t, in.VID, in.Name)
		}
	}
}

// BenchmarkOpen measures what a run pays before its first command.
func BenchmarkOpen(b *testing.B) {
	master, slave, err := pty.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	for b.Loop() {
		p, err := Open(slave.Name(), Config{})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkEcho measures one write and its answer through the pty.
func BenchmarkEcho(b *testing.B) {
	master, slave, err := pty.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	p, err := Open(slave.Name(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	go io.Copy(master, master) // the "modem" echoes everything back
	msg := []byte("AT+CSQ\r")
	buf := make([]byte, len(msg))
	for b.Loop() {
		if _, err := p.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(p, buf); err != nil {
			b.Fatal(err)
		}
	}
}
