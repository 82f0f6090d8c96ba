package mqtt

import "strconv"

// Properties are the MQTT 5 properties of a packet (section 2.2.2). A nil
// pointer or nil slice means absent; absence and a zero value differ on the
// wire and sometimes in meaning (an absent ReceiveMaximum means 65535).
// Each packet type accepts only the properties the specification lists for it.
type Properties struct {
	PayloadFormat        *byte   // 0 unspecified bytes, 1 UTF-8
	MessageExpiry        *uint32 // seconds
	ContentType          *string
	ResponseTopic        *string
	CorrelationData      []byte
	SubscriptionIDs      []int // PUBLISH may carry several, SUBSCRIBE one; 1..268435455
	SessionExpiry        *uint32
	AssignedClientID     *string
	ServerKeepAlive      *uint16
	AuthMethod           *string
	AuthData             []byte
	RequestProblemInfo   *bool
	WillDelay            *uint32
	RequestResponseInfo  *bool
	ResponseInfo         *string
	ServerReference      *string
	ReasonString         *string
	ReceiveMaximum       *uint16
	TopicAliasMaximum    *uint16
	TopicAlias           *uint16
	MaximumQoS           *byte
	RetainAvailable      *bool
	User                 []UserProperty
	MaximumPacketSize    *uint32
	WildcardSubAvailable *bool
	SubIDAvailable       *bool
	SharedSubAvailable   *bool
}

// UserProperty is one name/value pair; names may repeat and order is kept.
type UserProperty struct {
	Key, Value string
}

// Property identifiers.
const (
	propPayloadFormat        = 0x01
	propMessageExpiry        = 0x02
	propContentType          = 0x03
	propResponseTopic        = 0x08
	propCorrelationData      = 0x09
	propSubscriptionID       = 0x0B
	propSessionExpiry        = 0x11
	propAssignedClientID     = 0x12
	propServerKeepAlive      = 0x13
	propAuthMethod           = 0x15
	propAuthData             = 0x16
	propRequestProblemInfo   = 0x17
	propWillDelay            = 0x18
	propRequestResponseInfo  = 0x19
	propResponseInfo         = 0x1A
	propServerReference      = 0x1C
	propReasonString         = 0x1F
	propReceiveMaximum       = 0x21
	propTopicAliasMaximum    = 0x22
	propTopicAlias           = 0x23
	propMaximumQoS           = 0x24
	propRetainAvailable      = 0x25
	propUser                 = 0x26
	propMaximumPacketSize    = 0x27
	propWildcardSubAvailable = 0x28
	propSubIDAvailable       = 0x29
	propSharedSubAvailable   = 0x2A
)

// where is a set of places a property may appear: one bit per packet type,
// plus the will properties of CONNECT.
type where uint32

const inWill where = 1 << 16

func in(ts ...Type) where {
	var w where
	for _, t := range ts {
		w |= 1 << t
	}
	return w
}

// propInfo returns a property's script name and where it may appear.
func propInfo(id byte) (string, where) {
	switch id {
	case propPayloadFormat:
		return "payload_format", in(TypePublish) | inWill
	case propMessageExpiry:
		return "message_expiry", in(TypePublish) | inWill
	case propContentType:
		return "content_type", in(TypePublish) | inWill
	case propResponseTopic:
		return "response_topic", in(TypePublish) | inWill
	case propCorrelationData:
		return "correlation_data", in(TypePublish) | inWill
	case propSubscriptionID:
		return "subscription_id", in(TypePublish, TypeSubscribe)
	case propSessionExpiry:
		return "session_expiry", in(TypeConnect, TypeConnack, TypeDisconnect)
	case propAssignedClientID:
		return "assigned_client_id", in(TypeConnack)
	case propServerKeepAlive:
		return "server_keepalive", in(TypeConnack)
	case propAuthMethod:
		return "auth_method", in(TypeConnect, TypeConnack, TypeAuth)
	case propAuthData:
		return "auth_data", in(TypeConnect, TypeConnack, TypeAuth)
	case propRequestProblemInfo:
		return "request_problem_info", in(TypeConnect)
	case propWillDelay:
		return "will_delay", inWill
	case propRequestResponseInfo:
		return "request_response_info", in(TypeConnect)
	case propResponseInfo:
		return "response_info", in(TypeConnack)
	case propServerReference:
		return "server_reference", in(TypeConnack, TypeDisconnect)
	case propReasonString:
		return "reason_string", in(TypeConnack, TypePuback, TypePubrec, TypePubrel, TypePubcomp,
			TypeSuback, TypeUnsuback, TypeDisconnect, TypeAuth)
	case propReceiveMaximum:
		return "receive_maximum", in(TypeConnect, TypeConnack)
	case propTopicAliasMaximum:
		return "topic_alias_maximum", in(TypeConnect, TypeConnack)
	case propTopicAlias:
		return "topic_alias", in(TypePublish)
	case propMaximumQoS:
		return "maximum_qos", in(TypeConnack)
	case propRetainAvailable:
		return "retain_available", in(TypeConnack)
	case propUser:
		return "user", in(TypeConnect, TypeConnack, TypePublish, TypePuback, TypePubrec, TypePubrel,
			TypePubcomp, TypeSubscribe, TypeSuback, TypeUnsubscribe, TypeUnsuback, TypeDisconnect,
			TypeAuth) | inWill
	case propMaximumPacketSize:
		return "maximum_packet_size", in(TypeConnect, TypeConnack)
	case propWildcardSubAvailable:
		return "wildcard_sub_available", in(TypeConnack)
	case propSubIDAvailable:
		return "sub_id_available", in(TypeConnack)
	case propSharedSubAvailable:
		return "shared_sub_available", in(TypeConnack)
	}
	return "", 0
}

// check validates p for packet t (will properties when w == inWill) and
// returns the encoded size of the properties without their length prefix.
func (p *Properties) check(t Type, w where) (int, error) {
	if p == nil {
		return 0, nil
	}
	n := 0
	var err error
	fail := func(id byte, e error, detail string) {
		if err == nil {
			name, _ := propInfo(id)
			field := "properties." + name
			if w == inWill {
				field = "will." + field
			}
			err = &Error{Packet: t, Field: field, Err: e, Detail: detail}
		}
	}
	has := func(id byte, present bool, size int) bool {
		if !present {
			return false
		}
		if _, ok := propInfo(id); ok&w == 0 {
			place := "in " + t.String()
			if w == inWill {
				place = "in will properties"
			}
			fail(id, ErrProperty, "not allowed "+place)
		}
		n += 1 + size
		return true
	}
	flag := func(id byte, v *bool) { has(id, v != nil, 1) }
	str := func(id byte, v *string) {
		if has(id, v != nil, 2+len(*ptrOr(v))) {
			if e := checkString(*v); e != nil {
				fail(id, e, "")
			}
		}
	}
	bin := func(id byte, v []byte) {
		if has(id, v != nil, 2+len(v)) && len(v) > 65535 {
			fail(id, ErrStringTooLong, "")
		}
	}
	nonzero := func(id byte, v *uint16) {
		if has(id, v != nil, 2) && *v == 0 {
			fail(id, ErrProperty, "must not be 0")
		}
	}

	if has(propPayloadFormat, p.PayloadFormat != nil, 1) && *p.PayloadFormat > 1 {
		fail(propPayloadFormat, ErrProperty, "must be 0 or 1, got "+strconv.Itoa(int(*p.PayloadFormat)))
	}
	has(propMessageExpiry, p.MessageExpiry != nil, 4)
	str(propContentType, p.ContentType)
	if has(propResponseTopic, p.ResponseTopic != nil, 2+len(*ptrOr(p.ResponseTopic))) {
		if e := checkTopic(*p.ResponseTopic); e != nil {
			fail(propResponseTopic, e, "[MQTT-3.3.2-14]")
		}
	}
	bin(propCorrelationData, p.CorrelationData)
	if len(p.SubscriptionIDs) > 1 && t != TypePublish {
		fail(propSubscriptionID, ErrProperty, "only one allowed in "+t.String())
	}
	for _, id := range p.SubscriptionIDs {
		if id < 1 || id > MaxRemainingLength {
			fail(propSubscriptionID, ErrProperty, "must be 1..268435455, got "+strconv.Itoa(id))
			id = 1
		}
		has(propSubscriptionID, true, varintSize(id))
	}
	has(propSessionExpiry, p.SessionExpiry != nil, 4)
	str(propAssignedClientID, p.AssignedClientID)
	has(propServerKeepAlive, p.ServerKeepAlive != nil, 2)
	str(propAuthMethod, p.AuthMethod)
	bin(propAuthData, p.AuthData)
	if p.AuthData != nil && p.AuthMethod == nil {
		fail(propAuthData, ErrProperty, "authentication data without authentication method")
	}
	flag(propRequestProblemInfo, p.RequestProblemInfo)
	has(propWillDelay, p.WillDelay != nil, 4)
	flag(propRequestResponseInfo, p.RequestResponseInfo)
	str(propResponseInfo, p.ResponseInfo)
	str(propServerReference, p.ServerReference)
	str(propReasonString, p.ReasonString)
	nonzero(propReceiveMaximum, p.ReceiveMaximum)
	has(propTopicAliasMaximum, p.TopicAliasMaximum != nil, 2)
	nonzero(propTopicAlias, p.TopicAlias)
	if has(propMaximumQoS, p.MaximumQoS != nil, 1) && *p.MaximumQoS > 1 {
		fail(propMaximumQoS, ErrProperty, "must be 0 or 1, got "+strconv.Itoa(int(*p.MaximumQoS)))
	}
	flag(propRetainAvailable, p.RetainAvailable)
	for _, u := range p.User {
		has(propUser, true, 4+len(u.Key)+len(u.Value))
		if e := checkString(u.Key); e != nil {
			fail(propUser, e, "in name "+strconv.Quote(u.Key))
		} else if e := checkString(u.Value); e != nil {
			fail(propUser, e, "in value of "+strconv.Quote(u.Key))
		}
	}
	if has(propMaximumPacketSize, p.MaximumPacketSize != nil, 4) && *p.MaximumPacketSize == 0 {
		fail(propMaximumPacketSize, ErrProperty, "must not be 0")
	}
	flag(propWildcardSubAvailable, p.WildcardSubAvailable)
	flag(propSubIDAvailable, p.SubIDAvailable)
	flag(propSharedSubAvailable, p.SharedSubAvailable)
	return n, err
}

func ptrOr(s *string) *string {
	if s == nil {
		return new("")
	}
	return s
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// appendProps writes the property length and the properties of a checked
// Properties in identifier order; size is what check returned.
func appendProps(dst []byte, p *Properties, size int) []byte {
	dst = appendVarint(dst, size)
	if p == nil {
		return dst
	}
	u8 := func(id byte, v *byte) {
		if v != nil {
			dst = append(dst, id, *v)
		}
	}
	flag := func(id byte, v *bool) {
		if v != nil {
			dst = append(dst, id, boolByte(*v))
		}
	}
	u16 := func(id byte, v *uint16) {
		if v != nil {
			dst = appendU16(append(dst, id), *v)
		}
	}
	u32 := func(id byte, v *uint32) {
		if v != nil {
			dst = appendU32(append(dst, id), *v)
		}
	}
	str := func(id byte, v *string) {
		if v != nil {
			dst = appendString(append(dst, id), *v)
		}
	}
	bin := func(id byte, v []byte) {
		if v != nil {
			dst = appendBinary(append(dst, id), v)
		}
	}
	u8(propPayloadFormat, p.PayloadFormat)
	u32(propMessageExpiry, p.MessageExpiry)
	str(propContentType, p.ContentType)
	str(propResponseTopic, p.ResponseTopic)
	bin(propCorrelationData, p.CorrelationData)
	for _, id := range p.SubscriptionIDs {
		dst = appendVarint(append(dst, propSubscriptionID), id)
	}
	u32(propSessionExpiry, p.SessionExpiry)
	str(propAssignedClientID, p.AssignedClientID)
	u16(propServerKeepAlive, p.ServerKeepAlive)
	str(propAuthMethod, p.AuthMethod)
	bin(propAuthData, p.AuthData)
	flag(propRequestProblemInfo, p.RequestProblemInfo)
	u32(propWillDelay, p.WillDelay)
	flag(propRequestResponseInfo, p.RequestResponseInfo)
	str(propResponseInfo, p.ResponseInfo)
	str(propServerReference, p.ServerReference)
	str(propReasonString, p.ReasonString)
	u16(propReceiveMaximum, p.ReceiveMaximum)
	u16(propTopicAliasMaximum, p.TopicAliasMaximum)
	u16(propTopicAlias, p.TopicAlias)
	u8(propMaximumQoS, p.MaximumQoS)
	flag(propRetainAvailable, p.RetainAvailable)
	for _, u := range p.User {
		dst = appendString(appendString(append(dst, propUser), u.Key), u.Value)
	}
	u32(propMaximumPacketSize, p.MaximumPacketSize)
	flag(propWildcardSubAvailable, p.WildcardSubAvailable)
	flag(propSubIDAvailable, p.SubIDAvailable)
	flag(propSharedSubAvailable, p.SharedSubAvailable)
	return dst
}

// readProps parses a property length and the properties after it. The result
// is nil when the length is 0. Values are checked by the packet's check.
func (d *dec) props() *Properties {
	n := d.varint("property length")
	sect := d.take(n, "properties")
	if d.err != nil || n == 0 {
		return nil
	}
	p := new(Properties)
	s := dec{b: sect, t: d.t}
	dup := func(id byte) {
		name, _ := propInfo(id)
		s.fail("properties."+name, "property appears more than once [MQTT-2.2.2-2]")
	}
	u8 := func(id byte, v **byte) {
		if *v != nil {
			dup(id)
		}
		*v = new(s.u8("properties"))
	}
	flag := func(id byte, v **bool) {
		if *v != nil {
			dup(id)
		}
		b := s.u8("properties")
		if b > 1 {
			name, _ := propInfo(id)
			s.fail("properties."+name, "must be 0 or 1, got "+strconv.Itoa(int(b)))
		}
		*v = new(b == 1)
	}
	u16 := func(id byte, v **uint16) {
		if *v != nil {
			dup(id)
		}
		*v = new(s.u16("properties"))
	}
	u32 := func(id byte, v **uint32) {
		if *v != nil {
			dup(id)
		}
		*v = new(s.u32("properties"))
	}
	str := func(id byte, v **string) {
		if *v != nil {
			dup(id)
		}
		*v = new(s.str("properties"))
	}
	bin := func(id byte, v *[]byte) {
		if *v != nil {
			dup(id)
		}
		*v = s.bin("properties")
	}
	for len(s.b) > 0 && s.err == nil {
		id := s.u8("property identifier")
		switch id {
		case propPayloadFormat:
			u8(id, &p.PayloadFormat)
		case propMessageExpiry:
			u32(id, &p.MessageExpiry)
		case propContentType:
			str(id, &p.ContentType)
		case propResponseTopic:
			str(id, &p.ResponseTopic)
		case propCorrelationData:
			bin(id, &p.CorrelationData)
		case propSubscriptionID:
			p.SubscriptionIDs = append(p.SubscriptionIDs, s.varint("properties.subscription_id"))
		case propSessionExpiry:
			u32(id, &p.SessionExpiry)
		case propAssignedClientID:
			str(id, &p.AssignedClientID)
		case propServerKeepAlive:
			u16(id, &p.ServerKeepAlive)
		case propAuthMethod:
			str(id, &p.AuthMethod)
		case propAuthData:
			bin(id, &p.AuthData)
		case propRequestProblemInfo:
			flag(id, &p.RequestProblemInfo)
		case propWillDelay:
			u32(id, &p.WillDelay)
		case propRequestResponseInfo:
			flag(id, &p.RequestResponseInfo)
		case propResponseInfo:
			str(id, &p.ResponseInfo)
		case propServerReference:
			str(id, &p.ServerReference)
		case propReasonString:
			str(id, &p.ReasonString)
		case propReceiveMaximum:
			u16(id, &p.ReceiveMaximum)
		case propTopicAliasMaximum:
			u16(id, &p.TopicAliasMaximum)
		case propTopicAlias:
			u16(id, &p.TopicAlias)
		case propMaximumQoS:
			u8(id, &p.MaximumQoS)
		case propRetainAvailable:
			flag(id, &p.RetainAvailable)
		case propUser:
			k := s.str("properties.user")
			p.User = append(p.User, UserProperty{Key: k, Value: s.str("properties.user")})
		case propMaximumPacketSize:
			u32(id, &p.MaximumPacketSize)
		case propWildcardSubAvailable:
			flag(id, &p.WildcardSubAvailable)
		case propSubIDAvailable:
			flag(id, &p.SubIDAvailable)
		case propSharedSubAvailable:
			flag(id, &p.SharedSubAvailable)
		default:
			if s.err == nil {
				s.fail("properties", "unknown property identifier 0x"+strconv.FormatUint(uint64(id), 16))
			}
		}
	}
	if s.err != nil {
		d.err = s.err
		return nil
	}
	return p
}

// propsSize is the size of a property section including its length prefix.
func propsSize(n int) int { return varintSize(n) + n }
