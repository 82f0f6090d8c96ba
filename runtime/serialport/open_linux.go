package serialport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"go.bug.st/serial"
	"golang.org/x/sys/unix"
)

// Port is an open serial port. See the package documentation for its
// Read, Write and Close semantics.
//
// On Linux go.bug.st/serial only configures the line: its own Read polls
// with select(2), which cannot take descriptors above 1023 (a factory
// station with many ports gets there), cannot report an unplug distinctly,
// and its Write cannot be interrupted by Close. So the port is read and
// written through an *os.File on a non-blocking descriptor, which Go's
// poller serves with epoll: Close unblocks both directions, and EIO or a
// zero read become ErrPortGone.
type Port struct {
	path      string
	f         *os.File
	closeOnce sync.Once
	closeErr  error
}

var _ io.ReadWriteCloser = (*Port)(nil)

// Open opens path with cfg, exclusively, and flushes stale input.
func Open(path string, cfg Config) (*Port, error) {
	mode, err := cfg.mode()
	if err != nil {
		return nil, fmt.Errorf("open %s: %v", path, err)
	}
	if mode.StopBits == serial.OnePointFiveStopBits {
		return nil, fmt.Errorf("open %s: 1.5 stop bits are not supported on Linux", path)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	keep := false
	defer func() {
		if !keep {
			unix.Close(fd)
		}
	}()
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
		return nil, fmt.Errorf("open %s: not a serial port (%v)", path, err)
	}
	// Our own lock first: two atrun processes exclude each other even as
	// root, whom TIOCEXCL does not stop.
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, busyError(path, true)
		}
		return nil, fmt.Errorf("open %s: lock: %v", path, err)
	}
	// Root passes TIOCEXCL, so ask whether it is set (Linux 3.8+). The flag
	// outlives a crashed holder on a pty, hence the check for a live one.
	if excl, err := unix.IoctlGetInt(fd, unix.TIOCGEXCL); err == nil && excl != 0 && holders(path) != "" {
		return nil, busyError(path, false)
	}
	// The library sets raw mode, speed, framing and TIOCEXCL on the tty.
	// Termios belongs to the tty, not the descriptor, so the settings
	// outlive its descriptor, which is closed at once.
	sp, err := serial.Open(path, mode)
	if err != nil {
		return nil, portError(path, cfg, err)
	}
	if err := sp.Close(); err != nil { // also clears TIOCEXCL, set again below
		return nil, fmt.Errorf("open %s: %v", path, err)
	}
	// go.bug.st/serial v1.8 always clears CRTSCTS.
	if cfg.RTSCTS {
		t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err == nil {
			t.Cflag |= unix.CRTSCTS
			err = unix.IoctlSetTermios(fd, unix.TCSETS, t)
		}
		if err != nil {
			return nil, fmt.Errorf("open %s: enabling RTS/CTS flow control: %v", path, err)
		}
	}
	if err := unix.IoctlSetInt(fd, unix.TIOCEXCL, 0); err != nil {
		return nil, fmt.Errorf("open %s: exclusive access: %v", path, err)
	}
	if err := unix.IoctlSetInt(fd, unix.TCFLSH, unix.TCIFLUSH); err != nil {
		return nil, fmt.Errorf("open %s: flushing input: %v", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	if f == nil {
		return nil, fmt.Errorf("open %s: invalid descriptor", path)
	}
	keep = true
	return &Port{path: path, f: f}, nil
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENODEV):
		return notFoundError(path)
	case errors.Is(err, unix.EBUSY):
		return busyError(path, false)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return permissionError(path)
	}
	return fmt.Errorf("open %s: %v", path, err)
}

// Name is the path the port was opened with.
func (p *Port) Name() string { return p.path }

// Read blocks until at least one byte is available.
func (p *Port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := p.f.Read(b)
	if n > 0 {
		// A pending error is returned by the next call.
		return n, nil
	}
	if err == nil {
		// os.File never returns (0, nil) for a non-empty buffer; if it
		// ever did, the device stopped making sense.
		err = io.ErrNoProgress
	}
	return 0, p.ioError("read", err)
}

// Write writes all of b unless the port is closed or gone.
func (p *Port) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	if err != nil {
		return n, p.ioError("write", err)
	}
	return n, nil
}

func (p *Port) ioError(op string, err error) error {
	if errors.Is(err, os.ErrClosed) {
		return err
	}
	cause := err
	var pe *os.PathError
	if errors.As(err, &pe) {
		cause = pe.Err
	}
	switch {
	case err == io.EOF, errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENXIO),
		errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrNoProgress):
		if cause == io.EOF {
			cause = errors.New("hang-up")
		}
		return fmt.Errorf("%w: %s disappeared during %s (unplugged or reset?): %v", ErrPortGone, p.path, op, cause)
	}
	return fmt.Errorf("%s %s: %v", op, p.path, cause)
}

// Close releases the port; a pending Read or Write returns os.ErrClosed.
// Closing twice is harmless.
func (p *Port) Close() error {
	p.closeOnce.Do(func() {
		if rc, err := p.f.SyscallConn(); err == nil {
			// Fd() would switch the descriptor to blocking mode; Control
			// does not. Errors are moot: the descriptor closes next.
			rc.Control(func(fd uintptr) { unix.IoctlSetInt(int(fd), unix.TIOCNXCL, 0) })
		}
		p.closeErr = p.f.Close()
	})
	return p.closeErr
}

// holders names the processes that have path open, for busy errors:
// "ModemManager (pid 812)". Best effort: without root only the user's own
// processes are visible.
func holders(path string) string {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return ""
	}
	self := os.Getpid()
	var pids []int
	for _, d := range procs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == self {
			continue
		}
		fds, err := os.ReadDir("/proc/" + d.Name() + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink("/proc/" + d.Name() + "/fd/" + fd.Name()); err == nil && link == target {
				pids = append(pids, pid)
				break
			}
		}
	}
	sort.Ints(pids)
	var names []string
	for i, pid := range pids {
		if i == 3 {
			names = append(names, fmt.Sprintf("%d more", len(pids)-3))
			break
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		name := strings.TrimSpace(string(comm))
		if name == "" {
			name = "process"
		}
		names = append(names, fmt.Sprintf("%s (pid %d)", name, pid))
	}
	return strings.Join(names, ", ")
}

// portGroup is the group owning the device node, for permission hints.
func portGroup(path string) string {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return ""
	}
	g, err := user.LookupGroupId(strconv.Itoa(int(st.Gid)))
	if err != nil || g.Name == "root" {
		return ""
	}
	return g.Name
}
