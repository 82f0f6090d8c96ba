package quectel

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/atrun/atrun/sim"
)

const (
	// maxClients: <TCP_connectID> / <client_idx> 0-5 (BG95 AN; S13 BC26
	// driver). The BC660K AN allows 0-4; BC26 follows the older range.
	maxClients = 6
	// inboxSlots is the EC20 recv/mode 1 buffer count (BG95 AN: 0-4).
	inboxSlots = 5
	// Payload limits: BC26 700 bytes inline, 1024 in data mode (S13d);
	// EC20 4096 (BG95 AN; EC20 value not confirmed, vendors.md 5.1).
	bc26Inline = 700
	bc26Data   = 1024
	ec20Data   = 4096
)

// phase is a client's place in OPEN -> CONN -> DISC -> CLOSE.
type phase int

const (
	idle          phase = iota // never opened, or closed by QMTCLOSE
	opening                    // QMTOPEN running
	open                       // network open, no MQTT session (QMTCONN? state 1)
	connecting                 // QMTCONN running (state 2)
	connected                  // state 3
	disconnecting              // QMTDISC running (state 4)
	down                       // link lost, refused or disconnected: only QMTCLOSE/QMTOPEN
)

type pdpCtx struct {
	typ            int
	apn, user, pwd string
	auth           int
	active         bool
}

type state struct {
	s   *sim.Session
	d   dialect
	cl  [maxClients]*client
	ssl map[int]*sslCtx

	// Network settings the flows make (not modelled further).
	apnType, apn string
	bands        []int
	sclk         int
	pdp          map[int]pdpCtx
	files        map[string][]byte // EC20 AT+QFUPL uploads
}

func newState(s *sim.Session, d dialect) *state {
	st := &state{s: s, d: d, ssl: map[int]*sslCtx{}, bands: []int{8}, pdp: map[int]pdpCtx{}, files: map[string][]byte{}}
	for i := range st.cl {
		st.cl[i] = &client{id: i, cfg: defaultCfg(d)}
	}
	return st
}

// Close drops every link; the engine closes tracked sockets and sessions
// too, this keeps the state consistent.
func (st *state) Close() error {
	for _, c := range st.cl {
		c.drop()
	}
	return nil
}

func stateOf(s *sim.Session) *state { return sim.StateOf[*state](s) }

type client struct {
	id    int
	cfg   cfg
	ph    phase
	host  string
	port  int
	probe *sim.Conn // the TCP (or TLS) link opened by QMTOPEN
	mqtt  *sim.MQTTClient
	rxSeq int                  // message ids for incoming QoS 1/2 (assumption)
	inbox [inboxSlots]*message // EC20 recv/mode 1
}

type message struct {
	id int
	m  sim.MQTTMessage
}

// drop closes the client's network link without any URC.
func (c *client) drop() {
	if c.probe != nil {
		c.probe.Close()
		c.probe = nil
	}
	if c.mqtt != nil {
		c.mqtt.Close()
		c.mqtt = nil
	}
}

// cfg is one client's AT+QMTCFG settings; they survive QMTCLOSE.
type cfg struct {
	version                          int // 3 = MQTT 3.1, 4 = 3.1.1
	pdpcid                           int
	keepalive                        int
	clean                            int
	pktTimeout, retries, notice      int
	willFlag, willQoS, willRetain    int
	willTopic, willMsg               string
	recvMode, recvLen                int // EC20 "recv/mode"; BC26 "showrecvlen" sets recvLen
	sendFmt, recvFmt                 int // BC26 "dataformat": 0 text, 1 hex
	echo                             int // BC26 "echomode"
	ssl, sslCtx, sslConn             int
	aliProduct, aliDevice, aliSecret string
	aliauth                          bool
}

func defaultCfg(d dialect) cfg {
	c := cfg{version: 4, pdpcid: 1, keepalive: 120, clean: 1, pktTimeout: 5, retries: 3}
	if d == bc26 {
		// BC20/BC26 notes (S13c): pkt_timeout 10 s, 3 retries. MQTT 3.1.1
		// by default: assumption (BG95 AN says 3.1.1, BG96 said 3.1).
		c.pktTimeout = 10
	}
	return c
}

// opTimeout is pkt_timeout x (retry_times + 1), the documented maximum
// response time of QMTCONN/QMTSUB/QMTPUB (BC660K AN).
func (c *cfg) opTimeout() time.Duration {
	return time.Duration(c.pktTimeout*(c.retries+1)) * time.Second
}

func (st *state) client(c *sim.Command, i int) (*client, error) {
	id, err := c.IntIn(i, 0, maxClients-1)
	if err != nil {
		return nil, err
	}
	return st.cl[id], nil
}

func (st *state) prompt() string { return "\r\n" + st.s.Quirk(QuirkPrompt) }

// ---------------------------------------------------------------- QMTCFG

// cfgReply answers a QMTCFG query: EC20 repeats the name
// (+QMTCFG: "keepalive",120, BG95 AN), BC26 does not (+QMTCFG: 120,
// BC660K AN).
func (st *state) cfgReply(name string, vals ...any) {
	parts := make([]string, 0, len(vals)+1)
	if st.d == ec20 {
		parts = append(parts, strconv.Quote(name))
	}
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			parts = append(parts, `"`+v+`"`)
		default:
			parts = append(parts, fmt.Sprint(v))
		}
	}
	st.s.Reply("+QMTCFG: " + strings.Join(parts, ","))
}

var cfgTestEC20 = []string{
	`+QMTCFG: "version",(0-5),(3,4)`,
	`+QMTCFG: "pdpcid",(0-5),(1-16)`,
	`+QMTCFG: "ssl",(0-5),(0,1),(0-5)`,
	`+QMTCFG: "keepalive",(0-5),(0-3600)`,
	`+QMTCFG: "session",(0-5),(0,1)`,
	`+QMTCFG: "timeout",(0-5),(1-60),(0-10),(0,1)`,
	`+QMTCFG: "will",(0-5),(0,1),(0-2),(0,1),"will_topic","will_msg"`,
	`+QMTCFG: "recv/mode",(0-5),(0,1),(0,1)`,
	`+QMTCFG: "aliauth",(0-5),"productkey","devicename","devicesecret"`,
}

var cfgTestBC26 = []string{
	`+QMTCFG: "will",(0-5),(0,1),(0-2),(0,1),<will_topic>,<will_msg>`,
	`+QMTCFG: "timeout",(0-5),(1-60),(0-10),(0,1)`,
	`+QMTCFG: "session",(0-5),(0,1)`,
	`+QMTCFG: "keepalive",(0-5),(0-3600)`,
	`+QMTCFG: "aliauth",(0-5),<product_key>,<device_name>,<device_secret>`,
	`+QMTCFG: "version",(0-5),(3,4)`,
	`+QMTCFG: "showrecvlen",(0-5),(0,1)`,
	`+QMTCFG: "echomode",(0-5),(0,1)`,
	`+QMTCFG: "dataformat",(0-5),(0,1),(0,1)`,
	`+QMTCFG: "ssl",(0-5),(0,1),(0-10),(0-4)`,
}

// AT+QMTCFG="<name>",<id>[,<values>]: omitted values query.
func cmdQMTCFG(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		lines := cfgTestEC20
		if st.d == bc26 {
			lines = cfgTestBC26
		}
		for _, l := range lines {
			s.Reply(l)
		}
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	if c.NArg() < 2 || !c.Quoted(0) {
		return sim.ErrError
	}
	cl, err := st.client(c, 1)
	if err != nil {
		return sim.ErrError
	}
	cf := &cl.cfg
	name := strings.ToLower(c.Arg(0))
	query := c.NArg() == 2
	// ints parses arguments 2.. into the targets, each within its range.
	ints := func(spec ...intArg) error {
		if c.NArg() > 2+len(spec) {
			return sim.ErrError
		}
		vals := make([]int, 0, len(spec))
		for i, a := range spec {
			if 2+i >= c.NArg() {
				if !a.optional {
					return sim.ErrError
				}
				break
			}
			n, err := c.IntIn(2+i, a.lo, a.hi)
			if err != nil {
				return sim.ErrError
			}
			vals = append(vals, n)
		}
		for i, n := range vals {
			*spec[i].p = n
		}
		return nil
	}
	ec, bc := st.d == ec20, st.d == bc26
	switch {
	case name == "version":
		if query {
			st.cfgReply(name, cf.version)
			return nil
		}
		return ints(intArg{&cf.version, 3, 4, false})
	case name == "pdpcid" && ec:
		if query {
			st.cfgReply(name, cf.pdpcid)
			return nil
		}
		return ints(intArg{&cf.pdpcid, 1, 16, false})
	case name == "keepalive":
		if query {
			st.cfgReply(name, cf.keepalive)
			return nil
		}
		return ints(intArg{&cf.keepalive, 0, 3600, false})
	case name == "session":
		if query {
			st.cfgReply(name, cf.clean)
			return nil
		}
		return ints(intArg{&cf.clean, 0, 1, false})
	case name == "timeout":
		if query {
			st.cfgReply(name, cf.pktTimeout, cf.retries, cf.notice)
			return nil
		}
		return ints(intArg{&cf.pktTimeout, 1, 60, false}, intArg{&cf.retries, 0, 10, true}, intArg{&cf.notice, 0, 1, true})
	case name == "will":
		return st.cfgWill(c, cf, query)
	case name == "recv/mode" && ec:
		if query {
			st.cfgReply(name, cf.recvMode, cf.recvLen)
			return nil
		}
		return ints(intArg{&cf.recvMode, 0, 1, false}, intArg{&cf.recvLen, 0, 1, true})
	case name == "showrecvlen" && bc:
		if query {
			st.cfgReply(name, cf.recvLen)
			return nil
		}
		return ints(intArg{&cf.recvLen, 0, 1, false})
	case name == "echomode" && bc:
		if query {
			st.cfgReply(name, cf.echo)
			return nil
		}
		return ints(intArg{&cf.echo, 0, 1, false})
	case name == "dataformat" && bc:
		if query {
			st.cfgReply(name, cf.sendFmt, cf.recvFmt)
			return nil
		}
		return ints(intArg{&cf.sendFmt, 0, 1, false}, intArg{&cf.recvFmt, 0, 1, false})
	case name == "ssl":
		if query {
			switch {
			case cf.ssl == 0:
				st.cfgReply(name, cf.ssl)
			case ec:
				st.cfgReply(name, cf.ssl, cf.sslCtx)
			default:
				st.cfgReply(name, cf.ssl, cf.sslCtx, cf.sslConn)
			}
			return nil
		}
		if ec {
			// "ssl",<id>,<enable>[,<ctx_index 0-5>] (BG95 AN).
			return ints(intArg{&cf.ssl, 0, 1, false}, intArg{&cf.sslCtx, 0, 5, true})
		}
		// "ssl",<id>,<enable>[,<SSL_ctxID 0-10>,<SSL_connectID 0-4>]
		// (BC660K AN; assumed the same on BC26).
		return ints(intArg{&cf.ssl, 0, 1, false}, intArg{&cf.sslCtx, 0, 10, true}, intArg{&cf.sslConn, 0, 4, true})
	case name == "aliauth":
		if query {
			if cf.aliauth {
				st.cfgReply(name, cf.aliProduct, cf.aliDevice, cf.aliSecret)
			}
			return nil
		}
		if c.NArg() != 5 || !c.Quoted(2) || !c.Quoted(3) || !c.Quoted(4) {
			return sim.ErrError
		}
		cf.aliProduct, cf.aliDevice, cf.aliSecret, cf.aliauth = c.Arg(2), c.Arg(3), c.Arg(4), true
		return nil
	}
	return sim.ErrError
}

type intArg struct {
	p        *int
	lo, hi   int
	optional bool
}

// "will",<id>[,<will_fg>[,<qos>,<retain>,"<topic>","<msg>"]].
func (st *state) cfgWill(c *sim.Command, cf *cfg, query bool) error {
	if query {
		if cf.willFlag == 0 {
			st.cfgReply("will", 0)
		} else {
			st.cfgReply("will", 1, cf.willQoS, cf.willRetain, cf.willTopic, cf.willMsg)
		}
		return nil
	}
	flag, err := c.IntIn(2, 0, 1)
	if err != nil {
		return sim.ErrError
	}
	if flag == 0 {
		if c.NArg() != 3 {
			return sim.ErrError
		}
		cf.willFlag = 0
		return nil
	}
	qos, err1 := c.IntIn(3, 0, 2)
	retain, err2 := c.IntIn(4, 0, 1)
	if err1 != nil || err2 != nil || c.NArg() != 7 || c.Arg(5) == "" || len(c.Arg(5)) > 256 || len(c.Arg(6)) > 256 {
		return sim.ErrError
	}
	cf.willFlag, cf.willQoS, cf.willRetain, cf.willTopic, cf.willMsg = 1, qos, retain, c.Arg(5), c.Arg(6)
	return nil
}

// --------------------------------------------------------------- QMTOPEN

// AT+QMTOPEN=<id>,"<host>",<port> -> OK -> +QMTOPEN: <id>,<result>.
func cmdQMTOPEN(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+QMTOPEN: (0-5),"<host_name>",(1-65535)`)
		return nil
	case sim.Read:
		for _, cl := range st.cl {
			if cl.ph >= open && cl.ph <= disconnecting {
				s.Replyf("+QMTOPEN: %d,%q,%d", cl.id, cl.host, cl.port)
			}
		}
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	cl, err := st.client(c, 0)
	if err != nil || c.NArg() != 3 || !c.Quoted(1) {
		return sim.ErrError
	}
	port, err := c.IntIn(2, 1, 65535)
	if err != nil {
		return sim.ErrError
	}
	host := c.Arg(1)
	result := func(r int) { s.URC(fmt.Sprintf("+QMTOPEN: %d,%d", cl.id, r)) }
	switch {
	case cl.ph >= opening && cl.ph <= disconnecting:
		// "2: MQTT identifier is occupied" (EC20 driver S17c closes and retries).
		s.After(s.Between(10*time.Millisecond, 50*time.Millisecond), func() { result(2) })
		return nil
	case host == "" || len(host) > 100:
		s.After(10*time.Millisecond, func() { result(1) })
		return nil
	case !s.Attached():
		// "3: Failed to activate PDP".
		s.After(s.Between(time.Second, 3*time.Second), func() { result(3) })
		return nil
	}
	cl.drop()
	cl.ph, cl.host, cl.port = opening, host, port
	tlsConf, err := st.tlsConfig(&cl.cfg, host)
	if err != nil {
		s.After(10*time.Millisecond, func() { result(1) })
		cl.ph = idle
		return nil
	}
	start := time.Now()
	s.Dial(sim.DialConfig{
		Host: host, Port: port, TLS: tlsConf,
		Timeout: 75 * time.Second,
		OnClose: func(conn *sim.Conn, err error) {
			if cl.probe != conn {
				return
			}
			cl.probe = nil
			if cl.ph == open {
				// Peer closed the idle link: +QMTSTAT: <id>,1 (BG95 AN table).
				cl.ph = down
				s.URC(fmt.Sprintf("+QMTSTAT: %d,1", cl.id))
			}
		},
	}, func(conn *sim.Conn, err error) {
		// +QMTOPEN: 0,0 came 0.22 s after OK on EC800M (S15).
		rest := s.Between(150*time.Millisecond, 400*time.Millisecond) - time.Since(start)
		if err != nil {
			cl.ph = idle
			s.After(rest, func() { result(openError(err)) })
			return
		}
		cl.probe = conn
		s.After(rest, func() {
			if cl.probe != conn || conn.Closed() {
				if cl.ph == opening {
					cl.ph = idle
					result(5)
				}
				return
			}
			cl.ph = open
			result(0)
		})
	})
	return nil
}

// openError maps a dial failure to a +QMTOPEN result: 4 "failed to parse
// domain name" for DNS, -1 "failed to open network" for a TLS handshake
// failure (seen on EC25 with AWS TLS, S16c), 5 "network connection error"
// otherwise (assumption).
func openError(err error) int {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return 4
	case isTLSError(err):
		return -1
	}
	return 5
}

// -------------------------------------------------------------- QMTCLOSE

// AT+QMTCLOSE=<id> -> OK -> +QMTCLOSE: <id>,0. A client that was never
// opened answers ERROR (assumption: plain ERROR as for other wrong states).
func cmdQMTCLOSE(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+QMTCLOSE: (0-5)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	cl, err := st.client(c, 0)
	if err != nil || c.NArg() != 1 {
		return sim.ErrError
	}
	if cl.ph == idle || cl.ph == opening || cl.ph == connecting {
		return sim.ErrError
	}
	cl.drop()
	cl.ph = idle
	s.After(s.Between(20*time.Millisecond, 100*time.Millisecond), func() {
		s.URC(fmt.Sprintf("+QMTCLOSE: %d,0", cl.id))
	})
	return nil
}

// --------------------------------------------------------------- QMTCONN

// AT+QMTCONN=<id>,"<clientID>"[,"<user>"[,"<pass>"]] -> OK ->
// +QMTCONN: <id>,<result>[,<ret_code>].
func cmdQMTCONN(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+QMTCONN: (0-5),"<clientID>","<username>","<password>"`)
		return nil
	case sim.Read:
		for _, cl := range st.cl {
			if cl.ph >= open && cl.ph <= disconnecting {
				// 1 initializing, 2 connecting, 3 connected, 4 disconnecting.
				s.Replyf("+QMTCONN: %d,%d", cl.id, int(cl.ph-open)+1)
			}
		}
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	cl, err := st.client(c, 0)
	if err != nil || c.NArg() < 2 || c.NArg() > 4 {
		return sim.ErrError
	}
	if cl.ph != open {
		return sim.ErrError
	}
	cf := &cl.cfg
	id, user, pass := c.Arg(1), c.Arg(2), c.Arg(3)
	if len(id) > 128 || len(user) > 256 || len(pass) > 256 {
		return sim.ErrError
	}
	mqttID := id
	if cf.aliauth && c.NArg() == 2 {
		mqttID, user, pass = aliCredentials(id, cf.aliProduct, cf.aliDevice, cf.aliSecret, cf.ssl == 1)
	}
	tlsConf, err := st.tlsConfig(cf, cl.host)
	if err != nil {
		return sim.ErrError
	}
	cl.ph = connecting
	if cl.probe != nil {
		cl.probe.Close()
		cl.probe = nil
	}
	mc := sim.MQTTConfig{
		Host: cl.host, Port: cl.port, TLS: tlsConf,
		ClientID: mqttID, Username: user, Password: pass,
		KeepAlive:       time.Duration(cf.keepalive) * time.Second,
		CleanSession:    cf.clean == 1,
		ProtocolVersion: uint(cf.version),
		Timeout:         cf.opTimeout(),
		OnMessage:       func(m sim.MQTTMessage) { st.receive(cl, m) },
		OnLost: func(error) {
			if cl.ph != connected && cl.ph != disconnecting {
				return
			}
			cl.mqtt = nil
			cl.ph = down
			// 1: connection closed or reset by peer (BC660K/BG95 AN tables).
			s.URC(fmt.Sprintf("+QMTSTAT: %d,1", cl.id))
		},
	}
	if cf.willFlag == 1 {
		mc.Will = &sim.MQTTMessage{Topic: cf.willTopic, Payload: []byte(cf.willMsg), QoS: byte(cf.willQoS), Retain: cf.willRetain == 1}
	}
	start := time.Now()
	s.MQTTConnect(mc, func(m *sim.MQTTClient, err error) {
		// +QMTCONN: 0,0,0 came 0.30 s after OK on EC800M (S15).
		rest := s.Between(200*time.Millisecond, 500*time.Millisecond) - time.Since(start)
		s.After(rest, func() {
			if cl.ph != connecting {
				if m != nil {
					m.Close()
				}
				return
			}
			var refused *sim.MQTTRefusedError
			switch {
			case err == nil:
				cl.mqtt, cl.ph = m, connected
				s.URC(fmt.Sprintf("+QMTCONN: %d,0,0", cl.id))
			case errors.As(err, &refused):
				// The server closes the link after a refusing CONNACK.
				cl.ph = down
				s.URC(fmt.Sprintf("+QMTCONN: %d,0,%d", cl.id, refused.Code))
			default:
				// 2: failed to send packet (no CONNACK within the timeout).
				cl.ph = down
				s.URC(fmt.Sprintf("+QMTCONN: %d,2", cl.id))
			}
		})
	})
	return nil
}

// --------------------------------------------------------------- QMTDISC

// AT+QMTDISC=<id> -> OK -> +QMTDISC: <id>,0; the link is closed after it.
func cmdQMTDISC(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+QMTDISC: (0-5)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	cl, err := st.client(c, 0)
	if err != nil || c.NArg() != 1 {
		return sim.ErrError
	}
	done := func() {
		cl.ph = down
		s.URC(fmt.Sprintf("+QMTDISC: %d,0", cl.id))
	}
	switch cl.ph {
	case connected:
		cl.ph = disconnecting
		m := cl.mqtt
		cl.mqtt = nil
		m.Disconnect(func() {
			s.After(s.Between(20*time.Millisecond, 100*time.Millisecond), done)
		})
		return nil
	case open:
		// No session yet: only the link closes (assumption).
		cl.drop()
		cl.ph = disconnecting
		s.After(s.Between(20*time.Millisecond, 100*time.Millisecond), done)
		return nil
	}
	return sim.ErrError
}

// ---------------------------------------------------------- QMTSUB/UNS

// AT+QMTSUB=<id>,<msgID>,"<topic1>",<qos1>[,"<topic2>",<qos2>...] -> OK
// -> +QMTSUB: <id>,<msgID>,<result>[,<granted>...] (128: refused).
func cmdQMTSUB(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+QMTSUB: (0-5),(1-65535),"<topic>",(0-2)`)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	cl, err := st.client(c, 0)
	if err != nil || c.NArg() < 4 || c.NArg()%2 != 0 {
		return sim.ErrError
	}
	msgID, err := c.IntIn(1, 1, 65535)
	if err != nil {
		return sim.ErrError
	}
	type sub struct {
		topic string
		qos   byte
	}
	var subs []sub
	for i := 2; i < c.NArg(); i += 2 {
		q, err := c.IntIn(i+1, 0, 2)
		if err != nil || !c.Quoted(i) || c.Arg(i) == "" || len(c.Arg(i)) > 256 {
			return sim.ErrError
		}
		subs = append(subs, sub{c.Arg(i), byte(q)})
	}
	if cl.ph != connected || cl.mqtt == nil {
		return sim.ErrError
	}
	granted := make([]string, len(subs))
	failed := false
	left := len(subs)
	for i, sb := range subs {
		cl.mqtt.Subscribe(sb.topic, sb.qos, nil, func(g byte, err error) {
			if err != nil {
				failed = true
			}
			granted[i] = strconv.Itoa(int(g))
			left--
			if left > 0 {
				return
			}
			if failed {
				s.URC(fmt.Sprintf("+QMTSUB: %d,%d,2", cl.id, msgID))
				return
			}
			s.URC(fmt.Sprintf("+QMTSUB: %d,%d,0,%s", cl.id, msgID, strings.Join(granted, ",")))
		})
	}
	return nil
}

// AT+QMTUNS=<id>,<msgID>,"<topic1>"[,"<topic2>"...] -> OK ->
// +QMTUNS: <id>,<msgID>,<result>.
func cmdQMTUNS(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+QMTUNS: (0-5),(1-65535),"<topic>"`)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	cl, err := st.client(c, 0)
	if err != nil || c.NArg() < 3 {
		return sim.ErrError
	}
	msgID, err := c.IntIn(1, 1, 65535)
	if err != nil {
		return sim.ErrError
	}
	topics := make([]string, 0, c.NArg()-2)
	for i := 2; i < c.NArg(); i++ {
		if !c.Quoted(i) || c.Arg(i) == "" {
			return sim.ErrError
		}
		topics = append(topics, c.Arg(i))
	}
	if cl.ph != connected || cl.mqtt == nil {
		return sim.ErrError
	}
	cl.mqtt.Unsubscribe(func(err error) {
		r := 0
		if err != nil {
			r = 2
		}
		s.URC(fmt.Sprintf("+QMTUNS: %d,%d,%d", cl.id, msgID, r))
	}, topics...)
	return nil
}

// ---------------------------------------------------------- QMTPUB(EX)

// AT+QMTPUB=<id>,<msgID>,<qos>,<retain>,"<topic>" then ">" and data ended
// by Ctrl-Z (ESC cancels); with ,<len> exactly len bytes; BC26 also takes
// the message inline: ,"<msg>" (S13) or ,<len>,"<msg>" (BC660K AN).
func cmdQMTPUB(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		if st.d == bc26 {
			s.Replyf("+QMTPUB: (0-5),(0-65535),(0-2),(0,1),<topic>,(0-%d),<msg>", bc26Data)
		} else {
			s.Replyf(`+QMTPUB: (0-5),<msgid>,(0-2),(0,1),"topic","length"`)
		}
		return nil
	case sim.Exec:
		return st.publish(c, "+QMTPUB")
	}
	return sim.ErrError
}

// AT+QMTPUBEX=<id>,<msgID>,<qos>,<retain>,"<topic>",<length> -> ">" ->
// exactly length bytes, no Ctrl-Z -> OK -> +QMTPUBEX: <id>,<msgID>,<result>
// (EC800M log S15, EC801E note S15b).
func cmdQMTPUBEX(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if s.Quirk(QuirkPubEx) == "off" {
		return sim.ErrError
	}
	switch c.Kind {
	case sim.Test:
		// Verbatim from the EC800M log (S15), space included.
		s.Reply(`+QMTPUBEX: (0-5), <msgid>,(0-2),(0,1),"topic","length"`)
		return nil
	case sim.Exec:
		if c.NArg() != 6 || c.Quoted(5) {
			return sim.ErrError
		}
		return st.publish(c, "+QMTPUBEX")
	}
	return sim.ErrError
}

func (st *state) publish(c *sim.Command, urc string) error {
	s := st.s
	n := c.NArg()
	if n < 5 || n > 7 {
		return sim.ErrError
	}
	cl, err := st.client(c, 0)
	if err != nil {
		return sim.ErrError
	}
	msgID, err1 := c.IntIn(1, 0, 65535)
	qos, err2 := c.IntIn(2, 0, 2)
	retain, err3 := c.IntIn(3, 0, 1)
	topic := c.Arg(4)
	if err1 != nil || err2 != nil || err3 != nil || !c.Quoted(4) || topic == "" || len(topic) > 256 {
		return sim.ErrError
	}
	// "It should be set to 0 when <QoS>=0" (BC660K AN), 1-65535 otherwise.
	if (qos == 0) != (msgID == 0) {
		return sim.ErrError
	}
	limit := ec20Data
	if st.d == bc26 {
		limit = bc26Data
	}
	var inline []byte
	size := -1 // -1: Ctrl-Z mode
	switch {
	case n == 6 && c.Quoted(5):
		if st.d != bc26 || len(c.Arg(5)) > bc26Inline {
			return sim.ErrError // only BC26 takes the message inline
		}
		inline = []byte(c.Arg(5))
	case n >= 6:
		if size, err = c.IntIn(5, 0, limit); err != nil {
			return sim.ErrError
		}
		if n == 7 {
			if st.d != bc26 || !c.Quoted(6) {
				return sim.ErrError
			}
			inline = []byte(c.Arg(6))
			if len(inline) != size*st.hexFactor(&cl.cfg) {
				return sim.ErrError
			}
		}
	}
	if cl.ph != connected || cl.mqtt == nil {
		return sim.ErrError
	}
	send := func(data []byte) error {
		if st.d == bc26 && cl.cfg.sendFmt == 1 {
			dec, ok := decodeHex(data)
			if !ok {
				return sim.ErrError
			}
			data = dec
		}
		if cl.ph != connected || cl.mqtt == nil {
			return sim.ErrError
		}
		cl.mqtt.Publish(sim.MQTTMessage{Topic: topic, Payload: data, QoS: byte(qos), Retain: retain == 1}, func(err error) {
			if err != nil {
				// 2: failed to send packet.
				s.URC(fmt.Sprintf("%s: %d,%d,2", urc, cl.id, msgID))
				return
			}
			s.URC(fmt.Sprintf("%s: %d,%d,0", urc, cl.id, msgID))
		})
		return nil // OK now, the URC once sent (QoS 0) or acknowledged
	}
	if inline != nil {
		return send(inline)
	}
	entry := sim.DataEntry{Prompt: st.prompt(), Echo: st.dataEcho(&cl.cfg)}
	if size >= 0 {
		entry.Len = size * st.hexFactor(&cl.cfg)
		if entry.Len == 0 {
			return send(nil)
		}
	} else {
		// Beyond the limit input is dropped ("the part of data that
		// exceeds ... is omitted", BC660K AN).
		entry.Max = limit * st.hexFactor(&cl.cfg)
	}
	return s.ReadData(entry, func(data []byte, err error) error {
		if err != nil {
			return nil // ESC: nothing published, OK (assumption)
		}
		return send(data)
	})
}

// hexFactor is 2 when BC26 "dataformat" makes the host type hex digits.
func (st *state) hexFactor(cf *cfg) int {
	if st.d == bc26 && cf.sendFmt == 1 {
		return 2
	}
	return 1
}

// dataEcho: BC26 follows AT+QMTCFG="echomode" (default 0, assumption);
// EC20 echoes typed data while ATE1 (EC800M log S15).
func (st *state) dataEcho(cf *cfg) bool {
	if st.d == bc26 {
		return cf.echo == 1
	}
	return st.s.Echo()
}

func decodeHex(b []byte) ([]byte, bool) {
	if len(b)%2 != 0 {
		return nil, false
	}
	out := make([]byte, len(b)/2)
	for i := range out {
		hi, ok1 := unhexDigit(b[2*i])
		lo, ok2 := unhexDigit(b[2*i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		out[i] = hi<<4 | lo
	}
	return out, true
}

func unhexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// -------------------------------------------------------------- receive

// receive prints an incoming PUBLISH:
//
//	+QMTRECV: <id>,<msgID>,"<topic>"[,<len>],"<payload>"
//
// (BC660K and BG95 ANs); BC26 "dataformat" recv 1 prints hex; EC20
// recv/mode 1 buffers it and prints +QMTRECV: <id>,<recv_id>. The packet
// identifier is not visible through the MQTT library: 0 for QoS 0, a
// per-client count otherwise (assumption).
func (st *state) receive(cl *client, m sim.MQTTMessage) {
	id := 0
	if m.QoS > 0 {
		cl.rxSeq = cl.rxSeq%65535 + 1
		id = cl.rxSeq
	}
	if st.d == ec20 && cl.cfg.recvMode == 1 {
		for i, slot := range cl.inbox {
			if slot == nil {
				cl.inbox[i] = &message{id: id, m: m}
				st.s.URC(fmt.Sprintf("+QMTRECV: %d,%d", cl.id, i))
				return
			}
		}
		return // all five buffers full: dropped (assumption)
	}
	st.s.URC(st.recvLine(cl, id, m))
}

func (st *state) recvLine(cl *client, id int, m sim.MQTTMessage) string {
	payload := string(m.Payload)
	if st.d == bc26 && cl.cfg.recvFmt == 1 {
		payload = fmt.Sprintf("%X", m.Payload)
	}
	if cl.cfg.recvLen == 1 {
		return fmt.Sprintf(`+QMTRECV: %d,%d,"%s",%d,"%s"`, cl.id, id, m.Topic, len(m.Payload), payload)
	}
	return fmt.Sprintf(`+QMTRECV: %d,%d,"%s","%s"`, cl.id, id, m.Topic, payload)
}

// AT+QMTRECV? lists buffer use per client (+QMTRECV: <id>,<s0>,...,<s4>);
// AT+QMTRECV=<id>[,<recv_id>] reads and frees buffered messages (EC20
// recv/mode 1, BG95 AN).
func cmdQMTRECV(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+QMTRECV: (0-5),(0-4)")
		return nil
	case sim.Read:
		for _, cl := range st.cl {
			if cl.ph == idle {
				continue
			}
			line := fmt.Sprintf("+QMTRECV: %d", cl.id)
			for _, slot := range cl.inbox {
				line += "," + strconv.Itoa(b2i(slot != nil))
			}
			s.Reply(line)
		}
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	cl, err := st.client(c, 0)
	if err != nil || c.NArg() > 2 {
		return sim.ErrError
	}
	if cl.ph == idle {
		return sim.ErrError
	}
	read := func(i int) {
		if m := cl.inbox[i]; m != nil {
			s.Reply(st.recvLine(cl, m.id, m.m))
			cl.inbox[i] = nil
		}
	}
	if c.NArg() == 2 {
		i, err := c.IntIn(1, 0, inboxSlots-1)
		if err != nil {
			return sim.ErrError
		}
		read(i)
		return nil
	}
	for i := range cl.inbox {
		read(i)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
