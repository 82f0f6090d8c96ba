package mqtt_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/atrun/atrun/builtins/mqtt"
)

// fuzzSeeds are byte streams for FuzzDecode: the grid, cut and concatenated.
func fuzzSeeds(f *testing.F) {
	for _, v := range versions() {
		var all []byte
		for _, s := range samples(v) {
			b, err := mqtt.Encode(s.p, v)
			if err != nil {
				f.Fatal(err)
			}
			if len(b) > 4096 {
				continue
			}
			f.Add(b, v == mqtt.V5)
			f.Add(b[:len(b)-1], v == mqtt.V5)
			all = append(all, b...)
		}
		f.Add(all, v == mqtt.V5)
	}
	for _, h := range []string{"30FFFFFF7F", "3080808001", "C08000", "F000", "E00104", "4003000110", "101000044D5154540402003C000464657631"} {
		f.Add(unhex(f, h), false)
		f.Add(unhex(f, h), true)
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder. It must not panic, and
// whatever it decodes must encode again: to the very same bytes in 3.1.1,
// which has one encoding per packet, and to a fixed point in 5, where
// properties may come in any order and short forms are optional.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, v5 bool) {
		v := mqtt.V311
		if v5 {
			v = mqtt.V5
		}
		c := mqtt.Codec{Version: v}
		pkts, used, err := c.Decode(data)
		if used < 0 || used > len(data) {
			t.Fatalf("used %d of %d bytes", used, len(data))
		}
		if err != nil {
			var e *mqtt.Error
			if !errors.Is(err, mqtt.ErrNeedMore) && !errors.As(err, &e) {
				t.Fatalf("error %v is neither ErrNeedMore nor *Error", err)
			}
		}
		need, nerr := c.Need(data)
		switch {
		case len(pkts) > 0 && (nerr != nil || need != 0):
			t.Fatalf("decoded %d packets but Need says %d, %v", len(pkts), need, nerr)
		case errors.Is(err, mqtt.ErrNeedMore) && (nerr != nil || need <= 0):
			t.Fatalf("ErrNeedMore but Need says %d, %v", need, nerr)
		}
		if len(pkts) == 0 {
			return
		}
		var again []byte
		for _, p := range pkts {
			again, err = c.Append(again, p)
			if err != nil {
				t.Fatalf("decoded %#v does not encode: %v", p, err)
			}
		}
		if v == mqtt.V311 && !bytes.Equal(again, data[:used]) {
			t.Fatalf("3.1.1 re-encoding differs:\n in  %x\n out %x", data[:used], again)
		}
		pkts2, used2, err := c.Decode(again)
		if err != nil || used2 != len(again) || !reflect.DeepEqual(pkts, pkts2) {
			t.Fatalf("re-decoding differs: %v\n%#v\n%#v", err, pkts, pkts2)
		}
		var third []byte
		for _, p := range pkts2 {
			third, _ = c.Append(third, p)
		}
		if !bytes.Equal(again, third) {
			t.Fatalf("encoding is not a fixed point:\n %x\n %x", again, third)
		}
	})
}

// buildPacket makes a packet of any type from fuzzed fields; many are invalid.
func buildPacket(typ, flags byte, id uint16, s1, s2 string, b []byte, n uint32) mqtt.Packet {
	var props *mqtt.Properties
	if flags&0x80 != 0 {
		props = &mqtt.Properties{User: []mqtt.UserProperty{{s1, s2}}}
	}
	filters := strings.Split(s1, ",")
	switch mqtt.Type(typ%15 + 1) {
	case mqtt.TypeConnect:
		c := &mqtt.Connect{ClientID: s1, Clean: flags&1 != 0, KeepAlive: id}
		if flags&2 != 0 {
			c.Username = &s2
		}
		if flags&4 != 0 {
			c.Password = b
		}
		if flags&8 != 0 {
			c.Will = &mqtt.Will{Topic: s2, Payload: b, QoS: flags >> 4 & 3, Retain: flags&0x40 != 0, Properties: props}
		}
		if props != nil {
			c.Properties = &mqtt.Properties{SessionExpiry: &n, AuthMethod: &s2, AuthData: b}
		}
		return c
	case mqtt.TypeConnack:
		if props != nil {
			props.ReasonString, props.MaximumQoS = &s2, new(byte(id&1))
		}
		return &mqtt.Connack{SessionPresent: flags&1 != 0, ReasonCode: byte(n), Properties: props}
	case mqtt.TypePublish:
		if props != nil {
			props.TopicAlias, props.ContentType, props.SubscriptionIDs = new(uint16(n)), &s2, []int{int(n)}
		}
		return &mqtt.Publish{Topic: s1, Payload: b, QoS: flags >> 1 & 3, Retain: flags&1 != 0, Dup: flags&8 != 0, ID: id, Properties: props}
	case mqtt.TypePuback:
		return &mqtt.Puback{ID: id, ReasonCode: byte(n), Properties: props}
	case mqtt.TypePubrec:
		return &mqtt.Pubrec{ID: id, ReasonCode: byte(n), Properties: props}
	case mqtt.TypePubrel:
		return &mqtt.Pubrel{ID: id, ReasonCode: byte(n), Properties: props}
	case mqtt.TypePubcomp:
		return &mqtt.Pubcomp{ID: id, ReasonCode: byte(n), Properties: props}
	case mqtt.TypeSubscribe:
		s := &mqtt.Subscribe{ID: id, Properties: props}
		for _, f := range filters {
			s.Filters = append(s.Filters, mqtt.Subscription{Filter: f, QoS: flags & 3, NoLocal: flags&4 != 0,
				RetainAsPublished: flags&8 != 0, RetainHandling: flags >> 4 & 3})
		}
		if props != nil {
			props.SubscriptionIDs = []int{int(n)}
		}
		return s
	case mqtt.TypeSuback:
		return &mqtt.Suback{ID: id, ReasonCodes: b, Properties: props}
	case mqtt.TypeUnsubscribe:
		return &mqtt.Unsubscribe{ID: id, Filters: filters, Properties: props}
	case mqtt.TypeUnsuback:
		return &mqtt.Unsuback{ID: id, ReasonCodes: b, Properties: props}
	case mqtt.TypePingreq:
		return &mqtt.Pingreq{}
	case mqtt.TypePingresp:
		return &mqtt.Pingresp{}
	case mqtt.TypeDisconnect:
		return &mqtt.Disconnect{ReasonCode: byte(n), Properties: props}
	default:
		if props != nil {
			props.AuthMethod, props.AuthData = &s2, b
		}
		return &mqtt.Auth{ReasonCode: byte(n), Properties: props}
	}
}

// canonical is p as the decoder returns it: empty payloads and reason code
// lists nil, no empty property sets.
func canonical(p mqtt.Packet) mqtt.Packet {
	props := func(pp **mqtt.Properties) {
		if *pp != nil && reflect.ValueOf(**pp).IsZero() {
			*pp = nil
		}
	}
	nilEmpty := func(b *[]byte) {
		if len(*b) == 0 {
			*b = nil
		}
	}
	switch p := p.(type) {
	case *mqtt.Connect:
		c := *p
		props(&c.Properties)
		if c.Password != nil {
			c.Password = append([]byte{}, c.Password...)
		}
		if c.Properties != nil && c.Properties.AuthData != nil {
			pp := *c.Properties
			pp.AuthData = append([]byte{}, pp.AuthData...)
			c.Properties = &pp
		}
		if c.Will != nil {
			w := *c.Will
			nilEmpty(&w.Payload)
			props(&w.Properties)
			c.Will = &w
		}
		return &c
	case *mqtt.Publish:
		c := *p
		nilEmpty(&c.Payload)
		props(&c.Properties)
		return &c
	case *mqtt.Suback:
		c := *p
		nilEmpty(&c.ReasonCodes)
		return &c
	case *mqtt.Unsuback:
		c := *p
		nilEmpty(&c.ReasonCodes)
		return &c
	case *mqtt.Auth:
		c := *p
		if c.Properties != nil && c.Properties.AuthData != nil {
			pp := *c.Properties
			pp.AuthData = append([]byte{}, pp.AuthData...)
			c.Properties = &pp
		}
		return &c
	}
	return p
}

// FuzzRoundTrip builds packets from fuzzed fields. Encoding either fails
// with a rule error, or the bytes decode to the same packet and encode to
// the same bytes again.
func FuzzRoundTrip(f *testing.F) {
	f.Add(byte(2), byte(0), uint16(60), "dev1", "", []byte(nil), uint32(0), false)
	f.Add(byte(2), byte(0x8f), uint16(1), "dev1", "user", []byte("pw"), uint32(60), true)
	f.Add(byte(2), byte(0x07), uint16(1), "a/b", "c", []byte("x"), uint32(5), true)
	f.Add(byte(7), byte(0x3f), uint16(1), "a/+,#,$share/g/x", "", []byte(nil), uint32(1), true)
	f.Add(byte(8), byte(0x80), uint16(9), "", "", []byte{0, 1, 2, 0x80}, uint32(0), false)
	f.Add(byte(13), byte(0x80), uint16(0), "why", "", []byte(nil), uint32(0x8e), true)
	f.Add(byte(14), byte(0x80), uint16(0), "r", "SCRAM", []byte("data"), uint32(0x18), true)
	f.Fuzz(func(t *testing.T, typ, flags byte, id uint16, s1, s2 string, b []byte, n uint32, v5 bool) {
		v := mqtt.V311
		if v5 {
			v = mqtt.V5
		}
		p := buildPacket(typ, flags, id, s1, s2, b, n)
		enc, err := mqtt.Encode(p, v)
		if err != nil {
			var e *mqtt.Error
			if !errors.As(err, &e) || e.Err == nil || errors.Is(err, mqtt.ErrNeedMore) {
				t.Fatalf("encode error %v is not a rule error", err)
			}
			return
		}
		pkts, used, err := mqtt.Decode(enc, v)
		if err != nil || used != len(enc) || len(pkts) != 1 {
			t.Fatalf("decode of %x: %d packets, used %d of %d, %v", enc, len(pkts), used, len(enc), err)
		}
		if want := canonical(p); !reflect.DeepEqual(want, pkts[0]) {
			t.Fatalf("round trip differs:\nwant %#v\ngot  %#v", want, pkts[0])
		}
		again, err := mqtt.Encode(pkts[0], v)
		if err != nil || !bytes.Equal(enc, again) {
			t.Fatalf("re-encoding differs: %v\n %x\n %x", err, enc, again)
		}
	})
}
