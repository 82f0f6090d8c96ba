// Package sim8200 is the virtual SIMCom SIM8200 (5G), speaking the MQTT
// command set SIMCom shares across SIM7500/SIM7600/SIM7800/SIM8200 and
// A76xx: AT+CMQTTSTART, CMQTTACCQ, CMQTTCONNECT, CMQTTTOPIC/CMQTTPAYLOAD
// (">" prompt, counted bytes), CMQTTPUB, CMQTTSUBTOPIC/CMQTTSUB (both
// forms), CMQTTUNSUBTOPIC/CMQTTUNSUB, CMQTTDISC, CMQTTREL, CMQTTSTOP, the
// +CMQTTRX* receive URCs and +CMQTTCONNLOST, with TLS set up by
// AT+CCERTDOWN, AT+CSSLCFG and AT+CMQTTSSLCFG. The MQTT side is a real
// client session (sim.Session.MQTTConnect).
//
// Sources (shared/reference/vendors.md section 7): the SIM7500/SIM7600/
// SIM7800 MQTT AT Command Manual V1.00 (receive URCs, p.28), its mirror
// for the 5G line (momoiot "5g-at/cmd/mqtts", F1601-F1617, error table),
// the LilyGO T-SIM7600X logs (boot lines, TLS connect), and driver code
// and captures (A76XX library, A7680C/SIM7672 RX captures, field notes on
// error 14 and 19). Choices the sources leave open are marked
// "assumption"; where real modules differ the profile offers a quirk.
package sim8200

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/atrun/atrun/sim"
)

func init() { sim.RegisterFunc("sim8200", Profile) }

// Quirk names and values.
const (
	// QuirkOrder: "ok-first" prints OK, then the +CMQTTxxx: <idx>,<err>
	// result (the manual's examples); "urc-first" prints the result line,
	// then OK (or ERROR), as real modules print +CMQTTSTART: 0 (S23, S24b).
	QuirkOrder = "result-order"
	// QuirkPrompt is the data prompt after CRLF: ">" or "> ".
	QuirkPrompt = "prompt"
	// QuirkPayloadEcho: "off" or "on" (topic and payload bytes typed after
	// the prompt are echoed).
	QuirkPayloadEcho = "payload-echo"

	OrderOKFirst  = "ok-first"
	OrderURCFirst = "urc-first"
)

// Limits (manual and the 5G mirror).
const (
	numClients  = 2     // client_index 0-1
	maxClientID = 128   // AT+CMQTTACCQ clientID 1-128 bytes
	maxTopic    = 1024  // CMQTTTOPIC/SUBTOPIC/UNSUBTOPIC/WILLTOPIC 1-1024
	maxPayload  = 10240 // CMQTTPAYLOAD 1-10240
	maxWillMsg  = 1024  // CMQTTWILLMSG 1-1024
	maxUserPass = 256   // user name and password 1-256
	maxKeep     = 64800 // keepalive; the lower bound is 1 or 60 depending on the summary, 1 is accepted
	maxPubTime  = 180   // pub_timeout 1-180 s (drivers use 60)
	rxChunk     = 1500  // longer topics/payloads arrive in several RX URCs (SIM7600 capture splits at 1500)
	numSSLCtx   = 10    // ssl_ctx_index 0-9
	maxCert     = 10240 // AT+CCERTDOWN length
)

// MQTT result codes (<err>, manual chapter "MQTT err and unsolicited code").
const (
	errOK            = 0
	errFailed        = 1
	errBadUTF8       = 2
	errSockConnect   = 3
	errNetOpen       = 7
	errNoConnection  = 11
	errInvalidParam  = 12
	errBusy          = 14
	errTimeout       = 17
	errTopicEmpty    = 18
	errClientUsed    = 19
	errNotAcquired   = 20
	errNotReleased   = 21
	errNetOpened     = 23
	errDNS           = 25
	errRefusedBase   = 26 // 27-31: CONNACK return codes 1-5
	errHandshake     = 32
	errNoCertificate = 33
)

// Profile returns the SIM8200 profile (registered as "sim8200").
func Profile() sim.Profile {
	return sim.Profile{
		Name:         "sim8200",
		Dialect:      "simcom_cmqtt", // the dialect block of its scripts
		Summary:      "SIMCom SIM8200 5G (SIM7600/A76xx command set): AT+CMQTT* native MQTT with TLS",
		Manufacturer: "SIMCOM INCORPORATED",
		Model:        "SIMCOM_SIM8200EA-M2",
		Revision:     "SIM8200M22_V1.1", // assumption: shape of SIMCom revision strings
		TAC:          "86891605",        // assumption
		// S23 #100 (SIM7600, verbatim); the SIM8200 prints the same set
		// (assumption: same firmware family).
		Boot:     []string{"RDY", "+CPIN: READY", "SMS DONE", "PB DONE"},
		BootTime: 5 * time.Second,
		// Verbose errors: S23 #49 shows "+CME ERROR: SIM busy" (assumption
		// that this is the default, not a host's AT+CMEE=2).
		CMEE: 2,
		Quirks: map[string]sim.Quirk{
			QuirkOrder: {
				Doc:    `order of OK and the +CMQTTxxx: <idx>,<err> result: "ok-first" (manual examples, S24) or "urc-first" (real logs print +CMQTTSTART: 0 before OK, S23, S24b)`,
				Values: []string{OrderOKFirst, OrderURCFirst},
			},
			QuirkPrompt: {
				Doc:    `data prompt after CRLF for CMQTTTOPIC/PAYLOAD/SUBTOPIC/CCERTDOWN: ">" (manual, S23 log) or "> "`,
				Values: []string{">", "> "},
			},
			QuirkPayloadEcho: {
				Doc:    `bytes typed after the prompt are not echoed ("off") or echoed ("on", as some firmwares do)`,
				Values: []string{"off", "on"},
			},
		},
		NewState: func(s *sim.Session) any { return newState(s) },
		Commands: map[string]sim.Handler{
			"I":                cmdATI,
			"+CGMR":            cmdCGMR,
			"+CMQTTSTART":      cmdSTART,
			"+CMQTTSTOP":       cmdSTOP,
			"+CMQTTACCQ":       cmdACCQ,
			"+CMQTTREL":        cmdREL,
			"+CMQTTSSLCFG":     cmdMQTTSSLCFG,
			"+CMQTTWILLTOPIC":  cmdWILLTOPIC,
			"+CMQTTWILLMSG":    cmdWILLMSG,
			"+CMQTTCONNECT":    cmdCONNECT,
			"+CMQTTDISC":       cmdDISC,
			"+CMQTTTOPIC":      cmdTOPIC,
			"+CMQTTPAYLOAD":    cmdPAYLOAD,
			"+CMQTTPUB":        cmdPUB,
			"+CMQTTSUBTOPIC":   cmdSUBTOPIC,
			"+CMQTTSUB":        cmdSUB,
			"+CMQTTUNSUBTOPIC": cmdUNSUBTOPIC,
			"+CMQTTUNSUB":      cmdUNSUB,
			"+CCERTDOWN":       cmdCCERTDOWN,
			"+CCERTLIST":       cmdCCERTLIST,
			"+CCERTDELE":       cmdCCERTDELE,
			"+CSSLCFG":         cmdCSSLCFG,
		},
	}
}

// client is one MQTT client slot (client_index 0-1).
type client struct {
	idx      int
	acquired bool
	id       string
	ssl      bool // server_type 1
	version  int  // 3 (MQTT 3.1) or 4 (3.1.1)

	willTopic, willMsg []byte
	willQoS            int

	topic, payload []byte // the next CMQTTPUB
	subs           []subTopic
	unsubs         []string

	mqtt        *sim.MQTTClient
	connecting  bool
	busy        bool  // a network operation is in flight (error 14)
	inflight    int   // publish/subscribe/unsubscribe not finished yet
	lostPending error // a loss reported while inflight > 0

	// As given to AT+CMQTTCONNECT, for the read command.
	server          string
	keepalive       int
	clean           int
	user, pass      string
	hasUser, hasPwd bool
}

type subTopic struct {
	topic string
	qos   byte
}

type sslContext struct {
	version, authmode             int
	cacert, clientcert, clientkey string
	ignoreLocalTime, sni          bool
}

type state struct {
	s        *sim.Session
	started  bool
	stopping bool
	clients  [numClients]*client
	ssl      [numSSLCtx]sslContext
	sslBind  [numClients]int   // AT+CMQTTSSLCFG, kept across ACCQ/REL
	certs    map[string][]byte // AT+CCERTDOWN files
}

func newState(s *sim.Session) *state {
	st := &state{s: s, certs: map[string][]byte{}}
	for i := range st.clients {
		st.clients[i] = &client{idx: i}
	}
	for i := range st.ssl {
		st.ssl[i] = sslContext{version: 4}
	}
	return st
}

// Close drops the MQTT sessions (restart or session end).
func (st *state) Close() error {
	for _, cl := range st.clients {
		if cl.mqtt != nil {
			cl.mqtt.Close()
		}
	}
	return nil
}

func stateOf(s *sim.Session) *state { return sim.StateOf[*state](s) }

func (st *state) prompt() string { return "\r\n" + st.s.Quirk(QuirkPrompt) }

func (st *state) echo() bool { return st.s.Quirk(QuirkPayloadEcho) == "on" }

// fail prints the synchronous failure form "+CMQTTxxx: <idx>,<err>" and
// answers ERROR.
func (st *state) fail(name string, idx, code int) error {
	st.s.Replyf("%s: %d,%d", name, idx, code)
	return sim.ErrError
}

// async runs an operation whose "+CMQTTxxx: ..." result comes later. The
// result-order quirk decides whether OK comes first (the command finishes
// now and the result follows as a URC) or last (the command stays pending
// until the result line, then OK, or ERROR when code is not 0). done may
// be called synchronously; the line still keeps its place after OK.
func (st *state) async(start func(done func(line string, code int))) error {
	s := st.s
	urcFirst := s.Quirk(QuirkOrder) == OrderURCFirst
	returned := false
	deliver := func(line string, code int) {
		s.URC(line)
		if urcFirst {
			if code != errOK {
				s.Finish(sim.ErrError)
			} else {
				s.Finish(nil)
			}
		}
	}
	start(func(line string, code int) {
		if !returned {
			s.Post(func() { deliver(line, code) })
			return
		}
		deliver(line, code)
	})
	returned = true
	if urcFirst {
		return sim.Pending
	}
	return nil
}

// index parses argument i as a client index.
func index(c *sim.Command, i int) (int, bool) {
	n, err := c.IntIn(i, 0, numClients-1)
	return n, err == nil
}

func cmdATI(s *sim.Session, c *sim.Command) error {
	if c.Raw != "" && c.Raw != "0" {
		return sim.ErrError
	}
	p, o := s.Profile(), s.Options()
	// SIM7600 ATI layout (seen in many logs); assumption for SIM8200.
	s.Reply("Manufacturer: " + p.Manufacturer)
	s.Reply("Model: " + p.Model)
	s.Reply("Revision: " + o.Firmware)
	s.Reply("IMEI: " + o.IMEI)
	s.Reply("+GCAP: +CGSM")
	return nil
}

func cmdCGMR(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Action:
		s.Reply("+CGMR: " + s.Options().Firmware)
		return nil
	case sim.Test:
		return nil
	}
	return sim.ErrError
}

// cmdSTART: AT+CMQTTSTART activates the PDP context for MQTT.
func cmdSTART(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Action:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	if st.started {
		return st.fail0("+CMQTTSTART", errNetOpened)
	}
	st.started = true
	return st.async(func(done func(string, int)) {
		s.After(s.Between(100*time.Millisecond, 600*time.Millisecond), func() {
			if !s.Attached() {
				st.started = false
				done("+CMQTTSTART: 7", errNetOpen)
				return
			}
			done("+CMQTTSTART: 0", errOK)
		})
	})
}

// fail0 is fail for the index-less +CMQTTSTART/+CMQTTSTOP results.
func (st *state) fail0(name string, code int) error {
	st.s.Replyf("%s: %d", name, code)
	return sim.ErrError
}

// cmdSTOP: AT+CMQTTSTOP. Clients must be released first (assumption:
// error 21 "client not released", as its name says).
func cmdSTOP(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Action:
	default:
		return sim.ErrError
	}
	st := stateOf(s)
	if !st.started || st.stopping {
		return sim.ErrError
	}
	for _, cl := range st.clients {
		if cl.acquired {
			return st.fail0("+CMQTTSTOP", errNotReleased)
		}
	}
	st.stopping = true
	return st.async(func(done func(string, int)) {
		s.After(s.Between(50*time.Millisecond, 300*time.Millisecond), func() {
			st.started, st.stopping = false, false
			done("+CMQTTSTOP: 0", errOK)
		})
	})
}

// cmdACCQ: AT+CMQTTACCQ=<idx>,"<clientID>"[,<server_type>[,<mqtt_version>]].
func cmdACCQ(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+CMQTTACCQ: (0-1),(1-128),(0-1),(3-4)")
		return nil
	case sim.Read:
		for _, cl := range st.clients {
			if cl.acquired {
				s.Replyf("+CMQTTACCQ: %d,%q,%d", cl.idx, cl.id, b2i(cl.ssl))
			} else {
				s.Replyf("+CMQTTACCQ: %d,\"\",0", cl.idx)
			}
		}
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	idx, ok := index(c, 0)
	if !ok || c.NArg() < 2 || c.NArg() > 4 || !c.Quoted(1) {
		return sim.ErrError
	}
	id := c.Arg(1)
	if len(id) < 1 || len(id) > maxClientID {
		return sim.ErrError
	}
	srv, err := c.IntOr(2, 0)
	if err != nil || srv < 0 || srv > 1 {
		return sim.ErrError
	}
	ver, err := c.IntOr(3, 4)
	if err != nil || ver < 3 || ver > 4 {
		return sim.ErrError
	}
	if !st.started {
		return sim.ErrError
	}
	cl := st.clients[idx]
	if cl.acquired {
		return st.fail("+CMQTTACCQ", idx, errClientUsed) // seen in drivers
	}
	*cl = client{idx: idx, acquired: true, id: id, ssl: srv == 1, version: ver}
	return nil
}

// cmdREL: AT+CMQTTREL=<idx>. Releasing a slot that was never acquired
// answers OK (S23 log sends it before ACCQ and gets OK).
func cmdREL(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+CMQTTREL: (0-1)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	idx, ok := index(c, 0)
	if !ok || c.NArg() != 1 {
		return sim.ErrError
	}
	st := stateOf(s)
	cl := st.clients[idx]
	switch {
	case cl.busy || cl.connecting:
		return st.fail("+CMQTTREL", idx, errBusy) // field note: REL right after a QoS 1 PUB
	case cl.mqtt != nil:
		return st.fail("+CMQTTREL", idx, errClientUsed) // assumption: disconnect first
	}
	*cl = client{idx: idx}
	return nil
}

// cmdCONNECT: AT+CMQTTCONNECT=<idx>,"tcp://<host>:<port>",<keepalive>,
// <clean_session>[,"<user>"[,"<pass>"]].
func cmdCONNECT(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+CMQTTCONNECT: (0-1),(9-256),(1-64800),(0-1),(1-256),(1-256)")
		return nil
	case sim.Read:
		for _, cl := range st.clients {
			if cl.mqtt == nil {
				s.Replyf("+CMQTTCONNECT: %d", cl.idx)
				continue
			}
			line := fmt.Sprintf("+CMQTTCONNECT: %d,%q,%d,%d", cl.idx, cl.server, cl.keepalive, cl.clean)
			if cl.hasUser {
				line += fmt.Sprintf(",%q", cl.user)
			}
			if cl.hasPwd {
				line += fmt.Sprintf(",%q", cl.pass)
			}
			s.Reply(line)
		}
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	idx, ok := index(c, 0)
	if !ok || c.NArg() < 4 || c.NArg() > 6 || !c.Quoted(1) {
		return sim.ErrError
	}
	host, port, err := parseServer(c.Arg(1))
	if err != nil {
		return sim.ErrError
	}
	keep, err := c.IntIn(2, 1, maxKeep)
	if err != nil {
		return sim.ErrError
	}
	clean, err := c.IntIn(3, 0, 1)
	if err != nil {
		return sim.ErrError
	}
	user, pass := c.Arg(4), c.Arg(5)
	if len(user) > maxUserPass || len(pass) > maxUserPass {
		return sim.ErrError
	}
	if !st.started {
		return sim.ErrError
	}
	cl := st.clients[idx]
	switch {
	case !cl.acquired:
		return st.fail("+CMQTTCONNECT", idx, errNotAcquired)
	case cl.connecting || cl.busy:
		return st.fail("+CMQTTCONNECT", idx, errBusy)
	case cl.mqtt != nil:
		return st.fail("+CMQTTCONNECT", idx, errClientUsed) // seen on A7672 and in drivers
	}
	cfg := sim.MQTTConfig{
		Host: host, Port: port,
		ClientID:        cl.id,
		Username:        user,
		Password:        pass,
		KeepAlive:       time.Duration(keep) * time.Second,
		CleanSession:    clean == 1,
		ProtocolVersion: uint(cl.version),
		OnMessage:       func(m sim.MQTTMessage) { st.received(cl, m) },
		OnLost: func(err error) {
			if cl.inflight > 0 {
				cl.lostPending = err // printed after the operation's result
				return
			}
			st.lost(cl, err)
		},
	}
	if cl.willTopic != nil && cl.willMsg != nil {
		cfg.Will = &sim.MQTTMessage{Topic: string(cl.willTopic), Payload: cl.willMsg, QoS: byte(cl.willQoS)}
	}
	if cl.ssl {
		t, code := st.tlsConfig(st.sslOf(idx))
		if code != errOK {
			return st.async(func(done func(string, int)) {
				done(fmt.Sprintf("+CMQTTCONNECT: %d,%d", idx, code), code)
			})
		}
		cfg.TLS = t
	}
	cl.server, cl.keepalive, cl.clean = c.Arg(1), keep, clean
	cl.user, cl.pass, cl.hasUser, cl.hasPwd = user, pass, c.NArg() > 4, c.NArg() > 5
	cl.connecting = true
	return st.async(func(done func(string, int)) {
		s.MQTTConnect(cfg, func(m *sim.MQTTClient, err error) {
			cl.connecting = false
			if err != nil {
				code := connectCode(err, cl.ssl)
				done(fmt.Sprintf("+CMQTTCONNECT: %d,%d", idx, code), code)
				return
			}
			cl.mqtt = m
			done(fmt.Sprintf("+CMQTTCONNECT: %d,0", idx), errOK)
		})
	})
}

// parseServer splits "tcp://host:port"; the manual requires the tcp://
// scheme even for TLS, the port defaults to 1883 (assumption).
func parseServer(addr string) (string, int, error) {
	const scheme = "tcp://"
	if len(addr) <= len(scheme) || !strings.EqualFold(addr[:len(scheme)], scheme) {
		return "", 0, fmt.Errorf("server %q does not start with %q", addr, scheme)
	}
	hp := addr[len(scheme):]
	host, ps, err := net.SplitHostPort(hp)
	if err != nil {
		host, ps = hp, "1883"
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 || host == "" {
		return "", 0, fmt.Errorf("server %q: bad host or port", addr)
	}
	return host, port, nil
}

// connectCode maps a failed connect to the manual's <err>.
func connectCode(err error, ssl bool) int {
	var ref *sim.MQTTRefusedError
	if errors.As(err, &ref) && ref.Code >= 1 && ref.Code <= 5 {
		return errRefusedBase + int(ref.Code)
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return errDNS
	}
	if isTLSError(err) {
		return errHandshake
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return errSockConnect
	}
	if ssl {
		// The engine reports some network failures without their cause;
		// over TLS the handshake is the likely one.
		return errHandshake
	}
	return errSockConnect
}

// begin counts a network operation of cl; end must run once its result
// is printed. A loss reported meanwhile is printed then: the result
// arrived first on the wire.
func (st *state) begin(cl *client) (end func()) {
	cl.inflight++
	return func() {
		cl.inflight--
		if err := cl.lostPending; cl.inflight == 0 && err != nil {
			cl.lostPending = nil
			st.lost(cl, err)
		}
	}
}

// lost reports a session the broker or the network ended: cause 1
// "socket is closed passively", 2 "socket is reset".
func (st *state) lost(cl *client, err error) {
	cl.mqtt = nil
	cause := 1
	if errors.Is(err, syscall.ECONNRESET) {
		cause = 2
	}
	st.s.URC(fmt.Sprintf("+CMQTTCONNLOST: %d,%d", cl.idx, cause))
}

// cmdDISC: AT+CMQTTDISC=<idx>,<timeout>; read form lists the states.
func cmdDISC(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+CMQTTDISC: (0-1),(0,60-180)")
		return nil
	case sim.Read:
		for _, cl := range st.clients {
			s.Replyf("+CMQTTDISC: %d,%d", cl.idx, b2i(cl.mqtt == nil)) // 0 connected, 1 disconnected
		}
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	idx, ok := index(c, 0)
	if !ok || c.NArg() != 2 {
		return sim.ErrError
	}
	// Manual: 0, or 60-180 s; drivers also send 120. Accept 0-180.
	if _, err := c.IntIn(1, 0, 180); err != nil {
		return sim.ErrError
	}
	if !st.started {
		return sim.ErrError
	}
	cl := st.clients[idx]
	switch {
	case cl.busy || cl.connecting:
		return st.fail("+CMQTTDISC", idx, errBusy)
	case cl.mqtt == nil:
		return st.fail("+CMQTTDISC", idx, errNoConnection)
	}
	m := cl.mqtt
	cl.mqtt, cl.busy = nil, true
	return st.async(func(done func(string, int)) {
		m.Disconnect(func() {
			cl.busy = false
			done(fmt.Sprintf("+CMQTTDISC: %d,0", idx), errOK)
		})
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
