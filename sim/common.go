package sim

import (
	"slices"
	"time"
)

// commonCommands answer what every modem in the catalogue understands
// (V.250 and 3GPP TS 27.007). A profile overrides an entry by naming it in
// Profile.Commands, or removes it by mapping it to nil. It is filled in
// init (handlers refer back to the session) and never changed after.
var commonCommands map[string]Handler

func init() {
	commonCommands = map[string]Handler{
		"":         func(*Session, *Command) error { return nil },
		"E":        cmdEcho,
		"V":        cmdVerbose,
		"Q":        cmdQuiet,
		"Z":        cmdReset,
		"&F":       cmdReset,
		"&W":       func(*Session, *Command) error { return nil },
		"I":        cmdInfo,
		"+CGMI":    identity(func(s *Session) string { return s.profile.Manufacturer }),
		"+GMI":     identity(func(s *Session) string { return s.profile.Manufacturer }),
		"+CGMM":    identity(func(s *Session) string { return s.profile.Model }),
		"+GMM":     identity(func(s *Session) string { return s.profile.Model }),
		"+CGMR":    identity(func(s *Session) string { return s.opts.Firmware }),
		"+GMR":     identity(func(s *Session) string { return s.opts.Firmware }),
		"+CGSN":    identity(func(s *Session) string { return s.opts.IMEI }),
		"+GSN":     identity(func(s *Session) string { return s.opts.IMEI }),
		"+CIMI":    identity(func(s *Session) string { return s.opts.IMSI }),
		"+CCID":    identity(func(s *Session) string { return s.opts.ICCID }),
		"+ICCID":   prefixed("+ICCID: ", func(s *Session) string { return s.opts.ICCID }),
		"+CPIN":    cmdCPIN,
		"+CSQ":     cmdCSQ,
		"+CREG":    cmdReg,
		"+CGREG":   cmdReg,
		"+CEREG":   cmdReg,
		"+CGATT":   cmdCGATT,
		"+CFUN":    cmdCFUN,
		"+CMEE":    cmdCMEE,
		"+COPS":    cmdCOPS,
		"+CGDCONT": cmdCGDCONT,
		"+CGACT":   cmdCGACT,
		"+CGPADDR": cmdCGPADDR,
	}
}

// identity answers an Action command with one bare line.
func identity(v func(*Session) string) Handler {
	return func(s *Session, c *Command) error {
		switch c.Kind {
		case Action:
			s.Reply(v(s))
			return nil
		case Test:
			return nil
		}
		return ErrError
	}
}

// prefixed answers an Action command with "PREFIX" + value.
func prefixed(prefix string, v func(*Session) string) Handler {
	return func(s *Session, c *Command) error {
		switch c.Kind {
		case Action, Read:
			s.Reply(prefix + v(s))
			return nil
		case Test:
			return nil
		}
		return ErrError
	}
}

func cmdEcho(s *Session, c *Command) error {
	switch c.Raw {
	case "", "0":
		s.echo = false
	case "1":
		s.echo = true
	default:
		return ErrError
	}
	return nil
}

// cmdVerbose accepts only V1: the engine speaks verbose result codes.
func cmdVerbose(s *Session, c *Command) error {
	if c.Raw == "1" {
		return nil
	}
	return ErrError
}

func cmdQuiet(s *Session, c *Command) error {
	if c.Raw == "" || c.Raw == "0" {
		return nil
	}
	return ErrError
}

func cmdReset(s *Session, c *Command) error {
	if c.Raw != "" && c.Raw != "0" {
		return ErrError
	}
	s.echo = !s.profile.EchoOff
	s.cmee = s.profile.CMEE
	clear(s.regMode)
	return nil
}

func cmdInfo(s *Session, c *Command) error {
	if c.Raw != "" && c.Raw != "0" {
		return ErrError
	}
	p := s.profile
	s.Reply(p.Manufacturer)
	s.Reply(p.Model)
	s.Reply("Revision: " + s.opts.Firmware)
	return nil
}

func cmdCPIN(s *Session, c *Command) error {
	switch c.Kind {
	case Read:
		s.Reply("+CPIN: READY")
		return nil
	case Test:
		return nil
	case Exec:
		return CMENotAllowed // no PIN set: nothing to enter
	}
	return ErrError
}

func cmdCSQ(s *Session, c *Command) error {
	switch c.Kind {
	case Action:
		rssi := s.opts.RSSI
		if !s.Registered() {
			rssi = 99
		}
		s.Replyf("+CSQ: %d,99", rssi)
		return nil
	case Test:
		s.Reply("+CSQ: (0-31,99),(0-7,99)")
		return nil
	}
	return ErrError
}

// cellInfo is the <lac>,<ci>,<AcT> tail of mode-2 registration lines.
func (s *Session) cellInfo(string) string {
	if !s.Registered() {
		return ""
	}
	return `,"1A2B","01C3D4E5",7`
}

func cmdReg(s *Session, c *Command) error {
	switch c.Kind {
	case Read:
		mode := s.regMode[c.Name]
		tail := ""
		if mode == 2 {
			tail = s.cellInfo(c.Name)
		}
		s.Replyf("%s: %d,%d%s", c.Name, mode, s.regStat, tail)
		return nil
	case Exec:
		n, err := c.IntIn(0, 0, 2)
		if err != nil || c.NArg() != 1 {
			return CMEIncorrectParams
		}
		s.regMode[c.Name] = n
		return nil
	case Test:
		s.Replyf("%s: (0-2)", c.Name)
		return nil
	}
	return ErrError
}

func cmdCGATT(s *Session, c *Command) error {
	switch c.Kind {
	case Read:
		s.Replyf("+CGATT: %d", b2i(s.attached))
		return nil
	case Test:
		s.Reply("+CGATT: (0,1)")
		return nil
	case Exec:
		n, err := c.IntIn(0, 0, 1)
		if err != nil {
			return CMEIncorrectParams
		}
		if n == 1 && !s.Registered() {
			return CMENoNetwork
		}
		s.After(time.Second, func() {
			s.attached = n == 1
			s.Finish(nil)
		})
		return Pending
	}
	return ErrError
}

func cmdCFUN(s *Session, c *Command) error {
	switch c.Kind {
	case Read:
		s.Replyf("+CFUN: %d", s.cfun)
		return nil
	case Test:
		s.Reply("+CFUN: (0,1,4),(0,1)")
		return nil
	case Exec:
		fun, err := c.Int(0)
		if err != nil || !slices.Contains([]int{0, 1, 4}, fun) {
			return CMEIncorrectParams
		}
		rst, err := c.IntOr(1, 0)
		if err != nil || rst < 0 || rst > 1 {
			return CMEIncorrectParams
		}
		if rst == 1 {
			s.Restart()
			return nil
		}
		s.cfun = fun
		if fun != 1 {
			s.register(0)
			s.attached = false
			return nil
		}
		if !s.Registered() {
			s.register(2)
			s.After(2*time.Second, func() {
				if s.cfun == 1 {
					s.register(1)
					s.attached = true
				}
			})
		}
		return nil
	}
	return ErrError
}

func cmdCMEE(s *Session, c *Command) error {
	switch c.Kind {
	case Read:
		s.Replyf("+CMEE: %d", s.cmee)
		return nil
	case Test:
		s.Reply("+CMEE: (0-2)")
		return nil
	case Exec:
		n, err := c.IntIn(0, 0, 2)
		if err != nil {
			return CMEIncorrectParams
		}
		s.cmee = n
		return nil
	}
	return ErrError
}

func cmdCOPS(s *Session, c *Command) error {
	switch c.Kind {
	case Read:
		if !s.Registered() {
			s.Reply("+COPS: 0")
			return nil
		}
		s.Replyf("+COPS: 0,0,%q,7", s.opts.Operator)
		return nil
	case Test:
		s.Replyf("+COPS: (2,%q,%q,\"46001\",7),,(0-4),(0-2)", s.opts.Operator, s.opts.Operator)
		return nil
	case Exec:
		mode, err := c.IntIn(0, 0, 4)
		if err != nil {
			return CMEIncorrectParams
		}
		if mode == 2 {
			s.register(0)
			s.attached = false
			return nil
		}
		if s.Registered() || s.cfun != 1 {
			return nil
		}
		s.After(2*time.Second, func() {
			s.register(1)
			s.attached = true
			s.Finish(nil)
		})
		return Pending
	}
	return ErrError
}

func cmdCGDCONT(s *Session, c *Command) error {
	switch c.Kind {
	case Read:
		for _, cid := range sortedKeys(s.pdp) {
			p := s.pdp[cid]
			s.Replyf("+CGDCONT: %d,%q,%q,\"0.0.0.0\",0,0", cid, p.typ, p.apn)
		}
		return nil
	case Test:
		s.Reply(`+CGDCONT: (1-15),"IP",,,(0-2),(0-4)`)
		return nil
	case Exec:
		cid, err := c.IntIn(0, 1, 15)
		if err != nil {
			return CMEIncorrectParams
		}
		if c.NArg() == 1 {
			delete(s.pdp, cid)
			return nil
		}
		typ := c.Arg(1)
		if !slices.Contains([]string{"IP", "IPV6", "IPV4V6", "Non-IP", "NONIP"}, typ) {
			return CMEIncorrectParams
		}
		p := s.pdp[cid]
		p.typ, p.apn = typ, c.Arg(2)
		s.pdp[cid] = p
		return nil
	}
	return ErrError
}

func cmdCGACT(s *Session, c *Command) error {
	switch c.Kind {
	case Read:
		for _, cid := range sortedKeys(s.pdp) {
			s.Replyf("+CGACT: %d,%d", cid, b2i(s.pdp[cid].active))
		}
		return nil
	case Test:
		s.Reply("+CGACT: (0,1)")
		return nil
	case Exec:
		st, err := c.IntIn(0, 0, 1)
		if err != nil {
			return CMEIncorrectParams
		}
		cid, err := c.IntOr(1, 1)
		if err != nil {
			return CMEIncorrectParams
		}
		if st == 1 && !s.Registered() {
			return CMENoNetwork
		}
		p, ok := s.pdp[cid]
		if !ok {
			p = pdpContext{typ: "IP"}
		}
		p.active = st == 1
		s.pdp[cid] = p
		if st == 1 {
			s.attached = true
		}
		return nil
	}
	return ErrError
}

func cmdCGPADDR(s *Session, c *Command) error {
	switch c.Kind {
	case Action, Exec:
		cid := 1
		if c.Kind == Exec {
			n, err := c.IntIn(0, 1, 15)
			if err != nil {
				return CMEIncorrectParams
			}
			cid = n
		}
		addr := "0.0.0.0"
		if s.attached {
			addr = s.opts.LocalIP
		}
		s.Replyf("+CGPADDR: %d,%q", cid, addr)
		return nil
	case Test:
		s.Reply("+CGPADDR: (1-15)")
		return nil
	}
	return ErrError
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
