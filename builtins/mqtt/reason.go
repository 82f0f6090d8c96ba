package mqtt

import "strconv"

// ReasonName returns the specification's name for a reason code (MQTT 5) or
// return code (3.1.1) in a packet of type t, in lower case: "success",
// "not authorized", "granted qos 1". Unknown codes give "reason code 0x..".
func ReasonName(version byte, t Type, code byte) string {
	if version != V5 {
		switch {
		case t == TypeConnack && code <= 5:
			return [...]string{"connection accepted", "unacceptable protocol version", "identifier rejected",
				"server unavailable", "bad user name or password", "not authorized"}[code]
		case t == TypeSuback && code <= 2:
			return "granted qos " + strconv.Itoa(int(code))
		case t == TypeSuback && code == 0x80:
			return "failure"
		case code == 0:
			return "success"
		}
		return "return code 0x" + strconv.FormatUint(uint64(code), 16)
	}
	switch code {
	case 0x00:
		switch t {
		case TypeDisconnect:
			return "normal disconnection"
		case TypeSuback:
			return "granted qos 0"
		}
		return "success"
	case 0x01, 0x02:
		if t == TypeSuback {
			return "granted qos " + strconv.Itoa(int(code))
		}
	case 0x04:
		return "disconnect with will message"
	case 0x10:
		return "no matching subscribers"
	case 0x11:
		return "no subscription existed"
	case 0x18:
		return "continue authentication"
	case 0x19:
		return "re-authenticate"
	case 0x80:
		return "unspecified error"
	case 0x81:
		return "malformed packet"
	case 0x82:
		return "protocol error"
	case 0x83:
		return "implementation specific error"
	case 0x84:
		return "unsupported protocol version"
	case 0x85:
		return "client identifier not valid"
	case 0x86:
		return "bad user name or password"
	case 0x87:
		return "not authorized"
	case 0x88:
		return "server unavailable"
	case 0x89:
		return "server busy"
	case 0x8A:
		return "banned"
	case 0x8B:
		return "server shutting down"
	case 0x8C:
		return "bad authentication method"
	case 0x8D:
		return "keep alive timeout"
	case 0x8E:
		return "session taken over"
	case 0x8F:
		return "topic filter invalid"
	case 0x90:
		return "topic name invalid"
	case 0x91:
		return "packet identifier in use"
	case 0x92:
		return "packet identifier not found"
	case 0x93:
		return "receive maximum exceeded"
	case 0x94:
		return "topic alias invalid"
	case 0x95:
		return "packet too large"
	case 0x96:
		return "message rate too high"
	case 0x97:
		return "quota exceeded"
	case 0x98:
		return "administrative action"
	case 0x99:
		return "payload format invalid"
	case 0x9A:
		return "retain not supported"
	case 0x9B:
		return "qos not supported"
	case 0x9C:
		return "use another server"
	case 0x9D:
		return "server moved"
	case 0x9E:
		return "shared subscriptions not supported"
	case 0x9F:
		return "connection rate exceeded"
	case 0xA0:
		return "maximum connect time"
	case 0xA1:
		return "subscription identifiers not supported"
	case 0xA2:
		return "wildcard subscriptions not supported"
	}
	return "reason code 0x" + strconv.FormatUint(uint64(code), 16)
}
