package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// MQTTMessage is one application message, outbound or received.
type MQTTMessage struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// MQTTConfig describes a native-MQTT session opened by a profile
// (AT+SMCONN, AT+QMTOPEN/QMTCONN, AT+MQTTCONN, AT+CMQTTCONNECT, AT+MCONNECT).
type MQTTConfig struct {
	Host string // as the script named it; Options.Broker overrides
	Port int
	// TLS, if set, runs MQTT over TLS; ServerName defaults to Host.
	// Options.TLS, if set, is merged in for fields left empty.
	TLS *tls.Config

	ClientID, Username, Password string
	KeepAlive                    time.Duration // 0 means 60 s
	CleanSession                 bool
	Will                         *MQTTMessage
	// ProtocolVersion is 4 for MQTT 3.1.1 (default) or 3 for MQTT 3.1.
	ProtocolVersion uint
	// Timeout bounds connect and each acknowledged operation (real time;
	// default 30 s).
	Timeout time.Duration

	// OnMessage receives messages of subscriptions made with a nil
	// callback, and messages the broker sends for an old session.
	OnMessage func(m MQTTMessage)
	// OnLost reports a session that ended without Disconnect: the broker
	// or network closed it, or the remote-close knob fired.
	OnLost func(err error)
}

var errNotConnected = errors.New("mqtt: not connected")

// MQTTRefusedError is a CONNACK with a non-zero return code
// (1 protocol version, 2 identifier rejected, 3 server unavailable,
// 4 bad user name or password, 5 not authorized).
type MQTTRefusedError struct{ Code byte }

func (e *MQTTRefusedError) Error() string {
	return fmt.Sprintf("mqtt connection refused: return code %d", e.Code)
}

// MQTTClient is a live MQTT session. Its methods must be called on the
// session goroutine; every callback runs there too. Operations run one at
// a time in call order, like a modem's command queue.
type MQTTClient struct {
	s       *Session
	cfg     MQTTConfig
	cl      paho.Client
	epoch   uint64
	closed  bool          // session goroutine: Disconnect/Close called
	last    chan struct{} // closed when the previous operation finished
	pubs    atomic.Int64
	conn    atomic.Pointer[net.Conn]
	connack atomic.Int32 // return code of the CONNACK read by connackSniffer
	remote  atomic.Bool
}

// MQTTConnect opens an MQTT session in the background; done runs on the
// session goroutine with the client, a *MQTTRefusedError, or another error.
// A restart disconnects the client.
func (s *Session) MQTTConnect(cfg MQTTConfig, done func(c *MQTTClient, err error)) {
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 60 * time.Second
	}
	if cfg.ProtocolVersion == 0 {
		cfg.ProtocolVersion = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	c := &MQTTClient{s: s, cfg: cfg, epoch: s.epoch.Load(), last: make(chan struct{})}
	close(c.last)
	tlsConf := s.mergeTLS(cfg.TLS, cfg.Host)
	addr := s.addrFor(cfg.Host, cfg.Port, tlsConf)

	o := paho.NewClientOptions()
	o.AddBroker("tcp://" + addr)
	o.SetClientID(cfg.ClientID)
	o.SetUsername(cfg.Username)
	o.SetPassword(cfg.Password)
	o.SetKeepAlive(cfg.KeepAlive)
	o.SetCleanSession(cfg.CleanSession)
	o.SetProtocolVersion(cfg.ProtocolVersion)
	o.SetAutoReconnect(false)
	o.SetConnectRetry(false)
	o.SetConnectTimeout(cfg.Timeout)
	o.SetWriteTimeout(cfg.Timeout)
	if w := cfg.Will; w != nil {
		o.SetBinaryWill(w.Topic, w.Payload, w.QoS, w.Retain)
	}
	o.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
		c.deliver(m, nil)
	})
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		if c.remote.Load() {
			err = errors.New("connection closed by remote end")
		}
		s.postAt(c.epoch, func() {
			if c.closed {
				return
			}
			c.closed = true
			s.Untrack(c)
			if cfg.OnLost != nil {
				cfg.OnLost(err)
			}
		})
	})
	o.SetCustomOpenConnectionFn(func(*url.URL, paho.ClientOptions) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(s.ctx, cfg.Timeout)
		defer cancel()
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		if tlsConf != nil {
			t := tls.Client(nc, tlsConf)
			if err := t.HandshakeContext(ctx); err != nil {
				nc.Close()
				return nil, err
			}
			nc = t
		}
		nc = &connackSniffer{Conn: nc, c: c}
		c.conn.Store(&nc)
		return nc, nil
	})
	c.cl = paho.NewClient(o)

	go func() {
		tok := c.cl.Connect()
		err := waitToken(tok, cfg.Timeout)
		if ct, ok := tok.(*paho.ConnectToken); ok && ct.ReturnCode() != 0 {
			err = &MQTTRefusedError{Code: ct.ReturnCode()}
		}
		// paho reports success for return codes it has no name for
		// (mochi answers an empty client id so): trust the CONNACK bytes.
		if rc := c.connack.Load(); err == nil && rc > 0 {
			c.cl.Disconnect(0)
			err = &MQTTRefusedError{Code: byte(rc)}
		}
		s.reportConnect(cfg.Host, cfg.Port, addr, tlsConf, true, err)
		s.postOr(c.epoch, func() {
			if err != nil {
				done(nil, err)
				return
			}
			s.Track(c)
			done(c, nil)
			if d := s.opts.RemoteCloseAfter; d > 0 && !c.closed {
				t := time.AfterFunc(d, c.remoteClose)
				context.AfterFunc(s.ctx, func() { t.Stop() })
			}
		}, func() {
			if err == nil {
				c.cl.Disconnect(0)
			}
		})
	}()
}

// mergeTLS combines a profile's TLS configuration with Options.TLS.
func (s *Session) mergeTLS(t *tls.Config, host string) *tls.Config {
	if t == nil {
		return nil
	}
	t = t.Clone()
	if base := s.opts.TLS; base != nil {
		if t.RootCAs == nil {
			t.RootCAs = base.RootCAs
		}
		if len(t.Certificates) == 0 {
			t.Certificates = base.Certificates
		}
		t.InsecureSkipVerify = t.InsecureSkipVerify || base.InsecureSkipVerify
		if t.ServerName == "" {
			t.ServerName = base.ServerName
		}
	}
	if t.ServerName == "" {
		t.ServerName = host
	}
	return t
}

func waitToken(tok paho.Token, d time.Duration) error {
	if !tok.WaitTimeout(d) {
		return fmt.Errorf("mqtt: no answer from broker within %v", d)
	}
	return tok.Error()
}

// deliver posts a received message to its callback.
func (c *MQTTClient) deliver(m paho.Message, cb func(MQTTMessage)) {
	msg := MQTTMessage{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), QoS: m.Qos(), Retain: m.Retained()}
	c.s.postAt(c.epoch, func() {
		if c.closed {
			return
		}
		if cb == nil {
			cb = c.cfg.OnMessage
		}
		if cb != nil {
			cb(msg)
		}
	})
}

// do runs op in the background after every earlier operation; then runs
// finish on the session goroutine (unless the client was closed or the
// modem restarted).
func (c *MQTTClient) do(op func() error, finish func(err error)) {
	prev := c.last
	next := make(chan struct{})
	c.last = next
	go func() {
		<-prev
		err := op()
		close(next)
		c.s.postAt(c.epoch, func() {
			if finish != nil {
				finish(err)
			}
		})
	}()
}

// Connected reports whether the session is up (not lost, not closed).
func (c *MQTTClient) Connected() bool { return !c.closed && c.cl.IsConnectionOpen() }

// Publish sends m; done gets nil once the broker acknowledged it (QoS 1
// and 2) or it was written (QoS 0). done may be nil, as in the other
// methods.
func (c *MQTTClient) Publish(m MQTTMessage, done func(err error)) {
	if done == nil {
		done = func(error) {}
	}
	if c.closed {
		c.s.Post(func() { done(errNotConnected) })
		return
	}
	c.do(func() error {
		return waitToken(c.cl.Publish(m.Topic, m.QoS, m.Retain, m.Payload), c.cfg.Timeout)
	}, func(err error) {
		done(err)
		// The knob's close comes after the publish's result is reported.
		if n := c.s.opts.RemoteCloseSends; err == nil && n > 0 && c.pubs.Add(1) == int64(n) {
			c.remoteClose()
		}
	})
}

// Subscribe subscribes to a topic filter; onMsg (or MQTTConfig.OnMessage
// when nil) gets its messages. done gets the granted QoS (0x80: refused).
func (c *MQTTClient) Subscribe(topic string, qos byte, onMsg func(MQTTMessage), done func(granted byte, err error)) {
	if done == nil {
		done = func(byte, error) {}
	}
	if c.closed {
		c.s.Post(func() { done(0x80, errNotConnected) })
		return
	}
	var granted byte = 0x80
	c.do(func() error {
		tok := c.cl.Subscribe(topic, qos, func(_ paho.Client, m paho.Message) { c.deliver(m, onMsg) })
		if err := waitToken(tok, c.cfg.Timeout); err != nil {
			return err
		}
		if st, ok := tok.(*paho.SubscribeToken); ok {
			if g, ok := st.Result()[topic]; ok {
				granted = g
			}
		}
		return nil
	}, func(err error) { done(granted, err) })
}

// Unsubscribe removes topic filters.
func (c *MQTTClient) Unsubscribe(done func(err error), topics ...string) {
	if done == nil {
		done = func(error) {}
	}
	if c.closed {
		c.s.Post(func() { done(errNotConnected) })
		return
	}
	c.do(func() error {
		return waitToken(c.cl.Unsubscribe(topics...), c.cfg.Timeout)
	}, done)
}

// Disconnect sends DISCONNECT after pending operations and closes the
// session; OnLost is not called. done may be nil.
func (c *MQTTClient) Disconnect(done func()) {
	if c.closed {
		if done != nil {
			c.s.Post(done)
		}
		return
	}
	c.closed = true
	c.s.Untrack(c)
	c.do(func() error {
		c.cl.Disconnect(250)
		return nil
	}, func(error) {
		if done != nil {
			done()
		}
	})
}

// Close disconnects at once (for restarts and session end).
func (c *MQTTClient) Close() error {
	if !c.closed {
		c.closed = true
		c.s.Untrack(c)
		go c.cl.Disconnect(0)
	}
	return nil
}

// remoteClose plays the broker dropping the connection (fault knobs).
func (c *MQTTClient) remoteClose() {
	c.remote.Store(true)
	if p := c.conn.Load(); p != nil {
		(*p).Close()
	}
}

// connackSniffer records the return code of the first CONNACK read
// (fixed header 0x20, remaining length 2, flags, return code), and turns
// the error of a connection closed by the remote-close knob into io.EOF:
// paho ignores "use of closed network connection" as its own doing.
type connackSniffer struct {
	net.Conn
	c    *MQTTClient
	head []byte
}

func (r *connackSniffer) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if len(r.head) < 4 {
		r.head = append(r.head, p[:min(n, 4-len(r.head))]...)
		if len(r.head) == 4 && r.head[0] == 0x20 && r.head[1] == 2 {
			r.c.connack.Store(int32(r.head[3]))
		}
	}
	if err != nil && r.c.remote.Load() {
		err = io.EOF
	}
	return n, err
}
