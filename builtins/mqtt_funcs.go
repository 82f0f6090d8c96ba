package builtins

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/atrun/atrun/builtins/mqtt"
)

// mqttFuncs are the mqtt_* builtins: builders return the packet's bytes,
// mqtt_decode turns received bytes into maps. Every builder takes an
// optional trailing options map; {version: 5} selects MQTT 5.0, the default
// is 3.1.1. Empty username and password options mean "none", so a script
// can pass an empty param through unchanged.
//
// Each Types list ends with a variadic form: expr reports the error of the
// last form when none fits, and the variadic one points at the wrong
// argument instead of claiming a wrong argument count.
func mqttFuncs() []Func {
	type m = map[string]any
	return []Func{
		{
			Name:      "mqtt_connect",
			Signature: "mqtt_connect(client_id string [, opts map]) bytes",
			Doc:       "MQTT CONNECT; opts: version 4|5 (4), keepalive (60), clean (true), username, password, will_topic, will_message, will_qos, will_retain, session_expiry, properties, will_properties",
			Types:     []any{new(func(string) string), new(func(string, m) string), new(func(string, ...m) string)},
			Fn:        fnMQTTConnect,
			Options:   &Options{Arg: 1, Keys: mqttConnectOpts()},
		},
		{
			Name:      "mqtt_publish",
			Signature: "mqtt_publish(topic string, payload bytes [, opts map]) bytes",
			Doc:       "MQTT PUBLISH; opts: qos (0), id (1 when qos > 0), retain, dup, version, properties (v5: message_expiry, content_type, topic_alias, user...)",
			Types:     []any{new(func(string, string) string), new(func(string, string, m) string), new(func(string, string, ...m) string)},
			Fn:        fnMQTTPublish,
			Options:   &Options{Arg: 2, Keys: mqttPublishOpts()},
		},
		{
			Name:      "mqtt_subscribe",
			Signature: "mqtt_subscribe(filters string|list [, opts map]) bytes",
			Doc:       "MQTT SUBSCRIBE to a filter or a list of filters or {topic, qos, no_local, retain_as_published, retain_handling} maps; opts: id (1), qos (0), version, no_local, retain_as_published, retain_handling, properties",
			Types:     []any{new(func(any) string), new(func(any, m) string), new(func(any, ...m) string)},
			Fn:        fnMQTTSubscribe,
			Options:   &Options{Arg: 1, Keys: mqttSubscribeOpts()},
		},
		{
			Name:      "mqtt_unsubscribe",
			Signature: "mqtt_unsubscribe(filters string|list [, opts map]) bytes",
			Doc:       "MQTT UNSUBSCRIBE from a filter or a list of filters; opts: id (1), version, properties",
			Types:     []any{new(func(any) string), new(func(any, m) string), new(func(any, ...m) string)},
			Fn:        fnMQTTUnsubscribe,
			Options:   &Options{Arg: 1, Keys: mqttUnsubscribeOpts()},
		},
		{
			Name:      "mqtt_ping",
			Signature: "mqtt_ping() bytes",
			Doc:       "MQTT PINGREQ (C0 00)",
			Types:     []any{new(func() string)},
			Fn:        fnMQTTPing,
		},
		{
			Name:      "mqtt_disconnect",
			Signature: "mqtt_disconnect([opts map]) bytes",
			Doc:       "MQTT DISCONNECT (E0 00); opts: version, reason_code, session_expiry, properties (v5)",
			Types:     []any{new(func() string), new(func(m) string), new(func(...m) string)},
			Fn:        fnMQTTDisconnect,
			Options:   &Options{Arg: 0, Keys: mqttDisconnectOpts()},
		},
		mqttAck("mqtt_puback", "PUBACK", "answers a qos 1 PUBLISH", func(a mqtt.Puback) mqtt.Packet { return &a }),
		mqttAck("mqtt_pubrec", "PUBREC", "answers a qos 2 PUBLISH", func(a mqtt.Puback) mqtt.Packet { p := mqtt.Pubrec(a); return &p }),
		mqttAck("mqtt_pubrel", "PUBREL", "answers PUBREC", func(a mqtt.Puback) mqtt.Packet { p := mqtt.Pubrel(a); return &p }),
		mqttAck("mqtt_pubcomp", "PUBCOMP", "answers PUBREL", func(a mqtt.Puback) mqtt.Packet { p := mqtt.Pubcomp(a); return &p }),
		{
			Name:      "mqtt_decode",
			Signature: "mqtt_decode(b bytes [, opts map]) list",
			Doc:       "the complete MQTT packets in b as maps (type, size, topic, payload, qos, retain, dup, id, session_present, reason_code, reason, granted...); a partial packet at the end is left out, see mqtt_need; opts: version, max_packet_size",
			Types:     []any{new(func(string) []any), new(func(string, m) []any), new(func(string, ...m) []any)},
			Fn:        fnMQTTDecode,
			Options:   &Options{Arg: 1, Keys: mqttDecodeOpts()},
		},
		{
			Name:      "mqtt_need",
			Signature: "mqtt_need(b bytes [, opts map]) int",
			Doc:       "how many more bytes b needs to hold a complete MQTT packet: 0 when it does, the least possible while the length field is cut; opts: version, max_packet_size",
			Types:     []any{new(func(string) int), new(func(string, m) int), new(func(string, ...m) int)},
			Fn:        fnMQTTNeed,
			Options:   &Options{Arg: 1, Keys: mqttDecodeOpts()},
		},
	}
}

// Option names, also used for "did you mean" hints.

func mqttConnectOpts() []string {
	return []string{"version", "keepalive", "clean", "username", "password", "will_topic",
		"will_message", "will_qos", "will_retain", "session_expiry", "properties", "will_properties"}
}

func mqttPublishOpts() []string {
	return []string{"version", "qos", "id", "retain", "dup", "properties"}
}

func mqttSubscribeOpts() []string {
	return []string{"version", "id", "qos", "no_local", "retain_as_published", "retain_handling", "properties"}
}

func mqttFilterKeys() []string {
	return []string{"topic", "qos", "no_local", "retain_as_published", "retain_handling"}
}

func mqttUnsubscribeOpts() []string { return []string{"version", "id", "properties"} }

func mqttDisconnectOpts() []string {
	return []string{"version", "reason_code", "session_expiry", "properties"}
}

func mqttAckOpts() []string    { return []string{"version", "reason_code", "properties"} }
func mqttDecodeOpts() []string { return []string{"version", "max_packet_size"} }

func mqttPropertyNames() []string {
	return []string{"payload_format", "message_expiry", "content_type", "response_topic",
		"correlation_data", "subscription_id", "session_expiry", "assigned_client_id", "server_keepalive",
		"auth_method", "auth_data", "request_problem_info", "will_delay", "request_response_info",
		"response_info", "server_reference", "reason_string", "receive_maximum", "topic_alias_maximum",
		"topic_alias", "maximum_qos", "retain_available", "user", "maximum_packet_size",
		"wildcard_sub_available", "sub_id_available", "shared_sub_available"}
}

func fnMQTTConnect(args ...any) (any, error) {
	const fn = "mqtt_connect"
	if err := mqttArity(fn, args, 1, 2); err != nil {
		return nil, err
	}
	id, err := mqttBytesArg(fn, "client_id", args[0])
	if err != nil {
		return nil, err
	}
	o, err := mqttOptions(fn, args, 1, mqttConnectOpts())
	if err != nil {
		return nil, err
	}
	v, err := o.version()
	if err != nil {
		return nil, err
	}
	c := &mqtt.Connect{ClientID: id}
	ka, err := o.int("keepalive", 0, 65535, 60)
	if err != nil {
		return nil, err
	}
	c.KeepAlive = uint16(ka)
	if c.Clean, err = o.bool("clean", true); err != nil {
		return nil, err
	}
	if u, err := o.str("username"); err != nil {
		return nil, err
	} else if u != "" {
		c.Username = &u
	}
	if p, err := o.str("password"); err != nil {
		return nil, err
	} else if p != "" {
		c.Password = []byte(p)
	}
	topic, err := o.str("will_topic")
	if err != nil {
		return nil, err
	}
	msg, err := o.str("will_message")
	if err != nil {
		return nil, err
	}
	wq, err := o.int("will_qos", 0, 2, 0)
	if err != nil {
		return nil, err
	}
	wr, err := o.bool("will_retain", false)
	if err != nil {
		return nil, err
	}
	wp, err := o.props("will_properties")
	if err != nil {
		return nil, err
	}
	if topic != "" || msg != "" {
		c.Will = &mqtt.Will{Topic: topic, Payload: []byte(msg), QoS: byte(wq), Retain: wr, Properties: wp}
	} else {
		for _, k := range []string{"will_qos", "will_retain", "will_properties"} {
			if o.has(k) {
				return nil, fmt.Errorf("%s: option %q needs will_topic: %w", fn, k, mqtt.ErrWillFlags)
			}
		}
	}
	if c.Properties, err = o.props("properties"); err != nil {
		return nil, err
	}
	if err := o.sessionExpiry(v, &c.Properties); err != nil {
		return nil, err
	}
	return mqttEncode(fn, c, v)
}

func fnMQTTPublish(args ...any) (any, error) {
	const fn = "mqtt_publish"
	if err := mqttArity(fn, args, 2, 3); err != nil {
		return nil, err
	}
	topic, err := mqttBytesArg(fn, "topic", args[0])
	if err != nil {
		return nil, err
	}
	payload, err := mqttBytesArg(fn, "payload", args[1])
	if err != nil {
		return nil, err
	}
	o, err := mqttOptions(fn, args, 2, mqttPublishOpts())
	if err != nil {
		return nil, err
	}
	v, err := o.version()
	if err != nil {
		return nil, err
	}
	p := &mqtt.Publish{Topic: topic, Payload: []byte(payload)}
	q, err := o.int("qos", 0, 2, 0)
	if err != nil {
		return nil, err
	}
	p.QoS = byte(q)
	def := int64(0)
	if q > 0 {
		def = 1
	}
	id, err := o.int("id", 0, 65535, def)
	if err != nil {
		return nil, err
	}
	p.ID = uint16(id)
	if p.Retain, err = o.bool("retain", false); err != nil {
		return nil, err
	}
	if p.Dup, err = o.bool("dup", false); err != nil {
		return nil, err
	}
	if p.Properties, err = o.props("properties"); err != nil {
		return nil, err
	}
	return mqttEncode(fn, p, v)
}

func fnMQTTSubscribe(args ...any) (any, error) {
	const fn = "mqtt_subscribe"
	if err := mqttArity(fn, args, 1, 2); err != nil {
		return nil, err
	}
	o, err := mqttOptions(fn, args, 1, mqttSubscribeOpts())
	if err != nil {
		return nil, err
	}
	v, err := o.version()
	if err != nil {
		return nil, err
	}
	s := &mqtt.Subscribe{}
	id, err := o.int("id", 0, 65535, 1)
	if err != nil {
		return nil, err
	}
	s.ID = uint16(id)
	// Options apply to every filter unless a filter map says otherwise.
	var def mqtt.Subscription
	if err := o.subscription(&def); err != nil {
		return nil, err
	}
	items, err := mqttList(fn, "filters", args[0])
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		sub := def
		switch x := it.(type) {
		case string:
			sub.Filter = x
		case map[string]any:
			fo, err := mqttOptionMap(fmt.Sprintf("%s: filter %d", fn, i+1), x, mqttFilterKeys())
			if err != nil {
				return nil, err
			}
			t, ok := x["topic"].(string)
			if !ok {
				return nil, fmt.Errorf("%s: filter %d: want a \"topic\" string, got %s", fn, i+1, mqttTypeName(x["topic"]))
			}
			sub.Filter = t
			if err := fo.subscription(&sub); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: filter %d: got %s, want string or {topic: ..., qos: ...}", fn, i+1, mqttTypeName(it))
		}
		s.Filters = append(s.Filters, sub)
	}
	if s.Properties, err = o.props("properties"); err != nil {
		return nil, err
	}
	return mqttEncode(fn, s, v)
}

func fnMQTTUnsubscribe(args ...any) (any, error) {
	const fn = "mqtt_unsubscribe"
	if err := mqttArity(fn, args, 1, 2); err != nil {
		return nil, err
	}
	o, err := mqttOptions(fn, args, 1, mqttUnsubscribeOpts())
	if err != nil {
		return nil, err
	}
	v, err := o.version()
	if err != nil {
		return nil, err
	}
	u := &mqtt.Unsubscribe{}
	id, err := o.int("id", 0, 65535, 1)
	if err != nil {
		return nil, err
	}
	u.ID = uint16(id)
	items, err := mqttList(fn, "filters", args[0])
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		f, ok := it.(string)
		if !ok {
			return nil, fmt.Errorf("%s: filter %d: got %s, want string", fn, i+1, mqttTypeName(it))
		}
		u.Filters = append(u.Filters, f)
	}
	if u.Properties, err = o.props("properties"); err != nil {
		return nil, err
	}
	return mqttEncode(fn, u, v)
}

func fnMQTTPing(args ...any) (any, error) {
	if err := mqttArity("mqtt_ping", args, 0, 0); err != nil {
		return nil, err
	}
	return mqttEncode("mqtt_ping", &mqtt.Pingreq{}, mqtt.V311)
}

func fnMQTTDisconnect(args ...any) (any, error) {
	const fn = "mqtt_disconnect"
	if err := mqttArity(fn, args, 0, 1); err != nil {
		return nil, err
	}
	o, err := mqttOptions(fn, args, 0, mqttDisconnectOpts())
	if err != nil {
		return nil, err
	}
	v, err := o.version()
	if err != nil {
		return nil, err
	}
	d := &mqtt.Disconnect{}
	code, err := o.int("reason_code", 0, 255, 0)
	if err != nil {
		return nil, err
	}
	d.ReasonCode = byte(code)
	if d.Properties, err = o.props("properties"); err != nil {
		return nil, err
	}
	if err := o.sessionExpiry(v, &d.Properties); err != nil {
		return nil, err
	}
	return mqttEncode(fn, d, v)
}

func mqttAck(name, packet, doc string, mk func(mqtt.Puback) mqtt.Packet) Func {
	return Func{
		Name:      name,
		Signature: name + "(id int [, opts map]) bytes",
		Doc:       "MQTT " + packet + " for packet id, " + doc + "; opts: version, reason_code, properties (v5)",
		Types:     []any{new(func(any) string), new(func(any, map[string]any) string), new(func(any, ...map[string]any) string)},
		Options:   &Options{Arg: 1, Keys: mqttAckOpts()},
		Fn: func(args ...any) (any, error) {
			if err := mqttArity(name, args, 1, 2); err != nil {
				return nil, err
			}
			id, ok := asInt(args[0])
			if !ok || id < 0 || id > 65535 {
				return nil, fmt.Errorf("%s: id: got %s, want int 1..65535", name, mqttValue(args[0]))
			}
			o, err := mqttOptions(name, args, 1, mqttAckOpts())
			if err != nil {
				return nil, err
			}
			v, err := o.version()
			if err != nil {
				return nil, err
			}
			code, err := o.int("reason_code", 0, 255, 0)
			if err != nil {
				return nil, err
			}
			props, err := o.props("properties")
			if err != nil {
				return nil, err
			}
			return mqttEncode(name, mk(mqtt.Puback{ID: uint16(id), ReasonCode: byte(code), Properties: props}), v)
		},
	}
}

func fnMQTTDecode(args ...any) (any, error) {
	const fn = "mqtt_decode"
	c, b, err := mqttDecodeArgs(fn, args)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for len(b) > 0 {
		n, err := c.Len(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		if n == 0 || n > len(b) {
			break
		}
		pkts, _, err := c.Decode(b[:n])
		if err != nil {
			return nil, fmt.Errorf("%s: packet %d: %w", fn, len(out)+1, err)
		}
		out = append(out, mqttPacketMap(pkts[0], c.Version, n))
		b = b[n:]
	}
	return out, nil
}

func fnMQTTNeed(args ...any) (any, error) {
	const fn = "mqtt_need"
	c, b, err := mqttDecodeArgs(fn, args)
	if err != nil {
		return nil, err
	}
	n, err := c.Need(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return n, nil
}

func mqttDecodeArgs(fn string, args []any) (mqtt.Codec, []byte, error) {
	var c mqtt.Codec
	if err := mqttArity(fn, args, 1, 2); err != nil {
		return c, nil, err
	}
	s, err := mqttBytesArg(fn, "bytes", args[0])
	if err != nil {
		return c, nil, err
	}
	o, err := mqttOptions(fn, args, 1, mqttDecodeOpts())
	if err != nil {
		return c, nil, err
	}
	if c.Version, err = o.version(); err != nil {
		return c, nil, err
	}
	max, err := o.int("max_packet_size", 0, mqtt.MaxRemainingLength+5, 0)
	if err != nil {
		return c, nil, err
	}
	c.MaxPacketSize = int(max)
	return c, []byte(s), nil
}

func mqttEncode(fn string, p mqtt.Packet, v byte) (any, error) {
	b, err := mqtt.Encode(p, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return string(b), nil
}

// mqttPacketMap is what a script sees of a decoded packet. Numbers are int,
// byte strings are strings; optional fields appear only when present.
func mqttPacketMap(p mqtt.Packet, v byte, size int) map[string]any {
	m := map[string]any{"type": p.Type().String(), "size": size}
	reason := func(code byte) {
		m["reason_code"] = int(code)
		m["reason"] = mqtt.ReasonName(v, p.Type(), code)
	}
	props := func(pp *mqtt.Properties) {
		if pp != nil {
			m["properties"] = mqttPropsMap(pp)
		}
	}
	ack := func(a *mqtt.Puback) {
		m["id"] = int(a.ID)
		reason(a.ReasonCode)
		props(a.Properties)
	}
	codes := func(cs []byte) []any {
		l := make([]any, len(cs))
		for i, c := range cs {
			l[i] = int(c)
		}
		return l
	}
	switch p := p.(type) {
	case *mqtt.Connect:
		m["client_id"] = p.ClientID
		m["keepalive"] = int(p.KeepAlive)
		m["clean"] = p.Clean
		if p.Username != nil {
			m["username"] = *p.Username
		}
		if p.Password != nil {
			m["password"] = string(p.Password)
		}
		if w := p.Will; w != nil {
			m["will_topic"] = w.Topic
			m["will_message"] = string(w.Payload)
			m["will_qos"] = int(w.QoS)
			m["will_retain"] = w.Retain
			if w.Properties != nil {
				m["will_properties"] = mqttPropsMap(w.Properties)
			}
		}
		props(p.Properties)
	case *mqtt.Connack:
		m["session_present"] = p.SessionPresent
		m["return_code"] = int(p.ReasonCode)
		reason(p.ReasonCode)
		props(p.Properties)
	case *mqtt.Publish:
		m["topic"] = p.Topic
		m["payload"] = string(p.Payload)
		m["qos"] = int(p.QoS)
		m["retain"] = p.Retain
		m["dup"] = p.Dup
		m["id"] = int(p.ID)
		props(p.Properties)
	case *mqtt.Puback:
		ack(p)
	case *mqtt.Pubrec:
		ack((*mqtt.Puback)(p))
	case *mqtt.Pubrel:
		ack((*mqtt.Puback)(p))
	case *mqtt.Pubcomp:
		ack((*mqtt.Puback)(p))
	case *mqtt.Subscribe:
		m["id"] = int(p.ID)
		fs := make([]any, len(p.Filters))
		for i, f := range p.Filters {
			fs[i] = map[string]any{"topic": f.Filter, "qos": int(f.QoS), "no_local": f.NoLocal,
				"retain_as_published": f.RetainAsPublished, "retain_handling": int(f.RetainHandling)}
		}
		m["filters"] = fs
		props(p.Properties)
	case *mqtt.Suback:
		m["id"] = int(p.ID)
		m["granted"] = codes(p.ReasonCodes)
		m["reason_codes"] = codes(p.ReasonCodes)
		props(p.Properties)
	case *mqtt.Unsubscribe:
		m["id"] = int(p.ID)
		fs := make([]any, len(p.Filters))
		for i, f := range p.Filters {
			fs[i] = f
		}
		m["filters"] = fs
		props(p.Properties)
	case *mqtt.Unsuback:
		m["id"] = int(p.ID)
		m["reason_codes"] = codes(p.ReasonCodes)
		props(p.Properties)
	case *mqtt.Disconnect:
		reason(p.ReasonCode)
		props(p.Properties)
	case *mqtt.Auth:
		reason(p.ReasonCode)
		props(p.Properties)
	}
	return m
}

func mqttPropsMap(p *mqtt.Properties) map[string]any {
	m := map[string]any{}
	u8 := func(k string, v *byte) {
		if v != nil {
			m[k] = int(*v)
		}
	}
	u16 := func(k string, v *uint16) {
		if v != nil {
			m[k] = int(*v)
		}
	}
	u32 := func(k string, v *uint32) {
		if v != nil {
			m[k] = int(*v)
		}
	}
	str := func(k string, v *string) {
		if v != nil {
			m[k] = *v
		}
	}
	bin := func(k string, v []byte) {
		if v != nil {
			m[k] = string(v)
		}
	}
	flag := func(k string, v *bool) {
		if v != nil {
			m[k] = *v
		}
	}
	u8("payload_format", p.PayloadFormat)
	u32("message_expiry", p.MessageExpiry)
	str("content_type", p.ContentType)
	str("response_topic", p.ResponseTopic)
	bin("correlation_data", p.CorrelationData)
	if len(p.SubscriptionIDs) > 0 {
		ids := make([]any, len(p.SubscriptionIDs))
		for i, id := range p.SubscriptionIDs {
			ids[i] = id
		}
		m["subscription_id"] = ids
	}
	u32("session_expiry", p.SessionExpiry)
	str("assigned_client_id", p.AssignedClientID)
	u16("server_keepalive", p.ServerKeepAlive)
	str("auth_method", p.AuthMethod)
	bin("auth_data", p.AuthData)
	flag("request_problem_info", p.RequestProblemInfo)
	u32("will_delay", p.WillDelay)
	flag("request_response_info", p.RequestResponseInfo)
	str("response_info", p.ResponseInfo)
	str("server_reference", p.ServerReference)
	str("reason_string", p.ReasonString)
	u16("receive_maximum", p.ReceiveMaximum)
	u16("topic_alias_maximum", p.TopicAliasMaximum)
	u16("topic_alias", p.TopicAlias)
	u8("maximum_qos", p.MaximumQoS)
	flag("retain_available", p.RetainAvailable)
	if len(p.User) > 0 {
		us := make([]any, len(p.User))
		for i, u := range p.User {
			us[i] = []any{u.Key, u.Value}
		}
		m["user"] = us
	}
	u32("maximum_packet_size", p.MaximumPacketSize)
	flag("wildcard_sub_available", p.WildcardSubAvailable)
	flag("sub_id_available", p.SubIDAvailable)
	flag("shared_sub_available", p.SharedSubAvailable)
	return m
}

// mqttOpts reads one options map; prefix starts every error ("mqtt_publish").
type mqttOpts struct {
	prefix string
	m      map[string]any
}

func mqttOptions(fn string, args []any, pos int, allowed []string) (mqttOpts, error) {
	if len(args) <= pos || args[pos] == nil {
		return mqttOpts{prefix: fn}, nil
	}
	m, ok := args[pos].(map[string]any)
	if !ok {
		return mqttOpts{}, fmt.Errorf("%s: options: got %s, want a map such as {qos: 1}", fn, mqttTypeName(args[pos]))
	}
	return mqttOptionMap(fn, m, allowed)
}

func mqttOptionMap(prefix string, m map[string]any, allowed []string) (mqttOpts, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !mqttContains(allowed, k) {
			return mqttOpts{}, fmt.Errorf("%s: unknown option %q%s", prefix, k, mqttDidYouMean(k, allowed))
		}
	}
	return mqttOpts{prefix: prefix, m: m}, nil
}

func (o mqttOpts) has(key string) bool {
	_, ok := o.m[key]
	return ok
}

func (o mqttOpts) int(key string, lo, hi, def int64) (int64, error) {
	x, ok := o.m[key]
	if !ok {
		return def, nil
	}
	n, ok := asInt(x)
	if !ok || n < lo || n > hi {
		return 0, fmt.Errorf("%s: option %q: got %s, want int %d..%d", o.prefix, key, mqttValue(x), lo, hi)
	}
	return n, nil
}

func (o mqttOpts) bool(key string, def bool) (bool, error) {
	x, ok := o.m[key]
	if !ok {
		return def, nil
	}
	b, ok := x.(bool)
	if !ok {
		return false, fmt.Errorf("%s: option %q: got %s, want true or false", o.prefix, key, mqttValue(x))
	}
	return b, nil
}

func (o mqttOpts) str(key string) (string, error) {
	x, ok := o.m[key]
	if !ok || x == nil {
		return "", nil
	}
	switch s := x.(type) {
	case string:
		return s, nil
	case []byte:
		return string(s), nil
	}
	return "", fmt.Errorf("%s: option %q: got %s, want string", o.prefix, key, mqttValue(x))
}

func (o mqttOpts) version() (byte, error) {
	x, ok := o.m["version"]
	if !ok {
		return mqtt.V311, nil
	}
	switch n, ok := asInt(x); {
	case ok && n == 4:
		return mqtt.V311, nil
	case ok && n == 5:
		return mqtt.V5, nil
	}
	return 0, fmt.Errorf("%s: option \"version\": got %s, want 4 (MQTT 3.1.1) or 5 (MQTT 5.0)", o.prefix, mqttValue(x))
}

// subscription applies qos, no_local, retain_as_published, retain_handling.
func (o mqttOpts) subscription(s *mqtt.Subscription) error {
	q, err := o.int("qos", 0, 2, int64(s.QoS))
	if err != nil {
		return err
	}
	s.QoS = byte(q)
	if s.NoLocal, err = o.bool("no_local", s.NoLocal); err != nil {
		return err
	}
	if s.RetainAsPublished, err = o.bool("retain_as_published", s.RetainAsPublished); err != nil {
		return err
	}
	rh, err := o.int("retain_handling", 0, 2, int64(s.RetainHandling))
	s.RetainHandling = byte(rh)
	return err
}

// sessionExpiry moves the session_expiry option into the properties.
func (o mqttOpts) sessionExpiry(v byte, pp **mqtt.Properties) error {
	if !o.has("session_expiry") {
		return nil
	}
	if v != mqtt.V5 {
		return fmt.Errorf("%s: option \"session_expiry\" needs {version: 5}", o.prefix)
	}
	n, err := o.int("session_expiry", 0, math.MaxUint32, 0)
	if err != nil {
		return err
	}
	if *pp == nil {
		*pp = &mqtt.Properties{}
	}
	if (*pp).SessionExpiry != nil {
		return fmt.Errorf("%s: session_expiry given twice, as an option and in properties", o.prefix)
	}
	(*pp).SessionExpiry = new(uint32(n))
	return nil
}

// props reads a properties map; the codec checks which packet allows which.
func (o mqttOpts) props(key string) (*mqtt.Properties, error) {
	x, ok := o.m[key]
	if !ok || x == nil {
		return nil, nil
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: option %q: got %s, want a map such as {message_expiry: 60}", o.prefix, key, mqttTypeName(x))
	}
	po, err := mqttOptionMap(o.prefix+": "+key, m, mqttPropertyNames())
	if err != nil {
		return nil, err
	}
	p := &mqtt.Properties{}
	var firstErr error
	num := func(k string, hi int64) *int64 {
		if _, ok := m[k]; !ok || firstErr != nil {
			return nil
		}
		n, err := po.int(k, 0, hi, 0)
		if err != nil {
			firstErr = err
			return nil
		}
		return &n
	}
	u8 := func(k string) *byte {
		if n := num(k, 255); n != nil {
			return new(byte(*n))
		}
		return nil
	}
	u16 := func(k string) *uint16 {
		if n := num(k, math.MaxUint16); n != nil {
			return new(uint16(*n))
		}
		return nil
	}
	u32 := func(k string) *uint32 {
		if n := num(k, math.MaxUint32); n != nil {
			return new(uint32(*n))
		}
		return nil
	}
	str := func(k string) *string {
		if _, ok := m[k]; !ok || firstErr != nil {
			return nil
		}
		s, err := po.str(k)
		if err != nil {
			firstErr = err
			return nil
		}
		return &s
	}
	bin := func(k string) []byte {
		if s := str(k); s != nil {
			return []byte(*s)
		}
		return nil
	}
	flag := func(k string) *bool {
		x, ok := m[k]
		if !ok || firstErr != nil {
			return nil
		}
		if b, ok := x.(bool); ok {
			return &b
		}
		if n, ok := asInt(x); ok && (n == 0 || n == 1) {
			return new(n == 1)
		}
		firstErr = fmt.Errorf("%s: option %q: got %s, want true or false", po.prefix, k, mqttValue(x))
		return nil
	}
	p.PayloadFormat = u8("payload_format")
	p.MessageExpiry = u32("message_expiry")
	p.ContentType = str("content_type")
	p.ResponseTopic = str("response_topic")
	p.CorrelationData = bin("correlation_data")
	if x, ok := m["subscription_id"]; ok {
		ids := []any{x}
		if l, ok := x.([]any); ok {
			ids = l
		}
		for _, id := range ids {
			n, ok := asInt(id)
			if !ok || n < 1 || n > mqtt.MaxRemainingLength {
				return nil, fmt.Errorf("%s: option \"subscription_id\": got %s, want int 1..268435455", po.prefix, mqttValue(id))
			}
			p.SubscriptionIDs = append(p.SubscriptionIDs, int(n))
		}
	}
	p.SessionExpiry = u32("session_expiry")
	p.AssignedClientID = str("assigned_client_id")
	p.ServerKeepAlive = u16("server_keepalive")
	p.AuthMethod = str("auth_method")
	p.AuthData = bin("auth_data")
	p.RequestProblemInfo = flag("request_problem_info")
	p.WillDelay = u32("will_delay")
	p.RequestResponseInfo = flag("request_response_info")
	p.ResponseInfo = str("response_info")
	p.ServerReference = str("server_reference")
	p.ReasonString = str("reason_string")
	p.ReceiveMaximum = u16("receive_maximum")
	p.TopicAliasMaximum = u16("topic_alias_maximum")
	p.TopicAlias = u16("topic_alias")
	p.MaximumQoS = u8("maximum_qos")
	p.RetainAvailable = flag("retain_available")
	if x, ok := m["user"]; ok {
		users, err := mqttUserProps(po.prefix, x)
		if err != nil {
			return nil, err
		}
		p.User = users
	}
	p.MaximumPacketSize = u32("maximum_packet_size")
	p.WildcardSubAvailable = flag("wildcard_sub_available")
	p.SubIDAvailable = flag("sub_id_available")
	p.SharedSubAvailable = flag("shared_sub_available")
	return p, firstErr
}

// mqttUserProps takes {name: value} (sent in name order) or a list of
// [name, value] pairs (sent in list order, names may repeat).
func mqttUserProps(prefix string, x any) ([]mqtt.UserProperty, error) {
	var out []mqtt.UserProperty
	switch u := x.(type) {
	case map[string]any:
		keys := make([]string, 0, len(u))
		for k := range u {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, ok := u[k].(string)
			if !ok {
				return nil, fmt.Errorf("%s: option \"user\": value of %q: got %s, want string", prefix, k, mqttTypeName(u[k]))
			}
			out = append(out, mqtt.UserProperty{Key: k, Value: v})
		}
	case []any:
		for i, e := range u {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				return nil, fmt.Errorf("%s: option \"user\": element %d: got %s, want [\"name\", \"value\"]", prefix, i+1, mqttValue(e))
			}
			k, ok1 := pair[0].(string)
			v, ok2 := pair[1].(string)
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("%s: option \"user\": element %d: want two strings", prefix, i+1)
			}
			out = append(out, mqtt.UserProperty{Key: k, Value: v})
		}
	default:
		return nil, fmt.Errorf("%s: option \"user\": got %s, want {name: \"value\"} or [[\"name\", \"value\"], ...]", prefix, mqttTypeName(x))
	}
	return out, nil
}

func mqttArity(fn string, args []any, lo, hi int) error {
	if len(args) >= lo && len(args) <= hi {
		return nil
	}
	want := fmt.Sprintf("%d to %d", lo, hi)
	if lo == hi {
		want = fmt.Sprint(lo)
	}
	return fmt.Errorf("%s: got %d arguments, want %s", fn, len(args), want)
}

func mqttBytesArg(fn, name string, x any) (string, error) {
	switch s := x.(type) {
	case string:
		return s, nil
	case []byte:
		return string(s), nil
	}
	return "", fmt.Errorf("%s: %s: got %s, want bytes (use str() for numbers)", fn, name, mqttTypeName(x))
}

func mqttList(fn, name string, x any) ([]any, error) {
	switch l := x.(type) {
	case string:
		return []any{l}, nil
	case []any:
		return l, nil
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: %s: got %s, want a filter string or a list", fn, name, mqttTypeName(x))
}

func mqttTypeName(x any) string {
	switch x.(type) {
	case nil:
		return "nil"
	case string, []byte:
		return "bytes"
	case bool:
		return "bool"
	case float32, float64:
		if _, ok := asInt(x); ok {
			return "int"
		}
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	if _, ok := asInt(x); ok {
		return "int"
	}
	return fmt.Sprintf("%T", x)
}

// mqttValue shows a wrong value with its type: 3, 1.5, "1" (bytes), true.
func mqttValue(x any) string {
	switch v := x.(type) {
	case string:
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("bytes %q", v)
	case bool:
		return fmt.Sprint(v)
	case float32, float64:
		if n, ok := asInt(x); ok {
			return fmt.Sprint(n)
		}
		return fmt.Sprint(v)
	}
	if n, ok := asInt(x); ok {
		return fmt.Sprint(n)
	}
	return mqttTypeName(x)
}

func mqttContains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// mqttDidYouMean suggests the closest allowed name within edit distance 2,
// or one that contains the typo.
func mqttDidYouMean(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := mqttDistance(name, c)
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if best == "" {
		for _, c := range candidates {
			if len(name) >= 3 && strings.Contains(c, name) {
				best = c
				break
			}
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// mqttDistance is the optimal string alignment distance: Levenshtein plus
// adjacent transpositions, so "qso" is one step from "qos".
func mqttDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
