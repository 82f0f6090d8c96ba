package air780

import (
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/atrun/atrun/sim"
)

// target is where MIPSTART connected, reused by MCONNECT.
type target struct {
	host string
	port int
	tls  *tls.Config // nil for AT+MIPSTART
}

// cmdMCONFIG: AT+MCONFIG=<clientid>[,<user>,<pass>[,<will_qos>,
// <will_retain>,"<will_topic>","<will_message>"]]. Quotes are optional
// except around the will topic and message.
func cmdMCONFIG(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+MCONFIG: <clientid>[,<username>,<password>[,(0-2),(0,1),<will_topic>,<will_message>]]")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	n := c.NArg()
	if n != 1 && n != 3 && n != 7 {
		return sim.ErrError
	}
	cfg := &mconfig{clientID: c.Arg(0), user: c.Arg(1), pass: c.Arg(2)}
	if cfg.clientID == "" || len(cfg.clientID) > maxID || len(cfg.user) > maxID || len(cfg.pass) > maxID {
		return sim.ErrError
	}
	if n == 7 {
		qos, err := c.IntIn(3, 0, 2)
		if err != nil {
			return sim.ErrError
		}
		retain, err := c.IntIn(4, 0, 1)
		if err != nil || !c.Quoted(5) || !c.Quoted(6) {
			return sim.ErrError
		}
		topic, msg := c.Arg(5), c.Arg(6)
		if len(topic) > maxID || len(msg) > maxWillMsg {
			return sim.ErrError
		}
		if topic != "" {
			cfg.will = &sim.MQTTMessage{Topic: topic, Payload: []byte(msg), QoS: byte(qos), Retain: retain == 1}
		}
	}
	stateOf(s).cfg = cfg
	return nil
}

// cmdMIPSTART: AT+MIPSTART=<host>,<port> or AT+SSLMIPSTART=<host>,<port>
// (TLS with SSL context 88). OK comes at once; then CONNECT OK, ALREADY
// CONNECT, or "STATE: <state>" and CONNECT FAIL.
func cmdMIPSTART(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Replyf(`%s:"(0,255).(0,255).(0,255).(0,255)",(1-65535)`, c.Name)
		s.Replyf(`%s:"DOMAIN NAME",(1-65535)`, c.Name)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	host := c.Arg(0)
	port, err := c.IntIn(1, 1, 65535)
	if c.NArg() != 2 || host == "" || err != nil {
		return sim.ErrError
	}
	st := stateOf(s)
	if st.starting || st.connecting {
		return sim.ErrError
	}
	if st.sock {
		s.Post(func() { s.URC("ALREADY CONNECT") })
		return nil
	}
	fail := func(state string) {
		s.URC("STATE: " + state) // spacing as AT+CIPSTATUS prints it (assumption)
		s.URC("CONNECT FAIL")
	}
	if !st.hasBearer() {
		s.Post(func() { fail(pdpDeact) })
		return nil
	}
	t := target{host: host, port: port}
	if c.Name == "+SSLMIPSTART" {
		t.tls, err = st.tlsConfig(host)
		if err != nil {
			s.Post(func() { fail("TCP CLOSED") })
			return nil
		}
	}
	st.target, st.starting = t, true
	gen := st.gen
	s.Dial(sim.DialConfig{
		Host: host, Port: port, TLS: t.tls,
		Timeout: 30 * time.Second,
		OnClose: func(conn *sim.Conn, _ error) {
			if st.probe == conn {
				st.probe = nil
				st.lost()
			}
		},
	}, func(conn *sim.Conn, err error) {
		if gen != st.gen { // MIPCLOSE or a restart came first
			if conn != nil {
				conn.Close()
			}
			return
		}
		st.starting = false
		if err != nil {
			fail("TCP CLOSED")
			return
		}
		st.probe, st.sock, st.status = conn, true, linked
		s.URC("CONNECT OK")
	})
	return nil
}

// cmdMCONNECT: AT+MCONNECT=<clean_session>,<keepalive> after CONNECT OK;
// OK at once, then CONNACK OK or ERROR.
func cmdMCONNECT(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+MCONNECT:(0-1),(1-65535)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	clean, err1 := c.IntIn(0, 0, 1)
	keep, err2 := c.IntIn(1, 1, 65535)
	if c.NArg() != 2 || err1 != nil || err2 != nil {
		return sim.ErrError
	}
	st := stateOf(s)
	if st.cfg == nil || st.status != linked || st.connecting {
		return sim.ErrError
	}
	if st.probe != nil {
		st.probe.Close()
		st.probe = nil
	}
	st.connecting = true
	gen := st.gen
	var client *sim.MQTTClient
	cfg := sim.MQTTConfig{
		Host: st.target.host, Port: st.target.port, TLS: st.target.tls,
		ClientID: st.cfg.clientID, Username: st.cfg.user, Password: st.cfg.pass,
		KeepAlive:    time.Duration(keep) * time.Second,
		CleanSession: clean == 1,
		Will:         st.cfg.will,
		OnMessage:    st.received,
		OnLost: func(error) {
			switch {
			case client == nil || st.mqtt != client:
			case st.inflight > 0:
				st.lostPending = true // reported after the publish result
			default:
				st.lost()
			}
		},
	}
	s.MQTTConnect(cfg, func(m *sim.MQTTClient, err error) {
		if gen != st.gen {
			if m != nil {
				m.Close()
			}
			return
		}
		st.connecting = false
		if err != nil {
			// The broker refused or the link failed; either way the
			// module's link is gone (CLOSED: assumption).
			st.sock, st.status = false, offline
			s.URC("ERROR")
			s.URC("CLOSED")
			return
		}
		client = m
		st.mqtt, st.status = m, connected
		s.URC("CONNACK OK")
	})
	return nil
}

// cmdMSUB: AT+MSUB=<topic>,<qos>; OK, then SUBACK.
func cmdMSUB(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+MSUB:<topic>,(0-2)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	topic := c.Arg(0)
	qos, err := c.IntIn(1, 0, 2)
	if c.NArg() != 2 || err != nil || topic == "" || len(topic) > maxID {
		return sim.ErrError
	}
	st := stateOf(s)
	if st.status != connected {
		return sim.ErrError
	}
	m := st.mqtt
	m.Subscribe(topic, byte(qos), nil, func(granted byte, err error) {
		if st.mqtt != m {
			return // lost meanwhile: CLOSED says it
		}
		if err != nil || granted == 0x80 {
			s.URC("ERROR") // assumption: a refused filter
			return
		}
		s.URC("SUBACK")
	})
	return nil
}

// cmdMUNSUB: AT+MUNSUB=<topic>; OK, then UNSUBACK.
func cmdMUNSUB(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+MUNSUB:<topic>")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	topic := c.Arg(0)
	if c.NArg() != 1 || topic == "" || len(topic) > maxID {
		return sim.ErrError
	}
	st := stateOf(s)
	if st.status != connected {
		return sim.ErrError
	}
	m := st.mqtt
	m.Unsubscribe(func(err error) {
		if st.mqtt != m {
			return
		}
		if err != nil {
			s.URC("ERROR")
			return
		}
		s.URC("UNSUBACK")
	}, topic)
	return nil
}

// cmdMPUB: AT+MPUB=<topic>,<qos>,<retain>,"<message>". The message is
// ASCII with \XX escapes, or hex after AT+MQTTMODE=1.
func cmdMPUB(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+MPUB:<topic>,(0-2),(0-1),<message>")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	msg, ok := pubArgs(c)
	if !ok || c.NArg() != 4 || !c.Quoted(3) {
		return sim.ErrError
	}
	var err error
	if st.hexMode {
		msg.Payload, err = hex.DecodeString(c.Arg(3))
	} else {
		msg.Payload = unescape(c.Arg(3))
	}
	if err != nil || len(msg.Payload) > maxMessage {
		return sim.ErrError
	}
	if st.status != connected || st.pubWait {
		// A QoS 1/2 message must be acknowledged before the next
		// (Aliyun guide, S25c; ERROR is an assumption).
		return sim.ErrError
	}
	st.publish(msg)
	return nil
}

// pubArgs parses <topic>,<qos>,<retain>.
func pubArgs(c *sim.Command) (sim.MQTTMessage, bool) {
	topic := c.Arg(0)
	qos, err1 := c.IntIn(1, 0, 2)
	retain, err2 := c.IntIn(2, 0, 1)
	if topic == "" || len(topic) > maxID || err1 != nil || err2 != nil {
		return sim.MQTTMessage{}, false
	}
	return sim.MQTTMessage{Topic: topic, QoS: byte(qos), Retain: retain == 1}, true
}

// unescape decodes the manual's escapes: a backslash and two hex digits
// stand for that byte (\22 ", \0D CR, \0A LF, \5C backslash); any other
// backslash is kept.
func unescape(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+2 < len(s) {
			if b, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				out = append(out, byte(b))
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}

// publish sends msg; QoS 1 prints PUBACK, QoS 2 PUBREC and PUBCOMP once
// the broker acknowledged. A loss reported meanwhile waits for the
// acknowledgement, which arrived first on the wire.
func (st *state) publish(msg sim.MQTTMessage) {
	s, m := st.s, st.mqtt
	if msg.Payload == nil {
		msg.Payload = []byte{}
	}
	st.pubWait = msg.QoS > 0
	st.inflight++
	m.Publish(msg, func(err error) {
		if st.mqtt != m {
			return // MDISCONNECT, MIPCLOSE or a restart came first
		}
		st.inflight--
		st.pubWait = false
		switch {
		case err != nil:
			if msg.QoS > 0 && !st.lostPending {
				s.URC("ERROR") // assumption
			}
		case msg.QoS == 1:
			s.URC("PUBACK")
		case msg.QoS == 2:
			s.URC("PUBREC")
			s.URC("PUBCOMP")
		}
		if st.inflight == 0 && st.lostPending {
			st.lostPending = false
			st.lost()
		}
	})
}

// cmdMPUBEX: AT+MPUBEX=<topic>,<qos>,<retain>[,<len>], ">" prompt, then
// exactly len bytes, or without len up to Ctrl-Z or 5 s without input.
func cmdMPUBEX(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+MPUBEX:<topic>,(0-2),(0-1),<len>")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	msg, ok := pubArgs(c)
	if !ok || c.NArg() < 3 || c.NArg() > 4 {
		return sim.ErrError
	}
	req := sim.DataEntry{Prompt: st.prompt()}
	if c.NArg() == 4 {
		n, err := c.IntIn(3, 1, maxMessage)
		if err != nil {
			return sim.ErrError
		}
		req.Len = n
	} else {
		req.Max = maxMessage
		req.Idle = idle(s, pubIdle)
	}
	if st.status != connected || st.pubWait {
		return sim.ErrError
	}
	return s.ReadData(req, func(b []byte, err error) error {
		if errors.Is(err, sim.ErrIdle) && len(b) > 0 {
			err = nil
		}
		if err != nil || st.status != connected {
			return sim.ErrError
		}
		msg.Payload = b
		st.publish(msg)
		return nil
	})
}

// received shows an incoming message: pushed as +MSUB: "<topic>",<len>
// byte,<payload> (payload bytes raw), or cached with +MSUB: <slot>.
func (st *state) received(m sim.MQTTMessage) {
	if !st.cacheMode {
		st.s.Write(msubLine(fmt.Sprintf("%q", m.Topic), m.Payload, true))
		return
	}
	slot := -1
	for i, c := range st.cache {
		if c == nil {
			slot = i
			break
		}
		if slot < 0 || c.seq < st.cache[slot].seq {
			slot = i // the oldest, overwritten when all are full
		}
	}
	st.cache[slot] = &cached{msg: m, seq: st.seq}
	st.seq++
	st.s.URC(fmt.Sprintf("+MSUB: %d", slot))
}

// msubLine renders "+MSUB: <topic>,<n> byte,<payload>", framed with CRLF
// on both sides when framed, else followed by CRLF only.
func msubLine(topic string, payload []byte, framed bool) []byte {
	var b []byte
	if framed {
		b = append(b, '\r', '\n')
	}
	b = fmt.Appendf(b, "+MSUB: %s,%d byte,", topic, len(payload))
	b = append(b, payload...)
	return append(b, '\r', '\n')
}

// cmdMQTTMSGSET: AT+MQTTMSGSET=<0 push|1 cache>.
func cmdMQTTMSGSET(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+MQTTMSGSET:(0,1)")
		return nil
	case sim.Read:
		s.Replyf("+MQTTMSGSET:%d", b2i(st.cacheMode)) // no space, as the manual's table
		return nil
	case sim.Exec:
		n, err := c.IntIn(0, 0, 1)
		if err != nil || c.NArg() != 1 {
			return sim.ErrError
		}
		st.cacheMode = n == 1
		return nil
	}
	return sim.ErrError
}

// cmdMQTTMSGGET prints the cached messages, oldest first, and empties the
// cache; the read form shows which slots hold one. Lines of one answer
// are not separated by blank lines (manual and guide).
func cmdMQTTMSGGET(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Read:
		block := []byte("\r\n")
		for i, m := range st.cache {
			v := "INVALID"
			if m != nil {
				v = "VALID"
			}
			block = fmt.Appendf(block, "+MQTTMSGGET: %d,%s\r\n", i, v)
		}
		s.Write(block)
		return nil
	case sim.Action:
	default:
		return sim.ErrError
	}
	var msgs []*cached
	for i, m := range st.cache {
		if m != nil {
			msgs = append(msgs, m)
			st.cache[i] = nil
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	slices.SortFunc(msgs, func(a, b *cached) int { return a.seq - b.seq })
	block := []byte("\r\n")
	for _, m := range msgs {
		topic := m.msg.Topic
		if s.Quirk(QuirkMsgGetTopic) == "quoted" {
			topic = fmt.Sprintf("%q", topic)
		}
		block = append(block, msubLine(topic, m.msg.Payload, false)...)
	}
	s.Write(block)
	return nil
}

// cmdMQTTMODE: AT+MQTTMODE=<0 ASCII|1 hex> for AT+MPUB messages.
func cmdMQTTMODE(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+MQTTMODE: (0,1)")
		return nil
	case sim.Read:
		s.Replyf("+MQTTMODE: %d", b2i(st.hexMode))
		return nil
	case sim.Exec:
		n, err := c.IntIn(0, 0, 1)
		if err != nil || c.NArg() != 1 {
			return sim.ErrError
		}
		st.hexMode = n == 1
		return nil
	}
	return sim.ErrError
}

// cmdMQTTSTATU: "+MQTTSTATU :<state>" (space before the colon, manual).
func cmdMQTTSTATU(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Action:
		s.Replyf("+MQTTSTATU :%d", stateOf(s).status)
		return nil
	}
	return sim.ErrError
}

// cmdMDISCONNECT sends DISCONNECT; the link stays for AT+MIPCLOSE.
func cmdMDISCONNECT(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Action:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	switch {
	case st.status == connected:
		m := st.mqtt
		st.mqtt, st.status, st.pubWait = nil, offline, false
		m.Disconnect(nil)
		return nil
	case st.status == linked:
		return nil
	}
	return sim.ErrError // assumption: no session to end
}

// cmdMIPCLOSE closes the link; with none it answers +CME ERROR: 767
// (guide, after a passive close).
func cmdMIPCLOSE(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Action:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	if !st.sock && !st.starting && !st.connecting {
		return sim.CMEOperationFailed
	}
	st.gen++
	st.drop()
	st.sock, st.starting, st.connecting = false, false, false
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
