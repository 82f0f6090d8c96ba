package mqtt_test

import (
	"strings"

	"github.com/atrun/atrun/builtins/mqtt"
)

// sample is one packet of the round-trip grid.
type sample struct {
	name string
	p    mqtt.Packet
}

// samples is the grid of packets valid for version v: every packet type with
// its options, in canonical form (empty payloads nil, no empty properties),
// so decode(encode(p)) must equal p.
func samples(v byte) []sample {
	v5 := v == mqtt.V5
	var s []sample
	add := func(name string, p mqtt.Packet) { s = append(s, sample{name, p}) }

	// CONNECT
	add("connect/minimal", &mqtt.Connect{ClientID: "dev1", Clean: true, KeepAlive: 60})
	add("connect/empty client id", &mqtt.Connect{Clean: true})
	add("connect/persistent session", &mqtt.Connect{ClientID: "dev1", KeepAlive: 65535})
	add("connect/username", &mqtt.Connect{ClientID: "c", Username: new("user")})
	add("connect/username password", &mqtt.Connect{ClientID: "c", Clean: true, Username: new("u"), Password: []byte("p\x00\xff")})
	add("connect/empty username password", &mqtt.Connect{ClientID: "c", Clean: true, Username: new(""), Password: []byte{}})
	add("connect/utf8 client id", &mqtt.Connect{ClientID: "dév-测试-𝄞", Clean: true})
	add("connect/long client id", &mqtt.Connect{ClientID: strings.Repeat("x", 1000), Clean: true})
	for q := byte(0); q <= 2; q++ {
		add("connect/will qos"+string('0'+q), &mqtt.Connect{ClientID: "c", Clean: true,
			Will: &mqtt.Will{Topic: "dev/status", Payload: []byte("offline"), QoS: q}})
	}
	add("connect/will retain empty payload", &mqtt.Connect{ClientID: "c", Clean: true, Username: new("u"), Password: []byte("pw"),
		Will: &mqtt.Will{Topic: "w", Retain: true, QoS: 1}})
	if v5 {
		add("connect/password without username", &mqtt.Connect{ClientID: "c", Clean: true, Password: []byte("token")})
		add("connect/empty client id persistent", &mqtt.Connect{})
		add("connect/properties", &mqtt.Connect{ClientID: "c", Clean: true, KeepAlive: 30, Properties: &mqtt.Properties{
			SessionExpiry:       new(uint32(3600)),
			ReceiveMaximum:      new(uint16(20)),
			MaximumPacketSize:   new(uint32(1 << 20)),
			TopicAliasMaximum:   new(uint16(10)),
			RequestProblemInfo:  new(false),
			RequestResponseInfo: new(true),
			AuthMethod:          new("SCRAM-SHA-1"),
			AuthData:            []byte{1, 2, 3},
			User:                []mqtt.UserProperty{{"k", "v"}, {"k", "v2"}, {"", ""}},
		}})
		add("connect/session expiry 0", &mqtt.Connect{ClientID: "c", Properties: &mqtt.Properties{SessionExpiry: new(uint32(0))}})
		add("connect/will properties", &mqtt.Connect{ClientID: "c", Clean: true, Will: &mqtt.Will{
			Topic: "w", Payload: []byte("bye"), QoS: 2, Retain: true, Properties: &mqtt.Properties{
				WillDelay:       new(uint32(5)),
				PayloadFormat:   new(byte(1)),
				MessageExpiry:   new(uint32(60)),
				ContentType:     new("text/plain"),
				ResponseTopic:   new("reply/here"),
				CorrelationData: []byte("corr"),
				User:            []mqtt.UserProperty{{"a", "b"}},
			}}})
	}

	// CONNACK
	add("connack/accepted", &mqtt.Connack{})
	add("connack/session present", &mqtt.Connack{SessionPresent: true})
	if v5 {
		for _, c := range []byte{0x80, 0x84, 0x86, 0x87, 0x9f} {
			add("connack/refused", &mqtt.Connack{ReasonCode: c})
		}
		add("connack/properties", &mqtt.Connack{SessionPresent: true, Properties: &mqtt.Properties{
			SessionExpiry:        new(uint32(7200)),
			ReceiveMaximum:       new(uint16(100)),
			MaximumQoS:           new(byte(1)),
			RetainAvailable:      new(false),
			MaximumPacketSize:    new(uint32(65536)),
			AssignedClientID:     new("auto-123"),
			TopicAliasMaximum:    new(uint16(65535)),
			ReasonString:         new("welcome"),
			User:                 []mqtt.UserProperty{{"region", "eu"}},
			WildcardSubAvailable: new(true),
			SubIDAvailable:       new(true),
			SharedSubAvailable:   new(false),
			ServerKeepAlive:      new(uint16(120)),
			ResponseInfo:         new("resp/"),
			ServerReference:      new("other:1883"),
			AuthMethod:           new("m"),
			AuthData:             []byte{},
		}})
	} else {
		for c := byte(1); c <= 5; c++ {
			add("connack/refused", &mqtt.Connack{ReasonCode: c})
		}
	}

	// PUBLISH
	for q := byte(0); q <= 2; q++ {
		id := uint16(0)
		if q > 0 {
			id = 7
		}
		add("publish/qos", &mqtt.Publish{Topic: "up", Payload: []byte("hi"), QoS: q, ID: id})
		add("publish/retain", &mqtt.Publish{Topic: "a/b/c", Payload: []byte("x"), QoS: q, ID: id, Retain: true})
		if q > 0 {
			add("publish/dup", &mqtt.Publish{Topic: "up", Payload: []byte("x"), QoS: q, ID: 65535, Dup: true, Retain: true})
		}
	}
	add("publish/empty payload", &mqtt.Publish{Topic: "t"})
	add("publish/binary payload", &mqtt.Publish{Topic: "bin", Payload: []byte("\x00\x1a\r\nOK\r\n\xff"), QoS: 1, ID: 1})
	add("publish/utf8 topic", &mqtt.Publish{Topic: "工厂/线1/温度", Payload: []byte("21.5")})
	add("publish/dollar topic", &mqtt.Publish{Topic: "$SYS/x", Payload: []byte("1")})
	add("publish/long topic", &mqtt.Publish{Topic: strings.Repeat("t", 65535), Payload: []byte("p")})
	if v5 {
		add("publish/properties", &mqtt.Publish{Topic: "up", Payload: []byte("{}"), QoS: 1, ID: 3, Properties: &mqtt.Properties{
			PayloadFormat:   new(byte(1)),
			MessageExpiry:   new(uint32(10)),
			ContentType:     new("application/json"),
			ResponseTopic:   new("down"),
			CorrelationData: []byte{0, 1},
			TopicAlias:      new(uint16(4)),
			SubscriptionIDs: []int{1, 127, 128, 16384, 268435455},
			User:            []mqtt.UserProperty{{"x", "y"}},
		}})
		add("publish/topic alias only", &mqtt.Publish{Payload: []byte("p"), Properties: &mqtt.Properties{TopicAlias: new(uint16(4))}})
	}

	// PUBACK, PUBREC, PUBREL, PUBCOMP
	acks := []struct {
		name  string
		mk    func(mqtt.Puback) mqtt.Packet
		codes []byte
	}{
		{"puback", func(a mqtt.Puback) mqtt.Packet { return &a }, []byte{0x10, 0x80, 0x87, 0x99}},
		{"pubrec", func(a mqtt.Puback) mqtt.Packet { p := mqtt.Pubrec(a); return &p }, []byte{0x10, 0x83, 0x97}},
		{"pubrel", func(a mqtt.Puback) mqtt.Packet { p := mqtt.Pubrel(a); return &p }, []byte{0x92}},
		{"pubcomp", func(a mqtt.Puback) mqtt.Packet { p := mqtt.Pubcomp(a); return &p }, []byte{0x92}},
	}
	for _, a := range acks {
		add(a.name+"/id 1", a.mk(mqtt.Puback{ID: 1}))
		add(a.name+"/id 65535", a.mk(mqtt.Puback{ID: 65535}))
		if v5 {
			for _, c := range a.codes {
				add(a.name+"/reason", a.mk(mqtt.Puback{ID: 2, ReasonCode: c}))
			}
			add(a.name+"/properties", a.mk(mqtt.Puback{ID: 3, ReasonCode: a.codes[0], Properties: &mqtt.Properties{
				ReasonString: new("why"), User: []mqtt.UserProperty{{"k", "v"}}}}))
			add(a.name+"/success with properties", a.mk(mqtt.Puback{ID: 3, Properties: &mqtt.Properties{ReasonString: new("")}}))
		}
	}

	// SUBSCRIBE
	add("subscribe/one", &mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "cmd", QoS: 1}}})
	add("subscribe/several", &mqtt.Subscribe{ID: 65535, Filters: []mqtt.Subscription{
		{Filter: "a/+/b", QoS: 0}, {Filter: "#", QoS: 1}, {Filter: "a/#", QoS: 2}, {Filter: "+", QoS: 2},
		{Filter: "$SYS/#"}, {Filter: "/"}, {Filter: "+/+"}, {Filter: "a//b"},
	}})
	if v5 {
		add("subscribe/options", &mqtt.Subscribe{ID: 9, Filters: []mqtt.Subscription{
			{Filter: "a", QoS: 1, NoLocal: true},
			{Filter: "b", QoS: 2, RetainAsPublished: true, RetainHandling: 1},
			{Filter: "c", NoLocal: true, RetainAsPublished: true, RetainHandling: 2},
			{Filter: "$share/grp/d/#", QoS: 1},
		}, Properties: &mqtt.Properties{SubscriptionIDs: []int{42}, User: []mqtt.UserProperty{{"k", "v"}}}})
	}

	// SUBACK
	add("suback/one", &mqtt.Suback{ID: 1, ReasonCodes: []byte{1}})
	add("suback/several", &mqtt.Suback{ID: 2, ReasonCodes: []byte{0, 1, 2, 0x80}})
	if v5 {
		add("suback/reasons", &mqtt.Suback{ID: 3, ReasonCodes: []byte{0x87, 0x8f, 0x9e, 0xa2},
			Properties: &mqtt.Properties{ReasonString: new("no"), User: []mqtt.UserProperty{{"k", "v"}}}})
	}

	// UNSUBSCRIBE, UNSUBACK
	add("unsubscribe/one", &mqtt.Unsubscribe{ID: 1, Filters: []string{"cmd"}})
	add("unsubscribe/several", &mqtt.Unsubscribe{ID: 2, Filters: []string{"a/+", "#", "x/y/z"}})
	if v5 {
		add("unsubscribe/properties", &mqtt.Unsubscribe{ID: 3, Filters: []string{"a"},
			Properties: &mqtt.Properties{User: []mqtt.UserProperty{{"k", "v"}}}})
		add("unsuback/codes", &mqtt.Unsuback{ID: 1, ReasonCodes: []byte{0, 0x11}})
		add("unsuback/properties", &mqtt.Unsuback{ID: 2, ReasonCodes: []byte{0x87},
			Properties: &mqtt.Properties{ReasonString: new("not allowed")}})
	} else {
		add("unsuback/id", &mqtt.Unsuback{ID: 1})
		add("unsuback/id max", &mqtt.Unsuback{ID: 65535})
	}

	// PINGREQ, PINGRESP, DISCONNECT, AUTH
	add("pingreq", &mqtt.Pingreq{})
	add("pingresp", &mqtt.Pingresp{})
	add("disconnect/normal", &mqtt.Disconnect{})
	if v5 {
		add("disconnect/with will", &mqtt.Disconnect{ReasonCode: 0x04})
		add("disconnect/properties", &mqtt.Disconnect{ReasonCode: 0x8e, Properties: &mqtt.Properties{
			SessionExpiry: new(uint32(0)), ReasonString: new("taken over"), ServerReference: new("b2")}})
		add("auth/empty", &mqtt.Auth{})
		add("auth/continue", &mqtt.Auth{ReasonCode: 0x18, Properties: &mqtt.Properties{
			AuthMethod: new("SCRAM-SHA-1"), AuthData: []byte("client-first")}})
		add("auth/reauthenticate", &mqtt.Auth{ReasonCode: 0x19})
	}
	return s
}
