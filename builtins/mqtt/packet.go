package mqtt

import "strconv"

// Protocol levels.
const (
	V311 byte = 4 // MQTT 3.1.1
	V5   byte = 5 // MQTT 5.0
)

// MaxRemainingLength is the largest remaining length the fixed header can carry.
const MaxRemainingLength = 268435455

// Type is the packet type from the high nibble of the first byte.
type Type byte

// Packet types.
const (
	TypeConnect     Type = 1
	TypeConnack     Type = 2
	TypePublish     Type = 3
	TypePuback      Type = 4
	TypePubrec      Type = 5
	TypePubrel      Type = 6
	TypePubcomp     Type = 7
	TypeSubscribe   Type = 8
	TypeSuback      Type = 9
	TypeUnsubscribe Type = 10
	TypeUnsuback    Type = 11
	TypePingreq     Type = 12
	TypePingresp    Type = 13
	TypeDisconnect  Type = 14
	TypeAuth        Type = 15 // MQTT 5 only
)

const typeNames = "CONNECT    CONNACK    PUBLISH    PUBACK     PUBREC     PUBREL     PUBCOMP    SUBSCRIBE  SUBACK     UNSUBSCRIBEUNSUBACK   PINGREQ    PINGRESP   DISCONNECT AUTH       "

// String returns the upper-case name used by the specification, e.g. "CONNACK".
func (t Type) String() string {
	if t < 1 || t > 15 {
		return "type " + strconv.Itoa(int(t))
	}
	s := typeNames[(t-1)*11 : t*11]
	for s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// Packet is one MQTT control packet. The implementations are the pointer
// types of this package: *Connect, *Connack, *Publish, *Puback, *Pubrec,
// *Pubrel, *Pubcomp, *Subscribe, *Suback, *Unsubscribe, *Unsuback,
// *Pingreq, *Pingresp, *Disconnect and *Auth.
type Packet interface {
	Type() Type
	// check validates the packet for version v and measures it.
	check(v byte) (layout, error)
	// flags returns the low nibble of the first byte.
	flags() byte
	// appendBody appends the variable header and payload of a checked packet.
	appendBody(dst []byte, v byte, l layout) []byte
}

// Connect opens a session. Clean is Clean Session in 3.1.1 and Clean Start in 5.
type Connect struct {
	ClientID   string
	Clean      bool
	KeepAlive  uint16 // seconds
	Username   *string
	Password   []byte // nil means no password; non-nil and empty is an empty password
	Will       *Will
	Properties *Properties // MQTT 5 only
}

// Will is the message the broker publishes when the client vanishes.
type Will struct {
	Topic      string
	Payload    []byte
	QoS        byte
	Retain     bool
	Properties *Properties // MQTT 5 only: will delay, message expiry, content type...
}

// Connack answers Connect. ReasonCode is the return code in 3.1.1 (0 accepted).
type Connack struct {
	SessionPresent bool
	ReasonCode     byte
	Properties     *Properties
}

// Publish carries an application message. ID is required for QoS 1 and 2
// and must be 0 for QoS 0. In MQTT 5 Topic may be empty when
// Properties.TopicAlias is set.
type Publish struct {
	Topic      string
	Payload    []byte
	QoS        byte
	Retain     bool
	Dup        bool
	ID         uint16
	Properties *Properties
}

// Puback acknowledges a QoS 1 Publish. ReasonCode and Properties are MQTT 5 only.
type Puback struct {
	ID         uint16
	ReasonCode byte
	Properties *Properties
}

// Pubrec is the first answer to a QoS 2 Publish.
type Pubrec Puback

// Pubrel answers Pubrec.
type Pubrel Puback

// Pubcomp answers Pubrel and ends the QoS 2 exchange.
type Pubcomp Puback

// Subscribe asks for messages on one or more topic filters.
type Subscribe struct {
	ID         uint16
	Filters    []Subscription
	Properties *Properties // MQTT 5: subscription identifier, user properties
}

// Subscription is one filter of a Subscribe. NoLocal, RetainAsPublished and
// RetainHandling are MQTT 5 only.
type Subscription struct {
	Filter            string
	QoS               byte
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte // 0 send retained, 1 only on new subscription, 2 never
}

// Suback answers Subscribe with one code per filter: the granted QoS, or 0x80
// (3.1.1) or a reason code >= 0x80 (5) for a refusal.
type Suback struct {
	ID          uint16
	ReasonCodes []byte
	Properties  *Properties
}

// Unsubscribe removes subscriptions.
type Unsubscribe struct {
	ID         uint16
	Filters    []string
	Properties *Properties
}

// Unsuback answers Unsubscribe. ReasonCodes (one per filter) and Properties are MQTT 5 only.
type Unsuback struct {
	ID          uint16
	ReasonCodes []byte
	Properties  *Properties
}

// Pingreq keeps the connection alive.
type Pingreq struct{}

// Pingresp answers Pingreq.
type Pingresp struct{}

// Disconnect closes the session. ReasonCode and Properties are MQTT 5 only.
type Disconnect struct {
	ReasonCode byte
	Properties *Properties
}

// Auth is the MQTT 5 extended authentication exchange.
type Auth struct {
	ReasonCode byte
	Properties *Properties
}

func (*Connect) Type() Type     { return TypeConnect }
func (*Connack) Type() Type     { return TypeConnack }
func (*Publish) Type() Type     { return TypePublish }
func (*Puback) Type() Type      { return TypePuback }
func (*Pubrec) Type() Type      { return TypePubrec }
func (*Pubrel) Type() Type      { return TypePubrel }
func (*Pubcomp) Type() Type     { return TypePubcomp }
func (*Subscribe) Type() Type   { return TypeSubscribe }
func (*Suback) Type() Type      { return TypeSuback }
func (*Unsubscribe) Type() Type { return TypeUnsubscribe }
func (*Unsuback) Type() Type    { return TypeUnsuback }
func (*Pingreq) Type() Type     { return TypePingreq }
func (*Pingresp) Type() Type    { return TypePingresp }
func (*Disconnect) Type() Type  { return TypeDisconnect }
func (*Auth) Type() Type        { return TypeAuth }

// fixedFlags is the required low nibble of the first byte for every type but PUBLISH.
func fixedFlags(t Type) byte {
	switch t {
	case TypePubrel, TypeSubscribe, TypeUnsubscribe:
		return 2 // [MQTT-3.6.1-1], [MQTT-3.8.1-1], [MQTT-3.10.1-1]
	}
	return 0
}
