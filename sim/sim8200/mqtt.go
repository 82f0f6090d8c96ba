package sim8200

import (
	"fmt"
	"unicode/utf8"

	"github.com/atrun/atrun/sim"
)

// input shows the prompt, reads exactly n bytes and lets store decide the
// final result.
func (st *state) input(n int, store func(b []byte) error) error {
	req := sim.DataEntry{Prompt: st.prompt(), Len: n, Echo: st.echo()}
	return st.s.ReadData(req, func(b []byte, err error) error {
		if err != nil {
			return sim.ErrError
		}
		return store(b)
	})
}

// ready checks what every per-client input command needs: the service
// started, the client acquired and idle.
func (st *state) ready(name string, idx int) (*client, error) {
	if !st.started {
		return nil, sim.ErrError
	}
	cl := st.clients[idx]
	switch {
	case !cl.acquired:
		return nil, st.fail(name, idx, errNotAcquired)
	case cl.busy:
		// A QoS 1/2 publish keeps the message slot busy until its
		// acknowledgement (field note: +CMQTTTOPIC: 0,14 ERROR).
		return nil, st.fail(name, idx, errBusy)
	}
	return cl, nil
}

// lengthCmd parses "<idx>,<len>[,<qos>]" with len in 1..max.
func lengthCmd(c *sim.Command, nargs, max int) (idx, n, qos int, ok bool) {
	if c.Kind != sim.Exec || c.NArg() != nargs {
		return 0, 0, 0, false
	}
	idx, ok = index(c, 0)
	if !ok {
		return 0, 0, 0, false
	}
	n, err := c.IntIn(1, 1, max)
	if err != nil {
		return 0, 0, 0, false
	}
	if nargs > 2 {
		if qos, err = c.IntIn(2, 0, 2); err != nil {
			return 0, 0, 0, false
		}
	}
	return idx, n, qos, true
}

// utf8Topic rejects a topic that is not UTF-8 (error 2, "bad UTF-8
// string"; MQTT 3.1.1 requires UTF-8 topic names).
func (st *state) utf8Topic(name string, idx int, b []byte) error {
	if !utf8.Valid(b) {
		return st.fail(name, idx, errBadUTF8)
	}
	return nil
}

// cmdTOPIC: AT+CMQTTTOPIC=<idx>,<len> then the topic bytes.
func cmdTOPIC(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		s.Reply("+CMQTTTOPIC: (0-1),(1-1024)")
		return nil
	}
	idx, n, _, ok := lengthCmd(c, 2, maxTopic)
	if !ok {
		return sim.ErrError
	}
	st := stateOf(s)
	cl, err := st.ready("+CMQTTTOPIC", idx)
	if err != nil {
		return err
	}
	return st.input(n, func(b []byte) error {
		if err := st.utf8Topic("+CMQTTTOPIC", idx, b); err != nil {
			return err
		}
		cl.topic = b
		return nil
	})
}

// cmdPAYLOAD: AT+CMQTTPAYLOAD=<idx>,<len> then the payload bytes.
func cmdPAYLOAD(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		s.Reply("+CMQTTPAYLOAD: (0-1),(1-10240)")
		return nil
	}
	idx, n, _, ok := lengthCmd(c, 2, maxPayload)
	if !ok {
		return sim.ErrError
	}
	st := stateOf(s)
	cl, err := st.ready("+CMQTTPAYLOAD", idx)
	if err != nil {
		return err
	}
	return st.input(n, func(b []byte) error {
		cl.payload = b
		return nil
	})
}

// cmdWILLTOPIC: AT+CMQTTWILLTOPIC=<idx>,<len> then the will topic.
func cmdWILLTOPIC(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		s.Reply("+CMQTTWILLTOPIC: (0-1),(1-1024)")
		return nil
	}
	idx, n, _, ok := lengthCmd(c, 2, maxTopic)
	if !ok {
		return sim.ErrError
	}
	st := stateOf(s)
	cl, err := st.ready("+CMQTTWILLTOPIC", idx)
	if err != nil {
		return err
	}
	return st.input(n, func(b []byte) error {
		if err := st.utf8Topic("+CMQTTWILLTOPIC", idx, b); err != nil {
			return err
		}
		cl.willTopic = b
		return nil
	})
}

// cmdWILLMSG: AT+CMQTTWILLMSG=<idx>,<len>,<qos> then the will message.
func cmdWILLMSG(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		s.Reply("+CMQTTWILLMSG: (0-1),(1-1024),(0-2)")
		return nil
	}
	idx, n, qos, ok := lengthCmd(c, 3, maxWillMsg)
	if !ok {
		return sim.ErrError
	}
	st := stateOf(s)
	cl, err := st.ready("+CMQTTWILLMSG", idx)
	if err != nil {
		return err
	}
	return st.input(n, func(b []byte) error {
		cl.willMsg, cl.willQoS = b, qos
		return nil
	})
}

// cmdPUB: AT+CMQTTPUB=<idx>,<qos>,<pub_timeout>[,<retained>[,<dup>]].
// The result follows once the message is written (QoS 0) or acknowledged
// (PUBACK, PUBCOMP). Topic and payload are consumed by the publish
// (assumption: the next message needs CMQTTTOPIC again).
func cmdPUB(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+CMQTTPUB: (0-1),(0-2),(1-180),(0-1),(0-1)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	idx, ok := index(c, 0)
	if !ok || c.NArg() < 3 || c.NArg() > 5 {
		return sim.ErrError
	}
	qos, err := c.IntIn(1, 0, 2)
	if err != nil {
		return sim.ErrError
	}
	if _, err := c.IntIn(2, 1, maxPubTime); err != nil {
		return sim.ErrError
	}
	retain, err := c.IntOr(3, 0)
	if err != nil || retain < 0 || retain > 1 {
		return sim.ErrError
	}
	if dup, err := c.IntOr(4, 0); err != nil || dup < 0 || dup > 1 {
		return sim.ErrError
	}
	st := stateOf(s)
	cl, err := st.ready("+CMQTTPUB", idx)
	if err != nil {
		return err
	}
	switch {
	case cl.connecting:
		return st.fail("+CMQTTPUB", idx, errBusy)
	case cl.mqtt == nil:
		return st.fail("+CMQTTPUB", idx, errNoConnection)
	case len(cl.topic) == 0:
		return st.fail("+CMQTTPUB", idx, errTopicEmpty)
	}
	msg := sim.MQTTMessage{Topic: string(cl.topic), Payload: cl.payload, QoS: byte(qos), Retain: retain == 1}
	if msg.Payload == nil {
		msg.Payload = []byte{}
	}
	cl.topic, cl.payload = nil, nil
	m := cl.mqtt
	cl.busy = true
	end := st.begin(cl)
	return st.async(func(done func(string, int)) {
		m.Publish(msg, func(err error) {
			cl.busy = false
			code := opCode(err, m)
			done(fmt.Sprintf("+CMQTTPUB: %d,%d", idx, code), code)
			end()
		})
	})
}

// opCode maps the outcome of a publish, subscribe or unsubscribe.
func opCode(err error, m *sim.MQTTClient) int {
	switch {
	case err == nil:
		return errOK
	case !m.Connected():
		return errNoConnection
	}
	return errTimeout
}

// cmdSUBTOPIC: AT+CMQTTSUBTOPIC=<idx>,<len>,<qos> then the topic; the
// topics collect until AT+CMQTTSUB=<idx>.
func cmdSUBTOPIC(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		s.Reply("+CMQTTSUBTOPIC: (0-1),(1-1024),(0-2)")
		return nil
	}
	idx, n, qos, ok := lengthCmd(c, 3, maxTopic)
	if !ok {
		return sim.ErrError
	}
	st := stateOf(s)
	cl, err := st.ready("+CMQTTSUBTOPIC", idx)
	if err != nil {
		return err
	}
	return st.input(n, func(b []byte) error {
		if err := st.utf8Topic("+CMQTTSUBTOPIC", idx, b); err != nil {
			return err
		}
		cl.subs = append(cl.subs, subTopic{string(b), byte(qos)})
		return nil
	})
}

// cmdSUB has two forms: AT+CMQTTSUB=<idx>,<len>,<qos>[,<dup>] reads the
// topic after a prompt (seed 003, A76XX library); AT+CMQTTSUB=<idx>[,<dup>]
// subscribes the topics given by AT+CMQTTSUBTOPIC.
func cmdSUB(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+CMQTTSUB: (0-1),(1-1024),(0-2),(0-1)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	idx, ok := index(c, 0)
	if !ok {
		return sim.ErrError
	}
	if c.NArg() >= 3 {
		_, n, qos, ok := subArgs(c)
		if !ok {
			return sim.ErrError
		}
		cl, err := st.connected("+CMQTTSUB", idx)
		if err != nil {
			return err
		}
		return st.input(n, func(b []byte) error {
			if err := st.utf8Topic("+CMQTTSUB", idx, b); err != nil {
				return err
			}
			return st.subscribe(cl, []subTopic{{string(b), byte(qos)}})
		})
	}
	if dup, err := c.IntOr(1, 0); err != nil || dup < 0 || dup > 1 {
		return sim.ErrError
	}
	cl, err := st.connected("+CMQTTSUB", idx)
	if err != nil {
		return err
	}
	if len(cl.subs) == 0 {
		return st.fail("+CMQTTSUB", idx, errTopicEmpty)
	}
	subs := cl.subs
	cl.subs = nil
	return st.subscribe(cl, subs)
}

// subArgs parses "<idx>,<len>,<qos>[,<dup>]" of the one-step SUB.
func subArgs(c *sim.Command) (idx, n, qos int, ok bool) {
	idx, ok = index(c, 0)
	if !ok || c.NArg() > 4 {
		return 0, 0, 0, false
	}
	if dup, err := c.IntOr(3, 0); err != nil || dup < 0 || dup > 1 {
		return 0, 0, 0, false
	}
	n, err := c.IntIn(1, 1, maxTopic)
	if err != nil {
		return 0, 0, 0, false
	}
	if qos, err = c.IntIn(2, 0, 2); err != nil {
		return 0, 0, 0, false
	}
	return idx, n, qos, true
}

// connected is ready plus a live session.
func (st *state) connected(name string, idx int) (*client, error) {
	cl, err := st.ready(name, idx)
	if err != nil {
		return nil, err
	}
	switch {
	case cl.connecting:
		return nil, st.fail(name, idx, errBusy)
	case cl.mqtt == nil:
		return nil, st.fail(name, idx, errNoConnection)
	}
	return cl, nil
}

// subscribe sends the topics one SUBSCRIBE each and reports one result:
// 0 when every filter was granted, 1 ("failed") when one was refused.
func (st *state) subscribe(cl *client, subs []subTopic) error {
	m := cl.mqtt
	cl.busy = true
	end := st.begin(cl)
	return st.async(func(done func(string, int)) {
		var next func(i, code int)
		next = func(i, code int) {
			if i == len(subs) || code != errOK {
				cl.busy = false
				done(fmt.Sprintf("+CMQTTSUB: %d,%d", cl.idx, code), code)
				end()
				return
			}
			m.Subscribe(subs[i].topic, subs[i].qos, nil, func(granted byte, err error) {
				code := opCode(err, m)
				if code == errOK && granted == 0x80 {
					code = errFailed
				}
				next(i+1, code)
			})
		}
		next(0, errOK)
	})
}

// cmdUNSUBTOPIC: AT+CMQTTUNSUBTOPIC=<idx>,<len> then the topic.
func cmdUNSUBTOPIC(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		s.Reply("+CMQTTUNSUBTOPIC: (0-1),(1-1024)")
		return nil
	}
	idx, n, _, ok := lengthCmd(c, 2, maxTopic)
	if !ok {
		return sim.ErrError
	}
	st := stateOf(s)
	cl, err := st.ready("+CMQTTUNSUBTOPIC", idx)
	if err != nil {
		return err
	}
	return st.input(n, func(b []byte) error {
		if err := st.utf8Topic("+CMQTTUNSUBTOPIC", idx, b); err != nil {
			return err
		}
		cl.unsubs = append(cl.unsubs, string(b))
		return nil
	})
}

// cmdUNSUB has two forms: AT+CMQTTUNSUB=<idx>,<len>,<dup> reads the topic
// after a prompt (seed 003 sends this form); AT+CMQTTUNSUB=<idx>[,<dup>]
// uses the topics of AT+CMQTTUNSUBTOPIC.
func cmdUNSUB(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+CMQTTUNSUB: (0-1),(1-1024),(0-1)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	idx, ok := index(c, 0)
	if !ok || c.NArg() > 3 {
		return sim.ErrError
	}
	if c.NArg() == 3 {
		n, err := c.IntIn(1, 1, maxTopic)
		if err != nil {
			return sim.ErrError
		}
		if _, err := c.IntIn(2, 0, 1); err != nil {
			return sim.ErrError
		}
		cl, err := st.connected("+CMQTTUNSUB", idx)
		if err != nil {
			return err
		}
		return st.input(n, func(b []byte) error {
			if err := st.utf8Topic("+CMQTTUNSUB", idx, b); err != nil {
				return err
			}
			return st.unsubscribe(cl, []string{string(b)})
		})
	}
	if dup, err := c.IntOr(1, 0); err != nil || dup < 0 || dup > 1 {
		return sim.ErrError
	}
	cl, err := st.connected("+CMQTTUNSUB", idx)
	if err != nil {
		return err
	}
	if len(cl.unsubs) == 0 {
		return st.fail("+CMQTTUNSUB", idx, errTopicEmpty)
	}
	topics := cl.unsubs
	cl.unsubs = nil
	return st.unsubscribe(cl, topics)
}

func (st *state) unsubscribe(cl *client, topics []string) error {
	m := cl.mqtt
	cl.busy = true
	end := st.begin(cl)
	return st.async(func(done func(string, int)) {
		m.Unsubscribe(func(err error) {
			cl.busy = false
			code := opCode(err, m)
			done(fmt.Sprintf("+CMQTTUNSUB: %d,%d", cl.idx, code), code)
			end()
		}, topics...)
	})
}

// received prints one incoming message as the manual's URC sequence.
// Each counted block of bytes is followed by CRLF, so the next URC starts
// after a blank line, as SIM7672 and A7680C captures show:
//
//	+CMQTTRXSTART: 0,3,2
//	+CMQTTRXTOPIC: 0,3
//	cmd
//	+CMQTTRXPAYLOAD: 0,2
//	on
//	+CMQTTRXEND: 0
//
// Topics and payloads longer than 1500 bytes come in several TOPIC or
// PAYLOAD blocks; an empty payload has no PAYLOAD block (assumption).
func (st *state) received(cl *client, m sim.MQTTMessage) {
	s := st.s
	s.URC(fmt.Sprintf("+CMQTTRXSTART: %d,%d,%d", cl.idx, len(m.Topic), len(m.Payload)))
	st.blocks("+CMQTTRXTOPIC", cl.idx, []byte(m.Topic))
	st.blocks("+CMQTTRXPAYLOAD", cl.idx, m.Payload)
	s.URC(fmt.Sprintf("+CMQTTRXEND: %d", cl.idx))
}

func (st *state) blocks(name string, idx int, b []byte) {
	for len(b) > 0 {
		n := min(len(b), rxChunk)
		st.s.URC(fmt.Sprintf("%s: %d,%d", name, idx, n))
		out := make([]byte, 0, n+2)
		out = append(append(out, b[:n]...), '\r', '\n')
		st.s.Write(out)
		b = b[n:]
	}
}
