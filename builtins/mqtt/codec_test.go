package mqtt_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/builtins/mqtt"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

func versions() []byte { return []byte{mqtt.V311, mqtt.V5} }

// The hand-checked byte sequences of reference/vendors.md, both directions.
func TestVendorVectors(t *testing.T) {
	tests := []struct {
		hex string
		p   mqtt.Packet
	}{
		{"101000044D5154540402003C000464657631", &mqtt.Connect{ClientID: "dev1", Clean: true, KeepAlive: 60}},
		{"20020000", &mqtt.Connack{}},
		{"820800010003636D6401", &mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "cmd", QoS: 1}}}},
		{"9003000101", &mqtt.Suback{ID: 1, ReasonCodes: []byte{1}}},
		{"3006000275706869", &mqtt.Publish{Topic: "up", Payload: []byte("hi")}},
		{"32080002757000026869", &mqtt.Publish{Topic: "up", Payload: []byte("hi"), QoS: 1, ID: 2}},
		{"40020002", &mqtt.Puback{ID: 2}},
		{"30070003636D646F6E", &mqtt.Publish{Topic: "cmd", Payload: []byte("on")}},
		{"E000", &mqtt.Disconnect{}},
	}
	for _, tt := range tests {
		t.Run(tt.p.Type().String(), func(t *testing.T) {
			b, err := mqtt.Encode(tt.p, mqtt.V311)
			require.NoError(t, err)
			require.Equal(t, tt.hex, fmt.Sprintf("%X", b))
			pkts, used, err := mqtt.Decode(unhex(t, tt.hex), mqtt.V311)
			require.NoError(t, err)
			require.Equal(t, len(b), used)
			require.Equal(t, []mqtt.Packet{tt.p}, pkts)
		})
	}
}

// MQTT 5 vectors worked out by hand from the specification's field tables.
func TestV5Vectors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		p    mqtt.Packet
	}{
		{"connect no properties", "1011 00044D515454 05 02 003C 00 0004 64657631",
			&mqtt.Connect{ClientID: "dev1", Clean: true, KeepAlive: 60}},
		{"connect session expiry", "1016 00044D515454 05 02 003C 05 11 00000E10 0004 64657631",
			&mqtt.Connect{ClientID: "dev1", Clean: true, KeepAlive: 60, Properties: &mqtt.Properties{SessionExpiry: new(uint32(3600))}}},
		{"connack", "2003 0000 00", &mqtt.Connack{}},
		{"publish qos1 topic alias", "320C 0002 7570 0001 03 230005 6869",
			&mqtt.Publish{Topic: "up", Payload: []byte("hi"), QoS: 1, ID: 1, Properties: &mqtt.Properties{TopicAlias: new(uint16(5))}}},
		{"puback success is short", "4002 0007", &mqtt.Puback{ID: 7}},
		{"pubrec no subscribers", "5003 0007 10", &mqtt.Pubrec{ID: 7, ReasonCode: 0x10}},
		{"pubrel", "6202 0007", &mqtt.Pubrel{ID: 7}},
		{"subscribe options", "820A 0001 00 0004 636D6473 2E",
			&mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{{Filter: "cmds", QoS: 2, RetainAsPublished: true, RetainHandling: 2, NoLocal: true}}}},
		{"suback", "9004 0001 00 02", &mqtt.Suback{ID: 1, ReasonCodes: []byte{2}}},
		{"unsuback", "B004 0001 00 11", &mqtt.Unsuback{ID: 1, ReasonCodes: []byte{0x11}}},
		{"disconnect normal", "E000", &mqtt.Disconnect{}},
		{"disconnect with will", "E001 04", &mqtt.Disconnect{ReasonCode: 4}},
		{"auth", "F000", &mqtt.Auth{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.hex)
			b, err := mqtt.Encode(tt.p, mqtt.V5)
			require.NoError(t, err)
			require.Equal(t, want, b)
			pkts, used, err := mqtt.Decode(want, mqtt.V5)
			require.NoError(t, err)
			require.Equal(t, len(want), used)
			require.Equal(t, []mqtt.Packet{tt.p}, pkts)
		})
	}
}

// Every sample of the grid survives encode -> decode -> encode unchanged.
func TestRoundTrip(t *testing.T) {
	for _, v := range versions() {
		for _, s := range samples(v) {
			t.Run(fmt.Sprintf("v%d/%s", v, s.name), func(t *testing.T) {
				b, err := mqtt.Encode(s.p, v)
				require.NoError(t, err)
				require.Equal(t, byte(s.p.Type())<<4, b[0]&0xf0)
				pkts, used, err := mqtt.Decode(b, v)
				require.NoError(t, err)
				require.Equal(t, len(b), used)
				require.Equal(t, []mqtt.Packet{s.p}, pkts)
				again, err := mqtt.Encode(pkts[0], v)
				require.NoError(t, err)
				require.Equal(t, b, again)
			})
		}
	}
}

// The remaining length field grows a byte at each power of 128.
func TestRemainingLengthBoundaries(t *testing.T) {
	tests := []struct {
		rem    int
		header string
	}{
		{0, "00"},
		{127, "7F"},
		{128, "8001"},
		{16383, "FF7F"},
		{16384, "808001"},
		{2097151, "FFFF7F"},
		{2097152, "80808001"},
	}
	for _, v := range versions() {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("v%d/%d", v, tt.rem), func(t *testing.T) {
				var p mqtt.Packet = &mqtt.Pingreq{}
				overhead := 3 // topic "t"
				if v == mqtt.V5 {
					overhead++ // empty property length
				}
				if tt.rem > 0 {
					p = &mqtt.Publish{Topic: "t", Payload: bytes.Repeat([]byte{0xA5}, tt.rem-overhead)}
				}
				b, err := mqtt.Encode(p, v)
				require.NoError(t, err)
				hdr := unhex(t, tt.header)
				require.Equal(t, hdr, b[1:1+len(hdr)])
				require.Len(t, b, 1+len(hdr)+tt.rem)
				pkts, used, err := mqtt.Decode(b, v)
				require.NoError(t, err)
				require.Equal(t, len(b), used)
				require.Equal(t, []mqtt.Packet{p}, pkts)

				// One byte short is incomplete, and Need says exactly one.
				_, _, err = mqtt.Decode(b[:len(b)-1], v)
				require.ErrorIs(t, err, mqtt.ErrNeedMore)
				n, err := mqtt.Codec{Version: v}.Need(b[:len(b)-1])
				require.NoError(t, err)
				require.Equal(t, 1, n)
			})
		}
	}
}

// A header announcing the largest packet is only waited for, never allocated.
func TestLargestPacketHeader(t *testing.T) {
	c := mqtt.Codec{Version: mqtt.V311}
	hdr := unhex(t, "30 FFFFFF7F 0001 74")
	n, err := c.Need(hdr)
	require.NoError(t, err)
	require.Equal(t, 1+4+268435455-len(hdr), n)
	allocs := testing.AllocsPerRun(10, func() {
		if _, _, err := c.Decode(hdr); !errors.Is(err, mqtt.ErrNeedMore) {
			panic(err)
		}
	})
	if !raceEnabled {
		require.Zero(t, allocs)
	}

	// Five length bytes are malformed, whatever follows.
	_, _, err = c.Decode(unhex(t, "30 FFFFFFFF01 00"))
	require.ErrorIs(t, err, mqtt.ErrMalformed)
	require.ErrorContains(t, err, "remaining length")
	// A limit is enforced from the header alone.
	_, _, err = mqtt.Codec{MaxPacketSize: 1 << 20}.Decode(hdr)
	require.ErrorIs(t, err, mqtt.ErrTooLarge)
	require.EqualError(t, err, "PUBLISH: packet exceeds the maximum packet size: 268435460 bytes, maximum 1048576")
}

func TestNeed(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 2},
		{"30", 1},
		{"3080", 1 + 1 + 1 + 128 - 2},               // at least 128 bytes of body
		{"308080", 1 + 2 + 1 + 16384 - 3},           // at least 16384
		{"30FF", 1 + 1 + 1 + 127 + 128 - 2},         // 127 so far, at least one more 128
		{"3006000275", 8 - 5},                       // PUBLISH up hi, cut in the topic
		{"3006000275706869", 0},                     // complete
		{"3006000275706869E0", 0},                   // complete plus a partial one
		{"C000", 0},                                 // PINGREQ
		{"820800010003636D64", 10 - 9},              // SUBSCRIBE cut before the options
		{"20", 1},                                   // CONNACK with no length yet
		{"2002", 2},                                 // CONNACK with length only
		{"9003000101" + "9003", 0},                  // SUBACK then part of another
		{"101000044D5154540402003C00046465", 2},     // CONNECT missing the last two bytes
		{"101000044D5154540402003C000464657631", 0}, // complete CONNECT
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := mqtt.Codec{}.Need(unhex(t, tt.in))
			require.NoError(t, err)
			require.Equal(t, tt.want, n)
		})
	}
	_, err := mqtt.Codec{}.Need(unhex(t, "00"))
	require.ErrorIs(t, err, mqtt.ErrMalformed)
}

// All samples back to back decode in one call, and every cut of the stream
// yields exactly the packets that are complete before the cut.
func TestDecodeStream(t *testing.T) {
	for _, v := range versions() {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			var stream []byte
			var want []mqtt.Packet
			var ends []int // end offset of each packet
			for _, s := range samples(v) {
				if p, ok := s.p.(*mqtt.Publish); ok && len(p.Topic) > 1000 {
					continue // keeps the quadratic prefix walk fast
				}
				var err error
				stream, err = mqtt.AppendPacket(stream, s.p, v)
				require.NoError(t, err)
				want = append(want, s.p)
				ends = append(ends, len(stream))
			}
			pkts, used, err := mqtt.Decode(stream, v)
			require.NoError(t, err)
			require.Equal(t, len(stream), used)
			require.Equal(t, want, pkts)

			c := mqtt.Codec{Version: v}
			complete := 0
			for cut := 0; cut <= len(stream); cut++ {
				for complete < len(ends) && ends[complete] <= cut {
					complete++
				}
				pkts, used, err := c.Decode(stream[:cut])
				if complete == 0 {
					require.ErrorIs(t, err, mqtt.ErrNeedMore, "cut %d", cut)
					require.Zero(t, used)
					need, err := c.Need(stream[:cut])
					require.NoError(t, err)
					require.Positive(t, need)
					require.LessOrEqual(t, need, ends[0]-cut)
					continue
				}
				require.NoError(t, err, "cut %d", cut)
				require.Equal(t, ends[complete-1], used, "cut %d", cut)
				require.Equal(t, want[:complete], pkts, "cut %d", cut)
			}

			// Streaming a byte at a time gives the same packets.
			var got []mqtt.Packet
			var buf []byte
			for _, b := range stream {
				buf = append(buf, b)
				pkts, used, err := c.Decode(buf)
				if errors.Is(err, mqtt.ErrNeedMore) {
					continue
				}
				require.NoError(t, err)
				got = append(got, pkts...)
				buf = buf[used:]
			}
			require.Empty(t, buf)
			require.Equal(t, want, got)
		})
	}
}

// Decoded packets do not alias the input buffer.
func TestDecodeCopies(t *testing.T) {
	b := unhex(t, "3006000275706869")
	pkts, _, err := mqtt.Decode(b, mqtt.V311)
	require.NoError(t, err)
	for i := range b {
		b[i] = 0
	}
	require.Equal(t, &mqtt.Publish{Topic: "up", Payload: []byte("hi")}, pkts[0])
}

// Malformed input gives an error naming the rule; packets before it are kept.
func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name string
		v    byte
		in   string
		err  error
		msg  string
	}{
		{"type 0", 4, "0000", mqtt.ErrMalformed, "malformed packet: packet type 0 is reserved [MQTT-2.2.1]"},
		{"auth in 3.1.1", 4, "F000", mqtt.ErrMalformed, "packet type 15 is reserved in MQTT 3.1.1"},
		{"publish qos 3", 4, "3600", mqtt.ErrQoS, `PUBLISH qos "3": qos must be 0, 1 or 2 [MQTT-3.3.1-4]`},
		{"subscribe flags", 4, "8008 0001 0003636D64 01", mqtt.ErrMalformed, "SUBSCRIBE: malformed packet: fixed header flags must be 10, got 0 [MQTT-2.2.2-2]"},
		{"pubrel flags", 4, "6002 0001", mqtt.ErrMalformed, "fixed header flags must be 10, got 0"},
		{"pingreq flags", 4, "C100", mqtt.ErrMalformed, "fixed header flags must be 0, got 1"},
		{"length not minimal", 4, "C08000", mqtt.ErrMalformed, "remaining length: malformed packet: longer than 4 bytes or not minimal [MQTT-1.5.5-1]"},
		{"length five bytes", 4, "30 8080808001", mqtt.ErrMalformed, "longer than 4 bytes"},
		{"pingreq with body", 4, "C00100", mqtt.ErrMalformed, "PINGREQ: malformed packet: bytes left over after the last field (remaining length too long)"},
		{"connack short", 4, "200100", mqtt.ErrMalformed, "CONNACK reason code: malformed packet: field runs past the end"},
		{"connack reserved", 4, "20020200", mqtt.ErrMalformed, "CONNACK acknowledge flags: malformed packet: reserved bits must be 0 [MQTT-3.2.2-1]"},
		{"connack bad return code", 4, "20020006", mqtt.ErrReasonCode, "CONNACK reason code: reason code not allowed in this packet: 0x6"},
		{"connack session present refused", 4, "20020105", mqtt.ErrMalformed, "must be 0 when the connection is refused [MQTT-3.2.2-4]"},
		{"publish topic past end", 4, "3003 0005 61", mqtt.ErrMalformed, "PUBLISH topic: malformed packet: field runs past the end"},
		{"publish wildcard", 4, "3005 0003 612F23", mqtt.ErrWildcardTopic, `PUBLISH topic "a/#": topic name must not contain wildcards + or # [MQTT-3.3.2-2]`},
		{"publish empty topic", 4, "3002 0000", mqtt.ErrEmptyTopic, "PUBLISH topic: topic must be at least one character long [MQTT-4.7.3-1]"},
		{"publish invalid utf8", 4, "3004 0002 C328", mqtt.ErrInvalidUTF8, "string is not well-formed UTF-8 [MQTT-1.5.3-1]"},
		{"publish surrogate", 4, "3005 0003 EDA080", mqtt.ErrInvalidUTF8, "not well-formed UTF-8"},
		{"publish null char", 4, "3005 0003 610062", mqtt.ErrNullChar, `PUBLISH topic "a\x00b": string contains U+0000 [MQTT-1.5.3-2]`},
		{"publish qos1 id 0", 4, "3205 0001 61 0000", mqtt.ErrPacketID, "PUBLISH id: packet id must be non-zero [MQTT-2.3.1-1]: qos 1 needs one"},
		{"publish qos1 no id", 4, "3203 0001 61", mqtt.ErrMalformed, "PUBLISH id: malformed packet: field runs past the end"},
		{"publish dup qos0", 4, "3803 0001 61", mqtt.ErrMalformed, "dup must be 0 for qos 0 [MQTT-3.3.1-2]"},
		{"puback id 0", 4, "40020000", mqtt.ErrPacketID, "PUBACK id: packet id must be non-zero"},
		{"puback long in 3.1.1", 4, "4003000100", mqtt.ErrMalformed, "bytes left over"},
		{"subscribe no filters", 4, "82020001", mqtt.ErrNoFilters, "SUBSCRIBE filters: at least one topic filter is required"},
		{"subscribe filter # inside", 4, "820A 0001 0005 612F232F62 00", mqtt.ErrBadFilter, `SUBSCRIBE filters[0] "a/#/b": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: # must be the last character and occupy a whole level`},
		{"subscribe qos 3", 4, "8208 0001 0003 636D64 03", mqtt.ErrQoS, `SUBSCRIBE filters[0].qos "3"`},
		{"subscribe v5 bits in 3.1.1", 4, "8208 0001 0003 636D64 04", mqtt.ErrMalformed, "reserved bits must be 0 [MQTT-3.8.3-5]"},
		{"subscribe reserved bits v5", 5, "8209 0001 00 0003 636D64 C0", mqtt.ErrMalformed, "reserved bits must be 0"},
		{"subscribe retain handling 3", 5, "8209 0001 00 0003 636D64 30", mqtt.ErrMalformed, "retain_handling: malformed packet: must be 0, 1 or 2 [MQTT-3.8.3-5], got 3"},
		{"subscribe options missing", 4, "8207 0001 0003 636D64", mqtt.ErrMalformed, "subscription options: malformed packet: field runs past the end"},
		{"suback no codes", 4, "90020001", mqtt.ErrMalformed, "SUBACK reason codes: malformed packet: at least one is required"},
		{"suback bad code 3.1.1", 4, "9003000103", mqtt.ErrReasonCode, "0x3"},
		{"unsubscribe no filters", 4, "A2020001", mqtt.ErrNoFilters, "UNSUBSCRIBE filters"},
		{"unsuback codes in 3.1.1", 4, "B003000100", mqtt.ErrMalformed, "bytes left over"},
		{"unsuback no codes in 5", 5, "B003000100", mqtt.ErrMalformed, "UNSUBACK reason codes: malformed packet: at least one is required"},
		{"disconnect body in 3.1.1", 4, "E00100", mqtt.ErrMalformed, "bytes left over"},
		{"disconnect bad reason", 5, "E00105", mqtt.ErrReasonCode, "DISCONNECT reason code: reason code not allowed in this packet: 0x5"},
		{"connect protocol name", 4, "100E 0006 4D5149736470 03 02 003C 0000", mqtt.ErrVersion, `CONNECT protocol name "MQIsdp": not supported by this protocol version: want "MQTT"`},
		{"connect level mismatch", 4, "100D 0004 4D515454 05 02 003C 00 0000", mqtt.ErrVersion, `CONNECT protocol level "5": not supported by this protocol version: decoder expects 4`},
		{"connect reserved flag", 4, "100C 0004 4D515454 04 03 003C 0000", mqtt.ErrMalformed, "reserved bit must be 0 [MQTT-3.1.2-3]"},
		{"connect will qos no will", 4, "100C 0004 4D515454 04 0A 003C 0000", mqtt.ErrWillFlags, "CONNECT connect flags: will qos and will retain need a will"},
		{"connect will retain no will", 4, "100C 0004 4D515454 04 22 003C 0000", mqtt.ErrWillFlags, "will qos and will retain need a will"},
		{"connect will qos 3", 4, "1011 0004 4D515454 04 1E 003C 0000 0001 77 0000", mqtt.ErrQoS, `CONNECT will qos "3"`},
		{"connect password no username", 4, "100F 0004 4D515454 04 42 003C 0000 0001 70", mqtt.ErrPasswordWithoutUsername, "CONNECT password: password without username is not allowed in MQTT 3.1.1 [MQTT-3.1.2-22]"},
		{"connect empty id persistent", 4, "100C 0004 4D515454 04 00 003C 0000", mqtt.ErrClientID, "CONNECT client id: empty client id needs clean session in MQTT 3.1.1 [MQTT-3.1.3-7]"},
		{"connect username missing", 4, "100C 0004 4D515454 04 82 003C 0000", mqtt.ErrMalformed, "CONNECT username: malformed packet: field runs past the end"},
		{"v5 property length past packet", 5, "3006 0001 61 03 0100", mqtt.ErrMalformed, "PUBLISH properties: malformed packet: field runs past the end"},
		{"v5 property id unknown", 5, "3007 0001 61 02 0500 78", mqtt.ErrMalformed, "unknown property identifier 0x5"},
		{"v5 property not allowed", 5, "3009 0001 61 05 1100000001", mqtt.ErrProperty, "PUBLISH properties.session_expiry: invalid property: not allowed in PUBLISH"},
		{"v5 property twice", 5, "300A 0001 61 06 230001 230002", mqtt.ErrMalformed, "properties.topic_alias: malformed packet: property appears more than once [MQTT-2.2.2-2]"},
		{"v5 topic alias 0", 5, "3007 0001 61 03 230000", mqtt.ErrProperty, "properties.topic_alias: invalid property: must not be 0"},
		{"v5 empty topic no alias", 5, "3003 0000 00", mqtt.ErrEmptyTopic, "PUBLISH topic"},
		{"v5 property length past end", 5, "3004 0001 61 05", mqtt.ErrMalformed, "PUBLISH properties: malformed packet: field runs past the end"},
		{"v5 flag property 2", 5, "2005 0000 02 2502", mqtt.ErrMalformed, "properties.retain_available: malformed packet: must be 0 or 1, got 2"},
		{"v5 payload format 2", 5, "3006 0001 61 02 0102", mqtt.ErrProperty, "properties.payload_format: invalid property: must be 0 or 1, got 2"},
		{"v5 receive maximum 0", 5, "2006 0000 03 210000", mqtt.ErrProperty, "properties.receive_maximum: invalid property: must not be 0"},
		{"v5 subscription id 0", 5, "3006 0001 61 02 0B00", mqtt.ErrProperty, "properties.subscription_id: invalid property: must be 1..268435455, got 0"},
		{"v5 two subscription ids in subscribe", 5, "820B 0001 04 0B010B02 0001 61 00", mqtt.ErrProperty, "only one allowed in SUBSCRIBE"},
		{"v5 auth data without method", 5, "F005 18 03 160000", mqtt.ErrProperty, "authentication data without authentication method"},
		{"v5 response topic wildcard", 5, "300A 0001 61 06 08 0003 612F2B", mqtt.ErrWildcardTopic, "properties.response_topic: topic name must not contain wildcards"},
		{"v5 user property bad utf8", 5, "300B 0001 61 07 26 0001 FF 0001 61", mqtt.ErrInvalidUTF8, `properties.user: string is not well-formed UTF-8 [MQTT-1.5.3-1]: in name "\xff"`},
		{"v5 shared no group", 5, "820D 0001 00 0007 2473686172652F 00", mqtt.ErrBadFilter, "shared subscription needs a share name"},
		{"v5 shared wildcard group", 5, "8210 0001 00 000A 247368617265 2F2B2F61 00", mqtt.ErrBadFilter, `SUBSCRIBE filters[0] "$share/+/a": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: share name must not contain + or # [MQTT-4.8.2-2]`},
		{"v5 shared no local", 5, "8212 0001 00 000C 247368617265 2F672F612F62 04", mqtt.ErrBadFilter, "no local on a shared subscription [MQTT-3.8.3-4]"},
		{"v5 puback bad reason", 5, "4003 0001 01", mqtt.ErrReasonCode, "PUBACK reason code"},
		{"v5 will property not allowed", 5, "1016 0004 4D515454 05 06 003C 00 0000 03 230001 0001 77 0000", mqtt.ErrProperty, "CONNECT will.properties.topic_alias: invalid property: not allowed in will properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			// Prefix a valid packet: it must come back along with the error.
			good := unhex(t, "C000")
			pkts, used, err := mqtt.Decode(append(good, in...), tt.v)
			require.ErrorIs(t, err, tt.err)
			require.ErrorContains(t, err, tt.msg)
			var e *mqtt.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, 2, used)
			require.Equal(t, []mqtt.Packet{&mqtt.Pingreq{}}, pkts)
		})
	}
}

func TestLen(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"30", 0},
		{"3080", 0},
		{"3006", 8},
		{"3006000275706869", 8},
		{"C000C000", 2},
		{"30FFFFFF7F", 268435460},
	}
	for _, tt := range tests {
		n, err := mqtt.Codec{}.Len(unhex(t, tt.in))
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, n, tt.in)
	}
	_, err := mqtt.Codec{}.Len(unhex(t, "F000"))
	require.ErrorIs(t, err, mqtt.ErrMalformed)
	_, err = mqtt.Codec{MaxPacketSize: 4}.Len(unhex(t, "3006"))
	require.ErrorIs(t, err, mqtt.ErrTooLarge)
}

func TestReasonName(t *testing.T) {
	tests := []struct {
		v    byte
		t    mqtt.Type
		code byte
		want string
	}{
		{4, mqtt.TypeConnack, 0, "connection accepted"},
		{4, mqtt.TypeConnack, 4, "bad user name or password"},
		{4, mqtt.TypeConnack, 5, "not authorized"},
		{4, mqtt.TypeConnack, 6, "return code 0x6"},
		{4, mqtt.TypeSuback, 1, "granted qos 1"},
		{4, mqtt.TypeSuback, 0x80, "failure"},
		{5, mqtt.TypeConnack, 0, "success"},
		{5, mqtt.TypeConnack, 0x87, "not authorized"},
		{5, mqtt.TypeSuback, 0, "granted qos 0"},
		{5, mqtt.TypeSuback, 2, "granted qos 2"},
		{5, mqtt.TypeSuback, 0xA2, "wildcard subscriptions not supported"},
		{5, mqtt.TypeDisconnect, 0, "normal disconnection"},
		{5, mqtt.TypeDisconnect, 0x8E, "session taken over"},
		{5, mqtt.TypePuback, 0x10, "no matching subscribers"},
		{5, mqtt.TypePubrel, 0x92, "packet identifier not found"},
		{5, mqtt.TypePuback, 0x01, "reason code 0x1"},
		{5, mqtt.TypeAuth, 0x18, "continue authentication"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, mqtt.ReasonName(tt.v, tt.t, tt.code), "%v %v %#x", tt.v, tt.t, tt.code)
	}
}
