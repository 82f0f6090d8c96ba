// Package sim7000 is the virtual SIMCom SIM7000 (LTE-M/NB-IoT): the
// SIMCom TCP/IP stack (AT+CSTT, CIICR, CIFSR, CIPSTART, CIPSEND, CIPRXGET,
// CIPCLOSE, CIPSHUT...) over real sockets, and the native MQTT commands
// (AT+CNACT, SMCONF, SMCONN, SMPUB, SMSUB...) over a real MQTT session.
//
// Sources are those of shared/reference/vendors.md section 2: the SIM7000
// AT manual V1.03 (CIPSEND), SIMCom-compatible CIP* pages (Luat clone,
// S20), TinyGSM and botletics drivers, and real logs (S9, S10, S21).
// Where they leave a detail open the choice is marked "assumption" and,
// where real modules differ, offered as a quirk (see Profile().Quirks).
package sim7000

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/atrun/atrun/sim"
)

func init() { sim.RegisterFunc("sim7000", Profile) }

// Limits.
const (
	maxLinks   = 8    // CIPMUX=1 connections 0-7
	maxSend    = 1460 // AT+CIPSEND? answers +CIPSEND: 1460
	maxRxRaw   = 1460 // AT+CIPRXGET=2 read size
	maxRxHex   = 730  // AT+CIPRXGET=3 read size (S20)
	maxSMPub   = 512  // botletics: SMPUB message 0-512 bytes (S3)
	defaultURL = 1883
)

// Quirk names.
const (
	QuirkPrompt      = "prompt"
	QuirkMuxSep      = "mux-sep"
	QuirkPayloadEcho = "payload-echo"
	QuirkSMSub       = "smsub"
	QuirkSMPubAck    = "smpub-ok"
)

// Profile returns the SIM7000 profile (registered as "sim7000").
func Profile() sim.Profile {
	return sim.Profile{
		Name:         "sim7000",
		Dialect:      "simcom", // the dialect block of its scripts
		Summary:      "SIMCom SIM7000 LTE-M/NB-IoT: CIP* raw TCP/UDP and SM* native MQTT",
		Manufacturer: "SIMCOM INCORPORATED",
		Model:        "SIMCOM_SIM7000E",
		Revision:     "1351B04SIM7000E",
		TAC:          "86905603",
		// RDY after AT+CFUN=1,1 (S9); SMS Ready is what TinyGSM waits for
		// (S1). +CFUN: 1 and +CPIN: READY between them: assumption, the
		// usual SIMCom order.
		Boot:     []string{"RDY", "+CFUN: 1", "+CPIN: READY", "SMS Ready"},
		BootTime: 4 * time.Second,
		CMEE:     1,
		Quirks: map[string]sim.Quirk{
			QuirkPrompt: {
				Doc:    `CIPSEND/SMPUB prompt: "> " (SIMCom docs, S20) or ">" (what TinyGSM matches)`,
				Values: []string{"> ", ">"},
			},
			QuirkMuxSep: {
				Doc:    `separator in multi-link results: ", " gives "0, CONNECT OK" (S21) or "," gives "0,CONNECT OK" (S20)`,
				Values: []string{", ", ","},
			},
			QuirkPayloadEcho: {
				Doc:    `while echo is on, CIPSEND data typed before Ctrl-Z is echoed ("on", as SIM800 does; assumption for SIM7000) or not`,
				Values: []string{"on", "off"},
			},
			QuirkSMSub: {
				Doc:    `incoming SMSUB message: "quoted" +SMSUB: "topic","payload" (S3) or "two-line" +SMSUB: "topic",len then the payload (SIM7080 firmwares, S22)`,
				Values: []string{"quoted", "two-line"},
			},
			QuirkSMPubAck: {
				Doc:    `SMPUB with QoS 1/2 answers OK "after-ack" (PUBACK/PUBCOMP received) or "at-once" (vendors.md 10.5 leaves it open)`,
				Values: []string{"after-ack", "at-once"},
			},
		},
		NewState: func(s *sim.Session) any { return newState(s) },
		Commands: map[string]sim.Handler{
			"I":           cmdATI,
			"+CGMR":       cmdCGMR,
			"+CGATT":      cmdCGATT,
			"+CIPMUX":     cmdCIPMUX,
			"+CIPQSEND":   cmdCIPQSEND,
			"+CIPHEAD":    flag(func(st *state) *bool { return &st.head }, "+CIPHEAD"),
			"+CIPSENDHEX": flag(func(st *state) *bool { return &st.sendHex }, "+CIPSENDHEX"),
			"+CIPRXGET":   cmdCIPRXGET,
			"+CSTT":       cmdCSTT,
			"+CIICR":      cmdCIICR,
			"+CIFSR":      cmdCIFSR,
			"+CIPSTART":   cmdCIPSTART,
			"+CIPSEND":    cmdCIPSEND,
			"+CIPCLOSE":   cmdCIPCLOSE,
			"+CIPSHUT":    cmdCIPSHUT,
			"+CIPSTATUS":  cmdCIPSTATUS,
			"+CNACT":      cmdCNACT,
			"+SMCONF":     cmdSMCONF,
			"+SMCONN":     cmdSMCONN,
			"+SMSTATE":    cmdSMSTATE,
			"+SMPUB":      cmdSMPUB,
			"+SMPUBHEX":   flag(func(st *state) *bool { return &st.smPubHex }, "+SMPUBHEX"),
			"+SMSUB":      cmdSMSUB,
			"+SMUNSUB":    cmdSMUNSUB,
			"+SMDISC":     cmdSMDISC,
		},
	}
}

// IP connection states of AT+CIPSTATUS (SIM800/SIM7000 series).
const (
	ipInitial    = "IP INITIAL"
	ipStart      = "IP START"
	ipConfig     = "IP CONFIG"
	ipGprsact    = "IP GPRSACT"
	ipStatus     = "IP STATUS"
	ipProcessing = "IP PROCESSING"
	tcpConnect   = "TCP CONNECTING"
	connectOK    = "CONNECT OK"
	tcpClosed    = "TCP CLOSED"
	pdpDeact     = "PDP DEACT"
)

type state struct {
	s *sim.Session

	// CIP stack
	ip                        string // IP state, one of the constants above
	apn, user, pwd            string
	mux, qsend, head, sendHex bool
	rxget                     bool // AT+CIPRXGET=1: data waits for CIPRXGET reads
	links                     [maxLinks]*link

	// native MQTT
	bearer   bool // AT+CNACT=1
	smconf   smConfig
	mqtt     *sim.MQTTClient
	smSubs   map[string]bool
	smPubHex bool
}

type link struct {
	n          int
	proto      string
	host       string
	port       int
	conn       *sim.Conn
	status     string // CONNECTING, CONNECTED, CLOSING, CLOSED
	rx         []byte // manual-read buffer
	rxNotified bool   // +CIPRXGET: 1 printed since the buffer was empty
}

type smConfig struct {
	clientID, host, username, password string
	port                               int
	keepAlive                          int
	cleanSS                            bool
	willTopic, willMsg                 string
	willQoS                            int
	willRetain                         bool
}

func newState(s *sim.Session) *state {
	return &state{s: s, ip: ipInitial, smconf: smConfig{keepAlive: 60}, smSubs: map[string]bool{}}
}

// Close drops sockets and the MQTT session (the engine closes tracked
// resources too; this keeps the state consistent).
func (st *state) Close() error {
	for _, l := range st.links {
		if l != nil && l.conn != nil {
			l.conn.Close()
		}
	}
	if st.mqtt != nil {
		st.mqtt.Close()
	}
	return nil
}

func stateOf(s *sim.Session) *state { return sim.StateOf[*state](s) }

// muxed renders a multi-link result such as "0, CONNECT OK".
func (st *state) muxed(n int, text string) string {
	return fmt.Sprintf("%d%s%s", n, st.s.Quirk(QuirkMuxSep), text)
}

// result renders a per-link result in the current CIPMUX mode.
func (st *state) result(n int, text string) string {
	if st.mux {
		return st.muxed(n, text)
	}
	return text
}

func (st *state) prompt() string { return "\r\n" + st.s.Quirk(QuirkPrompt) }

func cmdATI(s *sim.Session, c *sim.Command) error {
	if c.Raw != "" && c.Raw != "0" {
		return sim.ErrError
	}
	// "SIM7000E R1351": model name and the release of the revision string.
	fw := s.Options().Firmware
	rel := fw
	if len(fw) >= 4 {
		rel = fw[:4]
	}
	s.Replyf("%s R%s", strings.TrimPrefix(s.Profile().Model, "SIMCOM_"), rel)
	return nil
}

func cmdCGMR(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Action:
		s.Reply("Revision:" + s.Options().Firmware)
		return nil
	case sim.Test:
		return nil
	}
	return sim.ErrError
}

// cmdCGATT wraps the common AT+CGATT: detaching drops the bearer.
func cmdCGATT(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Exec && c.Arg(0) == "0" {
		st := stateOf(s)
		if st.ip != ipInitial && st.ip != ipStart && st.ip != pdpDeact {
			st.deact(true)
		}
	}
	return sim.Common("+CGATT")(s, c)
}

// deact plays the loss of the PDP context: links close, "+PDP: DEACT"
// (SIMCom spelling per S20; assumption for SIM7000), AT+CIPSHUT needed.
func (st *state) deact(urc bool) {
	st.closeLinks()
	st.ip = pdpDeact
	if urc {
		st.s.URC("+PDP: DEACT")
	}
}

func (st *state) closeLinks() {
	for i, l := range st.links {
		if l != nil && l.conn != nil {
			l.conn.Close()
		}
		st.links[i] = nil
	}
}

// flag is a 0/1 setting with a query form.
func flag(field func(*state) *bool, name string) sim.Handler {
	return func(s *sim.Session, c *sim.Command) error {
		p := field(stateOf(s))
		switch c.Kind {
		case sim.Read:
			s.Replyf("%s: %d", name, b2i(*p))
			return nil
		case sim.Test:
			s.Replyf("%s: (0,1)", name)
			return nil
		case sim.Exec:
			n, err := c.IntIn(0, 0, 1)
			if err != nil || c.NArg() != 1 {
				return sim.ErrError
			}
			*p = n == 1
			return nil
		}
		return sim.ErrError
	}
}

func cmdCIPMUX(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+CIPMUX: %d", b2i(st.mux))
		return nil
	case sim.Test:
		s.Reply("+CIPMUX: (0,1)")
		return nil
	case sim.Exec:
		n, err := c.IntIn(0, 0, 1)
		if err != nil {
			return sim.ErrError
		}
		// Only in IP INITIAL (SIM800/SIM7000 manuals): change it after
		// AT+CIPSHUT.
		if st.ip != ipInitial && (n == 1) != st.mux {
			return sim.CMENotAllowed
		}
		st.mux = n == 1
		return nil
	}
	return sim.ErrError
}

func cmdCIPQSEND(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+CIPQSEND: %d", b2i(st.qsend))
		return nil
	case sim.Test:
		s.Reply("+CIPQSEND: (0,1)")
		return nil
	case sim.Exec:
		n, err := c.IntIn(0, 0, 1)
		if err != nil {
			return sim.ErrError
		}
		st.qsend = n == 1
		return nil
	}
	return sim.ErrError
}

func cmdCSTT(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+CSTT: %q,%q,%q", st.apn, st.user, st.pwd)
		return nil
	case sim.Test:
		s.Reply(`+CSTT: "APN","USER","PWD"`)
		return nil
	case sim.Exec, sim.Action:
		if st.ip != ipInitial {
			return sim.CMENotAllowed
		}
		if c.NArg() > 3 {
			return sim.ErrError
		}
		st.apn, st.user, st.pwd = c.Arg(0), c.Arg(1), c.Arg(2)
		st.ip = ipStart
		return nil
	}
	return sim.ErrError
}

func cmdCIICR(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	if st.ip != ipStart {
		return sim.CMENotAllowed
	}
	st.ip = ipConfig
	// Bringing up the bearer takes a few seconds (drivers allow 60-85 s).
	s.After(s.Between(time.Second, 3*time.Second), func() {
		if !s.Attached() {
			st.ip = pdpDeact
			s.Finish(sim.ErrError)
			return
		}
		st.ip = ipGprsact
		s.Finish(nil)
	})
	return sim.Pending
}

func cmdCIFSR(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	switch st.ip {
	case ipInitial, ipStart, ipConfig, pdpDeact:
		return sim.ErrError
	}
	if st.ip == ipGprsact {
		st.ip = ipStatus
	}
	// The bare address and no OK (S10 log, S20).
	s.Reply(s.Options().LocalIP)
	return sim.Done
}

func cmdCIPSTART(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		if st.mux {
			s.Reply(`+CIPSTART: (0-7),("TCP","UDP"),("(0-255).(0-255).(0-255).(0-255)"),(1-65535)`)
		} else {
			s.Reply(`+CIPSTART: ("TCP","UDP"),("(0-255).(0-255).(0-255).(0-255)"),(1-65535)`)
		}
		return nil
	}
	if c.Kind != sim.Exec {
		return sim.ErrError
	}
	n, at := 0, 0
	if st.mux {
		var err error
		if n, err = c.IntIn(0, 0, maxLinks-1); err != nil || c.NArg() != 4 {
			return sim.ErrError
		}
		at = 1
	} else if c.NArg() != 3 {
		return sim.ErrError
	}
	proto := strings.ToUpper(c.Arg(at))
	host := c.Arg(at + 1)
	port, err := c.IntIn(at+2, 1, 65535)
	if err != nil || (proto != "TCP" && proto != "UDP") || host == "" {
		return sim.ErrError
	}
	if st.ip != ipStatus && st.ip != tcpClosed && st.ip != connectOK && st.ip != tcpConnect {
		// The stack must be up and its address read (CSTT, CIICR, CIFSR):
		// SIMCom's state table accepts CIPSTART in IP STATUS (after
		// CIFSR) and after a close; IP GPRSACT without CIFSR is the
		// classic failure. Assumption: SIM800 manuals also allow IP
		// INITIAL with a default APN; refusing it catches flows that
		// skip the bring-up.
		return sim.CMENotAllowed
	}
	if l := st.links[n]; l != nil && (l.status == "CONNECTED" || l.status == "CONNECTING") {
		s.After(0, func() { s.URC(st.result(n, "ALREADY CONNECT")) })
		return nil
	}
	l := &link{n: n, proto: proto, host: host, port: port, status: "CONNECTING"}
	st.links[n] = l
	if !st.mux {
		st.ip = tcpConnect
	}
	network := "tcp"
	if proto == "UDP" {
		network = "udp"
	}
	s.Dial(sim.DialConfig{
		Network: network, Host: host, Port: port,
		OnData:  func(_ *sim.Conn, b []byte) { st.received(l, b) },
		OnClose: func(_ *sim.Conn, err error) { st.remoteClosed(l) },
	}, func(conn *sim.Conn, err error) {
		if st.links[n] != l {
			if conn != nil {
				conn.Close()
			}
			return
		}
		// The result follows the real connect plus a modem's own delay.
		s.After(s.Between(200*time.Millisecond, 800*time.Millisecond), func() {
			if st.links[n] != l {
				if conn != nil {
					conn.Close()
				}
				return
			}
			if err != nil {
				l.status = "CLOSED"
				st.links[n] = nil
				if st.mux {
					s.URC(st.muxed(n, "CONNECT FAIL"))
				} else {
					st.ip = tcpClosed
					s.URC("STATE: " + tcpClosed)
					s.URC("CONNECT FAIL")
				}
				return
			}
			l.conn, l.status = conn, "CONNECTED"
			if !st.mux {
				st.ip = connectOK
			}
			s.URC(st.result(n, "CONNECT OK"))
		})
	})
	return nil
}

// received handles bytes from the network for link l.
func (st *state) received(l *link, b []byte) {
	s := st.s
	switch {
	case st.rxget:
		notify := len(l.rx) == 0 && !l.rxNotified
		l.rx = append(l.rx, b...)
		if notify {
			l.rxNotified = true
			if st.mux {
				s.URC(fmt.Sprintf("+CIPRXGET: 1,%d", l.n))
			} else {
				s.URC("+CIPRXGET: 1")
			}
		}
	case st.mux:
		// "+RECEIVE,<n>,<len>:" then the data on the next line (S20).
		s.WriteString(fmt.Sprintf("\r\n+RECEIVE,%d,%d:\r\n", l.n, len(b)))
		s.Write(b)
	case st.head:
		s.WriteString(fmt.Sprintf("\r\n+IPD,%d:", len(b)))
		s.Write(b)
	default:
		s.Write(b) // raw push, as SIMCom does with CIPHEAD=0
	}
}

func (st *state) remoteClosed(l *link) {
	if st.links[l.n] != l {
		return
	}
	l.status = "CLOSED"
	if !st.rxget || len(l.rx) == 0 {
		st.links[l.n] = nil
	}
	if !st.mux {
		st.ip = tcpClosed
	}
	st.s.URC(st.result(l.n, "CLOSED"))
}

func (st *state) link(n int) *link {
	if n < 0 || n >= maxLinks {
		return nil
	}
	return st.links[n]
}

func cmdCIPSEND(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		if !st.mux {
			s.Replyf("+CIPSEND: %d", maxSend)
			return nil
		}
		for _, l := range st.links {
			if l != nil && l.status == "CONNECTED" {
				s.Replyf("+CIPSEND: %d,%d", l.n, maxSend)
			}
		}
		return nil
	case sim.Test:
		if st.mux {
			s.Replyf("+CIPSEND: (0-7),(1-%d)", maxSend)
		} else {
			s.Replyf("+CIPSEND: (1-%d)", maxSend)
		}
		return nil
	}
	n, size := 0, 0
	var err error
	switch {
	case st.mux && c.Kind == sim.Exec:
		if n, err = c.IntIn(0, 0, maxLinks-1); err != nil || c.NArg() > 2 {
			return sim.ErrError
		}
		if c.NArg() == 2 {
			if size, err = c.IntIn(1, 1, maxSend); err != nil {
				return sim.ErrError
			}
		}
	case !st.mux && c.Kind == sim.Exec:
		if size, err = c.IntIn(0, 1, maxSend); err != nil || c.NArg() != 1 {
			return sim.ErrError
		}
	case !st.mux && c.Kind == sim.Action:
	default:
		return sim.ErrError
	}
	l := st.link(n)
	if l == nil || l.status != "CONNECTED" {
		return sim.CMENotAllowed
	}
	want := size
	if st.sendHex && size > 0 {
		want = 2 * size // hex text, two characters a byte
	}
	entry := sim.DataEntry{Prompt: st.prompt(), Len: want}
	if size == 0 {
		entry.Max = 2 * maxSend
		entry.Echo = s.Echo() && s.Quirk(QuirkPayloadEcho) == "on"
	}
	return s.ReadData(entry, func(data []byte, err error) error {
		if err != nil {
			return nil // ESC: nothing sent (assumption: OK)
		}
		if st.sendHex {
			dec, herr := decodeHex(data)
			if herr != nil {
				return sim.ErrError
			}
			data = dec
		}
		if len(data) == 0 || len(data) > maxSend {
			return sim.ErrError
		}
		return st.send(l, data)
	})
}

func (st *state) send(l *link, data []byte) error {
	s := st.s
	if l.conn == nil || l.status != "CONNECTED" {
		return sim.Final(st.result(l.n, "SEND FAIL"))
	}
	if err := l.conn.Write(data); err != nil {
		return sim.Final(st.result(l.n, "SEND FAIL"))
	}
	if st.qsend {
		if st.mux {
			return sim.Final(fmt.Sprintf("DATA ACCEPT:%d,%d", l.n, len(data)))
		}
		return sim.Final(fmt.Sprintf("DATA ACCEPT:%d", len(data)))
	}
	// SEND OK once the peer acknowledged: a short network delay.
	s.After(s.Between(50*time.Millisecond, 300*time.Millisecond), func() {
		s.Finish(sim.Final(st.result(l.n, "SEND OK")))
	})
	return sim.Pending
}

// decodeHex reads CIPSENDHEX text: hex digit pairs, spaces ignored.
func decodeHex(b []byte) ([]byte, error) {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if c != ' ' && c != '\r' && c != '\n' {
			clean = append(clean, c)
		}
	}
	out := make([]byte, hex.DecodedLen(len(clean)))
	_, err := hex.Decode(out, clean)
	return out, err
}

func cmdCIPRXGET(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+CIPRXGET: %d", b2i(st.rxget))
		return nil
	case sim.Test:
		s.Reply("+CIPRXGET: (0-4),(0-7),(1-1460)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	mode, err := c.IntIn(0, 0, 4)
	if err != nil {
		return sim.ErrError
	}
	if mode <= 1 {
		st.rxget = mode == 1
		return nil
	}
	if !st.rxget {
		return sim.CMENotAllowed
	}
	n, at := 0, 1
	if st.mux {
		if n, err = c.IntIn(1, 0, maxLinks-1); err != nil {
			return sim.ErrError
		}
		at = 2
	}
	l := st.link(n)
	if l == nil {
		return sim.CMENotAllowed
	}
	head := fmt.Sprintf("+CIPRXGET: %d,", mode)
	if st.mux {
		head += fmt.Sprintf("%d,", n)
	}
	if mode == 4 {
		s.Replyf("%s%d", head, len(l.rx))
		return nil
	}
	limit := maxRxRaw
	if mode == 3 {
		limit = maxRxHex
	}
	want, err := c.IntIn(at, 1, limit)
	if err != nil {
		return sim.ErrError
	}
	k := min(want, len(l.rx))
	chunk := l.rx[:k]
	l.rx = l.rx[k:]
	if len(l.rx) == 0 {
		l.rxNotified = false
		if l.status == "CLOSED" {
			st.links[n] = nil
		}
	}
	s.Replyf("%s%d,%d", head, k, len(l.rx))
	if mode == 3 {
		s.WriteString(strings.ToUpper(hex.EncodeToString(chunk)))
	} else {
		s.Write(chunk)
	}
	return nil
}

func cmdCIPCLOSE(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	n := 0
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Action:
		if st.mux {
			return sim.ErrError
		}
	case sim.Exec:
		if st.mux {
			var err error
			if n, err = c.IntIn(0, 0, maxLinks-1); err != nil {
				return sim.ErrError
			}
		} else if _, err := c.IntIn(0, 0, 1); err != nil {
			return sim.ErrError // single-link form: AT+CIPCLOSE=<quick 0|1>
		}
	default:
		return sim.ErrError
	}
	l := st.link(n)
	if l == nil || l.status == "CLOSED" {
		// "+CME ERROR: operation not allowed" (seen on SIM800, S21b).
		return sim.CMENotAllowed
	}
	if l.conn != nil {
		l.conn.Close()
	}
	st.links[n] = nil
	if !st.mux {
		st.ip = tcpClosed
	}
	s.After(s.Between(50*time.Millisecond, 200*time.Millisecond), func() {
		s.Finish(sim.Final(st.result(n, "CLOSE OK")))
	})
	return sim.Pending
}

func cmdCIPSHUT(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		return nil
	}
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	st.closeLinks()
	st.ip = ipInitial
	s.After(s.Between(300*time.Millisecond, time.Second), func() {
		s.Finish(sim.Final("SHUT OK"))
	})
	return sim.Pending
}

func cmdCIPSTATUS(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		return nil
	case sim.Exec:
		// +CIPSTATUS=<n> (S21): one line and OK.
		if !st.mux {
			return sim.ErrError
		}
		n, err := c.IntIn(0, 0, maxLinks-1)
		if err != nil {
			return sim.ErrError
		}
		s.Reply(st.linkStatus("+CIPSTATUS: ", n))
		return nil
	case sim.Action:
		// OK first, then the state (and per-link lines in multi mode).
		s.Reply("OK")
		s.Reply("STATE: " + st.ip)
		if st.mux {
			for n := range maxLinks {
				s.Reply(st.linkStatus("C: ", n))
			}
		}
		return sim.Done
	}
	return sim.ErrError
}

func (st *state) linkStatus(prefix string, n int) string {
	l := st.links[n]
	if l == nil {
		return fmt.Sprintf(`%s%d,,"","","","INITIAL"`, prefix, n)
	}
	return fmt.Sprintf(`%s%d,0,%q,%q,"%d",%q`, prefix, n, l.proto, l.host, l.port, l.status)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
