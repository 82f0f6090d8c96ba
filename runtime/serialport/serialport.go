// Package serialport opens, locks and lists serial ports for atrun. It is the
// only importer of go.bug.st/serial.
//
// A *Port is an io.ReadWriteCloser with plain semantics, whatever the
// serial library does underneath:
//
//   - Read blocks until at least one byte arrives; it never returns (0, nil).
//     Close from another goroutine unblocks it (use context.AfterFunc(ctx,
//     port.Close) for cancellation), after which Read and Write return an
//     error matching os.ErrClosed.
//   - When the device disappears (USB unplug, the far end of a pty closed),
//     Read and Write return an error matching ErrPortGone.
//   - Open flushes input that was waiting before the port was opened, so a
//     stale "OK" from an earlier session is never read.
//
// On Linux a port is held exclusively twice over: TIOCEXCL keeps other
// programs out (but not root, whom the kernel lets through), and an advisory
// flock(LOCK_EX) makes two atrun processes exclude each other even as root.
// Elsewhere go.bug.st/serial opens it exclusively: TIOCEXCL on macOS and the
// BSDs, no sharing at all on Windows (CreateFile with share mode 0).
// Open errors match ErrNotFound, ErrBusy or ErrPermission and say what to do.
package serialport

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"go.bug.st/serial"
)

var (
	// ErrNotFound: the port does not exist (or its device is gone).
	ErrNotFound = errors.New("no such port")
	// ErrBusy: another program holds the port.
	ErrBusy = errors.New("port busy")
	// ErrPermission: the user may not open the port.
	ErrPermission = errors.New("permission denied")
	// ErrPortGone: the device vanished while the port was open.
	ErrPortGone = errors.New("port gone")
)

// Config is the line setting of a port. The zero value is 115200 8N1
// without flow control.
type Config struct {
	Baud     int    // bits per second; 0 means 115200
	DataBits int    // 5, 6, 7 or 8; 0 means 8
	Parity   string // "none" (or ""), "odd", "even", "mark", "space"
	StopBits string // "1" (or ""), "1.5", "2"
	RTSCTS   bool   // hardware flow control
}

// DefaultBaud is the baud rate when Config.Baud is 0; every modem atrun
// targets boots at 115200.
const DefaultBaud = 115200

// mode validates c and converts it for go.bug.st/serial.
func (c Config) mode() (*serial.Mode, error) {
	m := &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits}
	if m.BaudRate == 0 {
		m.BaudRate = DefaultBaud
	}
	if m.BaudRate < 0 {
		return nil, fmt.Errorf("invalid baud rate %d", c.Baud)
	}
	if m.DataBits == 0 {
		m.DataBits = 8
	}
	if m.DataBits < 5 || m.DataBits > 8 {
		return nil, fmt.Errorf("invalid data bits %d (want 5, 6, 7 or 8)", c.DataBits)
	}
	switch strings.ToLower(c.Parity) {
	case "", "none":
		m.Parity = serial.NoParity
	case "odd":
		m.Parity = serial.OddParity
	case "even":
		m.Parity = serial.EvenParity
	case "mark":
		m.Parity = serial.MarkParity
	case "space":
		m.Parity = serial.SpaceParity
	default:
		return nil, fmt.Errorf("invalid parity %q (want none, odd, even, mark or space)", c.Parity)
	}
	switch c.StopBits {
	case "", "1":
		m.StopBits = serial.OneStopBit
	case "1.5":
		m.StopBits = serial.OnePointFiveStopBits
	case "2":
		m.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("invalid stop bits %q (want 1, 1.5 or 2)", c.StopBits)
	}
	return m, nil
}

// portError turns go.bug.st/serial's error codes into words.
func portError(path string, cfg Config, err error) error {
	var pe *serial.PortError
	if !errors.As(err, &pe) {
		return fmt.Errorf("open %s: %w", path, err)
	}
	switch pe.Code() {
	case serial.PortBusy:
		return busyError(path, false)
	case serial.PortNotFound:
		return notFoundError(path)
	case serial.PermissionDenied:
		return permissionError(path)
	case serial.InvalidSpeed:
		return fmt.Errorf("open %s: baud rate %d is not supported by this port", path, cfg.Baud)
	case serial.InvalidDataBits:
		return fmt.Errorf("open %s: %d data bits are not supported by this port", path, cfg.DataBits)
	case serial.InvalidParity:
		return fmt.Errorf("open %s: parity %q is not supported by this port", path, cfg.Parity)
	case serial.InvalidStopBits:
		return fmt.Errorf("open %s: %s stop bits are not supported by this port or system", path, cfg.StopBits)
	case serial.InvalidSerialPort:
		return fmt.Errorf("open %s: not a serial port (%v)", path, err)
	}
	return fmt.Errorf("open %s: %v", path, err)
}

func notFoundError(path string) error {
	return fmt.Errorf("%w %s (see `atrun ports`)", ErrNotFound, path)
}

// busyError explains who holds the port. locked means an advisory lock
// (another atrun, picocom ...) rather than TIOCEXCL (ModemManager, minicom).
func busyError(path string, locked bool) error {
	who := "another program"
	if h := holders(path); h != "" {
		who = h
	}
	return fmt.Errorf("%w: %s is in use by %s %s", ErrBusy, path, who, busyHint(runtime.GOOS, locked))
}

// busyHint says what usually holds a port on goos and how to free it.
func busyHint(goos string, locked bool) string {
	switch {
	case locked:
		return "(it holds a lock on the port: another atrun, or a terminal program such as picocom)"
	case goos == "linux":
		return "(ModemManager grabs modem ports on Linux: `sudo systemctl stop ModemManager` or add a udev rule ID_MM_DEVICE_IGNORE=1)"
	case goos == "windows":
		return "(a COM port has one user at a time: close the terminal program such as PuTTY or Tera Term, the vendor's tool, or the other atrun)"
	}
	return "(close the terminal program such as screen or minicom, or the other atrun, that has it open)"
}

func permissionError(path string) error {
	return fmt.Errorf("%w: cannot open %s %s", ErrPermission, path, permissionHint(runtime.GOOS, portGroup(path)))
}

// permissionHint says how a user gets access to ports on goos; group is
// the device's group when known.
func permissionHint(goos, group string) string {
	switch goos {
	case "linux":
		if group == "" {
			group = "dialout"
		}
		return fmt.Sprintf("(add yourself to the %q group: `sudo usermod -aG %s $USER`, then log in again)", group, group)
	case "freebsd", "dragonfly":
		if group == "" {
			group = "dialer"
		}
		return fmt.Sprintf("(add yourself to the %q group: `sudo pw groupmod %s -m $USER`, then log in again)", group, group)
	case "windows":
		return "(another program may hold it, or an administrator must grant access)"
	}
	return "(check the device's owner and mode with ls -l)"
}

// Info describes one serial port found on the system.
type Info struct {
	Name    string // /dev/ttyUSB2, or COM3 on Windows
	IsUSB   bool
	VID     string // uppercase hex, e.g. "1E0E"; empty when not USB
	PID     string
	Serial  string
	Product string
}

// List returns the serial ports present, in natural order (ttyUSB2 before
// ttyUSB10).
func List() ([]Info, error) {
	infos, err := listPorts()
	if err != nil {
		return nil, fmt.Errorf("listing serial ports: %v", err)
	}
	sort.SliceStable(infos, func(i, j int) bool { return naturalLess(infos[i].Name, infos[j].Name) })
	return infos, nil
}

func sortNatural(names []string) {
	sort.SliceStable(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
}

// Match returns the USB ports whose identity matches spec: "VID:PID"
// ("1e0e:9001", either case), "VID" or "VID:*" for any product.
func Match(infos []Info, spec string) ([]Info, error) {
	vid, pid, hasPID := strings.Cut(strings.TrimSpace(spec), ":")
	if !isHexID(vid) || (hasPID && pid != "*" && !isHexID(pid)) {
		return nil, fmt.Errorf("invalid USB id %q (want VID:PID in hex, e.g. 1e0e:9001)", spec)
	}
	if !hasPID {
		pid = "*"
	}
	var out []Info
	for _, in := range infos {
		if !in.IsUSB || !strings.EqualFold(in.VID, vid) {
			continue
		}
		if pid != "*" && !strings.EqualFold(in.PID, pid) {
			continue
		}
		out = append(out, in)
	}
	return out, nil
}

func isHexID(s string) bool {
	if len(s) != 4 {
		return false
	}
	_, err := strconv.ParseUint(s, 16, 16)
	return err == nil
}

// naturalLess compares digit runs by value, so ttyUSB2 < ttyUSB10.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			if da != db { // "2" before "02"
				return da < db
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
