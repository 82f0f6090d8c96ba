// Package broker is an embedded MQTT broker (mochi-mqtt) for demos and
// tests that must run with nothing installed: it allows every client and
// topic, listens on loopback, and reports every message it carried.
//
//	b, err := broker.Start("127.0.0.1:0")
//	defer b.Close()
//	b.Observe(func(m broker.Message) { fmt.Printf("topic=%s payload=%q\n", m.Topic, m.Payload) })
//	opts := sim.Options{Broker: b.Addr()}
package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Message is one PUBLISH the broker received from a client.
type Message struct {
	ClientID string
	Topic    string
	Payload  []byte
	QoS      byte
	Retain   bool
	Inline   bool // published by the broker itself (Publish, PublishOnSubscribe)
}

func (m Message) String() string {
	return fmt.Sprintf("topic=%s payload=%q qos=%d retain=%t", m.Topic, m.Payload, m.QoS, m.Retain)
}

// Broker is a running embedded broker.
type Broker struct {
	srv                       *mqtt.Server
	addr, tlsAddr, mutualAddr string

	mu        sync.Mutex
	received  []Message
	observers map[int]func(Message)
	nextID    int
	changed   chan struct{} // closed and replaced on every message

	inject injector // PublishOnSubscribe's queue
}

// Start listens on addr ("127.0.0.1:0" or "" for a free loopback port) and
// serves until Close.
func Start(addr string) (*Broker, error) {
	return StartWith(Options{Addr: addr})
}

// Options configure StartWith.
type Options struct {
	// Addr is the plain MQTT listener, "127.0.0.1:0" if empty.
	Addr string
	// TLS, if set, adds two TLS listeners on free loopback ports with the
	// PKI's server certificate: TLSAddr asks for no client certificate,
	// MutualTLSAddr requires one signed by the PKI's CA.
	TLS *PKI
}

// StartWith starts a broker with the listeners o asks for.
func StartWith(o Options) (*Broker, error) {
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	srv := mqtt.New(&mqtt.Options{
		InlineClient: true,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	b := &Broker{srv: srv, observers: map[int]func(Message){}, changed: make(chan struct{})}
	if err := srv.AddHook(new(allowAll), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddHook(&observer{b: b}, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddHook(&injectHook{b: b}, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(l); err != nil {
		return nil, fmt.Errorf("broker: listen on %q: %w", addr, err)
	}
	var tlsL, mutualL *listeners.TCP
	if o.TLS != nil {
		for _, mutual := range []bool{false, true} {
			conf, err := o.TLS.serverTLS(mutual)
			if err != nil {
				srv.Close()
				return nil, fmt.Errorf("broker: %w", err)
			}
			id := "tls"
			if mutual {
				id = "mutual-tls"
			}
			tl := listeners.NewTCP(listeners.Config{ID: id, Address: "127.0.0.1:0", TLSConfig: conf})
			if err := srv.AddListener(tl); err != nil {
				srv.Close()
				return nil, fmt.Errorf("broker: %s listener: %w", id, err)
			}
			if mutual {
				mutualL = tl
			} else {
				tlsL = tl
			}
		}
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	b.addr = l.Address()
	if tlsL != nil {
		b.tlsAddr, b.mutualAddr = tlsL.Address(), mutualL.Address()
	}
	return b, nil
}

// TLSAddr is the TLS listener that asks for no client certificate, and
// MutualTLSAddr the one that requires one; "" without Options.TLS.
func (b *Broker) TLSAddr() string { return b.tlsAddr }

// MutualTLSAddr: see TLSAddr.
func (b *Broker) MutualTLSAddr() string { return b.mutualAddr }

// Addr is the listening address, host:port.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and disconnects its clients.
func (b *Broker) Close() error { return b.srv.Close() }

// Observe calls f for every message received from now on (from the
// broker's goroutines; f must not block). The returned function stops it.
func (b *Broker) Observe(f func(Message)) (stop func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.nextID
	b.nextID++
	b.observers[id] = f
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.observers, id)
	}
}

// Received returns every message received so far, oldest first.
func (b *Broker) Received() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Message(nil), b.received...)
}

// Wait blocks until a received message satisfies match (checking those
// already received first) or ctx is done.
func (b *Broker) Wait(ctx context.Context, match func(Message) bool) (Message, error) {
	seen := 0
	for {
		b.mu.Lock()
		msgs, ch := b.received[seen:], b.changed
		seen = len(b.received)
		b.mu.Unlock()
		for _, m := range msgs {
			if match(m) {
				return m, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Message{}, fmt.Errorf("broker: no matching message: %w", context.Cause(ctx))
		}
	}
}

// Publish sends a message to the broker's subscribers as if a client had
// published it (it is also recorded and observed, with ClientID "inline").
func (b *Broker) Publish(topic string, payload []byte, qos byte, retain bool) error {
	return b.srv.Publish(topic, payload, retain, qos)
}

func (b *Broker) record(m Message) {
	b.mu.Lock()
	b.received = append(b.received, m)
	obs := make([]func(Message), 0, len(b.observers))
	for _, f := range b.observers {
		obs = append(obs, f)
	}
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
	for _, f := range obs {
		f(m)
	}
}

// observer is the mochi hook that records publishes.
type observer struct {
	mqtt.HookBase
	b *Broker
}

func (h *observer) ID() string { return "atrun-observer" }

func (h *observer) Provides(b byte) bool {
	return b == mqtt.OnPublished
}

func (h *observer) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if strings.HasPrefix(pk.TopicName, "$SYS") {
		return
	}
	h.b.record(Message{
		ClientID: cl.ID,
		Topic:    pk.TopicName,
		Payload:  append([]byte(nil), pk.Payload...),
		QoS:      pk.FixedHeader.Qos,
		Retain:   pk.FixedHeader.Retain,
		Inline:   cl.Net.Inline,
	})
}

// allowAll admits every client and topic. (mochi's hooks/auth does the
// same but pulls in a YAML module this repository does not otherwise need.)
type allowAll struct{ mqtt.HookBase }

func (h *allowAll) ID() string { return "allow-all" }

func (h *allowAll) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

func (h *allowAll) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

func (h *allowAll) OnACLCheck(*mqtt.Client, string, bool) bool { return true }
