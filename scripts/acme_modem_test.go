package scripts

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// acmeModem is a fake "ACME-1", a module the project does not ship, so that
// a test can prove a new module needs a script and no Go. It is as strict
// as hardware where the runtime could go wrong:
//   - a command line ends only with CR LF; a line ended by a bare CR (or a
//     bare LF) is dropped unexecuted;
//   - a command line typed before the previous command's final result was
//     written is ignored (V.250 §5.6.1), and recorded in early;
//   - AT+CGMR's OK comes late, after its bare answer, so a host that sends
//     on the answer alone is caught;
//   - AT+ACMEIP answers a bare address and never a final result;
//   - AT+ASEND=<n> ends with "SEND DONE", not OK;
//   - received socket bytes arrive inline and counted:
//     "#ADATA: 0,<n>,<n raw bytes>", CR LF and all.
//
// AT+AOPEN="host",port opens a real TCP connection, reported by the URC
// "+AOPEN: <err>" (0 = connected); a peer close gives "+ACLOSED: 0".
type acmeModem struct {
	host  net.Conn // the host's side is returned by newACMEModem
	delay time.Duration

	wmu sync.Mutex // one writer at a time, so a #ADATA frame is never split

	mu       sync.Mutex
	echo     bool
	busy     bool        // a final result is owed
	dataLeft int         // payload bytes still expected after the "> " prompt
	payload  []byte      // AT+ASEND payload collected so far
	sock     net.Conn    // the AT+AOPEN socket
	commands []string    // command lines executed
	early    []string    // command lines typed while busy (ignored)
	bareCR   []string    // lines ended by a bare CR or LF (ignored)
	sendDone chan []byte // AT+ASEND payload, to the goroutine that owes SEND DONE
}

// newACMEModem starts a fake ACME-1 and returns the host's end of its
// serial line: a loopback TCP connection, buffered like a UART and unlike
// net.Pipe. delay is how long a final result lags its command.
func newACMEModem(delay time.Duration) (*acmeModem, net.Conn, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	hostSide, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	modemSide, err := l.Accept()
	if err != nil {
		hostSide.Close()
		return nil, nil, err
	}
	m := &acmeModem{host: modemSide, delay: delay, echo: true}
	go m.readLoop()
	return m, hostSide, nil
}

// Close ends the modem and its socket.
func (m *acmeModem) Close() {
	m.host.Close()
	m.mu.Lock()
	if m.sock != nil {
		m.sock.Close()
	}
	m.mu.Unlock()
}

// Early returns the command lines that arrived while a final was owed.
func (m *acmeModem) Early() []string { return m.snapshot(&m.early) }

// Commands returns the command lines executed, in order.
func (m *acmeModem) Commands() []string { return m.snapshot(&m.commands) }

// BareCR returns the lines dropped for lacking CR LF.
func (m *acmeModem) BareCR() []string { return m.snapshot(&m.bareCR) }

func (m *acmeModem) snapshot(s *[]string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), *s...)
}

func (m *acmeModem) write(s string) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	_, _ = io.WriteString(m.host, s)
}

// line writes one response line in V.250 verbose form.
func (m *acmeModem) line(s string) { m.write("\r\n" + s + "\r\n") }

// final writes a final result after the modem's delay and frees it for the
// next command.
func (m *acmeModem) final(s string) {
	time.Sleep(m.delay)
	m.mu.Lock()
	m.busy = false
	m.mu.Unlock()
	m.line(s)
}

func (m *acmeModem) readLoop() {
	var line []byte
	sawCR := false
	buf := make([]byte, 512)
	for {
		n, err := m.host.Read(buf)
		if err != nil {
			return
		}
		for _, b := range buf[:n] {
			m.mu.Lock()
			if m.dataLeft > 0 {
				m.payload = append(m.payload, b)
				m.dataLeft--
				if m.dataLeft == 0 {
					m.sendDone <- m.payload
					m.payload = nil
				}
				m.mu.Unlock()
				continue
			}
			m.mu.Unlock()
			switch {
			case sawCR && b == '\n':
				sawCR = false
				m.command(string(line))
				line = line[:0]
				continue
			case sawCR: // the line ended in a bare CR: dropped
				sawCR = false
				m.drop(string(line))
				line = line[:0]
			}
			switch b {
			case '\r':
				sawCR = true
			case '\n':
				m.drop(string(line))
				line = line[:0]
			default:
				line = append(line, b)
			}
		}
	}
}

func (m *acmeModem) drop(line string) {
	m.mu.Lock()
	m.bareCR = append(m.bareCR, line)
	m.mu.Unlock()
}

func (m *acmeModem) command(cmd string) {
	if strings.TrimSpace(cmd) == "" {
		return
	}
	m.mu.Lock()
	if m.busy {
		m.early = append(m.early, cmd)
		m.mu.Unlock()
		return
	}
	m.busy = true
	m.commands = append(m.commands, cmd)
	echo := m.echo
	m.mu.Unlock()
	if echo {
		m.write(cmd + "\r\n")
	}
	// Executed aside so that the reader goes on and sees early lines.
	go m.execute(cmd)
}

var (
	acmeOpen = regexp.MustCompile(`^AT\+AOPEN="([^"]+)",(\d+)$`)
	acmeSend = regexp.MustCompile(`^AT\+ASEND=(\d+)$`)
)

func (m *acmeModem) execute(cmd string) {
	up := strings.ToUpper(cmd)
	switch {
	case up == "AT":
		m.final("OK")
	case up == "ATE0" || up == "ATE1":
		m.mu.Lock()
		m.echo = up == "ATE1"
		m.mu.Unlock()
		m.final("OK")
	case up == "AT+CGMR":
		m.line("ACME-1 R01A02")
		time.Sleep(200 * time.Millisecond) // the OK lags: racing hosts send too soon
		m.final("OK")
	case up == "AT+ACMEIP":
		// A bare answer and no final result: the modem is free at once.
		m.mu.Lock()
		m.busy = false
		m.mu.Unlock()
		m.line("10.11.12.13")
	case acmeOpen.MatchString(cmd):
		sm := acmeOpen.FindStringSubmatch(cmd)
		m.final("OK")
		go m.open(net.JoinHostPort(sm[1], sm[2]))
	case acmeSend.MatchString(up):
		n, _ := strconv.Atoi(acmeSend.FindStringSubmatch(up)[1])
		m.mu.Lock()
		sock := m.sock
		if sock == nil || n == 0 || n > 1460 {
			m.mu.Unlock()
			m.final("ERROR")
			return
		}
		done := make(chan []byte, 1)
		m.sendDone, m.dataLeft = done, n
		m.mu.Unlock()
		m.write("> ")
		payload := <-done
		if _, err := sock.Write(payload); err != nil {
			m.final("SEND FAILED")
			return
		}
		m.final("SEND DONE")
	case up == "AT+ACLOSE":
		m.mu.Lock()
		if m.sock != nil {
			m.sock.Close()
			m.sock = nil
		}
		m.mu.Unlock()
		m.final("OK")
	default:
		m.final("ERROR")
	}
}

// open connects the socket and relays what the peer sends as #ADATA.
func (m *acmeModem) open(addr string) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		m.line("+AOPEN: 1")
		return
	}
	m.mu.Lock()
	m.sock = c
	m.mu.Unlock()
	m.line("+AOPEN: 0")
	buf := make([]byte, 1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			m.write(fmt.Sprintf("\r\n#ADATA: 0,%d,", n) + string(buf[:n]) + "\r\n")
		}
		if err != nil {
			m.mu.Lock()
			closedByUs := m.sock != c
			m.mu.Unlock()
			if !closedByUs {
				m.line("+ACLOSED: 0")
			}
			return
		}
	}
}
