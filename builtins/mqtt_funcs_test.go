package builtins_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/builtins/mqtt"
)

// evalMQTT compiles src with every builtin, as the runtime does, and runs it.
func evalMQTT(t *testing.T, src string, env map[string]any) (any, error) {
	t.Helper()
	opts := append(builtins.ExprOptions(), expr.Env(env))
	prog, err := expr.Compile(src, opts...)
	require.NoError(t, err, "compile %s", src)
	return expr.Run(prog, env)
}

func mustHex(t *testing.T, s string) string {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return string(b)
}

// The hand-checked bytes of reference/vendors.md, built from scripts.
func TestMQTTBuiltinsVendorVectors(t *testing.T) {
	tests := []struct {
		src string
		hex string
	}{
		{`mqtt_connect("dev1", {keepalive: 60})`, "101000044D5154540402003C000464657631"},
		{`mqtt_connect("dev1")`, "101000044D5154540402003C000464657631"},
		{`mqtt_subscribe("cmd", {id: 1, qos: 1})`, "820800010003636D6401"},
		{`mqtt_publish("up", "hi")`, "3006000275706869"},
		{`mqtt_publish("up", "hi", {qos: 1, id: 2})`, "32080002757000026869"},
		{`mqtt_publish("up", "hi", {qos: 2/2, id: 4/2})`, "32080002757000026869"},
		{`mqtt_puback(2)`, "40020002"},
		{`mqtt_disconnect()`, "E000"},
		{`mqtt_ping()`, "C000"},
		{`mqtt_connect("dev1", {keepalive: 60}) + mqtt_publish("up", "hi", {qos: 0})`,
			"101000044D5154540402003C000464657631" + "3006000275706869"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := evalMQTT(t, tt.src, nil)
			require.NoError(t, err)
			require.Equal(t, mustHex(t, tt.hex), got)
		})
	}
}

// The issue's own example: atrun eval 'hex(mqtt_connect("id"))'. hex
// belongs to core.go; this checks that the two work together.
func TestMQTTWithHex(t *testing.T) {
	hasHex := false
	for _, f := range builtins.All() {
		hasHex = hasHex || f.Name == "hex"
	}
	if !hasHex {
		t.Skip("hex is not registered yet")
	}
	got, err := evalMQTT(t, `hex(mqtt_connect("dev1", {keepalive: 60}))`, nil)
	require.NoError(t, err)
	require.Equal(t, "101000044D5154540402003C000464657631", got)
}

// Every option lands in the right field: the bytes equal the codec's own
// encoding of the packet written out in Go.
func TestMQTTBuiltinsOptions(t *testing.T) {
	tests := []struct {
		src string
		v   byte
		p   mqtt.Packet
	}{
		{`mqtt_connect("c", {clean: false, keepalive: 0})`, 4, &mqtt.Connect{ClientID: "c"}},
		{`mqtt_connect("c", {username: "u", password: "p\x00w"})`, 4,
			&mqtt.Connect{ClientID: "c", Clean: true, KeepAlive: 60, Username: new("u"), Password: []byte("p\x00w")}},
		{`mqtt_connect("c", {username: "", password: ""})`, 4, &mqtt.Connect{ClientID: "c", Clean: true, KeepAlive: 60}},
		{`mqtt_connect("c", {will_topic: "s", will_message: "gone", will_qos: 1, will_retain: true})`, 4,
			&mqtt.Connect{ClientID: "c", Clean: true, KeepAlive: 60, Will: &mqtt.Will{Topic: "s", Payload: []byte("gone"), QoS: 1, Retain: true}}},
		{`mqtt_connect("c", {version: 5, password: "token"})`, 5,
			&mqtt.Connect{ClientID: "c", Clean: true, KeepAlive: 60, Password: []byte("token")}},
		{`mqtt_connect("c", {version: 5, session_expiry: 3600, properties: {receive_maximum: 10, request_problem_info: false, user: {b: "2", a: "1"}}})`, 5,
			&mqtt.Connect{ClientID: "c", Clean: true, KeepAlive: 60, Properties: &mqtt.Properties{
				SessionExpiry: new(uint32(3600)), ReceiveMaximum: new(uint16(10)), RequestProblemInfo: new(false),
				User: []mqtt.UserProperty{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}}},
		{`mqtt_connect("c", {version: 5, will_topic: "w", will_properties: {will_delay: 30, content_type: "text/plain"}})`, 5,
			&mqtt.Connect{ClientID: "c", Clean: true, KeepAlive: 60, Will: &mqtt.Will{Topic: "w", Properties: &mqtt.Properties{
				WillDelay: new(uint32(30)), ContentType: new("text/plain")}}}},
		{`mqtt_publish("a/b", "\x00\x1a\r\n", {qos: 2, id: 65535, retain: true, dup: true})`, 4,
			&mqtt.Publish{Topic: "a/b", Payload: []byte("\x00\x1a\r\n"), QoS: 2, ID: 65535, Retain: true, Dup: true}},
		{`mqtt_publish("t", "", {qos: 1})`, 4, &mqtt.Publish{Topic: "t", QoS: 1, ID: 1}},
		{`mqtt_publish("t", "x", {version: 5, properties: {message_expiry: 60, content_type: "text/plain", topic_alias: 3, payload_format: 1, correlation_data: "\x00\x01", response_topic: "r", user: [["k", "v"], ["k", "w"]]}})`, 5,
			&mqtt.Publish{Topic: "t", Payload: []byte("x"), Properties: &mqtt.Properties{
				MessageExpiry: new(uint32(60)), ContentType: new("text/plain"), TopicAlias: new(uint16(3)), PayloadFormat: new(byte(1)),
				CorrelationData: []byte{0, 1}, ResponseTopic: new("r"), User: []mqtt.UserProperty{{Key: "k", Value: "v"}, {Key: "k", Value: "w"}}}}},
		{`mqtt_subscribe(["a", {topic: "b/#", qos: 2}, "c"], {id: 5, qos: 1})`, 4,
			&mqtt.Subscribe{ID: 5, Filters: []mqtt.Subscription{{Filter: "a", QoS: 1}, {Filter: "b/#", QoS: 2}, {Filter: "c", QoS: 1}}}},
		{`mqtt_subscribe([{topic: "x", no_local: true, retain_handling: 2}, "y"], {version: 5, retain_as_published: true, properties: {subscription_id: 7}})`, 5,
			&mqtt.Subscribe{ID: 1, Filters: []mqtt.Subscription{
				{Filter: "x", NoLocal: true, RetainAsPublished: true, RetainHandling: 2}, {Filter: "y", RetainAsPublished: true}},
				Properties: &mqtt.Properties{SubscriptionIDs: []int{7}}}},
		{`mqtt_unsubscribe("a/+")`, 4, &mqtt.Unsubscribe{ID: 1, Filters: []string{"a/+"}}},
		{`mqtt_unsubscribe(["a", "b"], {id: 9, version: 5, properties: {user: {k: "v"}}})`, 5,
			&mqtt.Unsubscribe{ID: 9, Filters: []string{"a", "b"}, Properties: &mqtt.Properties{User: []mqtt.UserProperty{{Key: "k", Value: "v"}}}}},
		{`mqtt_pubrec(3)`, 4, &mqtt.Pubrec{ID: 3}},
		{`mqtt_pubrel(3)`, 4, &mqtt.Pubrel{ID: 3}},
		{`mqtt_pubcomp(3)`, 4, &mqtt.Pubcomp{ID: 3}},
		{`mqtt_pubrec(3, {version: 5, reason_code: 0x10})`, 5, &mqtt.Pubrec{ID: 3, ReasonCode: 0x10}},
		{`mqtt_puback(4, {version: 5, reason_code: 0x87, properties: {reason_string: "no"}})`, 5,
			&mqtt.Puback{ID: 4, ReasonCode: 0x87, Properties: &mqtt.Properties{ReasonString: new("no")}}},
		{`mqtt_disconnect({version: 5, reason_code: 4, session_expiry: 0})`, 5,
			&mqtt.Disconnect{ReasonCode: 4, Properties: &mqtt.Properties{SessionExpiry: new(uint32(0))}}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := evalMQTT(t, tt.src, nil)
			require.NoError(t, err)
			want, err := mqtt.Encode(tt.p, tt.v)
			require.NoError(t, err)
			require.Equal(t, string(want), got)
		})
	}
}

// Errors name the builtin, the option and the broken rule.
func TestMQTTBuiltinsErrors(t *testing.T) {
	tests := []struct {
		src string
		msg string
	}{
		{`mqtt_publish("a/+", "x")`, `mqtt_publish: PUBLISH topic "a/+": topic name must not contain wildcards + or # [MQTT-3.3.2-2]`},
		{`mqtt_publish("", "x")`, `mqtt_publish: PUBLISH topic: topic must be at least one character long [MQTT-4.7.3-1]`},
		{`mqtt_publish("t", "x", {qso: 1})`, `mqtt_publish: unknown option "qso" (did you mean "qos"?)`},
		{`mqtt_publish("t", "x", {retian: true})`, `mqtt_publish: unknown option "retian" (did you mean "retain"?)`},
		{`mqtt_publish("t", "x", {colour: 1})`, `mqtt_publish: unknown option "colour"`},
		{`mqtt_publish("t", "x", {qos: 3})`, `mqtt_publish: option "qos": got 3, want int 0..2`},
		{`mqtt_publish("t", "x", {qos: 1.5})`, `mqtt_publish: option "qos": got 1.5, want int 0..2`},
		{`mqtt_publish("t", "x", {qos: "1"})`, `mqtt_publish: option "qos": got bytes "1", want int 0..2`},
		{`mqtt_publish("t", "x", {retain: 1})`, `mqtt_publish: option "retain": got 1, want true or false`},
		{`mqtt_publish("t", "x", {version: 3})`, `mqtt_publish: option "version": got 3, want 4 (MQTT 3.1.1) or 5 (MQTT 5.0)`},
		{`mqtt_publish("t", "x", {qos: 1, id: 0})`, `mqtt_publish: PUBLISH id: packet id must be non-zero [MQTT-2.3.1-1]: qos 1 needs one`},
		{`mqtt_publish("t", "x", {id: 7})`, `mqtt_publish: PUBLISH id "7": qos 0 publish must not have a packet id [MQTT-2.3.1-5]`},
		{`mqtt_publish("t", "x", {id: 70000})`, `mqtt_publish: option "id": got 70000, want int 0..65535`},
		{`mqtt_publish("t", "x", {properties: {message_expiry: 1}})`, `mqtt_publish: PUBLISH properties: not supported by this protocol version: properties need MQTT 5`},
		{`mqtt_publish("t", "x", {version: 5, properties: {sesion_expiry: 1}})`, `mqtt_publish: properties: unknown option "sesion_expiry" (did you mean "session_expiry"?)`},
		{`mqtt_publish("t", "x", {version: 5, properties: {session_expiry: 1}})`, `mqtt_publish: PUBLISH properties.session_expiry: invalid property: not allowed in PUBLISH`},
		{`mqtt_publish("t", "x", {version: 5, properties: {topic_alias: 0}})`, `mqtt_publish: PUBLISH properties.topic_alias: invalid property: must not be 0`},
		{`mqtt_publish("t", "x", {version: 5, properties: {user: "k=v"}})`, `mqtt_publish: properties: option "user": got bytes, want {name: "value"} or [["name", "value"], ...]`},
		{`mqtt_publish("t", "x", {version: 5, properties: {subscription_id: 0}})`, `mqtt_publish: properties: option "subscription_id": got 0, want int 1..268435455`},
		{`mqtt_connect("c", {password: "p"})`, `mqtt_connect: CONNECT password: password without username is not allowed in MQTT 3.1.1 [MQTT-3.1.2-22]`},
		{`mqtt_connect("c", {will_qos: 1})`, `mqtt_connect: option "will_qos" needs will_topic: will qos and will retain need a will [MQTT-3.1.2-13, MQTT-3.1.2-15]`},
		{`mqtt_connect("c", {will_retain: true})`, `mqtt_connect: option "will_retain" needs will_topic: will qos and will retain need a will [MQTT-3.1.2-13, MQTT-3.1.2-15]`},
		{`mqtt_connect("c", {will_message: "bye"})`, `mqtt_connect: CONNECT will topic: topic must be at least one character long [MQTT-4.7.3-1]`},
		{`mqtt_connect("c", {will_topic: "w/#"})`, `mqtt_connect: CONNECT will topic "w/#": topic name must not contain wildcards + or # [MQTT-3.3.2-2]`},
		{`mqtt_connect("c", {session_expiry: 10})`, `mqtt_connect: option "session_expiry" needs {version: 5}`},
		{`mqtt_connect("c", {keepalive: 65536})`, `mqtt_connect: option "keepalive": got 65536, want int 0..65535`},
		{`mqtt_connect("c", {clean: false, keepalive: -1})`, `mqtt_connect: option "keepalive": got -1, want int 0..65535`},
		{`mqtt_connect("", {clean: false})`, `mqtt_connect: CONNECT client id: empty client id needs clean session in MQTT 3.1.1 [MQTT-3.1.3-7]`},
		{`mqtt_connect("c", {username: 5})`, `mqtt_connect: option "username": got 5, want string`},
		{`mqtt_connect(bad)`, `mqtt_connect: CONNECT client id "\xff": string is not well-formed UTF-8 [MQTT-1.5.3-1]`},
		{`mqtt_subscribe("a/#/b")`, `mqtt_subscribe: SUBSCRIBE filters[0] "a/#/b": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: # must be the last character and occupy a whole level`},
		{`mqtt_subscribe(["ok", "a+"])`, `mqtt_subscribe: SUBSCRIBE filters[1] "a+": malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]: + must occupy a whole level`},
		{`mqtt_subscribe([])`, `mqtt_subscribe: SUBSCRIBE filters: at least one topic filter is required [MQTT-3.8.3-3, MQTT-3.10.3-2]`},
		{`mqtt_subscribe([1])`, `mqtt_subscribe: filter 1: got int, want string or {topic: ..., qos: ...}`},
		{`mqtt_subscribe([{qos: 1}])`, `mqtt_subscribe: filter 1: want a "topic" string, got nil`},
		{`mqtt_subscribe([{topic: "a", qso: 1}])`, `mqtt_subscribe: filter 1: unknown option "qso" (did you mean "qos"?)`},
		{`mqtt_subscribe("a", {no_local: true})`, `mqtt_subscribe: SUBSCRIBE filters[0]: not supported by this protocol version: no local, retain as published and retain handling need MQTT 5`},
		{`mqtt_subscribe("a", {id: 0})`, `mqtt_subscribe: SUBSCRIBE id: packet id must be non-zero [MQTT-2.3.1-1]`},
		{`mqtt_subscribe(5)`, `mqtt_subscribe: filters: got int, want a filter string or a list`},
		{`mqtt_unsubscribe([true])`, `mqtt_unsubscribe: filter 1: got bool, want string`},
		{`mqtt_puback(0)`, `mqtt_puback: PUBACK id: packet id must be non-zero [MQTT-2.3.1-1]`},
		{`mqtt_puback(70000)`, `mqtt_puback: id: got 70000, want int 1..65535`},
		{`mqtt_pubrel("1")`, `mqtt_pubrel: id: got bytes "1", want int 1..65535`},
		{`mqtt_pubcomp(1, {reason_code: 0x92})`, `mqtt_pubcomp: PUBCOMP reason code: not supported by this protocol version: reason codes need MQTT 5`},
		{`mqtt_pubrel(1, {version: 5, reason_code: 0x10})`, `mqtt_pubrel: PUBREL reason code: reason code not allowed in this packet: 0x10`},
		{`mqtt_disconnect({reason_code: 4})`, `mqtt_disconnect: DISCONNECT reason code: not supported by this protocol version: reason codes need MQTT 5`},
		{`mqtt_decode("\x00\x00")`, `mqtt_decode: malformed packet: packet type 0 is reserved [MQTT-2.2.1]`},
		{`mqtt_decode(ping + "\x30\x03\x00\x05a")`, `mqtt_decode: packet 2: PUBLISH topic: malformed packet: field runs past the end of the packet (remaining length too short)`},
		{`mqtt_decode("\x30\x06\x00\x02upxx", {max_packet_size: 4})`, `mqtt_decode: PUBLISH: packet exceeds the maximum packet size: 8 bytes, maximum 4`},
		{`mqtt_need("\x00")`, `mqtt_need: malformed packet: packet type 0 is reserved [MQTT-2.2.1]`},
		{`mqtt_need("", {version: 6})`, `mqtt_need: option "version": got 6, want 4 (MQTT 3.1.1) or 5 (MQTT 5.0)`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			// expr reads "\xff" in a literal as the rune U+00FF, so raw high
			// bytes come from variables, as they do from a modem.
			_, err := evalMQTT(t, tt.src, map[string]any{"bad": "\xff", "ping": "\xc0\x00"})
			require.Error(t, err)
			// expr appends the position and the source line after the message.
			require.Equal(t, tt.msg, strings.SplitN(err.Error(), " (1:", 2)[0])
		})
	}
}

// Wrong argument types and counts are caught when the script is compiled,
// and the error points at the offending argument.
func TestMQTTBuiltinsCompileErrors(t *testing.T) {
	tests := []struct {
		src string
		msg string
	}{
		{`mqtt_publish("up", 5)`, "cannot use int as argument (type string) to call mqtt_publish"},
		{`mqtt_publish("up", "x", 1)`, "cannot use int as argument (type map[string]interface {}) to call mqtt_publish"},
		{`mqtt_publish("up")`, "not enough arguments to call mqtt_publish"},
		{`mqtt_connect()`, "not enough arguments to call mqtt_connect"},
		{`mqtt_connect(5)`, "cannot use int as argument (type string) to call mqtt_connect"},
		{`mqtt_ping(1)`, "too many arguments to call mqtt_ping"},
		{`mqtt_decode(1)`, "cannot use int as argument (type string) to call mqtt_decode"},
		{`mqtt_puback()`, "not enough arguments to call mqtt_puback"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := expr.Compile(tt.src, builtins.ExprOptions()...)
			require.ErrorContains(t, err, tt.msg)
		})
	}
	// The return types let expr check what follows the call.
	_, err := expr.Compile(`mqtt_need("") + "x"`, builtins.ExprOptions()...)
	require.ErrorContains(t, err, "invalid operation: + (mismatched types int and string)")
}

// Called without expr's checks, bad arguments are errors, never panics.
func TestMQTTBuiltinsDirectCalls(t *testing.T) {
	fns := map[string]builtins.Func{}
	for _, f := range builtins.All() {
		fns[f.Name] = f
	}
	tests := []struct {
		name string
		args []any
		msg  string
	}{
		{"mqtt_connect", nil, "mqtt_connect: got 0 arguments, want 1 to 2"},
		{"mqtt_connect", []any{"c", map[string]any{}, map[string]any{}}, "mqtt_connect: got 3 arguments, want 1 to 2"},
		{"mqtt_connect", []any{nil}, "mqtt_connect: client_id: got nil, want bytes (use str() for numbers)"},
		{"mqtt_connect", []any{"c", 5}, "mqtt_connect: options: got int, want a map such as {qos: 1}"},
		{"mqtt_publish", []any{"t"}, "mqtt_publish: got 1 arguments, want 2 to 3"},
		{"mqtt_publish", []any{"t", 42}, "mqtt_publish: payload: got int, want bytes (use str() for numbers)"},
		{"mqtt_ping", []any{1}, "mqtt_ping: got 1 arguments, want 0"},
		{"mqtt_puback", nil, "mqtt_puback: got 0 arguments, want 1 to 2"},
		{"mqtt_decode", []any{nil}, "mqtt_decode: bytes: got nil, want bytes (use str() for numbers)"},
		{"mqtt_need", []any{"", "v5"}, `mqtt_need: options: got bytes, want a map such as {qos: 1}`},
	}
	for _, tt := range tests {
		f, ok := fns[tt.name]
		require.True(t, ok, tt.name)
		_, err := f.Fn(tt.args...)
		require.EqualError(t, err, tt.msg)
	}
	// Go callers may pass []byte and uint16 as well as script values.
	got, err := fns["mqtt_publish"].Fn([]byte("up"), []byte("hi"), map[string]any{"qos": uint16(1), "id": int64(2)})
	require.NoError(t, err)
	require.Equal(t, mustHex(t, "32080002757000026869"), got)
}

func TestMQTTDecode(t *testing.T) {
	// CONNACK, SUBACK, PUBLISH qos 0 (vendors.md), a PUBLISH qos 1 with
	// binary payload, and the first 3 bytes of another packet.
	stream := mustHex(t, "20020000"+"9003000101"+"30070003636D646F6E"+"320A0001610007000102FF0D"+"300500")
	got, err := evalMQTT(t, `mqtt_decode(b)`, map[string]any{"b": stream})
	require.NoError(t, err)
	require.Equal(t, []any{
		map[string]any{"type": "CONNACK", "size": 4, "session_present": false, "return_code": 0, "reason_code": 0, "reason": "connection accepted"},
		map[string]any{"type": "SUBACK", "size": 5, "id": 1, "granted": []any{1}, "reason_codes": []any{1}},
		map[string]any{"type": "PUBLISH", "size": 9, "topic": "cmd", "payload": "on", "qos": 0, "retain": false, "dup": false, "id": 0},
		map[string]any{"type": "PUBLISH", "size": 12, "topic": "a", "payload": "\x00\x01\x02\xff\r", "qos": 1, "retain": false, "dup": false, "id": 7},
	}, got)

	// A script can consume what was decoded and keep the rest.
	rest, err := evalMQTT(t, `b[sum(map(mqtt_decode(b), #.size)):]`, map[string]any{"b": stream})
	require.NoError(t, err)
	require.Equal(t, mustHex(t, "300500"), rest)
	need, err := evalMQTT(t, `mqtt_need(b[30:])`, map[string]any{"b": stream})
	require.NoError(t, err)
	require.Equal(t, 4, need)

	// Nothing complete yet: an empty list, not an error.
	got, err = evalMQTT(t, `mqtt_decode("\x30")`, nil)
	require.NoError(t, err)
	require.Equal(t, []any{}, got)
}

func TestMQTTDecodeV5(t *testing.T) {
	p := &mqtt.Publish{Topic: "t", Payload: []byte("x"), QoS: 1, ID: 3, Properties: &mqtt.Properties{
		MessageExpiry: new(uint32(60)), SubscriptionIDs: []int{5}, User: []mqtt.UserProperty{{Key: "k", Value: "v"}},
		ContentType: new("text/plain"), CorrelationData: []byte{0, 1}}}
	b, err := mqtt.Encode(p, mqtt.V5)
	require.NoError(t, err)
	ack, err := mqtt.Encode(&mqtt.Connack{ReasonCode: 0x87, Properties: &mqtt.Properties{
		ReasonString: new("denied"), RetainAvailable: new(false), MaximumQoS: new(byte(1))}}, mqtt.V5)
	require.NoError(t, err)
	sub, err := mqtt.Encode(&mqtt.Suback{ID: 2, ReasonCodes: []byte{1, 0x87}}, mqtt.V5)
	require.NoError(t, err)
	got, err := evalMQTT(t, `mqtt_decode(b, {version: 5})`, map[string]any{"b": string(ack) + string(b) + string(sub)})
	require.NoError(t, err)
	require.Equal(t, []any{
		map[string]any{"type": "CONNACK", "size": len(ack), "session_present": false, "return_code": 0x87, "reason_code": 0x87,
			"reason": "not authorized", "properties": map[string]any{"reason_string": "denied", "retain_available": false, "maximum_qos": 1}},
		map[string]any{"type": "PUBLISH", "size": len(b), "topic": "t", "payload": "x", "qos": 1, "retain": false, "dup": false, "id": 3,
			"properties": map[string]any{"message_expiry": 60, "subscription_id": []any{5}, "user": []any{[]any{"k", "v"}},
				"content_type": "text/plain", "correlation_data": "\x00\x01"}},
		map[string]any{"type": "SUBACK", "size": len(sub), "id": 2, "granted": []any{1, 0x87}, "reason_codes": []any{1, 0x87}},
	}, got)
}

// Whatever a builder makes, mqtt_decode reads back, field by field.
func TestMQTTBuildersDecodeBack(t *testing.T) {
	tests := []struct {
		src  string
		want map[string]any
	}{
		{`mqtt_decode(mqtt_connect("dev1", {username: "u", password: "p", will_topic: "w", will_message: "m", will_qos: 2}))[0]`,
			map[string]any{"type": "CONNECT", "size": 30, "client_id": "dev1", "keepalive": 60, "clean": true, "username": "u", "password": "p",
				"will_topic": "w", "will_message": "m", "will_qos": 2, "will_retain": false}},
		{`mqtt_decode(mqtt_publish("a", "b", {qos: 2, id: 9, retain: true}))[0]`,
			map[string]any{"type": "PUBLISH", "size": 8, "topic": "a", "payload": "b", "qos": 2, "retain": true, "dup": false, "id": 9}},
		{`mqtt_decode(mqtt_subscribe([{topic: "x", no_local: true}], {version: 5, qos: 1}), {version: 5})[0]`,
			map[string]any{"type": "SUBSCRIBE", "size": 9, "id": 1, "filters": []any{map[string]any{
				"topic": "x", "qos": 1, "no_local": true, "retain_as_published": false, "retain_handling": 0}}}},
		{`mqtt_decode(mqtt_unsubscribe(["x", "y"]))[0]`,
			map[string]any{"type": "UNSUBSCRIBE", "size": 10, "id": 1, "filters": []any{"x", "y"}}},
		{`mqtt_decode(mqtt_pubrel(5))[0]`, map[string]any{"type": "PUBREL", "size": 4, "id": 5, "reason_code": 0, "reason": "success"}},
		{`mqtt_decode(mqtt_disconnect({version: 5, reason_code: 4}), {version: 5})[0]`,
			map[string]any{"type": "DISCONNECT", "size": 3, "reason_code": 4, "reason": "disconnect with will message"}},
		{`mqtt_decode(mqtt_ping())[0]`, map[string]any{"type": "PINGREQ", "size": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := evalMQTT(t, tt.src, nil)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestMQTTFuncsTable(t *testing.T) {
	want := []string{"mqtt_connect", "mqtt_decode", "mqtt_disconnect", "mqtt_need", "mqtt_ping", "mqtt_puback",
		"mqtt_pubcomp", "mqtt_publish", "mqtt_pubrec", "mqtt_pubrel", "mqtt_subscribe", "mqtt_unsubscribe"}
	var got []string
	for _, f := range builtins.All() {
		if !strings.HasPrefix(f.Name, "mqtt_") {
			continue
		}
		got = append(got, f.Name)
		require.True(t, strings.HasPrefix(f.Signature, f.Name+"("), f.Name)
		require.NotEmpty(t, f.Doc, f.Name)
		require.NotContains(t, f.Doc, "\n", f.Name)
		require.NotEmpty(t, f.Types, f.Name)
		require.NotNil(t, f.Fn, f.Name)
	}
	require.Equal(t, want, got)
}
