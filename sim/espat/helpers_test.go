package espat_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/simtest"
)

// startBroker runs a private mosquitto for one test and returns its
// address.
func startBroker(t testing.TB) string {
	t.Helper()
	return testbroker.Start(t)
}

// startModem runs the named profile with every connection sent to addr.
func startModem(t testing.TB, name, addr string, opts sim.Options) *simtest.Host {
	t.Helper()
	opts.Broker = addr
	return simtest.Start(t, name, opts)
}

// strictBroker is a mochi broker that refuses user "bad", denies topics
// under "denied/", optionally serves TLS, and records each CONNECT.
type strictBroker struct {
	mqtt.HookBase
	mu       sync.Mutex
	connects []connectInfo
}

type connectInfo struct{ clientID, user, pass string }

func (h *strictBroker) ID() string { return "strict" }

func (h *strictBroker) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

func (h *strictBroker) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	h.mu.Lock()
	h.connects = append(h.connects, connectInfo{cl.ID, string(pk.Connect.Username), string(pk.Connect.Password)})
	h.mu.Unlock()
	return string(pk.Connect.Username) != "bad"
}

func (h *strictBroker) OnACLCheck(_ *mqtt.Client, topic string, _ bool) bool {
	return !strings.HasPrefix(topic, "denied/")
}

func (h *strictBroker) last() connectInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.connects) == 0 {
		return connectInfo{}
	}
	return h.connects[len(h.connects)-1]
}

// startStrictBroker returns the plain address, and with tlsConf also a
// TLS address, of one strict broker.
func startStrictBroker(t *testing.T, tlsConf *tls.Config) (plain, secure string, h *strictBroker) {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h = new(strictBroker)
	if err := srv.AddHook(h, nil); err != nil {
		t.Fatal(err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "tcp", Address: "127.0.0.1:0"})
	if err := srv.AddListener(l); err != nil {
		t.Fatal(err)
	}
	var lt *listeners.TCP
	if tlsConf != nil {
		lt = listeners.NewTCP(listeners.Config{ID: "tls", Address: "127.0.0.1:0", TLSConfig: tlsConf})
		if err := srv.AddListener(lt); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if lt != nil {
		secure = lt.Address()
	}
	return l.Address(), secure, h
}

// selfSigned makes a server certificate for localhost and 127.0.0.1 and
// returns it with its PEM (the certificate is its own CA).
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// pahoClient connects an independent MQTT client to addr.
func pahoClient(t *testing.T, addr string) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(fmt.Sprintf("check-%d", time.Now().UnixNano()))
	o.SetAutoReconnect(false)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("paho connect to %s: %v", addr, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

type got struct {
	topic   string
	payload []byte
	qos     byte
	retain  bool
}

// subscribe returns the messages an independent client receives on topic
// (subscribed at QoS 2, so the publisher's QoS is what arrives).
func subscribe(t *testing.T, addr, topic string) <-chan got {
	t.Helper()
	ch := make(chan got, 16)
	c := pahoClient(t, addr)
	tok := c.Subscribe(topic, 2, func(_ paho.Client, m paho.Message) {
		ch <- got{m.Topic(), append([]byte(nil), m.Payload()...), m.Qos(), m.Retained()}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %q: %v", topic, tok.Error())
	}
	return ch
}

func publish(t *testing.T, addr, topic string, payload []byte, qos byte, retain bool) {
	t.Helper()
	c := pahoClient(t, addr)
	if tok := c.Publish(topic, qos, retain, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %q: %v", topic, tok.Error())
	}
}

func wantMessage(t *testing.T, ch <-chan got, want got) {
	t.Helper()
	select {
	case m := <-ch:
		if m.topic != want.topic || !bytes.Equal(m.payload, want.payload) || m.qos != want.qos || m.retain != want.retain {
			t.Fatalf("broker carried topic=%q payload=%q qos=%d retain=%t; want topic=%q payload=%q qos=%d retain=%t",
				m.topic, m.payload, m.qos, m.retain, want.topic, want.payload, want.qos, want.retain)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no message on %q", want.topic)
	}
}

// retained checks the broker's retained message on topic by subscribing
// afresh, then clears it.
func retained(t *testing.T, addr, topic string, payload []byte) {
	t.Helper()
	ch := subscribe(t, addr, topic)
	select {
	case m := <-ch:
		if !m.retain || !bytes.Equal(m.payload, payload) {
			t.Fatalf("retained on %q: payload=%q retain=%t; want %q retained", topic, m.payload, m.retain, payload)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no retained message on %q", topic)
	}
	publish(t, addr, topic, nil, 0, true)
}

// expectAnyOrder reads len(parts) concatenated framed lines in any order.
func expectAnyOrder(t *testing.T, h *simtest.Host, parts ...string) {
	t.Helper()
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b, err := h.Next(n, simtest.Timeout)
	if err != nil {
		t.Fatalf("waiting for %q: %v; got %q", parts, err, b)
	}
	rest := string(b)
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Fatalf("got %q; want %q in any order", b, parts)
		}
		rest = rest[:i] + rest[i+len(p):]
	}
}
