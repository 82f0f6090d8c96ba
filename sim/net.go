package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// brokerAddr turns Options.Broker ("host:port", "mqtt://host:port",
// "tcp://host", "mqtts://...") into host:port; the MQTT port 1883 is the
// default.
func brokerAddr(b string) (string, error) {
	hp := b
	if strings.Contains(b, "://") {
		u, err := url.Parse(b)
		if err != nil {
			return "", fmt.Errorf("broker %q: %w", b, err)
		}
		switch u.Scheme {
		case "mqtt", "tcp", "mqtts", "ssl", "tls":
		default:
			return "", fmt.Errorf("broker %q: scheme %q is not mqtt, tcp, mqtts, ssl or tls", b, u.Scheme)
		}
		hp = u.Host
	}
	if hp == "" {
		return "", fmt.Errorf("broker %q has no host", b)
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		// No port given.
		host, port = hp, "1883"
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return "", fmt.Errorf("broker %q: bad port %q", b, port)
	}
	return net.JoinHostPort(host, port), nil
}

// Addr is where an outbound connection to host:port really goes: the
// Options.Broker override if set, else host:port itself.
func (s *Session) Addr(host string, port int) string {
	if s.opts.Broker != "" {
		a, err := brokerAddr(s.opts.Broker)
		if err == nil { // checked by New
			return a
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// Connection is an outbound connection as Options.OnConnect sees it.
type Connection struct {
	Requested string // host:port as the script named it
	Addr      string // where it went: Requested, or the broker override
	TLS       bool
	MQTT      bool  // an MQTT session, not a bare socket
	Err       error // nil: up
}

func (c Connection) String() string {
	s := c.Requested
	if c.Addr != c.Requested {
		s += " (redirected to " + c.Addr + ")"
	}
	if c.TLS {
		s += " over TLS"
	}
	if c.Err != nil {
		s += ": " + c.Err.Error()
	}
	return s
}

// addrFor is Addr for a connection with TLS configuration t (nil: none):
// TLS goes to the TLS override when one is set.
func (s *Session) addrFor(host string, port int, t *tls.Config) string {
	if t != nil {
		b := s.opts.BrokerTLS
		if len(t.Certificates) > 0 && s.opts.BrokerMutualTLS != "" {
			b = s.opts.BrokerMutualTLS
		}
		if b != "" {
			if a, err := brokerAddr(b); err == nil { // checked by New
				return a
			}
		}
	}
	return s.Addr(host, port)
}

func (s *Session) reportConnect(host string, port int, addr string, t *tls.Config, mqtt bool, err error) {
	if f := s.opts.OnConnect; f != nil {
		f(Connection{Requested: net.JoinHostPort(host, strconv.Itoa(port)), Addr: addr, TLS: t != nil, MQTT: mqtt, Err: err})
	}
}

// DialConfig describes an outbound socket opened by a profile.
type DialConfig struct {
	Network string // "tcp" (default) or "udp"
	Host    string // as the script named it; Options.Broker overrides
	Port    int
	// TLS, if set, runs TLS over the TCP connection. ServerName defaults
	// to Host.
	TLS *tls.Config
	// Timeout bounds the connect (real time, not scaled; default 75 s,
	// the SIMCom CIPSTART limit).
	Timeout time.Duration
	// OnData receives every chunk read from the socket.
	OnData func(c *Conn, b []byte)
	// OnClose reports the end of the socket that the profile did not ask
	// for: the peer closed it (err nil) or it failed. It is not called
	// after Conn.Close.
	OnClose func(c *Conn, err error)
}

// Conn is a socket opened with Session.Dial. Its methods and callbacks run
// on the session goroutine.
type Conn struct {
	s       *Session
	nc      net.Conn
	cfg     DialConfig
	epoch   uint64
	sends   int
	closed  bool        // session goroutine: closed locally or reported
	remote  atomic.Bool // the remote-close knob fired
	stopper func() bool
}

// Dial opens a socket in the background; done runs on the session
// goroutine with the connection or the error. Data and close callbacks
// start after done returns. A restart closes the socket.
func (s *Session) Dial(cfg DialConfig, done func(c *Conn, err error)) {
	if cfg.Network == "" {
		cfg.Network = "tcp"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 75 * time.Second
	}
	addr := s.addrFor(cfg.Host, cfg.Port, cfg.TLS)
	ep := s.epoch.Load()
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, cfg.Timeout)
		defer cancel()
		var d net.Dialer
		nc, err := d.DialContext(ctx, cfg.Network, addr)
		if err == nil && cfg.TLS != nil {
			tc := cfg.TLS.Clone()
			if tc.ServerName == "" {
				tc.ServerName = cfg.Host
			}
			t := tls.Client(nc, tc)
			if err = t.HandshakeContext(ctx); err != nil {
				nc.Close()
			}
			nc = t
		}
		s.reportConnect(cfg.Host, cfg.Port, addr, cfg.TLS, false, err)
		s.postOr(ep, func() {
			if err != nil {
				done(nil, err)
				return
			}
			c := &Conn{s: s, nc: nc, cfg: cfg, epoch: ep}
			s.Track(c)
			done(c, nil)
			if c.closed {
				return
			}
			if d := s.opts.RemoteCloseAfter; d > 0 {
				t := time.AfterFunc(d, c.remoteClose)
				c.stopper = t.Stop
			}
			go c.readLoop()
		}, func() {
			if err == nil {
				nc.Close() // restarted meanwhile
			}
		})
	}()
}

func (c *Conn) readLoop() {
	buf := make([]byte, 16384)
	for {
		n, err := c.nc.Read(buf)
		if n > 0 {
			b := append([]byte(nil), buf[:n]...)
			c.s.postAt(c.epoch, func() {
				if !c.closed && c.cfg.OnData != nil {
					c.cfg.OnData(c, b)
				}
			})
		}
		if err != nil {
			if c.remote.Load() || errors.Is(err, io.EOF) {
				err = nil
			}
			c.s.postAt(c.epoch, func() {
				if c.closed {
					return
				}
				c.closed = true
				c.nc.Close()
				c.s.Untrack(c)
				if c.cfg.OnClose != nil {
					c.cfg.OnClose(c, err)
				}
			})
			return
		}
	}
}

// remoteClose plays the remote end closing the connection (fault knobs).
func (c *Conn) remoteClose() {
	c.remote.Store(true)
	c.nc.Close()
}

// Write sends b. With Options.RemoteCloseSends the remote end closes the
// socket after that many writes.
func (c *Conn) Write(b []byte) error {
	if c.closed {
		return net.ErrClosed
	}
	c.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		return err
	}
	c.sends++
	if n := c.s.opts.RemoteCloseSends; n > 0 && c.sends == n {
		c.remoteClose()
	}
	return nil
}

// Close closes the socket locally; OnClose is not called.
func (c *Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.stopper != nil {
		c.stopper()
	}
	c.s.Untrack(c)
	return c.nc.Close()
}

// Closed reports whether the socket is closed (locally or by the peer).
func (c *Conn) Closed() bool { return c.closed }

// RemoteAddr is the real peer address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }
