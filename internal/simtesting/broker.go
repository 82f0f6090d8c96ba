package simtesting

import (
	"crypto/tls"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// StrictBroker is a mochi broker hook that refuses user "bad", denies
// every topic under "denied/" and records each CONNECT it sees.
type StrictBroker struct {
	mqtt.HookBase
	mu       sync.Mutex
	connects []Connect // guarded by mu: mochi calls hooks from its client goroutines
}

// Connect is what one CONNECT packet carried.
type Connect struct{ ClientID, User, Pass string }

// ID names the hook to mochi.
func (h *StrictBroker) ID() string { return "strict" }

// Provides tells mochi which hooks StrictBroker implements.
func (h *StrictBroker) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

// OnConnectAuthenticate records the CONNECT and refuses user "bad".
func (h *StrictBroker) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	h.mu.Lock()
	h.connects = append(h.connects, Connect{cl.ID, string(pk.Connect.Username), string(pk.Connect.Password)})
	h.mu.Unlock()
	return string(pk.Connect.Username) != "bad"
}

// OnACLCheck denies topics under "denied/", for reading and writing.
func (h *StrictBroker) OnACLCheck(_ *mqtt.Client, topic string, _ bool) bool {
	return !strings.HasPrefix(topic, "denied/")
}

// Last returns the latest CONNECT, or the zero Connect before any.
func (h *StrictBroker) Last() Connect {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.connects) == 0 {
		return Connect{}
	}
	return h.connects[len(h.connects)-1]
}

// StartStrictBroker runs a mochi broker with a StrictBroker hook on a
// plain loopback listener and, when tlsConf is not nil, on a TLS one too
// (secure is "" otherwise). The broker closes when the test ends.
func StartStrictBroker(t testing.TB, tlsConf *tls.Config) (plain, secure string, h *StrictBroker) {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h = new(StrictBroker)
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
