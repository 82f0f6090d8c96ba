package mqtt_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/builtins/mqtt"
)

func TestEncodeValidation(t *testing.T) {
	long := strings.Repeat("x", 65536)
	sub := func(filters ...string) *mqtt.Subscribe {
		s := &mqtt.Subscribe{ID: 1}
		for _, f := range filters {
			s.Filters = append(s.Filters, mqtt.Subscription{Filter: f})
		}
		return s
	}
	tests := []struct {
		name string
		v    byte
		p    mqtt.Packet
		err  error
		msg  string // the whole message: it is what a script author reads
	}{
		{"publish +", 4, &mqtt.Publish{Topic: "a/+"}, mqtt.ErrWildcardTopic,
			`PUBLISH topic "a/+": topic name must not contain wildcards + or # [MQTT-3.3.2-2]`},
		{"publish #", 5, &mqtt.Publish{Topic: "#"}, mqtt.ErrWildcardTopic,
			`PUBLISH topic "#": topic name must not contain wildcards + or # [MQTT-3.3.2-2]`},
		{"publish empty topic", 4, &mqtt.Publish{Payload: []byte("x")}, mqtt.ErrEmptyTopic,
			"PUBLISH topic: topic must be at least one character long [MQTT-4.7.3-1]"},
		{"publish topic too long", 4, &mqtt.Publish{Topic: long}, mqtt.ErrStringTooLong,
			`PUBLISH topic "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": string longer than 65535 bytes [MQTT-1.5.3]`},
		{"publish invalid utf8", 4, &mqtt.Publish{Topic: "a\xffb"}, mqtt.ErrInvalidUTF8,
			`PUBLISH topic "a\xffb": string is not well-formed UTF-8 [MQTT-1.5.3-1]`},
		{"publish null", 4, &mqtt.Publish{Topic: "a\x00"}, mqtt.ErrNullChar,
			`PUBLISH topic "a\x00": string contains U+0000 [MQTT-1.5.3-2]`},
		{"publish qos 3", 4, &mqtt.Publish{Topic: "t", QoS: 3, ID: 1}, mqtt.ErrQoS,
			`PUBLISH qos "3": qos must be 0, 1 or 2 [MQTT-3.3.1-4]`},
		{"publish qos 1 id 0", 4, &mqtt.Publish{Topic: "t", QoS: 1}, mqtt.ErrPacketID,
			"PUBLISH id: packet id must be non-zero [MQTT-2.3.1-1]: qos 1 needs one"},
		{"publish qos 2 id 0", 5, &mqtt.Publish{Topic: "t", QoS: 2}, mqtt.ErrPacketID,
			"PUBLISH id: packet id must be non-zero [MQTT-2.3.1-1]: qos 2 needs one"},
		{"publish qos 0 with id", 4, &mqtt.Publish{Topic: "t", ID: 5}, mqtt.ErrPacketIDQoS0,
			`PUBLISH id "5": qos 0 publish must not have a packet id [MQTT-2.3.1-5]`},
		{"publish dup qos 0", 4, &mqtt.Publish{Topic: "t", Dup: true}, mqtt.ErrMalformed,
			"PUBLISH dup: malformed packet: dup must be 0 for qos 0 [MQTT-3.3.1-2]"},
		{"publish properties in 3.1.1", 4, &mqtt.Publish{Topic: "t", Properties: &mqtt.Properties{MessageExpiry: new(uint32(1))}}, mqtt.ErrVersion,
			"PUBLISH properties: not supported by this protocol version: properties need MQTT 5"},
		{"publish alias without 5", 4, &mqtt.Publish{Properties: &mqtt.Properties{TopicAlias: new(uint16(1))}}, mqtt.ErrEmptyTopic,
			"PUBLISH topic: topic must be at least one character long [MQTT-4.7.3-1]"},
		{"publish session expiry", 5, &mqtt.Publish{Topic: "t", Properties: &mqtt.Properties{SessionExpiry: new(uint32(1))}}, mqtt.ErrProperty,
			"PUBLISH properties.session_expiry: invalid property: not allowed in PUBLISH"},
		{"publish correlation too long", 5, &mqtt.Publish{Topic: "t", Properties: &mqtt.Properties{CorrelationData: []byte(long)}}, mqtt.ErrStringTooLong,
			"PUBLISH properties.correlation_data: string longer than 65535 bytes [MQTT-1.5.3]"},
		{"publish subscription id too big", 5, &mqtt.Publish{Topic: "t", Properties: &mqtt.Properties{SubscriptionIDs: []int{268435456}}}, mqtt.ErrProperty,
			"PUBLISH properties.subscription_id: invalid property: must be 1..268435455, got 268435456"},
		{"publish user property null", 5, &mqtt.Publish{Topic: "t", Properties: &mqtt.Properties{User: []mqtt.UserProperty{{"k", "\x00"}}}}, mqtt.ErrNullChar,
			`PUBLISH properties.user: string contains U+0000 [MQTT-1.5.3-2]: in value of "k"`},
		{"publish nil", 4, (*mqtt.Publish)(nil), mqtt.ErrMalformed, "PUBLISH: malformed packet: nil packet"},
		{"nil packet", 4, nil, mqtt.ErrMalformed, "malformed packet: nil packet"},
		{"version 3", 3, &mqtt.Pingreq{}, mqtt.ErrVersion,
			"not supported by this protocol version: protocol level 3, want 4 (3.1.1) or 5 (5.0)"},

		{"connect password without username", 4, &mqtt.Connect{ClientID: "c", Clean: true, Password: []byte("p")}, mqtt.ErrPasswordWithoutUsername,
			"CONNECT password: password without username is not allowed in MQTT 3.1.1 [MQTT-3.1.2-22]"},
		{"connect empty id persistent", 4, &mqtt.Connect{}, mqtt.ErrClientID,
			"CONNECT client id: empty client id needs clean session in MQTT 3.1.1 [MQTT-3.1.3-7]"},
		{"connect client id utf8", 4, &mqtt.Connect{ClientID: "\xc3", Clean: true}, mqtt.ErrInvalidUTF8,
			`CONNECT client id "\xc3": string is not well-formed UTF-8 [MQTT-1.5.3-1]`},
		{"connect username too long", 4, &mqtt.Connect{ClientID: "c", Username: &long}, mqtt.ErrStringTooLong,
			`CONNECT username "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": string longer than 65535 bytes [MQTT-1.5.3]`},
		{"connect password too long", 4, &mqtt.Connect{ClientID: "c", Username: new("u"), Password: []byte(long)}, mqtt.ErrStringTooLong,
			"CONNECT password: string longer than 65535 bytes [MQTT-1.5.3]"},
		{"connect will qos 3", 4, &mqtt.Connect{ClientID: "c", Will: &mqtt.Will{Topic: "w", QoS: 3}}, mqtt.ErrQoS,
			`CONNECT will qos "3": qos must be 0, 1 or 2 [MQTT-3.3.1-4]`},
		{"connect will wildcard", 4, &mqtt.Connect{ClientID: "c", Will: &mqtt.Will{Topic: "w/#"}}, mqtt.ErrWildcardTopic,
			`CONNECT will topic "w/#": topic name must not contain wildcards + or # [MQTT-3.3.2-2]`},
		{"connect will empty topic", 4, &mqtt.Connect{ClientID: "c", Will: &mqtt.Will{Payload: []byte("x")}}, mqtt.ErrEmptyTopic,
			"CONNECT will topic: topic must be at least one character long [MQTT-4.7.3-1]"},
		{"connect will payload too long", 4, &mqtt.Connect{ClientID: "c", Will: &mqtt.Will{Topic: "w", Payload: []byte(long)}}, mqtt.ErrStringTooLong,
			"CONNECT will payload: string longer than 65535 bytes [MQTT-1.5.3]"},
		{"connect will properties in 3.1.1", 4, &mqtt.Connect{ClientID: "c", Will: &mqtt.Will{Topic: "w", Properties: &mqtt.Properties{WillDelay: new(uint32(1))}}}, mqtt.ErrVersion,
			"CONNECT will properties: not supported by this protocol version: properties need MQTT 5"},
		{"connect will topic alias", 5, &mqtt.Connect{ClientID: "c", Will: &mqtt.Will{Topic: "w", Properties: &mqtt.Properties{TopicAlias: new(uint16(1))}}}, mqtt.ErrProperty,
			"CONNECT will.properties.topic_alias: invalid property: not allowed in will properties"},
		{"connect will delay outside will", 5, &mqtt.Connect{ClientID: "c", Properties: &mqtt.Properties{WillDelay: new(uint32(1))}}, mqtt.ErrProperty,
			"CONNECT properties.will_delay: invalid property: not allowed in CONNECT"},
		{"connect receive maximum 0", 5, &mqtt.Connect{ClientID: "c", Properties: &mqtt.Properties{ReceiveMaximum: new(uint16(0))}}, mqtt.ErrProperty,
			"CONNECT properties.receive_maximum: invalid property: must not be 0"},
		{"connect maximum packet size 0", 5, &mqtt.Connect{ClientID: "c", Properties: &mqtt.Properties{MaximumPacketSize: new(uint32(0))}}, mqtt.ErrProperty,
			"CONNECT properties.maximum_packet_size: invalid property: must not be 0"},
		{"connect auth data alone", 5, &mqtt.Connect{ClientID: "c", Properties: &mqtt.Properties{AuthData: []byte{1}}}, mqtt.ErrProperty,
			"CONNECT properties.auth_data: invalid property: authentication data without authentication method"},

		{"connack 3.1.1 code 6", 4, &mqtt.Connack{ReasonCode: 6}, mqtt.ErrReasonCode,
			"CONNACK reason code: reason code not allowed in this packet: 0x6"},
		{"connack 5 code 1", 5, &mqtt.Connack{ReasonCode: 1}, mqtt.ErrReasonCode,
			"CONNACK reason code: reason code not allowed in this packet: 0x1"},
		{"connack maximum qos 2", 5, &mqtt.Connack{Properties: &mqtt.Properties{MaximumQoS: new(byte(2))}}, mqtt.ErrProperty,
			"CONNACK properties.maximum_qos: invalid property: must be 0 or 1, got 2"},

		{"puback id 0", 4, &mqtt.Puback{}, mqtt.ErrPacketID, "PUBACK id: packet id must be non-zero [MQTT-2.3.1-1]"},
		{"pubrec id 0", 5, &mqtt.Pubrec{}, mqtt.ErrPacketID, "PUBREC id: packet id must be non-zero [MQTT-2.3.1-1]"},
		{"pubrel id 0", 4, &mqtt.Pubrel{}, mqtt.ErrPacketID, "PUBREL id: packet id must be non-zero [MQTT-2.3.1-1]"},
		{"pubcomp id 0", 4, &mqtt.Pubcomp{}, mqtt.ErrPacketID, "PUBCOMP id: packet id must be non-zero [MQTT-2.3.1-1]"},
		{"puback reason in 3.1.1", 4, &mqtt.Puback{ID: 1, ReasonCode: 0x80}, mqtt.ErrVersion,
			"PUBACK reason code: not supported by this protocol version: reason codes need MQTT 5"},
		{"pubrel reason 0x10", 5, &mqtt.Pubrel{ID: 1, ReasonCode: 0x10}, mqtt.ErrReasonCode,
			"PUBREL reason code: reason code not allowed in this packet: 0x10"},
		{"puback topic alias", 5, &mqtt.Puback{ID: 1, Properties: &mqtt.Properties{TopicAlias: new(uint16(1))}}, mqtt.ErrProperty,
			"PUBACK properties.topic_alias: invalid property: not allowed in PUBACK"},

		{"subscribe id 0", 4, &mqtt.Subscribe{Filters: []mqtt.Subscription{{Filter: "a"}}}, mqtt.ErrPacketID,
			"SUBSCRIBE id: packet id must be non-zero [MQTT-2.3.1-1]"},
		{"subscribe no filters", 4, &mqtt.Subscribe{ID: 1}, mqtt.ErrNoFilters,
			"SUBSCRIBE filters: at least one topic filter is required [MQTT-3.8.3-3, MQTT-3.10.3-2]"},
		{"filter # in the middle", 4, sub("a/#/b"), mqtt.ErrBadFilter,
			`SUBSCRIBE filters[0] "a/#/b": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: # must be the last character and occupy a whole level`},
		{"filter # first", 4, sub("ok", "#/a"), mqtt.ErrBadFilter,
			`SUBSCRIBE filters[1] "#/a": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: # must be the last character and occupy a whole level`},
		{"filter b#", 4, sub("a/b#"), mqtt.ErrBadFilter,
			`SUBSCRIBE filters[0] "a/b#": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: # must be the last character and occupy a whole level`},
		{"filter a+", 4, sub("a+"), mqtt.ErrBadFilter,
			`SUBSCRIBE filters[0] "a+": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: + must occupy a whole level`},
		{"filter +a", 4, sub("x/+a/y"), mqtt.ErrBadFilter,
			`SUBSCRIBE filters[0] "x/+a/y": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: + must occupy a whole level`},
		{"filter empty", 4, sub(""), mqtt.ErrEmptyTopic,
			"SUBSCRIBE filters[0]: topic must be at least one character long [MQTT-4.7.3-1]"},
		{"filter null", 4, sub("a\x00"), mqtt.ErrNullChar,
			`SUBSCRIBE filters[0] "a\x00": string contains U+0000 [MQTT-1.5.3-2]`},
		{"filter qos 3", 4, &mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "a", QoS: 3}}}, mqtt.ErrQoS,
			`SUBSCRIBE filters[0].qos "3": qos must be 0, 1 or 2 [MQTT-3.3.1-4]`},
		{"no local in 3.1.1", 4, &mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "a", NoLocal: true}}}, mqtt.ErrVersion,
			"SUBSCRIBE filters[0]: not supported by this protocol version: no local, retain as published and retain handling need MQTT 5"},
		{"retain handling 3", 5, &mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "a", RetainHandling: 3}}}, mqtt.ErrMalformed,
			"SUBSCRIBE filters[0].retain_handling: malformed packet: must be 0, 1 or 2 [MQTT-3.8.3-5], got 3"},
		{"shared no filter", 5, sub("$share/g"), mqtt.ErrBadFilter,
			`SUBSCRIBE filters[0] "$share/g": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: shared subscription needs a topic filter after the share name`},
		{"two subscription ids", 5, &mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "a"}}, Properties: &mqtt.Properties{SubscriptionIDs: []int{1, 2}}}, mqtt.ErrProperty,
			"SUBSCRIBE properties.subscription_id: invalid property: only one allowed in SUBSCRIBE"},
		{"suback no codes", 4, &mqtt.Suback{ID: 1}, mqtt.ErrMalformed,
			"SUBACK reason codes: malformed packet: at least one is required [MQTT-3.9.3-1]"},
		{"suback code 3", 4, &mqtt.Suback{ID: 1, ReasonCodes: []byte{3}}, mqtt.ErrReasonCode,
			"SUBACK reason code: reason code not allowed in this packet: 0x3"},
		{"unsubscribe bad filter", 4, &mqtt.Unsubscribe{ID: 1, Filters: []string{"a", "b/#/"}}, mqtt.ErrBadFilter,
			`UNSUBSCRIBE filters[1] "b/#/": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: # must be the last character and occupy a whole level`},
		{"unsubscribe none", 5, &mqtt.Unsubscribe{ID: 1}, mqtt.ErrNoFilters,
			"UNSUBSCRIBE filters: at least one topic filter is required [MQTT-3.8.3-3, MQTT-3.10.3-2]"},
		{"unsuback codes in 3.1.1", 4, &mqtt.Unsuback{ID: 1, ReasonCodes: []byte{0}}, mqtt.ErrVersion,
			"UNSUBACK reason codes: not supported by this protocol version: reason codes need MQTT 5"},
		{"unsuback no codes in 5", 5, &mqtt.Unsuback{ID: 1}, mqtt.ErrMalformed,
			"UNSUBACK reason codes: malformed packet: at least one is required [MQTT-3.11.3-1]"},
		{"disconnect reason in 3.1.1", 4, &mqtt.Disconnect{ReasonCode: 4}, mqtt.ErrVersion,
			"DISCONNECT reason code: not supported by this protocol version: reason codes need MQTT 5"},
		{"auth in 3.1.1", 4, &mqtt.Auth{}, mqtt.ErrVersion, "AUTH: not supported by this protocol version: AUTH needs MQTT 5"},
		{"auth reason 0x80", 5, &mqtt.Auth{ReasonCode: 0x80}, mqtt.ErrReasonCode,
			"AUTH reason code: reason code not allowed in this packet: 0x80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte{0xEE}
			out, err := mqtt.AppendPacket(dst, tt.p, tt.v)
			require.ErrorIs(t, err, tt.err)
			require.EqualError(t, err, tt.msg)
			require.Equal(t, []byte{0xEE}, out, "dst must be unchanged on error")
		})
	}
}

// Valid filters pass; the grid in samples_test.go encodes more of them.
func TestValidFilters(t *testing.T) {
	for _, f := range []string{"#", "+", "/", "a", "a/b", "a/+", "+/+/#", "a/#", "/#", "//", "$SYS/#", "a b/c d",
		"$share/g/#", "$share/g/a/+/c", "$share"} {
		for _, v := range versions() {
			_, err := mqtt.Encode(&mqtt.Unsubscribe{ID: 1, Filters: []string{f}}, v)
			require.NoError(t, err, "%q v%d", f, v)
		}
	}
	// In 3.1.1 "$share/" is an ordinary topic, so its rules do not apply.
	_, err := mqtt.Encode(&mqtt.Unsubscribe{ID: 1, Filters: []string{"$share//x"}}, mqtt.V311)
	require.NoError(t, err)
	_, err = mqtt.Encode(&mqtt.Unsubscribe{ID: 1, Filters: []string{"$share//x"}}, mqtt.V5)
	require.ErrorIs(t, err, mqtt.ErrBadFilter)
}

func TestMaxPacketSize(t *testing.T) {
	p := &mqtt.Publish{Topic: "up", Payload: []byte("0123456789")} // 2 + 4 + 10 bytes
	for _, tt := range []struct {
		max int
		ok  bool
	}{{0, true}, {16, true}, {15, false}, {1, false}} {
		c := mqtt.Codec{MaxPacketSize: tt.max}
		b, err := c.Append(nil, p)
		if !tt.ok {
			require.ErrorIs(t, err, mqtt.ErrTooLarge)
			require.ErrorContains(t, err, "PUBLISH: packet exceeds the maximum packet size: 16 bytes, maximum")
			require.Nil(t, b)
			// The decoder applies the same limit to the same bytes.
			full, err := mqtt.Encode(p, mqtt.V311)
			require.NoError(t, err)
			_, _, err = c.Decode(full)
			require.ErrorIs(t, err, mqtt.ErrTooLarge)
			continue
		}
		require.Len(t, b, 16)
		pkts, _, err := c.Decode(b)
		require.NoError(t, err)
		require.Equal(t, []mqtt.Packet{p}, pkts)
	}
}

// Encoding into a buffer with room allocates nothing; Encode allocates once.
func TestEncodeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	pkts := []mqtt.Packet{
		&mqtt.Connect{ClientID: "dev1", Clean: true, KeepAlive: 60, Username: new("u"), Password: []byte("p"),
			Will: &mqtt.Will{Topic: "w", Payload: []byte("x")}},
		&mqtt.Publish{Topic: "up", Payload: make([]byte, 256), QoS: 1, ID: 1},
		&mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "a"}, {Filter: "b/#", QoS: 2}}},
	}
	buf := make([]byte, 0, 4096)
	for _, v := range versions() {
		for _, p := range pkts {
			require.Zero(t, testing.AllocsPerRun(100, func() {
				if _, err := mqtt.AppendPacket(buf[:0], p, v); err != nil {
					panic(err)
				}
			}), "%T", p)
			require.Equal(t, 1.0, testing.AllocsPerRun(100, func() {
				if _, err := mqtt.Encode(p, v); err != nil {
					panic(err)
				}
			}), "%T", p)
		}
	}
	props := &mqtt.Publish{Topic: "up", Payload: []byte("x"), Properties: &mqtt.Properties{
		ContentType: new("text/plain"), User: []mqtt.UserProperty{{"a", "b"}}, MessageExpiry: new(uint32(9))}}
	require.Zero(t, testing.AllocsPerRun(100, func() {
		if _, err := mqtt.AppendPacket(buf[:0], props, mqtt.V5); err != nil {
			panic(err)
		}
	}))
}
