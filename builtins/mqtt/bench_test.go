package mqtt_test

import (
	"bytes"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/atrun/atrun/builtins/mqtt"
)

// The benchmark workload: what a modem script sends in one AT+CIPSEND.
func benchPackets() (*mqtt.Connect, *mqtt.Publish) {
	payload := bytes.Repeat([]byte{'x'}, 256)
	return &mqtt.Connect{ClientID: "atrun-sim7000", Clean: true, KeepAlive: 60, Username: new("user"), Password: []byte("secret")},
		&mqtt.Publish{Topic: "plant/line1/temp", Payload: payload, QoS: 1, ID: 1}
}

func pahoPackets() (*paho.ConnectPacket, *paho.PublishPacket) {
	c, p := benchPackets()
	return toPaho(nil, c).(*paho.ConnectPacket), toPaho(nil, p).(*paho.PublishPacket)
}

// BenchmarkEncode: ours into a fresh buffer (what a builtin does), ours into a
// reused buffer, and paho into a reused bytes.Buffer.
func BenchmarkEncode(b *testing.B) {
	c, p := benchPackets()
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := mqtt.Encode(c, mqtt.V311)
			if err == nil {
				out, err = mqtt.AppendPacket(out, p, mqtt.V311)
			}
			if err != nil || len(out) != 320 {
				b.Fatal(err, len(out))
			}
		}
	})
	b.Run("ours-reuse", func(b *testing.B) {
		b.ReportAllocs()
		var out []byte
		for b.Loop() {
			var err error
			out, err = mqtt.AppendPacket(out[:0], c, mqtt.V311)
			if err == nil {
				out, err = mqtt.AppendPacket(out, p, mqtt.V311)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("paho", func(b *testing.B) {
		b.ReportAllocs()
		pc, pp := pahoPackets()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := pc.Write(&buf); err != nil {
				b.Fatal(err)
			}
			if err := pp.Write(&buf); err != nil {
				b.Fatal(err)
			}
		}
		if buf.Len() != 320 {
			b.Fatal(buf.Len())
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	c, p := benchPackets()
	in, _ := mqtt.Encode(c, mqtt.V311)
	in, _ = mqtt.AppendPacket(in, p, mqtt.V311)
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			pkts, _, err := mqtt.Decode(in, mqtt.V311)
			if err != nil || len(pkts) != 2 {
				b.Fatal(err)
			}
		}
	})
	b.Run("paho", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		r := bytes.NewReader(in)
		for b.Loop() {
			r.Reset(in)
			for range 2 {
				if _, err := paho.ReadPacket(r); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
