package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
)

// Pipe starts a virtual modem in-process and returns the host's end of an
// in-memory, unbuffered connection to it (net.Pipe). Closing the returned
// end, or cancelling ctx, ends the session.
func Pipe(ctx context.Context, name string, opts Options) (io.ReadWriteCloser, error) {
	m, err := New(name, opts)
	if err != nil {
		return nil, err
	}
	return m.Pipe(ctx), nil
}

// Pipe is the Modem form of the package-level Pipe.
func (m *Modem) Pipe(ctx context.Context) io.ReadWriteCloser {
	host, dev := net.Pipe()
	go m.Serve(ctx, dev)
	return host
}

// ListenTCP listens on addr ("127.0.0.1:0" for a free port) and serves a
// fresh session of the named modem on every accepted connection until ctx
// is done. It returns the listening address at once.
func ListenTCP(ctx context.Context, name string, opts Options, addr string) (net.Addr, error) {
	m, err := New(name, opts)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim %q: %w", m.profile.Name, err)
	}
	context.AfterFunc(ctx, func() { ln.Close() })
	go func() {
		var wg sync.WaitGroup
		defer wg.Wait()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.Serve(ctx, c)
			}()
		}
	}()
	return ln.Addr(), nil
}

// ServePTY creates a pseudo-terminal in raw mode, makes link (if not
// empty) a symbolic link to its device, and serves one session of the named
// modem on it until ctx is done; then it removes the link. It returns the
// device path (e.g. /dev/pts/7) as soon as the terminal is ready. Clients
// may open and close the device repeatedly: the modem keeps its state.
// The cleanup runs in the background after ctx is done; a program about
// to exit should use Modem.OpenPTY, PTY.Serve and PTY.Close instead, so
// the link is gone before it returns.
func ServePTY(ctx context.Context, name string, opts Options, link string) (string, error) {
	m, err := New(name, opts)
	if err != nil {
		return "", err
	}
	p, err := m.OpenPTY(link)
	if err != nil {
		return "", err
	}
	go func() {
		p.Serve(ctx)
		p.Close()
	}()
	return p.Path(), nil
}

// PTY is a pseudo-terminal a Modem serves on; see ServePTY.
type PTY struct {
	m      *Modem
	master *os.File
	slave  *os.File // kept open so the master never sees EOF between clients
	link   string
	once   sync.Once
}

// OpenPTY creates the pseudo-terminal (raw mode) and the optional link.
func (m *Modem) OpenPTY(link string) (*PTY, error) {
	master, slave, err := openPTY()
	if err != nil {
		return nil, fmt.Errorf("sim %q: pseudo-terminal: %w", m.profile.Name, err)
	}
	p := &PTY{m: m, master: master, slave: slave}
	if link != "" {
		if fi, err := os.Lstat(link); err == nil {
			if fi.Mode()&os.ModeSymlink == 0 {
				p.Close()
				return nil, fmt.Errorf("sim %q: link %q exists and is not a symbolic link", m.profile.Name, link)
			}
			os.Remove(link)
		}
		if err := os.Symlink(slave.Name(), link); err != nil {
			p.Close()
			return nil, fmt.Errorf("sim %q: %w", m.profile.Name, err)
		}
		p.link = link
	}
	return p, nil
}

// Path is the terminal device clients open.
func (p *PTY) Path() string { return p.slave.Name() }

// Serve runs the session until ctx is done.
func (p *PTY) Serve(ctx context.Context) error {
	err := p.m.Serve(ctx, p.master)
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	return err
}

// Close removes the link and closes the terminal.
func (p *PTY) Close() error {
	p.once.Do(func() {
		if p.link != "" {
			if dst, err := os.Readlink(p.link); err == nil && dst == p.slave.Name() {
				os.Remove(p.link)
			}
		}
		p.master.Close()
		p.slave.Close()
	})
	return nil
}
