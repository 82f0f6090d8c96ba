package sim7000

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/atrun/atrun/sim"
)

// AT+CNACT=<mode>[,"<apn>"]: 0 deactivate, 1 activate, 2 auto (S3).
// The "+APP PDP: ACTIVE" URC after OK is an assumption from SIM7000 logs.
func cmdCNACT(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		ip := "0.0.0.0"
		if st.bearer {
			ip = s.Options().LocalIP
		}
		s.Replyf("+CNACT: %d,%q", b2i(st.bearer), ip)
		return nil
	case sim.Test:
		s.Reply(`+CNACT: (0-2),"APN"`)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	mode, err := c.IntIn(0, 0, 2)
	if err != nil || c.NArg() > 2 {
		return sim.ErrError
	}
	if mode == 0 {
		if st.bearer {
			st.bearer = false
			if st.mqtt != nil {
				st.mqtt.Close()
				st.mqtt = nil
			}
			s.AfterURC(200*time.Millisecond, "+APP PDP: DEACTIVE")
		}
		return nil
	}
	if st.bearer {
		return sim.ErrError
	}
	if !s.Attached() {
		return sim.ErrError
	}
	s.After(s.Between(500*time.Millisecond, 2*time.Second), func() {
		st.bearer = true
		s.URC("+APP PDP: ACTIVE")
	})
	return nil
}

// AT+SMCONF="<tag>",<value> (S22 table).
func cmdSMCONF(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	cf := &st.smconf
	switch c.Kind {
	case sim.Read:
		s.Reply("+SMCONF: ")
		s.Replyf("CLIENTID: %q", cf.clientID)
		s.Replyf("URL: %q", urlString(cf))
		s.Replyf("KEEPTIME: %d", cf.keepAlive)
		s.Replyf("CLEANSS: %d", b2i(cf.cleanSS))
		s.Replyf("QOS: %d", cf.willQoS)
		s.Replyf("TOPIC: %q", cf.willTopic)
		s.Replyf("MESSAGE: %q", cf.willMsg)
		s.Replyf("RETAIN: %d", b2i(cf.willRetain))
		return nil
	case sim.Test:
		s.Reply(`+SMCONF: "CLIENTID","URL","KEEPTIME","CLEANSS","USERNAME","PASSWORD","QOS","TOPIC","MESSAGE","RETAIN"`)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	if c.NArg() < 2 || st.mqtt != nil {
		return sim.ErrError
	}
	tag := strings.ToUpper(c.Arg(0))
	v := c.Arg(1)
	var err error
	switch tag {
	case "CLIENTID":
		cf.clientID = v
	case "URL":
		host, port := v, defaultURL
		switch {
		case c.NArg() == 3:
			port, err = c.IntIn(2, 1, 65535)
		case strings.Contains(v, ":"):
			var p string
			host, p, err = net.SplitHostPort(v)
			if err == nil {
				port, err = strconv.Atoi(p)
			}
		}
		if err != nil || host == "" || port < 1 || port > 65535 {
			return sim.ErrError
		}
		cf.host, cf.port = host, port
	case "KEEPTIME":
		cf.keepAlive, err = c.IntIn(1, 0, 65535)
	case "CLEANSS":
		var n int
		n, err = c.IntIn(1, 0, 1)
		cf.cleanSS = n == 1
	case "USERNAME":
		cf.username = v
	case "PASSWORD":
		cf.password = v
	case "QOS":
		cf.willQoS, err = c.IntIn(1, 0, 2)
	case "TOPIC":
		cf.willTopic = v
	case "MESSAGE":
		cf.willMsg = v
	case "RETAIN":
		var n int
		n, err = c.IntIn(1, 0, 1)
		cf.willRetain = n == 1
	default:
		return sim.ErrError
	}
	if err != nil {
		return sim.ErrError
	}
	return nil
}

func urlString(cf *smConfig) string {
	if cf.host == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", cf.host, cf.port)
}

// AT+SMCONN: synchronous OK or ERROR (S3, S22).
func cmdSMCONN(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		return nil
	}
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	cf := st.smconf
	if !st.bearer || st.mqtt != nil || cf.host == "" {
		return sim.ErrError
	}
	cfg := sim.MQTTConfig{
		Host: cf.host, Port: cf.port,
		ClientID: cf.clientID, Username: cf.username, Password: cf.password,
		KeepAlive:    time.Duration(cf.keepAlive) * time.Second,
		CleanSession: cf.cleanSS,
		OnMessage:    st.smMessage,
		OnLost: func(error) {
			st.mqtt = nil
			clear(st.smSubs)
			s.URC("+SMSTATE: 0")
		},
	}
	if cf.willTopic != "" {
		cfg.Will = &sim.MQTTMessage{Topic: cf.willTopic, Payload: []byte(cf.willMsg), QoS: byte(cf.willQoS), Retain: cf.willRetain}
	}
	start := time.Now()
	s.MQTTConnect(cfg, func(cl *sim.MQTTClient, err error) {
		// At least the modem's own handshake time.
		rest := s.Between(300*time.Millisecond, time.Second) - time.Since(start)
		s.After(rest, func() {
			if err != nil {
				s.Finish(sim.ErrError)
				return
			}
			if !st.bearer {
				cl.Close()
				s.Finish(sim.ErrError)
				return
			}
			st.mqtt = cl
			s.Finish(nil)
		})
	})
	return sim.Pending
}

func cmdSMSTATE(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+SMSTATE: %d", b2i(st.mqtt != nil))
		return nil
	case sim.Test:
		return nil
	}
	return sim.ErrError
}

// smMessage prints an incoming message (quirk "smsub").
func (st *state) smMessage(m sim.MQTTMessage) {
	if st.s.Quirk(QuirkSMSub) == "two-line" {
		st.s.URC(fmt.Sprintf("+SMSUB: %q,%d", m.Topic, len(m.Payload)))
		st.s.WriteString(string(m.Payload) + "\r\n")
		return
	}
	st.s.URC(fmt.Sprintf(`+SMSUB: "%s","%s"`, m.Topic, m.Payload))
}

// AT+SMPUB="<topic>",<len>,<qos>,<retain> -> ">" -> exactly len bytes -> OK.
func cmdSMPUB(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		s.Replyf(`+SMPUB: 128,(0-%d),(0-2),(0-1)`, maxSMPub)
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() != 4 {
		return sim.ErrError
	}
	topic := c.Arg(0)
	n, err1 := c.IntIn(1, 0, maxSMPub)
	qos, err2 := c.IntIn(2, 0, 2)
	retain, err3 := c.IntIn(3, 0, 1)
	if err1 != nil || err2 != nil || err3 != nil || topic == "" {
		return sim.ErrError
	}
	if st.mqtt == nil {
		return sim.ErrError
	}
	want := n
	if st.smPubHex {
		want = 2 * n // SMPUBHEX=1: two hex characters a byte (assumption)
	}
	publish := func(data []byte) error {
		if st.smPubHex {
			dec, err := decodeHex(data)
			if err != nil {
				return sim.ErrError
			}
			data = dec
		}
		cl := st.mqtt
		if cl == nil {
			return sim.ErrError
		}
		atOnce := qos == 0 || s.Quirk(QuirkSMPubAck) == "at-once"
		cl.Publish(sim.MQTTMessage{Topic: topic, Payload: data, QoS: byte(qos), Retain: retain == 1}, func(err error) {
			if atOnce {
				return
			}
			if err != nil {
				s.Finish(sim.ErrError)
				return
			}
			s.Finish(nil)
		})
		if atOnce {
			return nil
		}
		return sim.Pending
	}
	if want == 0 {
		s.WriteString(st.prompt())
		return publish(nil)
	}
	return s.ReadData(sim.DataEntry{Prompt: st.prompt(), Len: want}, func(data []byte, err error) error {
		if err != nil {
			return sim.ErrError
		}
		return publish(data)
	})
}

// AT+SMSUB="<topic>",<qos> -> OK after SUBACK; a second subscription to
// the same topic answers ERROR (botletics comment, S3).
func cmdSMSUB(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		s.Reply(`+SMSUB: 128,(0-2)`)
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() != 2 {
		return sim.ErrError
	}
	topic := c.Arg(0)
	qos, err := c.IntIn(1, 0, 2)
	if err != nil || topic == "" || st.mqtt == nil || st.smSubs[topic] {
		return sim.ErrError
	}
	st.mqtt.Subscribe(topic, byte(qos), nil, func(granted byte, err error) {
		if err != nil || granted == 0x80 {
			s.Finish(sim.ErrError)
			return
		}
		st.smSubs[topic] = true
		s.Finish(nil)
	})
	return sim.Pending
}

func cmdSMUNSUB(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() != 1 {
		return sim.ErrError
	}
	topic := c.Arg(0)
	if st.mqtt == nil || !st.smSubs[topic] {
		return sim.ErrError
	}
	st.mqtt.Unsubscribe(func(err error) {
		if err != nil {
			s.Finish(sim.ErrError)
			return
		}
		delete(st.smSubs, topic)
		s.Finish(nil)
	}, topic)
	return sim.Pending
}

func cmdSMDISC(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		return nil
	}
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	if st.mqtt == nil {
		return sim.ErrError
	}
	cl := st.mqtt
	st.mqtt = nil
	clear(st.smSubs)
	cl.Disconnect(func() { s.Finish(nil) })
	return sim.Pending
}
