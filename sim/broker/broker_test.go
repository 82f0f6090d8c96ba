package broker_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/atrun/atrun/sim/broker"
)

func connect(t *testing.T, addr, id string) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetAutoReconnect(false)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func TestBrokerCarriesAndReports(t *testing.T) {
	b, err := broker.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	var observed []broker.Message
	got := make(chan struct{}, 10)
	stop := b.Observe(func(m broker.Message) { observed = append(observed, m); got <- struct{}{} })
	defer stop()

	sub := connect(t, b.Addr(), "sub")
	delivered := make(chan paho.Message, 10)
	if tok := sub.Subscribe("plant/#", 2, func(_ paho.Client, m paho.Message) { delivered <- m }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	pub := connect(t, b.Addr(), "pub")
	msgs := []broker.Message{
		{ClientID: "pub", Topic: "plant/a", Payload: []byte("hi"), QoS: 0},
		{ClientID: "pub", Topic: "plant/b", Payload: []byte{0, 1, 0xff, '\r', '\n'}, QoS: 1, Retain: true},
		{ClientID: "pub", Topic: "plant/c", Payload: []byte("héllo"), QoS: 2},
	}
	for _, m := range msgs {
		if tok := pub.Publish(m.Topic, m.QoS, m.Retain, m.Payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", m.Topic, tok.Error())
		}
		<-got
	}
	rec := b.Received()
	if len(rec) != len(msgs) {
		t.Fatalf("Received() has %d messages, want %d: %v", len(rec), len(msgs), rec)
	}
	for i, m := range msgs {
		r := rec[i]
		if r.ClientID != m.ClientID || r.Topic != m.Topic || !bytes.Equal(r.Payload, m.Payload) || r.QoS != m.QoS || r.Retain != m.Retain {
			t.Errorf("message %d = %v (client %s), want %v (client %s)", i, r, r.ClientID, m, m.ClientID)
		}
		if observed[i].Topic != m.Topic {
			t.Errorf("observer saw %v at %d, want topic %s", observed[i], i, m.Topic)
		}
		nextDelivered(t, delivered, m.Topic, m.Payload)
	}

	// Wait finds an old message and a future one.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if m, err := b.Wait(ctx, func(m broker.Message) bool { return m.Topic == "plant/b" }); err != nil || !m.Retain {
		t.Fatalf("Wait(plant/b) = %v, %v", m, err)
	}
	go b.Publish("plant/cmd", []byte("on"), 1, false)
	if m, err := b.Wait(ctx, func(m broker.Message) bool { return m.Topic == "plant/cmd" }); err != nil || string(m.Payload) != "on" {
		t.Fatalf("Wait(plant/cmd) = %v, %v", m, err)
	}
	nextDelivered(t, delivered, "plant/cmd", []byte("on"))

	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := b.Wait(short, func(m broker.Message) bool { return m.Topic == "never" }); err == nil {
		t.Fatal("Wait for a message never sent returned no error")
	}
}

// nextDelivered reads the subscriber's next message other than a QoS 1
// redelivery (MQTT allows duplicates) and checks it.
func nextDelivered(t *testing.T, ch <-chan paho.Message, topic string, payload []byte) {
	t.Helper()
	for {
		select {
		case d := <-ch:
			if d.Topic() != topic && d.Qos() == 1 && d.Topic() == "plant/b" {
				continue // a redelivery of the earlier QoS 1 message
			}
			if d.Topic() != topic || !bytes.Equal(d.Payload(), payload) {
				t.Fatalf("subscriber got %s %q, want %s %q", d.Topic(), d.Payload(), topic, payload)
			}
			return
		case <-time.After(5 * time.Second):
			t.Fatalf("subscriber did not get %s", topic)
		}
	}
}

func TestStartBadAddress(t *testing.T) {
	if _, err := broker.Start("256.0.0.1:1"); err == nil {
		t.Fatal("Start on an impossible address succeeded")
	}
}
