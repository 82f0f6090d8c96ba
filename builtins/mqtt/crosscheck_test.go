package mqtt_test

// Cross-checks against two independent implementations: the packet codec of
// the Eclipse Paho Go client (3.1.1 only) and the one of the mochi-mqtt
// broker (3.1.1 and 5). Bytes we encode must decode to the same fields in
// theirs, and bytes they encode must decode to the same fields in ours.

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang/packets"
	mochi "github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/builtins/mqtt"
)

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func toPaho(t *testing.T, p mqtt.Packet) paho.ControlPacket {
	cp := paho.NewControlPacket(byte(p.Type()))
	switch p := p.(type) {
	case *mqtt.Connect:
		c := cp.(*paho.ConnectPacket)
		c.ProtocolName, c.ProtocolVersion = "MQTT", 4
		c.ClientIdentifier, c.CleanSession, c.Keepalive = p.ClientID, p.Clean, p.KeepAlive
		if p.Username != nil {
			c.UsernameFlag, c.Username = true, *p.Username
		}
		if p.Password != nil {
			c.PasswordFlag, c.Password = true, p.Password
		}
		if w := p.Will; w != nil {
			c.WillFlag, c.WillTopic, c.WillMessage, c.WillQos, c.WillRetain = true, w.Topic, w.Payload, w.QoS, w.Retain
		}
	case *mqtt.Connack:
		c := cp.(*paho.ConnackPacket)
		c.SessionPresent, c.ReturnCode = p.SessionPresent, p.ReasonCode
	case *mqtt.Publish:
		c := cp.(*paho.PublishPacket)
		c.TopicName, c.Payload, c.MessageID = p.Topic, p.Payload, p.ID
		c.Qos, c.Retain, c.Dup = p.QoS, p.Retain, p.Dup
	case *mqtt.Puback:
		cp.(*paho.PubackPacket).MessageID = p.ID
	case *mqtt.Pubrec:
		cp.(*paho.PubrecPacket).MessageID = p.ID
	case *mqtt.Pubrel:
		cp.(*paho.PubrelPacket).MessageID = p.ID
	case *mqtt.Pubcomp:
		cp.(*paho.PubcompPacket).MessageID = p.ID
	case *mqtt.Subscribe:
		c := cp.(*paho.SubscribePacket)
		c.MessageID = p.ID
		for _, f := range p.Filters {
			c.Topics, c.Qoss = append(c.Topics, f.Filter), append(c.Qoss, f.QoS)
		}
	case *mqtt.Suback:
		c := cp.(*paho.SubackPacket)
		c.MessageID, c.ReturnCodes = p.ID, p.ReasonCodes
	case *mqtt.Unsubscribe:
		c := cp.(*paho.UnsubscribePacket)
		c.MessageID, c.Topics = p.ID, p.Filters
	case *mqtt.Unsuback:
		cp.(*paho.UnsubackPacket).MessageID = p.ID
	case *mqtt.Pingreq, *mqtt.Pingresp, *mqtt.Disconnect:
	default:
		t.Fatalf("no paho packet for %T", p)
	}
	return cp
}

func fromPaho(t *testing.T, cp paho.ControlPacket) mqtt.Packet {
	switch c := cp.(type) {
	case *paho.ConnectPacket:
		require.Equal(t, "MQTT", c.ProtocolName)
		require.Equal(t, byte(4), c.ProtocolVersion)
		p := &mqtt.Connect{ClientID: c.ClientIdentifier, Clean: c.CleanSession, KeepAlive: c.Keepalive}
		if c.UsernameFlag {
			p.Username = new(c.Username)
		}
		if c.PasswordFlag {
			p.Password = append([]byte{}, c.Password...)
		}
		if c.WillFlag {
			p.Will = &mqtt.Will{Topic: c.WillTopic, Payload: nilIfEmpty(c.WillMessage), QoS: c.WillQos, Retain: c.WillRetain}
		}
		return p
	case *paho.ConnackPacket:
		return &mqtt.Connack{SessionPresent: c.SessionPresent, ReasonCode: c.ReturnCode}
	case *paho.PublishPacket:
		return &mqtt.Publish{Topic: c.TopicName, Payload: nilIfEmpty(c.Payload), QoS: c.Qos, Retain: c.Retain, Dup: c.Dup, ID: c.MessageID}
	case *paho.PubackPacket:
		return &mqtt.Puback{ID: c.MessageID}
	case *paho.PubrecPacket:
		return &mqtt.Pubrec{ID: c.MessageID}
	case *paho.PubrelPacket:
		return &mqtt.Pubrel{ID: c.MessageID}
	case *paho.PubcompPacket:
		return &mqtt.Pubcomp{ID: c.MessageID}
	case *paho.SubscribePacket:
		p := &mqtt.Subscribe{ID: c.MessageID}
		for i, f := range c.Topics {
			p.Filters = append(p.Filters, mqtt.Subscription{Filter: f, QoS: c.Qoss[i]})
		}
		return p
	case *paho.SubackPacket:
		return &mqtt.Suback{ID: c.MessageID, ReasonCodes: c.ReturnCodes}
	case *paho.UnsubscribePacket:
		return &mqtt.Unsubscribe{ID: c.MessageID, Filters: c.Topics}
	case *paho.UnsubackPacket:
		return &mqtt.Unsuback{ID: c.MessageID}
	case *paho.PingreqPacket:
		return &mqtt.Pingreq{}
	case *paho.PingrespPacket:
		return &mqtt.Pingresp{}
	case *paho.DisconnectPacket:
		return &mqtt.Disconnect{}
	}
	t.Fatalf("unexpected paho packet %T", cp)
	return nil
}

func TestCrossCheckPaho(t *testing.T) {
	for _, s := range samples(mqtt.V311) {
		t.Run(s.name, func(t *testing.T) {
			ours, err := mqtt.Encode(s.p, mqtt.V311)
			require.NoError(t, err)

			// Ours -> paho.
			r := bytes.NewReader(ours)
			cp, err := paho.ReadPacket(r)
			require.NoError(t, err)
			require.Zero(t, r.Len(), "paho left bytes unread")
			require.Equal(t, s.p, fromPaho(t, cp))

			// Paho -> ours; 3.1.1 has one encoding, so the bytes match too.
			var buf bytes.Buffer
			require.NoError(t, toPaho(t, s.p).Write(&buf))
			require.Equal(t, ours, buf.Bytes())
			pkts, used, err := mqtt.Decode(buf.Bytes(), mqtt.V311)
			require.NoError(t, err)
			require.Equal(t, buf.Len(), used)
			require.Equal(t, []mqtt.Packet{s.p}, pkts)
		})
	}
}

// mochi treats a zero number or empty string in most properties as absent,
// so values are mapped with that rule; mochiGap lists the samples it cannot
// carry. Set checkGaps to see each of them fail.
func toMochiProps(p *mqtt.Properties) mochi.Properties {
	var m mochi.Properties
	if p == nil {
		return m
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	u16 := func(v *uint16) uint16 {
		if v == nil {
			return 0
		}
		return *v
	}
	u32 := func(v *uint32) uint32 {
		if v == nil {
			return 0
		}
		return *v
	}
	b := func(v *bool) (byte, bool) {
		if v == nil {
			return 0, false
		}
		if *v {
			return 1, true
		}
		return 0, true
	}
	if p.PayloadFormat != nil {
		m.PayloadFormat, m.PayloadFormatFlag = *p.PayloadFormat, true
	}
	m.MessageExpiryInterval = u32(p.MessageExpiry)
	m.ContentType = str(p.ContentType)
	m.ResponseTopic = str(p.ResponseTopic)
	m.CorrelationData = p.CorrelationData
	m.SubscriptionIdentifier = p.SubscriptionIDs
	if p.SessionExpiry != nil {
		m.SessionExpiryInterval, m.SessionExpiryIntervalFlag = *p.SessionExpiry, true
	}
	m.AssignedClientID = str(p.AssignedClientID)
	if p.ServerKeepAlive != nil {
		m.ServerKeepAlive, m.ServerKeepAliveFlag = *p.ServerKeepAlive, true
	}
	m.AuthenticationMethod = str(p.AuthMethod)
	m.AuthenticationData = p.AuthData
	m.RequestProblemInfo, m.RequestProblemInfoFlag = b(p.RequestProblemInfo)
	m.WillDelayInterval = u32(p.WillDelay)
	m.RequestResponseInfo, _ = b(p.RequestResponseInfo)
	m.ResponseInfo = str(p.ResponseInfo)
	m.ServerReference = str(p.ServerReference)
	m.ReasonString = str(p.ReasonString)
	m.ReceiveMaximum = u16(p.ReceiveMaximum)
	m.TopicAliasMaximum = u16(p.TopicAliasMaximum)
	if p.TopicAlias != nil {
		m.TopicAlias, m.TopicAliasFlag = *p.TopicAlias, true
	}
	if p.MaximumQoS != nil {
		m.MaximumQos, m.MaximumQosFlag = *p.MaximumQoS, true
	}
	m.RetainAvailable, m.RetainAvailableFlag = b(p.RetainAvailable)
	for _, u := range p.User {
		m.User = append(m.User, mochi.UserProperty{Key: u.Key, Val: u.Value})
	}
	m.MaximumPacketSize = u32(p.MaximumPacketSize)
	m.WildcardSubAvailable, m.WildcardSubAvailableFlag = b(p.WildcardSubAvailable)
	m.SubIDAvailable, m.SubIDAvailableFlag = b(p.SubIDAvailable)
	m.SharedSubAvailable, m.SharedSubAvailableFlag = b(p.SharedSubAvailable)
	return m
}

func fromMochiProps(m mochi.Properties) *mqtt.Properties {
	p := &mqtt.Properties{}
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return new(s)
	}
	u16 := func(v uint16) *uint16 {
		if v == 0 {
			return nil
		}
		return new(v)
	}
	u32 := func(v uint32) *uint32 {
		if v == 0 {
			return nil
		}
		return new(v)
	}
	b := func(v byte, ok bool) *bool {
		if !ok {
			return nil
		}
		return new(v == 1)
	}
	if m.PayloadFormatFlag {
		p.PayloadFormat = new(m.PayloadFormat)
	}
	p.MessageExpiry = u32(m.MessageExpiryInterval)
	p.ContentType = str(m.ContentType)
	p.ResponseTopic = str(m.ResponseTopic)
	p.CorrelationData = nilIfEmpty(m.CorrelationData)
	p.SubscriptionIDs = m.SubscriptionIdentifier
	if m.SessionExpiryIntervalFlag {
		p.SessionExpiry = new(m.SessionExpiryInterval)
	}
	p.AssignedClientID = str(m.AssignedClientID)
	if m.ServerKeepAliveFlag {
		p.ServerKeepAlive = new(m.ServerKeepAlive)
	}
	p.AuthMethod = str(m.AuthenticationMethod)
	p.AuthData = nilIfEmpty(m.AuthenticationData)
	p.RequestProblemInfo = b(m.RequestProblemInfo, m.RequestProblemInfoFlag)
	p.WillDelay = u32(m.WillDelayInterval)
	p.RequestResponseInfo = b(m.RequestResponseInfo, m.RequestResponseInfo != 0)
	p.ResponseInfo = str(m.ResponseInfo)
	p.ServerReference = str(m.ServerReference)
	p.ReasonString = str(m.ReasonString)
	p.ReceiveMaximum = u16(m.ReceiveMaximum)
	p.TopicAliasMaximum = u16(m.TopicAliasMaximum)
	if m.TopicAliasFlag {
		p.TopicAlias = new(m.TopicAlias)
	}
	if m.MaximumQosFlag {
		p.MaximumQoS = new(m.MaximumQos)
	}
	p.RetainAvailable = b(m.RetainAvailable, m.RetainAvailableFlag)
	for _, u := range m.User {
		p.User = append(p.User, mqtt.UserProperty{Key: u.Key, Value: u.Val})
	}
	p.MaximumPacketSize = u32(m.MaximumPacketSize)
	p.WildcardSubAvailable = b(m.WildcardSubAvailable, m.WildcardSubAvailableFlag)
	p.SubIDAvailable = b(m.SubIDAvailable, m.SubIDAvailableFlag)
	p.SharedSubAvailable = b(m.SharedSubAvailable, m.SharedSubAvailableFlag)
	if fmt.Sprint(*p) == fmt.Sprint(mqtt.Properties{}) {
		return nil
	}
	return p
}

func toMochi(t *testing.T, p mqtt.Packet, v byte) mochi.Packet {
	pk := mochi.Packet{ProtocolVersion: v, FixedHeader: mochi.FixedHeader{Type: byte(p.Type())}}
	pk.Mods.AllowResponseInfo = true
	switch p := p.(type) {
	case *mqtt.Connect:
		c := &pk.Connect
		c.ProtocolName = []byte("MQTT")
		c.ClientIdentifier, c.Clean, c.Keepalive = p.ClientID, p.Clean, p.KeepAlive
		if p.Username != nil {
			c.UsernameFlag, c.Username = true, []byte(*p.Username)
		}
		if p.Password != nil {
			c.PasswordFlag, c.Password = true, p.Password
		}
		if w := p.Will; w != nil {
			c.WillFlag, c.WillTopic, c.WillPayload, c.WillQos, c.WillRetain = true, w.Topic, w.Payload, w.QoS, w.Retain
			c.WillProperties = toMochiProps(w.Properties)
		}
		pk.Properties = toMochiProps(p.Properties)
	case *mqtt.Connack:
		pk.SessionPresent, pk.ReasonCode, pk.Properties = p.SessionPresent, p.ReasonCode, toMochiProps(p.Properties)
	case *mqtt.Publish:
		pk.TopicName, pk.Payload, pk.PacketID = p.Topic, p.Payload, p.ID
		pk.FixedHeader.Qos, pk.FixedHeader.Retain, pk.FixedHeader.Dup = p.QoS, p.Retain, p.Dup
		pk.Properties = toMochiProps(p.Properties)
	case *mqtt.Puback:
		pk.PacketID, pk.ReasonCode, pk.Properties = p.ID, p.ReasonCode, toMochiProps(p.Properties)
	case *mqtt.Pubrec:
		pk.PacketID, pk.ReasonCode, pk.Properties = p.ID, p.ReasonCode, toMochiProps(p.Properties)
	case *mqtt.Pubrel:
		pk.PacketID, pk.ReasonCode, pk.Properties = p.ID, p.ReasonCode, toMochiProps(p.Properties)
		pk.FixedHeader.Qos = 1
	case *mqtt.Pubcomp:
		pk.PacketID, pk.ReasonCode, pk.Properties = p.ID, p.ReasonCode, toMochiProps(p.Properties)
	case *mqtt.Subscribe:
		pk.PacketID, pk.Properties = p.ID, toMochiProps(p.Properties)
		pk.FixedHeader.Qos = 1
		for _, f := range p.Filters {
			pk.Filters = append(pk.Filters, mochi.Subscription{Filter: f.Filter, Qos: f.QoS,
				NoLocal: f.NoLocal, RetainAsPublished: f.RetainAsPublished, RetainHandling: f.RetainHandling})
		}
	case *mqtt.Suback:
		pk.PacketID, pk.ReasonCodes, pk.Properties = p.ID, p.ReasonCodes, toMochiProps(p.Properties)
	case *mqtt.Unsubscribe:
		pk.PacketID, pk.Properties = p.ID, toMochiProps(p.Properties)
		pk.FixedHeader.Qos = 1
		for _, f := range p.Filters {
			pk.Filters = append(pk.Filters, mochi.Subscription{Filter: f})
		}
	case *mqtt.Unsuback:
		pk.PacketID, pk.ReasonCodes, pk.Properties = p.ID, p.ReasonCodes, toMochiProps(p.Properties)
	case *mqtt.Disconnect:
		pk.ReasonCode, pk.Properties = p.ReasonCode, toMochiProps(p.Properties)
	case *mqtt.Auth:
		pk.ReasonCode, pk.Properties = p.ReasonCode, toMochiProps(p.Properties)
	case *mqtt.Pingreq, *mqtt.Pingresp:
	default:
		t.Fatalf("no mochi packet for %T", p)
	}
	return pk
}

func fromMochi(t *testing.T, pk mochi.Packet) mqtt.Packet {
	props := fromMochiProps(pk.Properties)
	switch mqtt.Type(pk.FixedHeader.Type) {
	case mqtt.TypeConnect:
		c := pk.Connect
		require.Equal(t, "MQTT", string(c.ProtocolName))
		p := &mqtt.Connect{ClientID: c.ClientIdentifier, Clean: c.Clean, KeepAlive: c.Keepalive, Properties: props}
		if c.UsernameFlag {
			p.Username = new(string(c.Username))
		}
		if c.PasswordFlag {
			p.Password = append([]byte{}, c.Password...)
		}
		if c.WillFlag {
			p.Will = &mqtt.Will{Topic: c.WillTopic, Payload: nilIfEmpty(c.WillPayload), QoS: c.WillQos, Retain: c.WillRetain,
				Properties: fromMochiProps(c.WillProperties)}
		}
		return p
	case mqtt.TypeConnack:
		return &mqtt.Connack{SessionPresent: pk.SessionPresent, ReasonCode: pk.ReasonCode, Properties: props}
	case mqtt.TypePublish:
		return &mqtt.Publish{Topic: pk.TopicName, Payload: nilIfEmpty(pk.Payload), QoS: pk.FixedHeader.Qos,
			Retain: pk.FixedHeader.Retain, Dup: pk.FixedHeader.Dup, ID: pk.PacketID, Properties: props}
	case mqtt.TypePuback:
		return &mqtt.Puback{ID: pk.PacketID, ReasonCode: pk.ReasonCode, Properties: props}
	case mqtt.TypePubrec:
		return &mqtt.Pubrec{ID: pk.PacketID, ReasonCode: pk.ReasonCode, Properties: props}
	case mqtt.TypePubrel:
		return &mqtt.Pubrel{ID: pk.PacketID, ReasonCode: pk.ReasonCode, Properties: props}
	case mqtt.TypePubcomp:
		return &mqtt.Pubcomp{ID: pk.PacketID, ReasonCode: pk.ReasonCode, Properties: props}
	case mqtt.TypeSubscribe:
		p := &mqtt.Subscribe{ID: pk.PacketID, Properties: props}
		for _, f := range pk.Filters {
			p.Filters = append(p.Filters, mqtt.Subscription{Filter: f.Filter, QoS: f.Qos,
				NoLocal: f.NoLocal, RetainAsPublished: f.RetainAsPublished, RetainHandling: f.RetainHandling})
		}
		return p
	case mqtt.TypeSuback:
		return &mqtt.Suback{ID: pk.PacketID, ReasonCodes: nilIfEmpty(pk.ReasonCodes), Properties: props}
	case mqtt.TypeUnsubscribe:
		p := &mqtt.Unsubscribe{ID: pk.PacketID, Properties: props}
		for _, f := range pk.Filters {
			p.Filters = append(p.Filters, f.Filter)
		}
		return p
	case mqtt.TypeUnsuback:
		return &mqtt.Unsuback{ID: pk.PacketID, ReasonCodes: nilIfEmpty(pk.ReasonCodes), Properties: props}
	case mqtt.TypePingreq:
		return &mqtt.Pingreq{}
	case mqtt.TypePingresp:
		return &mqtt.Pingresp{}
	case mqtt.TypeDisconnect:
		return &mqtt.Disconnect{ReasonCode: pk.ReasonCode, Properties: props}
	case mqtt.TypeAuth:
		return &mqtt.Auth{ReasonCode: pk.ReasonCode, Properties: props}
	}
	t.Fatalf("unexpected mochi packet type %d", pk.FixedHeader.Type)
	return nil
}

func mochiEncode(t *testing.T, pk mochi.Packet) []byte {
	var buf bytes.Buffer
	var err error
	switch mqtt.Type(pk.FixedHeader.Type) {
	case mqtt.TypeConnect:
		err = pk.ConnectEncode(&buf)
	case mqtt.TypeConnack:
		err = pk.ConnackEncode(&buf)
	case mqtt.TypePublish:
		err = pk.PublishEncode(&buf)
	case mqtt.TypePuback:
		err = pk.PubackEncode(&buf)
	case mqtt.TypePubrec:
		err = pk.PubrecEncode(&buf)
	case mqtt.TypePubrel:
		err = pk.PubrelEncode(&buf)
	case mqtt.TypePubcomp:
		err = pk.PubcompEncode(&buf)
	case mqtt.TypeSubscribe:
		err = pk.SubscribeEncode(&buf)
	case mqtt.TypeSuback:
		err = pk.SubackEncode(&buf)
	case mqtt.TypeUnsubscribe:
		err = pk.UnsubscribeEncode(&buf)
	case mqtt.TypeUnsuback:
		err = pk.UnsubackEncode(&buf)
	case mqtt.TypePingreq:
		err = pk.PingreqEncode(&buf)
	case mqtt.TypePingresp:
		err = pk.PingrespEncode(&buf)
	case mqtt.TypeDisconnect:
		err = pk.DisconnectEncode(&buf)
	case mqtt.TypeAuth:
		err = pk.AuthEncode(&buf)
	}
	require.NoError(t, err)
	return buf.Bytes()
}

func mochiDecode(t *testing.T, b []byte, v byte) mochi.Packet {
	pk := mochi.Packet{ProtocolVersion: v}
	require.NoError(t, pk.FixedHeader.Decode(b[0]))
	n, bu, err := mochi.DecodeLength(bytes.NewReader(b[1:]))
	require.NoError(t, err)
	pk.FixedHeader.Remaining = n
	body := b[1+bu:]
	require.Len(t, body, n)
	switch mqtt.Type(pk.FixedHeader.Type) {
	case mqtt.TypeConnect:
		err = pk.ConnectDecode(body)
	case mqtt.TypeConnack:
		err = pk.ConnackDecode(body)
	case mqtt.TypePublish:
		err = pk.PublishDecode(body)
	case mqtt.TypePuback:
		err = pk.PubackDecode(body)
	case mqtt.TypePubrec:
		err = pk.PubrecDecode(body)
	case mqtt.TypePubrel:
		err = pk.PubrelDecode(body)
	case mqtt.TypePubcomp:
		err = pk.PubcompDecode(body)
	case mqtt.TypeSubscribe:
		err = pk.SubscribeDecode(body)
	case mqtt.TypeSuback:
		err = pk.SubackDecode(body)
	case mqtt.TypeUnsubscribe:
		err = pk.UnsubscribeDecode(body)
	case mqtt.TypeUnsuback:
		err = pk.UnsubackDecode(body)
	case mqtt.TypePingreq:
		err = pk.PingreqDecode(body)
	case mqtt.TypePingresp:
		err = pk.PingrespDecode(body)
	case mqtt.TypeDisconnect:
		err = pk.DisconnectDecode(body)
	case mqtt.TypeAuth:
		err = pk.AuthDecode(body)
	}
	require.NoError(t, err)
	return pk
}

// mochiGap says why mochi cannot carry sample s, or "" when it can.
func mochiGap(s sample) string {
	switch s.name {
	case "connack/properties":
		return "mochi drops empty authentication data"
	case "disconnect/with will":
		return "mochi ignores a reason code without properties"
	case "auth/empty", "auth/reauthenticate":
		return "mochi cannot decode AUTH without properties"
	}
	if strings.HasSuffix(s.name, "/success with properties") {
		return "mochi drops an empty reason string"
	}
	var a *mqtt.Puback
	switch p := s.p.(type) {
	case *mqtt.Puback:
		a = p
	case *mqtt.Pubrec:
		a = (*mqtt.Puback)(p)
	}
	if a != nil && a.ReasonCode > 0 && a.ReasonCode < 0x80 && a.Properties == nil {
		return "mochi omits reason codes below 0x80 without properties"
	}
	return ""
}

func TestCrossCheckMochi(t *testing.T) {
	for _, v := range versions() {
		for _, s := range samples(v) {
			t.Run(fmt.Sprintf("v%d/%s", v, s.name), func(t *testing.T) {
				if why := mochiGap(s); why != "" && !checkGaps {
					t.Skip(why)
				}
				ours, err := mqtt.Encode(s.p, v)
				require.NoError(t, err)

				// Ours -> mochi.
				require.Equal(t, s.p, fromMochi(t, mochiDecode(t, ours, v)))

				// Mochi -> ours.
				theirs := mochiEncode(t, toMochi(t, s.p, v))
				pkts, used, err := mqtt.Decode(theirs, v)
				require.NoError(t, err)
				require.Equal(t, len(theirs), used)
				require.Equal(t, []mqtt.Packet{s.p}, pkts)
			})
		}
	}
}

// checkGaps runs the skipped mochi samples too, to see that each gap is real.
const checkGaps = false
