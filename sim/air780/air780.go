// Package air780 is the virtual AirM2M (Luat) Air780EP, whose AT set the
// Air780E/EX/EPT, Air724UG and Air700E share: native MQTT (AT+MCONFIG,
// MIPSTART/SSLMIPSTART, MCONNECT, MSUB, MUNSUB, MPUB with \22 escapes,
// MPUBEX, MQTTMSGSET/MQTTMSGGET caching, MQTTMODE, MQTTSTATU, MDISCONNECT,
// MIPCLOSE), the file system and SSL settings TLS needs (AT+FSCREATE,
// FSWRITE, FSDEL, FSFLSIZE, SSLCFG with context 88), the SIMCom-style
// bearer commands (AT+CSTT, CIICR, CIFSR, CIPSHUT, CIPSTATUS), AT+RESET,
// and the passive-close (CLOSED) and PDP-deactivation cases.
//
// MIPSTART opens a real TCP (or TLS) connection to the broker and reports
// CONNECT OK; MCONNECT then runs a real MQTT session (a fresh connection
// with the same address and TLS settings) and reports CONNACK OK.
//
// Sources (shared/reference/vendors.md section 8): the Luat AT manual
// pages in openLuat/luatos-doc-pool (MQTT/*, FS/*, TCPIP/SSLCFG, CSTT,
// CIFSR, the MQTT and TCP/IP examples), and the Air780EP MQTT/MQTTS guide
// (seed 004). Where they disagree the manual wins and the guide's form is
// a quirk; choices they leave open are marked "assumption".
package air780

import (
	"time"

	"github.com/atrun/atrun/sim"
)

func init() { sim.RegisterFunc("air780", Profile) }

// Quirk names and values.
const (
	// QuirkPrompt is the data prompt after CRLF for MPUBEX and FSWRITE.
	QuirkPrompt = "prompt"
	// QuirkMsgGetTopic: AT+MQTTMSGGET prints the topic bare (manual:
	// "+MSUB: mqtt/topic,9 byte,...") or quoted (guide, seed 004).
	QuirkMsgGetTopic = "msgget-topic"
	// QuirkLoss decides how a lost connection (the broker closed it, or
	// the remote-close fault knobs) shows: "closed" prints CLOSED (TCP
	// closed passively); "pdp-manual" prints +PDP DEACT and the bearer
	// stays down until AT+CGACT=1,<cid>, AT+CFUN=0/1 or AT+RESET (manual);
	// "pdp-guide" prints +CGEV: NW PDN DEACT 1 and the network restores
	// the default bearer by itself (guide: MIPSTART works again at once).
	QuirkLoss = "loss"

	LossClosed    = "closed"
	LossPDPManual = "pdp-manual"
	LossPDPGuide  = "pdp-guide"
)

// Limits (manual).
const (
	maxID      = 256   // client id, user name, password, topic
	maxWillMsg = 1360  // will message
	maxMessage = 4100  // MPUB message, MPUBEX len
	maxFile    = 10240 // FSWRITE filesize
	maxName    = 64    // file names
	cacheSlots = 4     // MQTTMSGSET=1 cache
	mqttSSLCtx = 88    // SSL context of MQTT
	pubIdle    = 5 * time.Second
)

// Profile returns the Air780EP profile (registered as "air780").
func Profile() sim.Profile {
	return sim.Profile{
		Name:         "air780",
		Dialect:      "luat", // the dialect block of its scripts
		Summary:      "AirM2M Luat Air780EP LTE Cat.1: native MQTT (MIPSTART/MCONNECT/MPUB) with TLS and cached receive",
		Manufacturer: "AirM2M",
		Model:        "Air780EP",
		Revision:     "AirM2M_780EP_V1007_LTE_AT", // firmware of the guide (seed 004)
		TAC:          "86628903",                  // from the guide's IMEI 866289037465624
		// Boot lines after AT+RESET in the SIM guide (S25); the +NITZ
		// time line that follows is left out (it carries the date).
		Boot:     []string{"RDY", "^MODE: 17,17", "+E_UTRAN Service", "+CGEV: ME PDN ACT 1"},
		BootTime: 3 * time.Second,
		// The guide shows "+CME ERROR: 767" without setting AT+CMEE.
		CMEE:     1,
		CMETexts: map[int]string{767: "Operation failed"},
		Quirks: map[string]sim.Quirk{
			QuirkPrompt: {
				Doc:    `MPUBEX/FSWRITE prompt after CRLF: ">" (manual and guide) or "> "`,
				Values: []string{">", "> "},
			},
			QuirkMsgGetTopic: {
				Doc:    `AT+MQTTMSGGET prints the topic "bare" (manual example) or "quoted" (Air780EP guide)`,
				Values: []string{"bare", "quoted"},
			},
			QuirkLoss: {
				Doc:    `a lost connection shows as "closed" (CLOSED), "pdp-manual" (+PDP DEACT, bearer down until reactivated) or "pdp-guide" (+CGEV: NW PDN DEACT 1, bearer back by itself)`,
				Values: []string{LossClosed, LossPDPManual, LossPDPGuide},
			},
		},
		NewState: func(s *sim.Session) any { return newState(s) },
		Commands: map[string]sim.Handler{
			"+RESET":       cmdRESET,
			"+CGACT":       cmdCGACT,
			"+CFUN":        cmdCFUN,
			"+CSTT":        cmdCSTT,
			"+CIICR":       cmdCIICR,
			"+CIFSR":       cmdCIFSR,
			"+CIPSHUT":     cmdCIPSHUT,
			"+CIPSTATUS":   cmdCIPSTATUS,
			"+MCONFIG":     cmdMCONFIG,
			"+MIPSTART":    cmdMIPSTART,
			"+SSLMIPSTART": cmdMIPSTART,
			"+MCONNECT":    cmdMCONNECT,
			"+MSUB":        cmdMSUB,
			"+MUNSUB":      cmdMUNSUB,
			"+MPUB":        cmdMPUB,
			"+MPUBEX":      cmdMPUBEX,
			"+MQTTMSGSET":  cmdMQTTMSGSET,
			"+MQTTMSGGET":  cmdMQTTMSGGET,
			"+MQTTMODE":    cmdMQTTMODE,
			"+MQTTSTATU":   cmdMQTTSTATU,
			"+MDISCONNECT": cmdMDISCONNECT,
			"+MIPCLOSE":    cmdMIPCLOSE,
			"+FSCREATE":    cmdFSCREATE,
			"+FSWRITE":     cmdFSWRITE,
			"+FSDEL":       cmdFSDEL,
			"+FSFLSIZE":    cmdFSFLSIZE,
			"+SSLCFG":      cmdSSLCFG,
		},
	}
}

// MQTT states as AT+MQTTSTATU reports them.
const (
	offline   = 0 // no session
	connected = 1 // CONNACK received: MPUB allowed
	linked    = 2 // TCP up (CONNECT OK), MCONNECT due
)

// IP states of the SIMCom-style stack (AT+CIPSTATUS).
const (
	ipInitial = "IP INITIAL"
	ipStart   = "IP START"
	ipConfig  = "IP CONFIG"
	ipGprsact = "IP GPRSACT"
	ipStatus  = "IP STATUS"
	pdpDeact  = "PDP DEACT"
)

type mconfig struct {
	clientID, user, pass string
	will                 *sim.MQTTMessage
}

type cached struct {
	msg sim.MQTTMessage
	seq int // arrival order, to overwrite the oldest
}

type state struct {
	s *sim.Session

	// MQTT
	cfg         *mconfig
	target      target    // the MIPSTART address and TLS settings
	probe       *sim.Conn // the MIPSTART link until MCONNECT
	mqtt        *sim.MQTTClient
	status      int  // MQTTSTATU
	starting    bool // MIPSTART under way
	connecting  bool // MCONNECT under way
	sock        bool // a link exists that MIPCLOSE closes
	pubWait     bool // a QoS 1/2 MPUB awaits its acknowledgement
	inflight    int  // publishes of the session not finished yet
	lostPending bool // the session was lost while inflight > 0
	cacheMode   bool // MQTTMSGSET=1
	hexMode     bool // MQTTMODE=1
	cache       [cacheSlots]*cached
	seq         int
	gen         int // bumped by MIPCLOSE: late connect results are dropped

	// bearer
	bearer         bool // the default PDP bearer is active
	ip             string
	apn, user, pwd string

	// file system and SSL contexts
	files map[string][]byte
	ssl   map[int]*sslContext
}

func newState(s *sim.Session) *state {
	return &state{s: s, bearer: true, ip: ipInitial, files: map[string][]byte{}, ssl: map[int]*sslContext{}}
}

// Close drops the links (restart or session end).
func (st *state) Close() error {
	st.drop()
	return nil
}

func stateOf(s *sim.Session) *state { return sim.StateOf[*state](s) }

func (st *state) prompt() string { return "\r\n" + st.s.Quirk(QuirkPrompt) }

// drop closes the MIPSTART link and the MQTT session without reports.
func (st *state) drop() {
	if st.probe != nil {
		st.probe.Close()
		st.probe = nil
	}
	if st.mqtt != nil {
		st.mqtt.Close()
		st.mqtt = nil
	}
	st.status, st.pubWait, st.inflight, st.lostPending = offline, false, 0, false
}

// lost reports a link the far end or the network ended, per QuirkLoss.
func (st *state) lost() {
	st.drop()
	switch st.s.Quirk(QuirkLoss) {
	case LossPDPManual:
		st.bearer, st.ip = false, pdpDeact
		st.s.URC("+PDP DEACT")
	case LossPDPGuide:
		st.bearer, st.ip = false, pdpDeact
		st.s.URC("+CGEV: NW PDN DEACT 1")
		// The network activates the default bearer again by itself; the
		// guide's recovery needs no activation command.
		st.s.After(time.Second, func() {
			st.bearer = true
			if st.ip == pdpDeact {
				st.ip = ipInitial
			}
		})
	default:
		st.sock = false
		st.s.URC("CLOSED")
	}
}

// hasBearer reports whether MQTT can open a link: registered, attached
// and the default bearer active (a default bearer is active after
// registration, manual: MQTT usable without CSTT/CIICR).
func (st *state) hasBearer() bool { return st.bearer && st.s.Attached() }

// cmdRESET: AT+RESET answers OK and restarts.
func cmdRESET(s *sim.Session, c *sim.Command) error {
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	s.Restart()
	return nil
}

// cmdCGACT wraps the common command: activating a context restores the
// bearer after a PDP deactivation (manual recovery 1).
func cmdCGACT(s *sim.Session, c *sim.Command) error {
	err := sim.Common("+CGACT")(s, c)
	if err == nil && c.Kind == sim.Exec && c.Arg(0) == "1" {
		st := stateOf(s)
		st.bearer = true
		if st.ip == pdpDeact {
			st.ip = ipInitial
		}
	}
	return err
}

// cmdCFUN wraps the common command: CFUN=0 takes the bearer (and the
// links) down, CFUN=1 brings it back (manual recovery 2).
func cmdCFUN(s *sim.Session, c *sim.Command) error {
	err := sim.Common("+CFUN")(s, c)
	if err != nil || c.Kind != sim.Exec {
		return err
	}
	st := stateOf(s)
	switch c.Arg(0) {
	case "0", "4":
		if st.sock {
			st.sock = false
			st.drop()
			s.URC("CLOSED") // assumption: radio off ends the link like a passive close
		}
		st.bearer = false
	case "1":
		st.bearer = true
		if st.ip == pdpDeact {
			st.ip = ipInitial
		}
	}
	return nil
}

// cmdCSTT: AT+CSTT[=<apn>[,<user>[,<pwd>]]], valid only in IP INITIAL; a
// bare AT+CSTT takes the network's APN.
func cmdCSTT(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+CSTT: "APN","USER","PWD"`)
		return nil
	case sim.Read:
		s.Replyf("+CSTT: %q,%q,%q", st.apn, st.user, st.pwd)
		return nil
	}
	if st.ip != ipInitial || c.NArg() > 3 {
		return sim.ErrError
	}
	apn, user, pwd := c.Arg(0), c.Arg(1), c.Arg(2)
	if len(apn) > 128 || len(user) > 32 || len(pwd) > 32 {
		return sim.ErrError
	}
	if c.Kind == sim.Action {
		apn = "CMNET" // assumption: the network-provided APN
	}
	st.apn, st.user, st.pwd = apn, user, pwd
	st.ip = ipStart
	return nil
}

// cmdCIICR: AT+CIICR brings the bearer up, valid in IP START.
func cmdCIICR(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		return nil
	}
	st := stateOf(s)
	if c.Kind != sim.Action || st.ip != ipStart || !s.Attached() {
		return sim.ErrError
	}
	st.ip = ipConfig
	s.After(s.Between(300*time.Millisecond, 1500*time.Millisecond), func() {
		st.ip = ipGprsact
		st.bearer = true
		s.Finish(nil)
	})
	return sim.Pending
}

// cmdCIFSR prints the bare local address (no OK) once the bearer is up.
func cmdCIFSR(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		return nil
	}
	st := stateOf(s)
	if c.Kind != sim.Action || (st.ip != ipGprsact && st.ip != ipStatus) {
		return sim.ErrError
	}
	st.ip = ipStatus
	s.Reply(s.Options().LocalIP)
	return sim.Done
}

// cmdCIPSHUT: AT+CIPSHUT returns the stack to IP INITIAL.
func cmdCIPSHUT(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		return nil
	}
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	stateOf(s).ip = ipInitial
	return sim.Final("SHUT OK")
}

// cmdCIPSTATUS answers OK, then the state line.
func cmdCIPSTATUS(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Test {
		return nil
	}
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	s.Reply("OK")
	s.Reply("STATE: " + stateOf(s).ip)
	return sim.Done
}
