package mqtt

import (
	"slices"
	"strconv"
	"strings"
)

// Codec holds the settings shared by encoding and decoding. The zero value
// speaks MQTT 3.1.1 with no size limit beyond the protocol's.
type Codec struct {
	Version byte // V311 or V5; 0 means V311
	// MaxPacketSize limits a whole packet, fixed header included, as the
	// MQTT 5 Maximum Packet Size property does; 0 means no limit.
	MaxPacketSize int
}

// Encode returns p encoded for protocol level version (V311 or V5).
func Encode(p Packet, version byte) ([]byte, error) {
	return Codec{Version: version}.Append(nil, p)
}

// AppendPacket appends p encoded for protocol level version to dst.
func AppendPacket(dst []byte, p Packet, version byte) ([]byte, error) {
	return Codec{Version: version}.Append(dst, p)
}

// layout carries sizes computed by check to appendBody, so nothing is
// measured twice.
type layout struct {
	rem       int // remaining length
	props     int // size of the properties, without their length prefix
	willProps int
}

func (c Codec) version() (byte, error) {
	switch c.Version {
	case 0, V311:
		return V311, nil
	case V5:
		return V5, nil
	}
	return 0, &Error{Err: ErrVersion, Detail: "protocol level " + strconv.Itoa(int(c.Version)) + ", want 4 (3.1.1) or 5 (5.0)"}
}

// Append validates p and appends its encoding to dst. dst grows at most once,
// so encoding into a buffer with enough capacity does not allocate. On error
// dst is returned unchanged.
func (c Codec) Append(dst []byte, p Packet) ([]byte, error) {
	v, err := c.version()
	if err != nil {
		return dst, err
	}
	if p == nil {
		return dst, &Error{Err: ErrMalformed, Detail: "nil packet"}
	}
	l, err := p.check(v)
	if err != nil {
		return dst, err
	}
	if l.rem > MaxRemainingLength {
		return dst, &Error{Packet: p.Type(), Err: ErrTooLarge,
			Detail: "remaining length " + strconv.Itoa(l.rem) + " over the protocol limit 268435455"}
	}
	total := 1 + varintSize(l.rem) + l.rem
	if c.MaxPacketSize > 0 && total > c.MaxPacketSize {
		return dst, &Error{Packet: p.Type(), Err: ErrTooLarge,
			Detail: strconv.Itoa(total) + " bytes, maximum " + strconv.Itoa(c.MaxPacketSize)}
	}
	dst = slices.Grow(dst, total)
	start := len(dst)
	dst = append(dst, byte(p.Type())<<4|p.flags())
	dst = appendVarint(dst, l.rem)
	dst = p.appendBody(dst, v, l)
	if len(dst)-start != total {
		return dst[:start], &Error{Packet: p.Type(), Err: ErrMalformed, Detail: "internal error: encoded size differs from computed size"}
	}
	return dst, nil
}

func errNil(t Type) (layout, error) {
	return layout{}, &Error{Packet: t, Err: ErrMalformed, Detail: "nil packet"}
}

// propsFor checks properties and returns their size with the length prefix
// in MQTT 5; in 3.1.1 properties must be absent or empty.
func propsFor(v byte, p *Properties, t Type, w where, field string) (int, int, error) {
	n, err := p.check(t, w)
	if err != nil {
		return 0, 0, err
	}
	if v != V5 {
		if n > 0 {
			return 0, 0, &Error{Packet: t, Field: field, Err: ErrVersion, Detail: "properties need MQTT 5"}
		}
		return 0, 0, nil
	}
	return n, propsSize(n), nil
}

func strErr(t Type, field, value string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Packet: t, Field: field, Value: value, Err: err}
}

func codeIn(t Type, v byte, code byte) error {
	var ok string
	switch t {
	case TypeConnack:
		ok = "\x00\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8c\x90\x95\x97\x99\x9a\x9b\x9c\x9d\x9f"
		if v == V311 {
			ok = "\x00\x01\x02\x03\x04\x05"
		}
	case TypePuback, TypePubrec:
		ok = "\x00\x10\x80\x83\x87\x90\x91\x97\x99"
	case TypePubrel, TypePubcomp:
		ok = "\x00\x92"
	case TypeSuback:
		ok = "\x00\x01\x02\x80\x83\x87\x8f\x91\x97\x9e\xa1\xa2"
		if v == V311 {
			ok = "\x00\x01\x02\x80"
		}
	case TypeUnsuback:
		ok = "\x00\x11\x80\x83\x87\x8f\x91"
	case TypeDisconnect:
		ok = "\x00\x04\x80\x81\x82\x83\x87\x89\x8b\x8d\x8e\x8f\x90\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2"
	case TypeAuth:
		ok = "\x00\x18\x19"
	}
	if strings.IndexByte(ok, code) < 0 {
		return &Error{Packet: t, Field: "reason code", Err: ErrReasonCode, Detail: "0x" + strconv.FormatUint(uint64(code), 16)}
	}
	return nil
}

// CONNECT

func (p *Connect) flags() byte { return 0 }

func (p *Connect) check(v byte) (layout, error) {
	const t = TypeConnect
	if p == nil {
		return errNil(t)
	}
	l := layout{rem: 6 + 1 + 1 + 2} // "MQTT", level, flags, keep alive
	if err := strErr(t, "client id", p.ClientID, checkString(p.ClientID)); err != nil {
		return l, err
	}
	if p.ClientID == "" && !p.Clean && v == V311 {
		return l, &Error{Packet: t, Field: "client id", Err: ErrClientID}
	}
	l.rem += 2 + len(p.ClientID)
	var n int
	var err error
	l.props, n, err = propsFor(v, p.Properties, t, in(t), "properties")
	if err != nil {
		return l, err
	}
	l.rem += n
	if w := p.Will; w != nil {
		if err := strErr(t, "will topic", w.Topic, checkTopic(w.Topic)); err != nil {
			return l, err
		}
		if w.QoS > 2 {
			return l, &Error{Packet: t, Field: "will qos", Value: strconv.Itoa(int(w.QoS)), Err: ErrQoS}
		}
		if err := strErr(t, "will payload", "", checkBinary(w.Payload)); err != nil {
			return l, err
		}
		l.rem += 2 + len(w.Topic) + 2 + len(w.Payload)
		l.willProps, n, err = propsFor(v, w.Properties, t, inWill, "will properties")
		if err != nil {
			return l, err
		}
		l.rem += n
	}
	if p.Username != nil {
		if err := strErr(t, "username", *p.Username, checkString(*p.Username)); err != nil {
			return l, err
		}
		l.rem += 2 + len(*p.Username)
	}
	if p.Password != nil {
		if err := strErr(t, "password", "", checkBinary(p.Password)); err != nil {
			return l, err
		}
		if p.Username == nil && v == V311 {
			return l, &Error{Packet: t, Field: "password", Err: ErrPasswordWithoutUsername}
		}
		l.rem += 2 + len(p.Password)
	}
	return l, nil
}

func (p *Connect) connectFlags() byte {
	var f byte
	if p.Clean {
		f |= 0x02
	}
	if w := p.Will; w != nil {
		f |= 0x04 | w.QoS<<3
		if w.Retain {
			f |= 0x20
		}
	}
	if p.Password != nil {
		f |= 0x40
	}
	if p.Username != nil {
		f |= 0x80
	}
	return f
}

func (p *Connect) appendBody(dst []byte, v byte, l layout) []byte {
	dst = appendString(dst, "MQTT")
	dst = append(dst, v, p.connectFlags())
	dst = appendU16(dst, p.KeepAlive)
	if v == V5 {
		dst = appendProps(dst, p.Properties, l.props)
	}
	dst = appendString(dst, p.ClientID)
	if w := p.Will; w != nil {
		if v == V5 {
			dst = appendProps(dst, w.Properties, l.willProps)
		}
		dst = appendString(dst, w.Topic)
		dst = appendBinary(dst, w.Payload)
	}
	if p.Username != nil {
		dst = appendString(dst, *p.Username)
	}
	if p.Password != nil {
		dst = appendBinary(dst, p.Password)
	}
	return dst
}

// CONNACK

func (p *Connack) flags() byte { return 0 }

func (p *Connack) check(v byte) (layout, error) {
	const t = TypeConnack
	if p == nil {
		return errNil(t)
	}
	if err := codeIn(t, v, p.ReasonCode); err != nil {
		return layout{}, err
	}
	if p.SessionPresent && p.ReasonCode != 0 {
		return layout{}, &Error{Packet: t, Field: "session present", Err: ErrMalformed,
			Detail: "must be 0 when the connection is refused [MQTT-3.2.2-4]"}
	}
	ps, n, err := propsFor(v, p.Properties, t, in(t), "properties")
	return layout{rem: 2 + n, props: ps}, err
}

func (p *Connack) appendBody(dst []byte, v byte, l layout) []byte {
	dst = append(dst, boolByte(p.SessionPresent), p.ReasonCode)
	if v == V5 {
		dst = appendProps(dst, p.Properties, l.props)
	}
	return dst
}

// PUBLISH

func (p *Publish) flags() byte {
	f := p.QoS << 1
	if p.Dup {
		f |= 0x08
	}
	if p.Retain {
		f |= 0x01
	}
	return f
}

func (p *Publish) check(v byte) (layout, error) {
	const t = TypePublish
	if p == nil {
		return errNil(t)
	}
	// In MQTT 5 a topic alias may stand in for the topic [MQTT-3.3.2-8].
	aliased := v == V5 && p.Properties != nil && p.Properties.TopicAlias != nil
	if p.Topic != "" || !aliased {
		if err := strErr(t, "topic", p.Topic, checkTopic(p.Topic)); err != nil {
			return layout{}, err
		}
	}
	l := layout{rem: 2 + len(p.Topic) + len(p.Payload)}
	switch {
	case p.QoS > 2:
		return l, &Error{Packet: t, Field: "qos", Value: strconv.Itoa(int(p.QoS)), Err: ErrQoS}
	case p.QoS > 0 && p.ID == 0:
		return l, &Error{Packet: t, Field: "id", Err: ErrPacketID, Detail: "qos " + strconv.Itoa(int(p.QoS)) + " needs one"}
	case p.QoS == 0 && p.ID != 0:
		return l, &Error{Packet: t, Field: "id", Value: strconv.Itoa(int(p.ID)), Err: ErrPacketIDQoS0}
	case p.QoS == 0 && p.Dup:
		return l, &Error{Packet: t, Field: "dup", Err: ErrMalformed, Detail: "dup must be 0 for qos 0 [MQTT-3.3.1-2]"}
	}
	if p.QoS > 0 {
		l.rem += 2
	}
	var n int
	var err error
	l.props, n, err = propsFor(v, p.Properties, t, in(t), "properties")
	l.rem += n
	return l, err
}

func (p *Publish) appendBody(dst []byte, v byte, l layout) []byte {
	dst = appendString(dst, p.Topic)
	if p.QoS > 0 {
		dst = appendU16(dst, p.ID)
	}
	if v == V5 {
		dst = appendProps(dst, p.Properties, l.props)
	}
	return append(dst, p.Payload...)
}

// PUBACK, PUBREC, PUBREL, PUBCOMP share one layout.

func checkAck(t Type, p *Puback, v byte) (layout, error) {
	if p == nil {
		return errNil(t)
	}
	if p.ID == 0 {
		return layout{}, &Error{Packet: t, Field: "id", Err: ErrPacketID}
	}
	if v == V311 && p.ReasonCode != 0 {
		return layout{}, &Error{Packet: t, Field: "reason code", Err: ErrVersion, Detail: "reason codes need MQTT 5"}
	}
	if err := codeIn(t, v, p.ReasonCode); err != nil {
		return layout{}, err
	}
	ps, n, err := propsFor(v, p.Properties, t, in(t), "properties")
	l := layout{rem: 2, props: ps}
	if v == V5 && (p.ReasonCode != 0 || ps > 0) {
		l.rem++
		if ps > 0 {
			l.rem += n
		}
	}
	return l, err
}

func appendAck(dst []byte, p *Puback, v byte, l layout) []byte {
	dst = appendU16(dst, p.ID)
	if l.rem > 2 {
		dst = append(dst, p.ReasonCode)
	}
	if l.rem > 3 {
		dst = appendProps(dst, p.Properties, l.props)
	}
	return dst
}

func (p *Puback) flags() byte                                  { return 0 }
func (p *Pubrec) flags() byte                                  { return 0 }
func (p *Pubrel) flags() byte                                  { return 2 }
func (p *Pubcomp) flags() byte                                 { return 0 }
func (p *Puback) check(v byte) (layout, error)                 { return checkAck(TypePuback, p, v) }
func (p *Pubrec) check(v byte) (layout, error)                 { return checkAck(TypePubrec, (*Puback)(p), v) }
func (p *Pubrel) check(v byte) (layout, error)                 { return checkAck(TypePubrel, (*Puback)(p), v) }
func (p *Pubcomp) check(v byte) (layout, error)                { return checkAck(TypePubcomp, (*Puback)(p), v) }
func (p *Puback) appendBody(d []byte, v byte, l layout) []byte { return appendAck(d, p, v, l) }
func (p *Pubrec) appendBody(d []byte, v byte, l layout) []byte {
	return appendAck(d, (*Puback)(p), v, l)
}
func (p *Pubrel) appendBody(d []byte, v byte, l layout) []byte {
	return appendAck(d, (*Puback)(p), v, l)
}
func (p *Pubcomp) appendBody(d []byte, v byte, l layout) []byte {
	return appendAck(d, (*Puback)(p), v, l)
}

// SUBSCRIBE

func (p *Subscribe) flags() byte { return 2 }

func (p *Subscribe) check(v byte) (layout, error) {
	const t = TypeSubscribe
	if p == nil {
		return errNil(t)
	}
	if p.ID == 0 {
		return layout{}, &Error{Packet: t, Field: "id", Err: ErrPacketID}
	}
	if len(p.Filters) == 0 {
		return layout{}, &Error{Packet: t, Field: "filters", Err: ErrNoFilters}
	}
	ps, n, err := propsFor(v, p.Properties, t, in(t), "properties")
	if err != nil {
		return layout{}, err
	}
	l := layout{rem: 2 + n, props: ps}
	for i := range p.Filters {
		if err := p.Filters[i].check(v); err != nil {
			err.Field = "filters[" + strconv.Itoa(i) + "]" + err.Field
			return l, err
		}
		l.rem += 2 + len(p.Filters[i].Filter) + 1
	}
	return l, nil
}

// check validates one filter; the caller puts the filter's index in Field.
func (s *Subscription) check(v byte) *Error {
	t := TypeSubscribe
	if detail, err := checkFilter(s.Filter, v); err != nil {
		return &Error{Packet: t, Value: s.Filter, Err: err, Detail: detail}
	}
	if s.QoS > 2 {
		return &Error{Packet: t, Field: ".qos", Value: strconv.Itoa(int(s.QoS)), Err: ErrQoS}
	}
	if v == V311 && (s.NoLocal || s.RetainAsPublished || s.RetainHandling != 0) {
		return &Error{Packet: t, Err: ErrVersion, Detail: "no local, retain as published and retain handling need MQTT 5"}
	}
	if s.RetainHandling > 2 {
		return &Error{Packet: t, Field: ".retain_handling", Err: ErrMalformed,
			Detail: "must be 0, 1 or 2 [MQTT-3.8.3-5], got " + strconv.Itoa(int(s.RetainHandling))}
	}
	if s.NoLocal && strings.HasPrefix(s.Filter, "$share/") {
		return &Error{Packet: t, Value: s.Filter, Err: ErrBadFilter, Detail: "no local on a shared subscription [MQTT-3.8.3-4]"}
	}
	return nil
}

func (s *Subscription) options() byte {
	o := s.QoS | s.RetainHandling<<4
	if s.NoLocal {
		o |= 0x04
	}
	if s.RetainAsPublished {
		o |= 0x08
	}
	return o
}

func (p *Subscribe) appendBody(dst []byte, v byte, l layout) []byte {
	dst = appendU16(dst, p.ID)
	if v == V5 {
		dst = appendProps(dst, p.Properties, l.props)
	}
	for i := range p.Filters {
		dst = appendString(dst, p.Filters[i].Filter)
		dst = append(dst, p.Filters[i].options())
	}
	return dst
}

// SUBACK

func (p *Suback) flags() byte { return 0 }

func (p *Suback) check(v byte) (layout, error) {
	const t = TypeSuback
	if p == nil {
		return errNil(t)
	}
	if p.ID == 0 {
		return layout{}, &Error{Packet: t, Field: "id", Err: ErrPacketID}
	}
	if len(p.ReasonCodes) == 0 {
		return layout{}, &Error{Packet: t, Field: "reason codes", Err: ErrMalformed, Detail: "at least one is required [MQTT-3.9.3-1]"}
	}
	for _, c := range p.ReasonCodes {
		if err := codeIn(t, v, c); err != nil {
			return layout{}, err
		}
	}
	ps, n, err := propsFor(v, p.Properties, t, in(t), "properties")
	return layout{rem: 2 + n + len(p.ReasonCodes), props: ps}, err
}

func (p *Suback) appendBody(dst []byte, v byte, l layout) []byte {
	dst = appendU16(dst, p.ID)
	if v == V5 {
		dst = appendProps(dst, p.Properties, l.props)
	}
	return append(dst, p.ReasonCodes...)
}

// UNSUBSCRIBE

func (p *Unsubscribe) flags() byte { return 2 }

func (p *Unsubscribe) check(v byte) (layout, error) {
	const t = TypeUnsubscribe
	if p == nil {
		return errNil(t)
	}
	if p.ID == 0 {
		return layout{}, &Error{Packet: t, Field: "id", Err: ErrPacketID}
	}
	if len(p.Filters) == 0 {
		return layout{}, &Error{Packet: t, Field: "filters", Err: ErrNoFilters}
	}
	ps, n, err := propsFor(v, p.Properties, t, in(t), "properties")
	if err != nil {
		return layout{}, err
	}
	l := layout{rem: 2 + n, props: ps}
	for i, f := range p.Filters {
		if detail, err := checkFilter(f, v); err != nil {
			return l, &Error{Packet: t, Field: "filters[" + strconv.Itoa(i) + "]", Value: f, Err: err, Detail: detail}
		}
		l.rem += 2 + len(f)
	}
	return l, nil
}

func (p *Unsubscribe) appendBody(dst []byte, v byte, l layout) []byte {
	dst = appendU16(dst, p.ID)
	if v == V5 {
		dst = appendProps(dst, p.Properties, l.props)
	}
	for _, f := range p.Filters {
		dst = appendString(dst, f)
	}
	return dst
}

// UNSUBACK

func (p *Unsuback) flags() byte { return 0 }

func (p *Unsuback) check(v byte) (layout, error) {
	const t = TypeUnsuback
	if p == nil {
		return errNil(t)
	}
	if p.ID == 0 {
		return layout{}, &Error{Packet: t, Field: "id", Err: ErrPacketID}
	}
	if v == V311 {
		if len(p.ReasonCodes) > 0 {
			return layout{}, &Error{Packet: t, Field: "reason codes", Err: ErrVersion, Detail: "reason codes need MQTT 5"}
		}
	} else if len(p.ReasonCodes) == 0 {
		return layout{}, &Error{Packet: t, Field: "reason codes", Err: ErrMalformed, Detail: "at least one is required [MQTT-3.11.3-1]"}
	}
	for _, c := range p.ReasonCodes {
		if err := codeIn(t, v, c); err != nil {
			return layout{}, err
		}
	}
	ps, n, err := propsFor(v, p.Properties, t, in(t), "properties")
	return layout{rem: 2 + n + len(p.ReasonCodes), props: ps}, err
}

func (p *Unsuback) appendBody(dst []byte, v byte, l layout) []byte {
	dst = appendU16(dst, p.ID)
	if v == V5 {
		dst = appendProps(dst, p.Properties, l.props)
	}
	return append(dst, p.ReasonCodes...)
}

// PINGREQ, PINGRESP

func (p *Pingreq) flags() byte                                     { return 0 }
func (p *Pingresp) flags() byte                                    { return 0 }
func (p *Pingreq) check(byte) (layout, error)                      { return layout{}, nil }
func (p *Pingresp) check(byte) (layout, error)                     { return layout{}, nil }
func (p *Pingreq) appendBody(dst []byte, _ byte, _ layout) []byte  { return dst }
func (p *Pingresp) appendBody(dst []byte, _ byte, _ layout) []byte { return dst }

// DISCONNECT and AUTH: an optional reason code and properties.

func checkReason(t Type, code byte, props *Properties, v byte) (layout, error) {
	if v == V311 {
		if t == TypeAuth {
			return layout{}, &Error{Packet: t, Err: ErrVersion, Detail: "AUTH needs MQTT 5"}
		}
		if code != 0 {
			return layout{}, &Error{Packet: t, Field: "reason code", Err: ErrVersion, Detail: "reason codes need MQTT 5"}
		}
	}
	if err := codeIn(t, v, code); err != nil {
		return layout{}, err
	}
	ps, n, err := propsFor(v, props, t, in(t), "properties")
	l := layout{props: ps}
	if v == V5 && (code != 0 || ps > 0) {
		l.rem = 1
		if ps > 0 {
			l.rem += n
		}
	}
	return l, err
}

func appendReason(dst []byte, code byte, props *Properties, l layout) []byte {
	if l.rem > 0 {
		dst = append(dst, code)
	}
	if l.rem > 1 {
		dst = appendProps(dst, props, l.props)
	}
	return dst
}

func (p *Disconnect) flags() byte { return 0 }
func (p *Auth) flags() byte       { return 0 }

func (p *Disconnect) check(v byte) (layout, error) {
	if p == nil {
		return errNil(TypeDisconnect)
	}
	return checkReason(TypeDisconnect, p.ReasonCode, p.Properties, v)
}

func (p *Auth) check(v byte) (layout, error) {
	if p == nil {
		return errNil(TypeAuth)
	}
	return checkReason(TypeAuth, p.ReasonCode, p.Properties, v)
}

func (p *Disconnect) appendBody(dst []byte, _ byte, l layout) []byte {
	return appendReason(dst, p.ReasonCode, p.Properties, l)
}

func (p *Auth) appendBody(dst []byte, _ byte, l layout) []byte {
	return appendReason(dst, p.ReasonCode, p.Properties, l)
}
