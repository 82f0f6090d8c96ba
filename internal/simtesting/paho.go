package simtesting

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// wait bounds every paho operation and every wait for a message.
const wait = 5 * time.Second

// Client connects an independent MQTT 3.1.1 client to addr ("host:port")
// with a clean session and no reconnection; an empty id picks a fresh
// one. It disconnects when the test ends.
func Client(t testing.TB, addr, id string) paho.Client {
	t.Helper()
	if id == "" {
		id = fmt.Sprintf("check-%d", time.Now().UnixNano())
	}
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).
		SetAutoReconnect(false).SetConnectTimeout(wait)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("paho connect to %s: %v", addr, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// SubscribeOn subscribes c to filter at qos and returns the messages
// that arrive (buffered 16; paho blocks beyond that).
func SubscribeOn(t testing.TB, c paho.Client, filter string, qos byte) <-chan paho.Message {
	t.Helper()
	ch := make(chan paho.Message, 16)
	tok := c.Subscribe(filter, qos, func(_ paho.Client, m paho.Message) { ch <- m })
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("paho subscribe %q: %v", filter, tok.Error())
	}
	return ch
}

// Next returns the next message on ch, failing after 5 s.
func Next(t testing.TB, ch <-chan paho.Message) paho.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(wait):
		t.Fatal("no message within 5s")
		return nil
	}
}

// Message is one message as a subscriber received it.
type Message struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// Subscribe returns the messages a new independent client receives on
// topic. It subscribes at QoS 2, so a message arrives at the QoS it was
// published with.
func Subscribe(t testing.TB, addr, topic string) <-chan Message {
	t.Helper()
	ch := make(chan Message, 16)
	c := Client(t, addr, "")
	tok := c.Subscribe(topic, 2, func(_ paho.Client, m paho.Message) {
		ch <- Message{m.Topic(), append([]byte(nil), m.Payload()...), m.Qos(), m.Retained()}
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("subscribe %q: %v", topic, tok.Error())
	}
	return ch
}

// Publish sends one message from a new independent client and waits for
// the broker to take it.
func Publish(t testing.TB, addr, topic string, payload []byte, qos byte, retain bool) {
	t.Helper()
	c := Client(t, addr, "")
	if tok := c.Publish(topic, qos, retain, payload); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("publish %q: %v", topic, tok.Error())
	}
}

// WantMessage fails unless the next message on ch, within 5 s, has
// want's topic, payload (nil and empty are equal), QoS and retain flag.
func WantMessage(t testing.TB, ch <-chan Message, want Message) {
	t.Helper()
	select {
	case m := <-ch:
		if m.Topic != want.Topic || !bytes.Equal(m.Payload, want.Payload) || m.QoS != want.QoS || m.Retain != want.Retain {
			t.Fatalf("broker carried topic=%q payload=%q qos=%d retain=%t; want topic=%q payload=%q qos=%d retain=%t",
				m.Topic, m.Payload, m.QoS, m.Retain, want.Topic, want.Payload, want.QoS, want.Retain)
		}
	case <-time.After(wait):
		t.Fatalf("no message on %q", want.Topic)
	}
}

// Retained checks that the broker holds payload as the retained message
// on topic, by subscribing afresh, then clears it.
func Retained(t testing.TB, addr, topic string, payload []byte) {
	t.Helper()
	ch := Subscribe(t, addr, topic)
	select {
	case m := <-ch:
		if !m.Retain || !bytes.Equal(m.Payload, payload) {
			t.Fatalf("retained on %q: payload=%q retain=%t; want %q retained", topic, m.Payload, m.Retain, payload)
		}
	case <-time.After(wait):
		t.Fatalf("no retained message on %q", topic)
	}
	Publish(t, addr, topic, nil, 0, true)
}
