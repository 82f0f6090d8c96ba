//go:build !linux

package serialport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"go.bug.st/serial"
)

// Port is an open serial port. See the package documentation for its
// Read, Write and Close semantics. Outside Linux it wraps go.bug.st/serial
// directly: no advisory lock, no RTS/CTS.
type Port struct {
	path   string
	sp     serial.Port
	closed atomic.Bool
}

var _ io.ReadWriteCloser = (*Port)(nil)

// Open opens path with cfg and flushes stale input.
func Open(path string, cfg Config) (*Port, error) {
	mode, err := cfg.mode()
	if err != nil {
		return nil, fmt.Errorf("open %s: %v", path, err)
	}
	if cfg.RTSCTS {
		return nil, fmt.Errorf("open %s: RTS/CTS flow control is only supported on Linux", path)
	}
	sp, err := serial.Open(path, mode)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, notFoundError(path)
		}
		return nil, portError(path, cfg, err)
	}
	if err := sp.ResetInputBuffer(); err != nil {
		sp.Close()
		return nil, fmt.Errorf("open %s: flushing input: %v", path, err)
	}
	return &Port{path: path, sp: sp}, nil
}

// Name is the path the port was opened with.
func (p *Port) Name() string { return p.path }

// Read blocks until at least one byte is available; the library's
// (0, nil) read timeouts are absorbed here.
func (p *Port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, err := p.sp.Read(b)
		if n > 0 {
			return n, nil
		}
		if err == nil {
			if p.closed.Load() {
				return 0, fmt.Errorf("read %s: %w", p.path, os.ErrClosed)
			}
			continue
		}
		return 0, p.ioError("read", err)
	}
}

// Write writes all of b unless the port is closed or gone.
func (p *Port) Write(b []byte) (int, error) {
	n, err := p.sp.Write(b)
	if err != nil {
		return n, p.ioError("write", err)
	}
	return n, nil
}

func (p *Port) ioError(op string, err error) error {
	if p.closed.Load() {
		return fmt.Errorf("%s %s: %w", op, p.path, os.ErrClosed)
	}
	return fmt.Errorf("%w: %s disappeared during %s (unplugged or reset?): %v", ErrPortGone, p.path, op, err)
}

// Close releases the port; a pending Read returns os.ErrClosed.
func (p *Port) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	return p.sp.Close()
}

func holders(string) string   { return "" }
func portGroup(string) string { return "" }
