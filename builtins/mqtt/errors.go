package mqtt

import (
	"errors"
	"strconv"
)

// Rule errors. Every error from this package wraps one of them, so callers
// can test with errors.Is; each text names the rule of the specification.
var (
	// ErrNeedMore means the input ends before the first packet is complete.
	ErrNeedMore = errors.New("need more bytes for a complete packet")
	// ErrMalformed covers bytes that break the wire format; Error.Detail says which rule.
	ErrMalformed = errors.New("malformed packet")
	// ErrTooLarge means a packet is longer than the maximum packet size.
	ErrTooLarge = errors.New("packet exceeds the maximum packet size")
	// ErrVersion means a protocol level other than 4 or 5, or a feature the level lacks.
	ErrVersion = errors.New("not supported by this protocol version")

	ErrWildcardTopic = errors.New("topic name must not contain wildcards + or # [MQTT-3.3.2-2]")
	ErrEmptyTopic    = errors.New("topic must be at least one character long [MQTT-4.7.3-1]")
	ErrStringTooLong = errors.New("string longer than 65535 bytes [MQTT-1.5.3]")
	ErrInvalidUTF8   = errors.New("string is not well-formed UTF-8 [MQTT-1.5.3-1]")
	ErrNullChar      = errors.New("string contains U+0000 [MQTT-1.5.3-2]")
	ErrQoS           = errors.New("qos must be 0, 1 or 2 [MQTT-3.3.1-4]")
	ErrPacketID      = errors.New("packet id must be non-zero [MQTT-2.3.1-1]")
	// ErrPacketIDQoS0 means a packet id on a qos 0 PUBLISH, which has none on the wire.
	ErrPacketIDQoS0            = errors.New("qos 0 publish must not have a packet id [MQTT-2.3.1-5]")
	ErrPasswordWithoutUsername = errors.New("password without username is not allowed in MQTT 3.1.1 [MQTT-3.1.2-22]")
	ErrWillFlags               = errors.New("will qos and will retain need a will [MQTT-3.1.2-13, MQTT-3.1.2-15]")
	ErrBadFilter               = errors.New("malformed topic filter [MQTT-4.7.1-2, MQTT-4.7.1-3]")
	ErrNoFilters               = errors.New("at least one topic filter is required [MQTT-3.8.3-3, MQTT-3.10.3-2]")
	ErrClientID                = errors.New("empty client id needs clean session in MQTT 3.1.1 [MQTT-3.1.3-7]")
	ErrReasonCode              = errors.New("reason code not allowed in this packet")
	ErrProperty                = errors.New("invalid property")
)

// Error says which packet and field broke which rule. Err is one of the
// rule errors above; Unwrap returns it.
type Error struct {
	Packet Type   // 0 when the packet type is not known yet
	Field  string // e.g. "topic", "filters[1]", "properties.topic_alias"; may be empty
	Value  string // the offending value, shown quoted; may be empty
	Err    error
	Detail string // specifics of the rule broken; may be empty
}

func (e *Error) Error() string {
	var b []byte
	if e.Packet != 0 {
		b = append(b, e.Packet.String()...)
	}
	if e.Field != "" {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, e.Field...)
	}
	if e.Value != "" {
		v := e.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		b = append(b, ' ')
		b = strconv.AppendQuote(b, v)
	}
	if len(b) > 0 {
		b = append(b, ": "...)
	}
	b = append(b, e.Err.Error()...)
	if e.Detail != "" {
		b = append(b, ": "...)
		b = append(b, e.Detail...)
	}
	return string(b)
}

func (e *Error) Unwrap() error { return e.Err }

func malformed(t Type, field, detail string) *Error {
	return &Error{Packet: t, Field: field, Err: ErrMalformed, Detail: detail}
}
