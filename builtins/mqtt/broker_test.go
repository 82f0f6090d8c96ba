package mqtt_test

// End-to-end tests against a real mosquitto. Our side speaks raw bytes on a
// plain TCP socket, as a modem's AT+CIPSEND would carry them; the other side
// is the independent Paho client.

import (
	"fmt"
	"net"
	"testing"
	"time"

	pahomqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/builtins/mqtt"
	"github.com/atrun/atrun/internal/testbroker"
)

// rawClient is an MQTT client made of our codec and a TCP socket.
type rawClient struct {
	t     *testing.T
	conn  net.Conn
	c     mqtt.Codec
	buf   []byte
	queue []mqtt.Packet
}

func dialRaw(t *testing.T, addr string, v byte) *rawClient {
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	return &rawClient{t: t, conn: conn, c: mqtt.Codec{Version: v}}
}

// send writes all packets in one write, as one AT+CIPSEND would.
func (r *rawClient) send(pkts ...mqtt.Packet) {
	r.t.Helper()
	var out []byte
	for _, p := range pkts {
		var err error
		out, err = r.c.Append(out, p)
		require.NoError(r.t, err)
	}
	_, err := r.conn.Write(out)
	require.NoError(r.t, err)
}

// recv returns the next packet from the broker.
func (r *rawClient) recv() mqtt.Packet {
	r.t.Helper()
	for len(r.queue) == 0 {
		pkts, used, err := r.c.Decode(r.buf)
		if err == nil {
			r.queue = pkts
			r.buf = r.buf[used:]
			break
		}
		require.ErrorIs(r.t, err, mqtt.ErrNeedMore)
		need, err := r.c.Need(r.buf)
		require.NoError(r.t, err)
		chunk := make([]byte, max(need, 512))
		n, err := r.conn.Read(chunk)
		require.NoError(r.t, err, "waiting for %d more bytes", need)
		r.buf = append(r.buf, chunk[:n]...)
	}
	p := r.queue[0]
	r.queue = r.queue[1:]
	return p
}

func (r *rawClient) connect(id string) {
	r.t.Helper()
	r.send(&mqtt.Connect{ClientID: id, Clean: true, KeepAlive: 60})
	r.accepted()
}

// accepted reads a CONNACK that accepts a clean session. mosquitto's v5
// CONNACK also carries properties (topic alias maximum and the like).
func (r *rawClient) accepted() {
	r.t.Helper()
	p := r.recv()
	ack, ok := p.(*mqtt.Connack)
	require.True(r.t, ok, "want CONNACK, got %#v", p)
	require.Zero(r.t, ack.ReasonCode)
	require.False(r.t, ack.SessionPresent)
	if r.c.Version == mqtt.V311 {
		require.Nil(r.t, ack.Properties)
	}
}

func pahoClient(t *testing.T, addr, id string) pahomqtt.Client {
	opts := pahomqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).
		SetAutoReconnect(false).SetConnectRetry(false).SetProtocolVersion(4)
	c := pahomqtt.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second), "paho connect timed out")
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func waitToken(t *testing.T, tok pahomqtt.Token) {
	t.Helper()
	require.True(t, tok.WaitTimeout(10*time.Second), "paho token timed out")
	require.NoError(t, tok.Error())
}

// A raw CONNECT + PUBLISH from our encoder reaches an independent subscriber.
func TestBrokerPublish(t *testing.T) {
	addr := testbroker.Start(t)
	sub := pahoClient(t, addr, "observer")
	got := make(chan pahomqtt.Message, 10)
	waitToken(t, sub.Subscribe("atrun/up/#", 2, func(_ pahomqtt.Client, m pahomqtt.Message) { got <- m }))

	for _, v := range versions() {
		for qos := byte(0); qos <= 2; qos++ {
			t.Run(fmt.Sprintf("v%d/qos%d", v, qos), func(t *testing.T) {
				topic := fmt.Sprintf("atrun/up/v%d/q%d", v, qos)
				payload := []byte(fmt.Sprintf("hi \x00\x1a\r\nOK\r\n %d/%d", v, qos))
				r := dialRaw(t, addr, v)
				pub := &mqtt.Publish{Topic: topic, Payload: payload, QoS: qos}
				if qos > 0 {
					pub.ID = 42
				}
				// CONNECT and PUBLISH in one write, as a modem sends them.
				r.send(&mqtt.Connect{ClientID: fmt.Sprintf("raw-pub-%d-%d", v, qos), Clean: true, KeepAlive: 60}, pub)
				r.accepted()
				switch qos {
				case 1:
					require.Equal(t, &mqtt.Puback{ID: 42}, r.recv())
				case 2:
					require.Equal(t, &mqtt.Pubrec{ID: 42}, r.recv())
					r.send(&mqtt.Pubrel{ID: 42})
					require.Equal(t, &mqtt.Pubcomp{ID: 42}, r.recv())
				}
				r.send(&mqtt.Disconnect{})

				select {
				case m := <-got:
					require.Equal(t, topic, m.Topic())
					require.Equal(t, payload, m.Payload())
					require.Equal(t, qos, m.Qos())
				case <-time.After(10 * time.Second):
					t.Fatal("subscriber got nothing")
				}
			})
		}
	}
}

// SUBSCRIBE -> SUBACK -> PUBLISH, all decoded by our decoder, with the qos 1
// and 2 handshakes completed by hand.
func TestBrokerSubscribe(t *testing.T) {
	addr := testbroker.Start(t)
	pub := pahoClient(t, addr, "publisher")

	for _, v := range versions() {
		for qos := byte(0); qos <= 2; qos++ {
			t.Run(fmt.Sprintf("v%d/qos%d", v, qos), func(t *testing.T) {
				r := dialRaw(t, addr, v)
				r.connect(fmt.Sprintf("raw-sub-%d-%d", v, qos))
				filter := fmt.Sprintf("atrun/down/v%d/q%d/+", v, qos)
				r.send(&mqtt.Subscribe{ID: 7, Filters: []mqtt.Subscription{{Filter: filter, QoS: qos}}})
				require.Equal(t, &mqtt.Suback{ID: 7, ReasonCodes: []byte{qos}}, r.recv())

				topic := fmt.Sprintf("atrun/down/v%d/q%d/cmd", v, qos)
				waitToken(t, pub.Publish(topic, qos, false, []byte("on\x00off")))

				p, ok := r.recv().(*mqtt.Publish)
				require.True(t, ok, "want PUBLISH")
				require.Equal(t, topic, p.Topic)
				require.Equal(t, []byte("on\x00off"), p.Payload)
				require.Equal(t, qos, p.QoS)
				require.False(t, p.Retain)
				require.False(t, p.Dup)
				switch qos {
				case 0:
					require.Zero(t, p.ID)
				case 1:
					require.NotZero(t, p.ID)
					r.send(&mqtt.Puback{ID: p.ID})
				case 2:
					require.NotZero(t, p.ID)
					r.send(&mqtt.Pubrec{ID: p.ID})
					require.Equal(t, &mqtt.Pubrel{ID: p.ID}, r.recv())
					r.send(&mqtt.Pubcomp{ID: p.ID})
				}

				// The session is still in order: ping, unsubscribe, leave.
				r.send(&mqtt.Pingreq{})
				require.Equal(t, &mqtt.Pingresp{}, r.recv())
				r.send(&mqtt.Unsubscribe{ID: 8, Filters: []string{filter}})
				want := &mqtt.Unsuback{ID: 8}
				if v == mqtt.V5 {
					want.ReasonCodes = []byte{0}
				}
				require.Equal(t, want, r.recv())
				r.send(&mqtt.Disconnect{})
			})
		}
	}
}

// mosquitto answers a v5 client with properties our decoder must read, and
// rejects a refused subscription with a v5 reason code.
func TestBrokerV5Properties(t *testing.T) {
	addr := testbroker.Start(t, testbroker.Config("max_keepalive 30", "max_qos 1"))
	r := dialRaw(t, addr, mqtt.V5)
	r.send(&mqtt.Connect{KeepAlive: 60, Clean: true, Properties: &mqtt.Properties{
		SessionExpiry: new(uint32(0)), ReceiveMaximum: new(uint16(5)), User: []mqtt.UserProperty{{"k", "v"}}}})
	ack, ok := r.recv().(*mqtt.Connack)
	require.True(t, ok)
	require.Zero(t, ack.ReasonCode)
	require.NotNil(t, ack.Properties)
	require.Equal(t, new(uint16(30)), ack.Properties.ServerKeepAlive)
	require.Equal(t, new(byte(1)), ack.Properties.MaximumQoS)
	require.NotNil(t, ack.Properties.AssignedClientID, "empty client id gets one assigned")

	r.send(&mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "a/#", QoS: 2, NoLocal: true, RetainHandling: 2}}},
		&mqtt.Publish{Topic: "a/b", Payload: []byte("self"), QoS: 1, ID: 2})
	require.Equal(t, &mqtt.Suback{ID: 1, ReasonCodes: []byte{1}}, r.recv(), "qos capped at max_qos")
	require.Equal(t, &mqtt.Puback{ID: 2}, r.recv(), "no local: our own message is not echoed")
	r.send(&mqtt.Pingreq{})
	require.Equal(t, &mqtt.Pingresp{}, r.recv())
	r.send(&mqtt.Disconnect{ReasonCode: 0x04})
}
