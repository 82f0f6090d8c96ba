// Package testbroker runs a private mosquitto MQTT broker for tests.
//
//	addr := testbroker.Start(t) // "127.0.0.1:PORT", stopped when t ends
//
// Each call starts its own broker on a free loopback port from a temporary
// config (anonymous access, no persistence; MQTT 3.1.1 and 5 both work) and
// returns once the broker accepts connections. The broker's log is shown
// when the test fails.
package testbroker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// NotInstalled is the failure message when no mosquitto binary is found.
const NotInstalled = "mosquitto not installed: run `make deps`"

// fallbacks are where Debian and Homebrew put mosquitto outside PATH.
func fallbacks() []string {
	return []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto"}
}

// Option changes how Start configures the broker.
type Option func(*config)

type config struct {
	lines   []string
	timeout time.Duration
}

// Config appends lines to the broker's configuration file, e.g.
// Config("max_keepalive 10") or Config("max_packet_size 1024").
func Config(lines ...string) Option {
	return func(c *config) { c.lines = append(c.lines, lines...) }
}

// StartTimeout bounds how long Start waits for the broker; the default is 10 s.
func StartTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// Find returns the path of the mosquitto binary: from PATH, else from the
// usual sbin directories.
func Find() (string, error) {
	return find(fallbacks())
}

func find(dirs []string) (string, error) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	for _, p := range dirs {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New(NotInstalled)
}

// Start starts mosquitto and returns its "host:port". The broker stops when
// the test ends. Start calls t.Fatal when mosquitto is missing or does not
// come up.
func Start(t testing.TB, opts ...Option) string {
	t.Helper()
	cfg := config{timeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	bin, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A free port can be taken between our probe and mosquitto's bind:
	// then mosquitto exits and another port is tried.
	var logs []string
	for range 5 {
		addr, b, err := try(bin, dir, cfg)
		if err == nil {
			t.Cleanup(func() {
				b.stop()
				if t.Failed() {
					t.Logf("mosquitto log:\n%s", b.String())
				}
			})
			return addr
		}
		logs = append(logs, fmt.Sprintf("%v\n%s", err, b.String()))
		if !strings.Contains(b.String(), "Address already in use") {
			break
		}
	}
	t.Fatalf("mosquitto did not start:\n%s", strings.Join(logs, "\n"))
	return ""
}

// broker is a running mosquitto and its log.
type broker struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited and its log is read
	mu     sync.Mutex
	log    bytes.Buffer
}

func (b *broker) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// stop ends the broker and waits for it. SIGTERM is repeated because
// mosquitto can miss one that lands between its run-flag check and its poll
// (it would then sleep until the poll times out); Kill ends it after 5 s.
func (b *broker) stop() {
	if b.cmd.Process == nil {
		return
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
			return
		case <-tick.C:
		case <-deadline:
			_ = b.cmd.Process.Kill()
			<-b.exited
			return
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func try(bin, dir string, cfg config) (string, *broker, error) {
	b := &broker{exited: make(chan struct{})}
	port, err := freePort()
	if err != nil {
		return "", b, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := []string{
		"listener " + strconv.Itoa(port) + " 127.0.0.1",
		"allow_anonymous true",
		"persistence false",
		"log_dest stderr",
		"log_type all",
		"connection_messages true",
	}
	conf = append(conf, cfg.lines...)
	path := filepath.Join(dir, "mosquitto-"+strconv.Itoa(port)+".conf")
	if err := os.WriteFile(path, []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		return "", b, err
	}
	b.cmd = exec.Command(bin, "-c", path)
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		return "", b, err
	}
	if err := b.cmd.Start(); err != nil {
		return "", b, err
	}
	// mosquitto logs "running" once its listeners are open.
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			b.log.WriteString(line)
			b.log.WriteByte('\n')
			b.mu.Unlock()
			if !signalled && strings.Contains(line, " running") {
				signalled = true
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = b.cmd.Wait()
		close(b.exited)
	}()
	timer := time.NewTimer(cfg.timeout)
	defer timer.Stop()
	select {
	case <-ready:
	case <-b.exited:
		return "", b, fmt.Errorf("mosquitto exited: %v", b.cmd.ProcessState)
	case <-timer.C:
		b.stop()
		return "", b, fmt.Errorf("mosquitto not running after %v", cfg.timeout)
	}
	conn, err := net.DialTimeout("tcp", addr, cfg.timeout)
	if err != nil {
		b.stop()
		return "", b, fmt.Errorf("mosquitto does not accept connections: %w", err)
	}
	conn.Close()
	return addr, b, nil
}
