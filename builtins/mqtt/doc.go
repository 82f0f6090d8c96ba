// Package mqtt encodes and decodes MQTT 3.1.1 (protocol level 4) and MQTT 5.0
// (level 5) control packets. It is a pure codec: bytes in, bytes out, no
// network, standard library only. atrun scripts use it to pack MQTT by hand
// for modems that only offer a raw TCP socket.
//
// Encoding:
//
//	b, err := mqtt.Encode(&mqtt.Publish{Topic: "up", Payload: []byte("hi")}, mqtt.V311)
//	buf, err = mqtt.AppendPacket(buf[:0], pkt, mqtt.V5) // no allocation once buf is big enough
//
// Every packet is validated before a byte is written; errors are *Error
// values that wrap one of the Err* rule variables (errors.Is works) and name
// the packet, the field and the rule of the specification.
//
// Decoding is streaming: Decode takes whatever bytes have arrived, returns
// the complete packets and how many bytes they used, and leaves a partial
// packet for the next call (ErrNeedMore when none is complete). Decoded
// packets pass the same validation as encoded ones, so they can always be
// encoded again; in 3.1.1 that gives back the same bytes. Codec.Need says how
// many bytes are still missing. Codec.MaxPacketSize bounds both directions.
//
// MQTT 5 properties live in *Properties; nil pointers mean absent.
package mqtt
