package mqtt

import "strconv"

// Decode decodes the complete packets at the start of b for protocol level
// version. See Codec.Decode.
func Decode(b []byte, version byte) (pkts []Packet, used int, err error) {
	return Codec{Version: version}.Decode(b)
}

// Decode decodes the complete packets at the start of b, which may hold
// several packets back to back and end inside one. used counts the bytes of
// the packets returned; a partial packet at the end is left for the next
// call, and when no packet is complete the error is ErrNeedMore. On malformed
// input Decode returns the packets before the bad one, used up to it, and an
// *Error naming the rule broken. Decoded packets own their memory: b can be
// reused afterwards. A length field never causes an allocation larger than b.
func (c Codec) Decode(b []byte) (pkts []Packet, used int, err error) {
	v, err := c.version()
	if err != nil {
		return nil, 0, err
	}
	// Count complete packets first so the result is allocated once.
	count, off := 0, 0
	var ferr error
	for {
		f, e := c.frame(b[off:], v)
		if e != nil {
			ferr = e
			break
		}
		if f.total == 0 || f.total > len(b)-off {
			break
		}
		count++
		off += f.total
	}
	if count == 0 {
		if ferr != nil {
			return nil, 0, ferr
		}
		return nil, 0, ErrNeedMore
	}
	pkts = make([]Packet, 0, count)
	for range count {
		f, _ := c.frame(b[used:], v)
		p, err := decodeBody(f.t, f.flags, b[used+f.hlen:used+f.total], v)
		if err != nil {
			if len(pkts) == 0 {
				pkts = nil
			}
			return pkts, used, err
		}
		pkts = append(pkts, p)
		used += f.total
	}
	return pkts, used, ferr
}

// Need returns how many more bytes must arrive before b holds a complete
// packet: 0 when it already does. When b ends inside the length field the
// exact count is not known yet and Need returns the least it can be.
func (c Codec) Need(b []byte) (int, error) {
	v, err := c.version()
	if err != nil {
		return 0, err
	}
	f, err := c.frame(b, v)
	if err != nil {
		return 0, err
	}
	if f.total == 0 {
		return f.min - len(b), nil
	}
	return max(f.total-len(b), 0), nil
}

// Len returns the length of the first packet in b, fixed header included,
// as its fixed header announces it; 0 when b ends inside the fixed header.
// Readers use it to read exactly one packet from a stream.
func (c Codec) Len(b []byte) (int, error) {
	v, err := c.version()
	if err != nil {
		return 0, err
	}
	f, err := c.frame(b, v)
	return f.total, err
}

// frame is a parsed fixed header.
type frame struct {
	t     Type
	flags byte
	hlen  int // fixed header length
	total int // whole packet length; 0 when the length field is incomplete
	min   int // lower bound of total when it is 0
}

func (c Codec) frame(b []byte, v byte) (frame, error) {
	if len(b) == 0 {
		return frame{min: 2}, nil
	}
	f := frame{t: Type(b[0] >> 4), flags: b[0] & 0x0f}
	switch {
	case f.t == 0:
		return f, &Error{Err: ErrMalformed, Detail: "packet type 0 is reserved [MQTT-2.2.1]"}
	case f.t == TypeAuth && v == V311:
		return f, &Error{Err: ErrMalformed, Detail: "packet type 15 is reserved in MQTT 3.1.1 [MQTT-2.2.1]"}
	case f.t == TypePublish:
		if f.flags&0x06 == 0x06 {
			return f, &Error{Packet: f.t, Field: "qos", Value: "3", Err: ErrQoS}
		}
	case f.flags != fixedFlags(f.t):
		return f, malformed(f.t, "", "fixed header flags must be "+strconv.FormatUint(uint64(fixedFlags(f.t)), 2)+
			", got "+strconv.FormatUint(uint64(f.flags), 2)+" [MQTT-2.2.2-2]")
	}
	rem, n, ok := readVarint(b[1:])
	if !ok {
		return f, malformed(f.t, "remaining length", "longer than 4 bytes or not minimal [MQTT-1.5.5-1]")
	}
	if n == 0 {
		// Every length byte so far has its continuation bit set, so the
		// value is at least the next power of 128.
		f.min = 2
		if k := len(b) - 1; k > 0 {
			f.min = 1 + k + 1 + rem + 1<<(7*k)
		}
		return f, nil
	}
	f.hlen = 1 + n
	f.total = f.hlen + rem
	if c.MaxPacketSize > 0 && f.total > c.MaxPacketSize {
		return f, &Error{Packet: f.t, Err: ErrTooLarge,
			Detail: strconv.Itoa(f.total) + " bytes, maximum " + strconv.Itoa(c.MaxPacketSize)}
	}
	return f, nil
}

// decodeBody parses one packet body and validates it with the encoder's own
// checks, so every decoded packet can be encoded again.
func decodeBody(t Type, flags byte, body []byte, v byte) (Packet, error) {
	d := &dec{b: body, t: t}
	var p Packet
	switch t {
	case TypeConnect:
		p = d.connect(v)
	case TypeConnack:
		c := &Connack{}
		ack := d.u8("acknowledge flags")
		if ack&^1 != 0 {
			d.fail("acknowledge flags", "reserved bits must be 0 [MQTT-3.2.2-1]")
		}
		c.SessionPresent = ack == 1
		c.ReasonCode = d.u8("reason code")
		if v == V5 {
			c.Properties = d.props()
		}
		p = c
	case TypePublish:
		pub := &Publish{QoS: flags >> 1 & 3, Dup: flags&8 != 0, Retain: flags&1 != 0}
		pub.Topic = d.str("topic")
		if pub.QoS > 0 {
			pub.ID = d.u16("id")
		}
		if v == V5 {
			pub.Properties = d.props()
		}
		if d.err == nil && len(d.b) > 0 {
			pub.Payload = append([]byte(nil), d.b...)
		}
		d.b = nil
		p = pub
	case TypePuback:
		p = d.ack(v)
	case TypePubrec:
		p = (*Pubrec)(d.ack(v))
	case TypePubrel:
		p = (*Pubrel)(d.ack(v))
	case TypePubcomp:
		p = (*Pubcomp)(d.ack(v))
	case TypeSubscribe:
		s := &Subscribe{ID: d.u16("id")}
		if v == V5 {
			s.Properties = d.props()
		}
		for len(d.b) > 0 && d.err == nil {
			sub := Subscription{Filter: d.str("filter")}
			o := d.u8("subscription options")
			if o&0xc0 != 0 || (v == V311 && o&0xfc != 0) {
				d.fail("subscription options", "reserved bits must be 0 [MQTT-3.8.3-5]")
			}
			sub.QoS = o & 3
			sub.NoLocal = o&0x04 != 0
			sub.RetainAsPublished = o&0x08 != 0
			sub.RetainHandling = o >> 4 & 3
			s.Filters = append(s.Filters, sub)
		}
		p = s
	case TypeSuback:
		s := &Suback{ID: d.u16("id")}
		if v == V5 {
			s.Properties = d.props()
		}
		if d.err == nil && len(d.b) > 0 {
			s.ReasonCodes = append([]byte(nil), d.b...)
		}
		d.b = nil
		p = s
	case TypeUnsubscribe:
		u := &Unsubscribe{ID: d.u16("id")}
		if v == V5 {
			u.Properties = d.props()
		}
		for len(d.b) > 0 && d.err == nil {
			u.Filters = append(u.Filters, d.str("filter"))
		}
		p = u
	case TypeUnsuback:
		u := &Unsuback{ID: d.u16("id")}
		if v == V5 {
			u.Properties = d.props()
			if d.err == nil && len(d.b) > 0 {
				u.ReasonCodes = append([]byte(nil), d.b...)
			}
			d.b = nil
		}
		p = u
	case TypePingreq:
		p = &Pingreq{}
	case TypePingresp:
		p = &Pingresp{}
	case TypeDisconnect:
		dis := &Disconnect{}
		if v == V5 {
			dis.ReasonCode, dis.Properties = d.reason()
		}
		p = dis
	case TypeAuth:
		a := &Auth{}
		a.ReasonCode, a.Properties = d.reason()
		p = a
	}
	d.end()
	if d.err != nil {
		return nil, d.err
	}
	if _, err := p.check(v); err != nil {
		return nil, err
	}
	return p, nil
}

func (d *dec) connect(v byte) *Connect {
	c := &Connect{}
	if name := d.raw("protocol name"); d.err == nil && string(name) != "MQTT" {
		d.err = &Error{Packet: TypeConnect, Field: "protocol name", Value: string(name), Err: ErrVersion,
			Detail: `want "MQTT" (3.1.1 or 5.0) [MQTT-3.1.2-1]`}
	}
	if level := d.u8("protocol level"); d.err == nil && level != v {
		d.err = &Error{Packet: TypeConnect, Field: "protocol level", Value: strconv.Itoa(int(level)), Err: ErrVersion,
			Detail: "decoder expects " + strconv.Itoa(int(v))}
	}
	flags := d.u8("connect flags")
	c.KeepAlive = d.u16("keep alive")
	if d.err != nil {
		return c
	}
	if flags&1 != 0 {
		d.fail("connect flags", "reserved bit must be 0 [MQTT-3.1.2-3]")
		return c
	}
	c.Clean = flags&0x02 != 0
	willQoS := flags >> 3 & 3
	if flags&0x04 == 0 && flags&0x38 != 0 {
		d.err = &Error{Packet: TypeConnect, Field: "connect flags", Err: ErrWillFlags}
		return c
	}
	if v == V5 {
		c.Properties = d.props()
	}
	c.ClientID = d.str("client id")
	if flags&0x04 != 0 {
		w := &Will{QoS: willQoS, Retain: flags&0x20 != 0}
		if v == V5 {
			w.Properties = d.props()
		}
		w.Topic = d.str("will topic")
		if b := d.raw("will payload"); len(b) > 0 {
			w.Payload = append([]byte(nil), b...)
		}
		c.Will = w
	}
	if flags&0x80 != 0 {
		c.Username = new(d.str("username"))
	}
	if flags&0x40 != 0 {
		c.Password = d.bin("password")
	}
	return c
}

func (d *dec) ack(v byte) *Puback {
	a := &Puback{ID: d.u16("id")}
	if v == V5 {
		a.ReasonCode, a.Properties = d.reason()
	}
	return a
}

// reason reads an optional reason code and optional properties: MQTT 5 lets
// both go when the code is 0 and there are no properties.
func (d *dec) reason() (byte, *Properties) {
	if len(d.b) == 0 || d.err != nil {
		return 0, nil
	}
	code := d.u8("reason code")
	if len(d.b) == 0 {
		return code, nil
	}
	return code, d.props()
}
