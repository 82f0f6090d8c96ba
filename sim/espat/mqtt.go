package espat

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"time"

	"github.com/atrun/atrun/sim"
)

// MQTT error extensions ("MQTT AT Error Codes", S18).
const (
	mqttNoConfigured     = 0x6001
	mqttNotInConfigured  = 0x6002
	mqttUninitOrClean    = 0x6003
	mqttAlreadyConnected = 0x6004
	mqttNullLink         = 0x6006
	mqttParamCount       = 0x6008
	mqttStartFailed      = 0x600B
	mqttPublishFailed    = 0x600C
	mqttSubscribeFailed  = 0x600D
	mqttUnsubFailed      = 0x600E
	mqttLinkIDWrong      = 0x6011
	mqttSchemeWrong      = 0x6013
	mqttClientIDNull     = 0x6015
	mqttClientIDLong     = 0x6016
	mqttUsernameLong     = 0x6019
	mqttPasswordLong     = 0x601C
	mqttCertKeyIDWrong   = 0x601E
	mqttCAIDWrong        = 0x6020
	mqttPathLong         = 0x6029
	mqttKeepaliveWrong   = 0x602D
	mqttCleanWrong       = 0x602F
	mqttLWTTopicLong     = 0x6032
	mqttLWTMsgLong       = 0x6035
	mqttLWTQoSWrong      = 0x6037
	mqttLWTRetainWrong   = 0x6039
	mqttHostNull         = 0x603B
	mqttHostLong         = 0x603C
	mqttPortWrong        = 0x603E
	mqttReconnectWrong   = 0x6040
	mqttTopicNull        = 0x6042
	mqttTopicLong        = 0x6043
	mqttDataNull         = 0x6045
	mqttQoSWrong         = 0x6048
	mqttRetainWrong      = 0x604A
	mqttPubLenWrong      = 0x604C
	mqttInDisconnected   = 0x6051
)

// Link states of AT+MQTTCONN? (S18).
const (
	stUninit       = 0
	stUserCfg      = 1
	stConnCfg      = 2
	stDisconnected = 3
	stConnected    = 4
	stNoSub        = 5
	stSubscribed   = 6
)

const (
	maxSubs = 10 // "up to 10 topics can be subscribed"
	// maxLine: "The length of the entire AT command should be less than
	// 256 bytes" (MQTTUSERCFG, MQTTPUB notes).
	maxLine = 256
	// esp8266Buffer is MQTT_BUFFER_SIZE_BYTE, payload plus MQTT header
	// (ESP8266 MQTTPUBRAW note, release v2.2 docs).
	esp8266Buffer = 512
	// esp32Raw bounds MQTTPUBRAW on ESP32 ("limited by available
	// memory"; the figure is an assumption).
	esp32Raw = 64 << 10
	// reconnectDelay is esp-mqtt's default reconnect_timeout_ms.
	reconnectDelay = 10 * time.Second
)

// rawPrompt is what MQTTPUBRAW and MQTTLONG* print before the data:
// OK, then ">" on its own line with no space (byte-exact in the v2.3.0.0
// result table).
const rawPrompt = "\r\nOK\r\n\r\n>"

type link struct {
	state                      int
	scheme                     int
	clientID, user, pass, path string
	keepalive, disableClean    int
	lwtTopic, lwtMsg           string
	lwtQoS, lwtRetain          int
	alpn                       []string
	sni                        string
	host                       string
	port                       int
	reconnect                  int
	timeout                    time.Duration
	cl                         *sim.MQTTClient
	subs                       []sub
	gen                        int // bumped by AT+MQTTCLEAN: pending reconnects stop
}

type sub struct {
	topic string
	qos   byte
}

func (l *link) connected() bool { return l.state >= stConnected }

func (l *link) subscribed(topic string) int {
	return slices.IndexFunc(l.subs, func(s sub) bool { return s.topic == topic })
}

// begin checks <LinkID> (only 0) and the command's argument count.
func (st *state) begin(c *sim.Command, lo, hi int) error {
	if c.Kind != sim.Exec {
		if c.Kind == sim.Test {
			return nil
		}
		return st.fail(errParaNum)
	}
	if c.NArg() < lo || c.NArg() > hi {
		return st.mqttFail(mqttParamCount)
	}
	if n, err := c.Int(0); err != nil || n != 0 {
		return st.mqttFail(mqttLinkIDWrong)
	}
	return nil
}

// AT+MQTTUSERCFG=<LinkID>,<scheme>,"<client_id>","<username>",
// "<password>",<cert_key_ID>,<CA_ID>,"<path>".
func cmdMQTTUSERCFG(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if err := st.begin(c, 8, 8); err != nil || c.Kind == sim.Test {
		return err
	}
	l := &st.mqtt
	scheme, err := c.IntIn(1, 1, 10)
	if err != nil || st.chip == esp8266 && scheme != 1 && scheme != 6 {
		return st.mqttFail(mqttSchemeWrong)
	}
	id, user, pass, path := c.Arg(2), c.Arg(3), c.Arg(4), c.Arg(7)
	switch {
	case len(c.Line) >= maxLine:
		return st.fail(errParaInvalid)
	case id == "":
		return st.mqttFail(mqttClientIDNull)
	case len(id) > 256:
		return st.mqttFail(mqttClientIDLong)
	case len(user) > 64:
		return st.mqttFail(mqttUsernameLong)
	case len(pass) > 64:
		return st.mqttFail(mqttPasswordLong)
	case len(path) > 32:
		return st.mqttFail(mqttPathLong)
	}
	if n, err := c.Int(5); err != nil || n != 0 {
		return st.mqttFail(mqttCertKeyIDWrong)
	}
	if n, err := c.Int(6); err != nil || n != 0 {
		return st.mqttFail(mqttCAIDWrong)
	}
	if l.connected() {
		return st.mqttFail(mqttAlreadyConnected)
	}
	if l.state == stDisconnected {
		return st.mqttFail(mqttNotInConfigured) // AT+MQTTCLEAN first
	}
	l.scheme, l.clientID, l.user, l.pass, l.path = scheme, id, user, pass, path
	if l.state < stUserCfg {
		l.state = stUserCfg
	}
	return nil
}

// AT+MQTTLONGCLIENTID|LONGUSERNAME|LONGPASSWORD=<LinkID>,<length> -> OK,
// ">" -> exactly length bytes -> OK.
func cmdMQTTLong(field func(*link) *string) sim.Handler {
	return func(s *sim.Session, c *sim.Command) error {
		st := stateOf(s)
		if err := st.begin(c, 2, 2); err != nil || c.Kind == sim.Test {
			return err
		}
		n, err := c.IntIn(1, 1, 1024)
		if err != nil {
			return st.fail(errParaInvalid)
		}
		if st.mqtt.state == stUninit {
			return st.mqttFail(mqttNoConfigured)
		}
		if st.mqtt.connected() {
			return st.mqttFail(mqttAlreadyConnected)
		}
		return s.ReadData(sim.DataEntry{Prompt: rawPrompt, Len: n}, func(data []byte, err error) error {
			*field(&st.mqtt) = string(data)
			return nil
		})
	}
}

// AT+MQTTCLIENTID|USERNAME|PASSWORD=<LinkID>,"<value>": the names before
// ESP-AT v2.2 (S18b), still accepted.
func cmdMQTTShort(field func(*link) *string) sim.Handler {
	return func(s *sim.Session, c *sim.Command) error {
		st := stateOf(s)
		if err := st.begin(c, 2, 2); err != nil || c.Kind == sim.Test {
			return err
		}
		if st.mqtt.state == stUninit {
			return st.mqttFail(mqttNoConfigured)
		}
		if len(c.Line) >= maxLine || !c.Quoted(1) {
			return st.fail(errParaInvalid)
		}
		*field(&st.mqtt) = c.Arg(1)
		return nil
	}
}

// AT+MQTTCONNCFG=<LinkID>,<keepalive>,<disable_clean_session>,
// "<lwt_topic>","<lwt_msg>",<lwt_qos>,<lwt_retain>.
func cmdMQTTCONNCFG(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if err := st.begin(c, 7, 7); err != nil || c.Kind == sim.Test {
		return err
	}
	l := &st.mqtt
	ka, err := c.IntIn(1, 0, 7200)
	if err != nil {
		return st.mqttFail(mqttKeepaliveWrong)
	}
	clean, err := c.IntIn(2, 0, 1)
	if err != nil {
		return st.mqttFail(mqttCleanWrong)
	}
	topic, msg := c.Arg(3), c.Arg(4)
	if len(topic) > 128 {
		return st.mqttFail(mqttLWTTopicLong)
	}
	if len(msg) > 128 {
		return st.mqttFail(mqttLWTMsgLong)
	}
	qos, err := c.IntIn(5, 0, 2)
	if err != nil {
		return st.mqttFail(mqttLWTQoSWrong)
	}
	retain, err := c.IntIn(6, 0, 1)
	if err != nil {
		return st.mqttFail(mqttLWTRetainWrong)
	}
	switch {
	case l.state == stUninit:
		return st.mqttFail(mqttNoConfigured)
	case l.connected():
		return st.mqttFail(mqttAlreadyConnected)
	case l.state == stDisconnected:
		return st.mqttFail(mqttNotInConfigured)
	}
	l.keepalive, l.disableClean, l.lwtTopic, l.lwtMsg, l.lwtQoS, l.lwtRetain = ka, clean, topic, msg, qos, retain
	l.state = stConnCfg
	return nil
}

// AT+MQTTALPN=<LinkID>,<alpn_counts>[,"<alpn>"...] (0 clears).
func cmdMQTTALPN(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if err := st.begin(c, 2, 7); err != nil || c.Kind == sim.Test {
		return err
	}
	n, err := c.IntIn(1, 0, 5)
	if err != nil || c.NArg() != 2+n {
		return st.mqttFail(mqttParamCount)
	}
	if st.mqtt.state == stUninit {
		return st.mqttFail(mqttNoConfigured)
	}
	st.mqtt.alpn = c.Args()[2:]
	return nil
}

// AT+MQTTSNI=<LinkID>,"<sni>".
func cmdMQTTSNI(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if err := st.begin(c, 2, 2); err != nil || c.Kind == sim.Test {
		return err
	}
	if st.mqtt.state == stUninit {
		return st.mqttFail(mqttNoConfigured)
	}
	st.mqtt.sni = c.Arg(1)
	return nil
}

// AT+MQTTCONN=<LinkID>,"<host>",<port>,<reconnect>[,<timeout_ms>] ->
// +MQTTCONNECTED:0,<scheme>,"<host>","<port>","<path>",<reconnect> -> OK
// (S18 example: the port is quoted although the notes print it bare).
// A failed connect answers +MQTTDISCONNECTED:0 and ERROR (esp-at #427).
func cmdMQTTCONN(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	l := &st.mqtt
	if c.Kind == sim.Read {
		port := ""
		if l.host != "" {
			port = fmt.Sprint(l.port)
		}
		s.Replyf(`+MQTTCONN:0,%d,%d,"%s","%s","%s",%d`, l.state, l.scheme, l.host, port, l.path, l.reconnect)
		return nil
	}
	if err := st.begin(c, 4, 5); err != nil || c.Kind == sim.Test {
		return err
	}
	host := c.Arg(1)
	if host == "" {
		return st.mqttFail(mqttHostNull)
	}
	if len(host) > 128 {
		return st.mqttFail(mqttHostLong)
	}
	port, err := c.IntIn(2, 0, 65535)
	if err != nil {
		return st.mqttFail(mqttPortWrong)
	}
	reconnect, err := c.IntIn(3, 0, 1)
	if err != nil {
		return st.mqttFail(mqttReconnectWrong)
	}
	timeout, err := c.IntOr(4, 15000)
	if err != nil || timeout < 3000 || timeout > 60000 {
		return st.fail(errParaInvalid)
	}
	switch {
	case l.state == stUninit:
		return st.mqttFail(mqttNoConfigured)
	case l.connected():
		return st.mqttFail(mqttAlreadyConnected)
	case l.state == stDisconnected:
		// "you cannot use this command to reestablish MQTT connection.
		// Please send AT+MQTTCLEAN=0 ... first" (S18).
		return st.mqttFail(mqttNotInConfigured)
	}
	l.host, l.port, l.reconnect, l.timeout = host, port, reconnect, time.Duration(timeout)*time.Millisecond
	st.dial(func(err error) {
		if err != nil {
			l.state = stConnCfg // esp-at #427: +MQTTCONN:0,2,... after the failure
			s.URC("+MQTTDISCONNECTED:0")
			s.Finish(st.mqttFail(mqttStartFailed))
			return
		}
		s.Finish(nil)
	})
	return sim.Pending
}

// dial opens the MQTT session of the link; on success it prints
// +MQTTCONNECTED and re-subscribes kept topics (after a reconnect).
func (st *state) dial(done func(error)) {
	s, l := st.s, &st.mqtt
	gen := l.gen
	fail := func(d time.Duration, err error) {
		s.After(d, func() {
			if l.gen == gen {
				done(err)
			}
		})
	}
	if !st.joined {
		fail(s.Between(50*time.Millisecond, 200*time.Millisecond), fmt.Errorf("no Wi-Fi"))
		return
	}
	if l.scheme >= 6 {
		// MQTT over WebSocket is not modelled: it fails like an
		// unreachable broker.
		fail(s.Between(200*time.Millisecond, time.Second), fmt.Errorf("websocket schemes are not emulated"))
		return
	}
	cfg := sim.MQTTConfig{
		Host: l.host, Port: l.port, TLS: l.tlsConfig(),
		ClientID: l.clientID, Username: l.user, Password: l.pass,
		KeepAlive:    time.Duration(l.keepalive) * time.Second,
		CleanSession: l.disableClean == 0,
		Timeout:      l.timeout,
		OnMessage:    st.received,
		OnLost:       func(error) { st.mqttLost() },
	}
	if l.keepalive == 0 {
		cfg.KeepAlive = 120 * time.Second // "0, which will be force-changed to 120 s"
	}
	if l.lwtTopic != "" {
		cfg.Will = &sim.MQTTMessage{Topic: l.lwtTopic, Payload: []byte(l.lwtMsg), QoS: byte(l.lwtQoS), Retain: l.lwtRetain == 1}
	}
	start := time.Now()
	s.MQTTConnect(cfg, func(cl *sim.MQTTClient, err error) {
		rest := s.Between(100*time.Millisecond, 400*time.Millisecond) - time.Since(start)
		s.After(rest, func() {
			if l.gen != gen || !st.joined {
				if cl != nil {
					cl.Close()
				}
				if l.gen == gen {
					done(fmt.Errorf("no Wi-Fi"))
				}
				return
			}
			if err != nil {
				done(err)
				return
			}
			l.cl, l.state = cl, stConnected
			report := func() {
				s.URC(fmt.Sprintf(`+MQTTCONNECTED:0,%d,"%s","%d","%s",%d`, l.scheme, l.host, l.port, l.path, l.reconnect))
				done(nil)
			}
			if len(l.subs) == 0 {
				report()
				return
			}
			// After a reconnect: the kept topics first (assumption: the
			// report follows the re-subscription).
			l.state = stSubscribed
			left := len(l.subs)
			for _, sb := range l.subs {
				cl.Subscribe(sb.topic, sb.qos, nil, func(byte, error) {
					if left--; left == 0 && l.gen == gen && l.cl == cl {
						report()
					}
				})
			}
		})
	})
}

// tlsConfig maps the scheme to TLS settings; Options.TLS supplies the
// certificates (ESP-AT keeps them in its mfg_nvs partition).
func (l *link) tlsConfig() *tls.Config {
	if l.scheme < 2 || l.scheme > 5 {
		return nil
	}
	t := &tls.Config{ServerName: l.sni, NextProtos: l.alpn}
	// 2: no verification; 3: verify the server; 4: client certificate
	// only; 5: both.
	t.InsecureSkipVerify = l.scheme == 2 || l.scheme == 4
	return t
}

// mqttLost ends a live session: +MQTTDISCONNECTED:0, then reconnects when
// <reconnect> is 1.
func (st *state) mqttLost() {
	l := &st.mqtt
	if l.cl != nil {
		l.cl.Close()
		l.cl = nil
	}
	if !l.connected() {
		return
	}
	l.state = stDisconnected
	st.s.URC("+MQTTDISCONNECTED:0")
	if l.reconnect == 1 {
		st.reconnectLater()
	}
}

// reconnectLater retries every reconnectDelay (scaled, at least 50 ms of
// real time so that a refused broker is not hammered in tests).
func (st *state) reconnectLater() {
	s, l := st.s, &st.mqtt
	gen := l.gen
	d := max(s.Scale(reconnectDelay), 50*time.Millisecond)
	t := time.AfterFunc(d, func() {
		s.Post(func() {
			if s.State() != st || l.gen != gen || l.state != stDisconnected {
				return
			}
			st.dial(func(err error) {
				if err != nil && l.gen == gen && l.state == stDisconnected {
					st.reconnectLater()
				}
			})
		})
	})
	context.AfterFunc(s.Context(), func() { t.Stop() })
}

// received prints +MQTTSUBRECV:<LinkID>,"<topic>",<data_length>,<data>:
// raw data after the last comma, no quotes (S18). Messages longer than
// 1024 bytes come in one line here (the firmware splits them; the split
// layout is not documented).
func (st *state) received(m sim.MQTTMessage) {
	st.s.URC(fmt.Sprintf(`+MQTTSUBRECV:0,"%s",%d,%s`, m.Topic, len(m.Payload), m.Payload))
}

// ready checks that a publish or subscription can go out now.
func (st *state) ready() error {
	l := &st.mqtt
	switch {
	case l.state == stUninit:
		return st.mqttFail(mqttNullLink) // "ERR CODE:0x010a6006" (esp-at #867)
	case !l.connected() || l.cl == nil:
		return st.mqttFail(mqttInDisconnected)
	}
	return nil
}

func (st *state) checkTopic(topic string) error {
	switch {
	case topic == "":
		return st.mqttFail(mqttTopicNull)
	case len(topic) > 128:
		return st.mqttFail(mqttTopicLong)
	}
	return nil
}

// AT+MQTTPUB=<LinkID>,"<topic>","<data>",<qos>,<retain> -> OK (after the
// PUBACK/PUBCOMP for QoS 1/2).
func cmdMQTTPUB(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if err := st.begin(c, 5, 6); err != nil || c.Kind == sim.Test {
		return err
	}
	topic, data := c.Arg(1), c.Arg(2)
	if err := st.checkTopic(topic); err != nil {
		return err
	}
	if data == "" {
		return st.mqttFail(mqttDataNull)
	}
	qos, err := c.IntIn(3, 0, 2)
	if err != nil {
		return st.mqttFail(mqttQoSWrong)
	}
	retain, err := c.IntIn(4, 0, 1)
	if err != nil {
		return st.mqttFail(mqttRetainWrong)
	}
	if len(c.Line) >= maxLine {
		return st.fail(errParaInvalid)
	}
	if err := st.ready(); err != nil {
		return err
	}
	st.mqtt.cl.Publish(sim.MQTTMessage{Topic: topic, Payload: []byte(data), QoS: byte(qos), Retain: retain == 1}, func(err error) {
		if err != nil {
			s.Finish(st.mqttFail(mqttPublishFailed))
			return
		}
		s.Finish(nil)
	})
	return sim.Pending
}

// AT+MQTTPUBRAW=<LinkID>,"<topic>",<length>,<qos>,<retain> -> OK, ">" ->
// exactly length bytes -> +MQTTPUB:OK or +MQTTPUB:FAIL.
func cmdMQTTPUBRAW(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if err := st.begin(c, 5, 6); err != nil || c.Kind == sim.Test {
		return err
	}
	topic := c.Arg(1)
	if err := st.checkTopic(topic); err != nil {
		return err
	}
	qos, err := c.IntIn(3, 0, 2)
	if err != nil {
		return st.mqttFail(mqttQoSWrong)
	}
	retain, err := c.IntIn(4, 0, 1)
	if err != nil {
		return st.mqttFail(mqttRetainWrong)
	}
	limit := esp32Raw
	if st.chip == esp8266 {
		// Fixed header (up to 3 bytes with this buffer), topic length
		// and topic, packet identifier for QoS 1/2.
		limit = esp8266Buffer - 3 - 2 - len(topic)
		if qos > 0 {
			limit -= 2
		}
	}
	n, err := c.IntIn(2, 1, limit)
	if err != nil {
		return st.mqttFail(mqttPubLenWrong)
	}
	if err := st.ready(); err != nil {
		return err
	}
	return s.ReadData(sim.DataEntry{Prompt: rawPrompt, Len: n}, func(data []byte, err error) error {
		cl := st.mqtt.cl
		if err != nil || cl == nil {
			return sim.Final("+MQTTPUB:FAIL")
		}
		cl.Publish(sim.MQTTMessage{Topic: topic, Payload: data, QoS: byte(qos), Retain: retain == 1}, func(err error) {
			if err != nil {
				s.Finish(sim.Final("+MQTTPUB:FAIL"))
				return
			}
			s.Finish(sim.Final("+MQTTPUB:OK"))
		})
		return sim.Pending
	})
}

// AT+MQTTSUB=<LinkID>,"<topic>",<qos> -> OK (ALREADY SUBSCRIBE and OK
// when subscribed before: the OK is an assumption); AT+MQTTSUB? lists.
func cmdMQTTSUB(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	l := &st.mqtt
	if c.Kind == sim.Read {
		for _, sb := range l.subs {
			s.Replyf(`+MQTTSUB:0,%d,"%s",%d`, l.state, sb.topic, sb.qos)
		}
		return nil
	}
	if err := st.begin(c, 3, 3); err != nil || c.Kind == sim.Test {
		return err
	}
	topic := c.Arg(1)
	if err := st.checkTopic(topic); err != nil {
		return err
	}
	qos, err := c.IntIn(2, 0, 2)
	if err != nil {
		return st.mqttFail(mqttQoSWrong)
	}
	if err := st.ready(); err != nil {
		return err
	}
	if l.subscribed(topic) >= 0 {
		s.Reply("ALREADY SUBSCRIBE")
		return nil
	}
	if len(l.subs) >= maxSubs {
		return st.mqttFail(mqttSubscribeFailed)
	}
	l.cl.Subscribe(topic, byte(qos), nil, func(granted byte, err error) {
		if err != nil || granted == 0x80 {
			s.Finish(st.mqttFail(mqttSubscribeFailed))
			return
		}
		l.subs = append(l.subs, sub{topic, byte(qos)})
		if l.connected() {
			l.state = stSubscribed
		}
		s.Finish(nil)
	})
	return sim.Pending
}

// AT+MQTTUNSUB=<LinkID>,"<topic>" -> OK; NO UNSUBSCRIBE and OK when the
// topic was not subscribed.
func cmdMQTTUNSUB(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	l := &st.mqtt
	if err := st.begin(c, 2, 2); err != nil || c.Kind == sim.Test {
		return err
	}
	topic := c.Arg(1)
	if err := st.checkTopic(topic); err != nil {
		return err
	}
	if err := st.ready(); err != nil {
		return err
	}
	i := l.subscribed(topic)
	if i < 0 {
		s.Reply("NO UNSUBSCRIBE")
		return nil
	}
	l.cl.Unsubscribe(func(err error) {
		if err != nil {
			s.Finish(st.mqttFail(mqttUnsubFailed))
			return
		}
		if j := l.subscribed(topic); j >= 0 {
			l.subs = slices.Delete(l.subs, j, j+1)
		}
		if len(l.subs) == 0 && l.connected() {
			l.state = stNoSub
		}
		s.Finish(nil)
	}, topic)
	return sim.Pending
}

// AT+MQTTCLEAN=<LinkID>: disconnect (if connected) and release the link.
func cmdMQTTCLEAN(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	l := &st.mqtt
	if err := st.begin(c, 1, 1); err != nil || c.Kind == sim.Test {
		return err
	}
	if l.state == stUninit {
		return st.mqttFail(mqttUninitOrClean)
	}
	if l.cl != nil {
		l.cl.Disconnect(nil)
	}
	*l = link{gen: l.gen + 1}
	return nil
}
