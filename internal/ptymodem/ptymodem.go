// Package ptymodem is the fake modem of the start-up benchmarks and of
// bench/peers: a pseudo-terminal that answers every command line with OK
// after a fixed latency, and logs when each command arrived and when its
// answer went out, so a tool's own cost is measured on the modem's side.
//
//	m, err := ptymodem.Start(ptymodem.Config{Latency: 20 * time.Millisecond, Baud: 115200})
//	defer m.Close()
//	... run a tool against m.Path ...
//	steps := m.Take()
package ptymodem

import (
	"errors"
	"os"
	"sync"
	"time"

	"github.com/creack/pty"
)

// Reply is what the modem answers to every command (ATE0: no echo).
const Reply = "\r\nOK\r\n"

// Config sets the modem's timing.
type Config struct {
	// Latency is how long the modem thinks before answering a command.
	Latency time.Duration
	// Baud, when set, adds the time the command and its answer take on a
	// wire at that rate (8N1: 10 bits a byte) to each answer's delay.
	Baud int
}

// ByteTime is how long one byte takes on the wire (0 without Baud).
func (c Config) ByteTime() time.Duration {
	if c.Baud <= 0 {
		return 0
	}
	return time.Duration(int64(10*time.Second) / int64(c.Baud))
}

// Hold is how long the modem keeps a command of n bytes (its CR
// included) before its answer is out: the physical limit of one step.
func (c Config) Hold(n int) time.Duration {
	return c.Latency + time.Duration(n+len(Reply))*c.ByteTime()
}

// Step is one command the modem answered.
type Step struct {
	Cmd      string    // without its CR
	Bytes    int       // on the wire, both ways
	At       time.Time // its CR arrived
	Answered time.Time // the answer was written
}

// Modem is a running fake modem.
type Modem struct {
	// Path is the device tools open, e.g. /dev/pts/7.
	Path string
	cfg  Config

	master, slave *os.File
	done          chan struct{}

	mu       sync.Mutex
	answered *sync.Cond // signalled when a step's answer is out
	steps    []Step
	err      error
}

// Start opens a raw pseudo-terminal and serves it until Close.
func Start(cfg Config) (*Modem, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, err
	}
	if err := makeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		return nil, err
	}
	// The modem keeps the device side open (and never reads it) so that
	// the pty survives each tool closing it between runs.
	m := &Modem{Path: slave.Name(), cfg: cfg, master: master, slave: slave, done: make(chan struct{})}
	m.answered = sync.NewCond(&m.mu)
	go m.serve()
	return m, nil
}

func (m *Modem) serve() {
	defer func() {
		m.mu.Lock()
		close(m.done)
		m.answered.Broadcast()
		m.mu.Unlock()
	}()
	buf := make([]byte, 4096)
	var line []byte
	extra := 0 // LF and other bytes between commands
	for {
		n, err := m.master.Read(buf)
		at := time.Now()
		for _, c := range buf[:n] {
			switch c {
			case '\r':
				bytes := len(line) + 1 + extra
				// Logged before the answer goes out: a tool may read it and
				// exit before this goroutine runs again (Take waits for it).
				m.mu.Lock()
				m.steps = append(m.steps, Step{Cmd: string(line), Bytes: bytes + len(Reply), At: at})
				i := len(m.steps) - 1
				m.mu.Unlock()
				sleepUntil(at.Add(m.cfg.Hold(bytes)))
				_, werr := m.master.Write([]byte(Reply))
				m.mu.Lock()
				m.steps[i].Answered = time.Now()
				m.answered.Broadcast()
				m.mu.Unlock()
				if werr != nil {
					m.fail(werr)
					return
				}
				line, extra = line[:0], 0
			case '\n':
				extra++
			default:
				line = append(line, c)
			}
		}
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				m.fail(err)
			}
			return
		}
	}
}

func (m *Modem) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err == nil {
		m.err = err
	}
}

// sleepUntil sleeps most of the way and spins the rest: a timer alone
// overshoots by up to a millisecond on a busy machine, which would be
// counted against the tool being measured.
func sleepUntil(t time.Time) {
	const spin = 300 * time.Microsecond
	if d := time.Until(t) - spin; d > 0 {
		time.Sleep(d)
	}
	for time.Now().Before(t) {
	}
}

// Take returns the steps since the last Take and forgets them, once the
// last one is answered.
func (m *Modem) Take() ([]Step, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.steps) > 0 && m.steps[len(m.steps)-1].Answered.IsZero() && !m.closed() {
		m.answered.Wait()
	}
	s, err := m.steps, m.err
	m.steps = nil
	return s, err
}

func (m *Modem) closed() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Reset clears the exclusive-use flag a killed tool may have left on the
// device, so the next tool can open it.
func (m *Modem) Reset() error { return clearExclusive(m.slave) }

// Close stops the modem.
func (m *Modem) Close() error {
	err := m.master.Close()
	m.slave.Close()
	<-m.done
	return err
}
