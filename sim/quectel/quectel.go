// Package quectel is the virtual Quectel BC26 (NB-IoT, MediaTek MT2625)
// and EC20 (LTE Cat 4, "LTE-Standard" family): their native MQTT client
// (AT+QMTCFG, QMTOPEN, QMTCONN, QMTSUB, QMTUNS, QMTPUB, QMTPUBEX, QMTRECV,
// QMTDISC, QMTCLOSE and the +QMTRECV / +QMTSTAT URCs) over a real MQTT
// session, plus the network commands their flows use.
//
// The two dialects share the command names but not their details:
//
//	                     BC26                        EC20
//	QMTCFG query         +QMTCFG: <v>...             +QMTCFG: "<name>",<v>...
//	QMTCFG names         dataformat echomode         pdpcid recv/mode
//	                     showrecvlen                 (buffered receive)
//	QMTPUB               inline "<msg>", fixed       Ctrl-Z or fixed length;
//	                     length, Ctrl-Z              QMTPUBEX (fixed length)
//	payload echo         AT+QMTCFG="echomode"        while ATE1 (EC800M log)
//	TLS                  QMTCFG "ssl" + QSSLCFG      QMTCFG "ssl" + QSSLCFG
//	                     (ctx,connid,"name",...)     ("name",ctx,...)
//	boot                 MT2625 BROM lines (\n\r)    RDY, +CPIN: READY,
//	                     +CPIN: READY, +IP: <addr>   +QUSIM: 1, +QIND: ...
//
// Sources (shared/reference/vendors.md sections 4 and 5): the BC660K-GL &
// BC950K-GL MQTT Application Note V1.2 (the BC26 family's newest public
// QMT manual; "BC660K AN" below), the BG95/BG77/BG600L MQTT Application
// Note V1.1 (an LTE-family QMT manual; "BG95 AN"), the BC26 MQTT library
// (S13), BC26/BC20 notes (S13b, S13c), a real EC800M log (S15) and EC2x
// drivers (S14b, S17). Details no source settles are marked "assumption".
package quectel

import (
	"fmt"
	"time"

	"github.com/atrun/atrun/sim"
)

func init() {
	sim.RegisterFunc("bc26", BC26)
	sim.RegisterFunc("ec20", EC20)
}

// dialect tells the two command sets apart.
type dialect int

const (
	bc26 dialect = iota
	ec20
)

// Quirk names.
const (
	// QuirkPrompt is the data-mode prompt after CR LF: "> " or ">".
	QuirkPrompt = "prompt"
	// QuirkPubEx says whether the EC20 firmware has AT+QMTPUBEX.
	QuirkPubEx = "qmtpubex"
)

// BC26 returns the BC26 profile (registered as "bc26").
func BC26() sim.Profile {
	p := sim.Profile{
		Name:    "bc26",
		Dialect: "quectel", // scripts/bc26/dialect.at
		Summary: "Quectel BC26 NB-IoT (MT2625): QMT* native MQTT",
		// ATI layout "Quectel_Ltd / Quectel_BC26 / Revision: ..."
		// (assumption: the BC26 firmware naming seen in forum posts).
		Manufacturer: "Quectel_Ltd",
		Model:        "Quectel_BC26",
		Revision:     "BC26NBR01A10",
		TAC:          "86728703",
		// The BROM banner is written raw by OnBoot (its lines end "\n\r",
		// S12); then +CPIN: READY (S12 MODULE_STARTUP_END_BANNER). RDY was
		// never seen on a BC26 (vendors.md 10.3).
		BootTime: 500 * time.Millisecond,
		OnBoot:   bootBC26,
		CMEE:     1,
		Quirks: map[string]sim.Quirk{
			QuirkPrompt: promptQuirk,
		},
		NewState: func(s *sim.Session) any { return newState(s, bc26) },
		Commands: map[string]sim.Handler{
			"+CGSN":       cmdCGSN,
			"+QCCID":      cmdQCCID,
			"+QCGDEFCONT": cmdQCGDEFCONT,
			"+QBAND":      cmdQBAND,
			"+CEDRXS":     cmdAccept("+CEDRXS", `+CEDRXS: (0,1,2,3),(5),("0000"-"1111")`),
			"+CPSMS":      cmdAccept("+CPSMS", "+CPSMS: (0,1,2),,,,(00000000-11111111),(00000000-11111111)"),
			"+QSCLK":      cmdQSCLK,
			"+QRST":       cmdQRST,
			"+QSSLCFG":    cmdQSSLCFGBC26,
		},
	}
	addQMT(p.Commands)
	return p
}

// EC20 returns the EC20 profile (registered as "ec20").
func EC20() sim.Profile {
	p := sim.Profile{
		Name:         "ec20",
		Dialect:      "quectel", // scripts/ec20/dialect.at
		Summary:      "Quectel EC20 LTE Cat 4: QMT* native MQTT",
		Manufacturer: "Quectel",
		Model:        "EC20F",
		Revision:     "EC20CEFAGR06A05M4G",
		TAC:          "86146803",
		// RDY, +CPIN: READY, +QUSIM: 1, +QIND: SMS DONE, +QIND: PB DONE
		// (S16; the order of the last two varies, this is the usual one).
		Boot:     []string{"RDY", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"},
		BootTime: 8 * time.Second,
		CMEE:     1,
		Quirks: map[string]sim.Quirk{
			QuirkPrompt: promptQuirk,
			QuirkPubEx: {
				Doc:    `AT+QMTPUBEX present ("on": EC800M log S15, EC2x MQTT AN V1.1 S16b) or absent ("off": older firmwares answer ERROR)`,
				Values: []string{"on", "off"},
			},
		},
		NewState: func(s *sim.Session) any { return newState(s, ec20) },
		Commands: map[string]sim.Handler{
			"+CGSN":     cmdCGSN,
			"+QCCID":    cmdQCCID,
			"+QICSGP":   cmdQICSGP,
			"+QIACT":    cmdQIACT,
			"+QIDEACT":  cmdQIDEACT,
			"+QNWINFO":  cmdQNWINFO,
			"+QSSLCFG":  cmdQSSLCFGEC20,
			"+QMTPUBEX": cmdQMTPUBEX,
			"+QMTRECV":  cmdQMTRECV,
			"+QFUPL":    cmdQFUPL,
			"+QFDEL":    cmdQFDEL,
		},
	}
	addQMT(p.Commands)
	return p
}

var promptQuirk = sim.Quirk{
	Doc:    `data-mode prompt after CR LF: "> " (EC200x driver matches "\r\n> ", S17d) or ">" (BG77 driver matches "\r\n>", S14b)`,
	Values: []string{"> ", ">"},
}

func addQMT(m map[string]sim.Handler) {
	m["+QMTCFG"] = cmdQMTCFG
	m["+QMTOPEN"] = cmdQMTOPEN
	m["+QMTCLOSE"] = cmdQMTCLOSE
	m["+QMTCONN"] = cmdQMTCONN
	m["+QMTDISC"] = cmdQMTDISC
	m["+QMTSUB"] = cmdQMTSUB
	m["+QMTUNS"] = cmdQMTUNS
	m["+QMTPUB"] = cmdQMTPUB
}

// brom is the MT2625 boot-ROM banner (Quectel forum S11; a test mock ends
// its lines with "\n\r", S12).
var brom = []string{
	"F1: 0000 0000",
	"V0: 0000 0000 [0001]",
	"00: 0006 000C",
	"01: 0000 0000",
	"U0: 0000 0001 [0000]",
	"T0: 0000 00B4",
	"Leaving the BROM",
}

func bootBC26(s *sim.Session) {
	for _, l := range brom {
		s.WriteString(l + "\n\r")
	}
	s.After(time.Second, func() { s.URC("+CPIN: READY") })
	// "+IP: <addr>" once attached (S12 network-up URC, S13 waits for it);
	// the engine attaches two seconds after boot.
	s.After(2*time.Second+100*time.Millisecond, func() {
		if s.Attached() {
			s.URC("+IP: " + s.Options().LocalIP)
		}
	})
}

// cmdCGSN answers AT+CGSN with the bare IMEI and AT+CGSN=1 with
// "+CGSN: <IMEI>" (3GPP TS 27.007 10.1.x form both modules accept).
func cmdCGSN(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Action:
		s.Reply(s.Options().IMEI)
		return nil
	case sim.Test:
		s.Reply("+CGSN: (0-3)")
		return nil
	case sim.Exec:
		n, err := c.IntIn(0, 0, 3)
		if err != nil {
			return sim.CMEIncorrectParams
		}
		switch n {
		case 0:
			s.Reply("+CGSN: " + s.Options().IMEI[:14])
		case 1:
			s.Reply("+CGSN: " + s.Options().IMEI)
		default:
			s.Replyf("+CGSN: %q", s.Options().IMEI[:14]+"00")
		}
		return nil
	}
	return sim.ErrError
}

func cmdQCCID(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Action:
		s.Reply("+QCCID: " + s.Options().ICCID)
		return nil
	case sim.Test:
		return nil
	}
	return sim.ErrError
}

// cmdAccept accepts any setting of a power-saving command the emulator
// does not model, and answers its test form.
func cmdAccept(name, test string) sim.Handler {
	return func(s *sim.Session, c *sim.Command) error {
		switch c.Kind {
		case sim.Exec:
			return nil
		case sim.Test:
			s.Reply(test)
			return nil
		case sim.Read:
			s.Reply(name + ": 0")
			return nil
		}
		return sim.ErrError
	}
}

// AT+QCGDEFCONT="IP","<apn>"[,"<user>","<pwd>"] (S13 readiness recipe).
func cmdQCGDEFCONT(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		if st.apnType != "" {
			s.Replyf("+QCGDEFCONT: %q,%q", st.apnType, st.apn)
		}
		return nil
	case sim.Test:
		s.Reply(`+QCGDEFCONT: ("IP","IPV6","IPV4V6","Non-IP"),"APN","USERNAME","PASSWORD"`)
		return nil
	case sim.Exec:
		typ := c.Arg(0)
		switch typ {
		case "IP", "IPV6", "IPV4V6", "Non-IP", "NONIP":
		default:
			return sim.CMEIncorrectParams
		}
		if c.NArg() > 4 {
			return sim.CMEIncorrectParams
		}
		st.apnType, st.apn = typ, c.Arg(1)
		return nil
	}
	return sim.ErrError
}

// AT+QBAND=<n>,<band>... (S13: AT+QBAND=1,8).
func cmdQBAND(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		line := "+QBAND: "
		for i, b := range st.bands {
			if i > 0 {
				line += ","
			}
			line += fmt.Sprint(b)
		}
		s.Reply(line)
		return nil
	case sim.Test:
		s.Reply("+QBAND: (1,2,3,5,8,12,13,17,18,19,20,25,26,28,66)")
		return nil
	case sim.Exec:
		n, err := c.IntIn(0, 0, 15)
		if err != nil || c.NArg() != n+1 {
			return sim.CMEIncorrectParams
		}
		bands := make([]int, 0, n)
		for i := 1; i <= n; i++ {
			b, err := c.IntIn(i, 1, 85)
			if err != nil {
				return sim.CMEIncorrectParams
			}
			bands = append(bands, b)
		}
		if n > 0 {
			st.bands = bands
		}
		return nil
	}
	return sim.ErrError
}

func cmdQSCLK(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+QSCLK: %d", st.sclk)
		return nil
	case sim.Test:
		s.Reply("+QSCLK: (0-2)")
		return nil
	case sim.Exec:
		n, err := c.IntIn(0, 0, 2)
		if err != nil {
			return sim.CMEIncorrectParams
		}
		st.sclk = n
		return nil
	}
	return sim.ErrError
}

// AT+QRST=1 restarts the module after OK (S13: then wait for +CPIN: READY).
func cmdQRST(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Test:
		s.Reply("+QRST: (1)")
		return nil
	case sim.Exec:
		if _, err := c.IntIn(0, 1, 1); err != nil {
			return sim.CMEIncorrectParams
		}
		s.Restart()
		return nil
	}
	return sim.ErrError
}

// AT+QICSGP=<ctx>[,<type>,"<apn>","<user>","<pwd>"[,<auth>]] (EC20 TCP/IP
// AT manual form; BG95 AN quotes it). The query form with only <ctx>
// answers the stored values.
func cmdQICSGP(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply(`+QICSGP: (1-16),(1-3),"APN","USERNAME","PASSWORD",(0-3)`)
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	ctx, err := c.IntIn(0, 1, 16)
	if err != nil {
		return sim.CMEIncorrectParams
	}
	p := st.pdp[ctx]
	if c.NArg() == 1 {
		if p.typ == 0 {
			p.typ = 1
		}
		s.Replyf("+QICSGP: %d,%q,%q,%q,%d", p.typ, p.apn, p.user, p.pwd, p.auth)
		return nil
	}
	typ, err1 := c.IntIn(1, 1, 3)
	auth, err2 := c.IntOr(5, 0)
	if err1 != nil || err2 != nil || auth < 0 || auth > 3 || c.NArg() > 6 {
		return sim.CMEIncorrectParams
	}
	p.typ, p.apn, p.user, p.pwd, p.auth = typ, c.Arg(2), c.Arg(3), c.Arg(4), auth
	st.pdp[ctx] = p
	return nil
}

// AT+QIACT=<ctx> activates a context (up to 150 s on a real network);
// AT+QIACT? lists active ones as +QIACT: <ctx>,1,<type>,"<ip>".
func cmdQIACT(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		for ctx := 1; ctx <= 16; ctx++ {
			if p := st.pdp[ctx]; p.active {
				typ := p.typ
				if typ == 0 {
					typ = 1
				}
				s.Replyf("+QIACT: %d,1,%d,%q", ctx, typ, s.Options().LocalIP)
			}
		}
		return nil
	case sim.Test:
		s.Reply("+QIACT: (1-16)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	ctx, err := c.IntIn(0, 1, 16)
	if err != nil {
		return sim.CMEIncorrectParams
	}
	if st.pdp[ctx].active {
		return sim.ErrError // already active: ERROR (EC2x behaviour, assumption)
	}
	if !s.Registered() {
		return sim.ErrError
	}
	s.After(s.Between(300*time.Millisecond, 1500*time.Millisecond), func() {
		p := st.pdp[ctx]
		p.active = true
		st.pdp[ctx] = p
		s.SetAttached(true)
		s.Finish(nil)
	})
	return sim.Pending
}

func cmdQIDEACT(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+QIDEACT: (1-16)")
		return nil
	case sim.Exec:
		ctx, err := c.IntIn(0, 1, 16)
		if err != nil {
			return sim.CMEIncorrectParams
		}
		p := st.pdp[ctx]
		p.active = false
		st.pdp[ctx] = p
		return nil
	}
	return sim.ErrError
}

func cmdQNWINFO(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Action:
		if !s.Registered() {
			s.Reply("+QNWINFO: No Service")
			return nil
		}
		s.Reply(`+QNWINFO: "FDD LTE","46001","LTE BAND 3",1650`)
		return nil
	case sim.Test:
		return nil
	}
	return sim.ErrError
}
