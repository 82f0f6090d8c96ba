// Package sarar4 is the virtual u-blox SARA-R4 (R410M/R412M/N4): its
// socket commands AT+USOCR, USOCO (blocking and +UUSOCO), USOWR (quoted,
// HEX mode via AT+UDCONF=1,1, and binary after the "@" prompt), USORD
// with the +UUSORD URC, USOCL with +UUSOCL, USOCTL and USOER, over real
// TCP/UDP sockets.
//
// Sources are those of shared/reference/vendors.md section 3: the SARA-R4
// AT Commands Manual UBX-17003787 (S6), TinyGSM (S2) and the Zephyr driver
// (S5). Details they leave open are marked "assumption"; where firmwares
// differ the behaviour is a quirk (see Profile().Quirks).
package sarar4

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/atrun/atrun/sim"
)

func init() { sim.RegisterFunc("sara-r4", Profile) }

// Limits (S6).
const (
	maxSockets = 7    // ids 0-6
	maxWrite   = 1024 // USOWR base and binary syntax
	maxWriteHx = 512  // USOWR in HEX mode
	maxRead    = 1024 // USORD
)

// Quirk names.
const (
	QuirkPrompt     = "prompt"
	QuirkBinaryHex  = "binary-hex"
	QuirkEmptyUSORD = "usord-empty"
)

// Socket errors of +UUSOCO and AT+USOER / USOCTL=<s>,1 (BSD errno values,
// as in the manual's appendix A.5; the table itself was not retrieved, so
// the numbers are an assumption).
const (
	errNone       = 0
	errConnRefuse = 111
	errTimedOut   = 110
	errHostUnrch  = 113
	errGeneric    = 1
)

// Profile returns the SARA-R4 profile (registered as "sara-r4").
func Profile() sim.Profile {
	return sim.Profile{
		Name:         "sara-r4",
		Dialect:      "ublox", // the dialect block of its scripts
		Summary:      "u-blox SARA-R4 LTE-M/NB-IoT: USO* raw TCP/UDP sockets",
		Manufacturer: "u-blox",
		Model:        "SARA-R410M-02B",
		Revision:     "L0.0.00.00.05.08 [Apr 17 2019 19:34:02]",
		TAC:          "35273109",
		// No greeting: drivers poll AT until it answers (S5).
		BootTime: 5 * time.Second,
		CMEE:     1,
		// Verbose texts as u-blox prints them (S6b: "Operation not allowed").
		CMETexts: map[int]string{
			3: "Operation not allowed", 4: "Operation not supported", 10: "SIM not inserted",
			30: "No network service", 50: "Incorrect parameters", 100: "Unknown",
		},
		Quirks: map[string]sim.Quirk{
			QuirkPrompt: {
				Doc:    `binary USOWR prompt: "\r\n@" (a response line start; assumption) or a bare "@"`,
				Values: []string{"\r\n@", "@"},
			},
			QuirkBinaryHex: {
				Doc:    `binary USOWR data in HEX mode: "raw" bytes (manual: "not affected by HEX mode") or "hex" text (Zephyr's HACK comment, S5)`,
				Values: []string{"raw", "hex"},
			},
			QuirkEmptyUSORD: {
				Doc:    `AT+USORD with nothing to read: "r4" +USORD: 0,"" (R4 manual, S6) or "zero" +USORD: 0,0,""`,
				Values: []string{"r4", "zero"},
			},
		},
		NewState: func(s *sim.Session) any { return &state{s: s} },
		Commands: map[string]sim.Handler{
			"I":       cmdATI,
			"+CCID":   cmdCCID,
			"+CFUN":   cmdCFUN,
			"+CESQ":   cmdCESQ,
			"+UDCONF": cmdUDCONF,
			"+USOCR":  cmdUSOCR,
			"+USOCO":  cmdUSOCO,
			"+USOWR":  cmdUSOWR,
			"+USORD":  cmdUSORD,
			"+USOCL":  cmdUSOCL,
			"+USOCTL": cmdUSOCTL,
			"+USOER":  cmdUSOER,
		},
	}
}

type state struct {
	s       *sim.Session
	hexMode bool // AT+UDCONF=1,1
	socks   [maxSockets]*socket
	lastErr int // AT+USOER
}

type socket struct {
	id        int
	proto     int // 6 TCP, 17 UDP
	conn      *sim.Conn
	host      string
	port      int
	tcpState  int // USOCTL <s>,10: 0 INACTIVE, 2 SYN_SENT, 4 ESTABLISHED, 7 CLOSE_WAIT
	connectN  int // bumps when a connect starts, to ignore stale results
	rx        []byte
	peerGone  bool // remote closed: +UUSOCL once rx is drained
	lastError int
}

// Close drops the sockets (the engine closes tracked connections too).
func (st *state) Close() error {
	for _, k := range st.socks {
		if k != nil && k.conn != nil {
			k.conn.Close()
		}
	}
	return nil
}

func stateOf(s *sim.Session) *state { return sim.StateOf[*state](s) }

func cmdATI(s *sim.Session, c *sim.Command) error {
	switch c.Raw {
	case "", "0":
		s.Reply(s.Profile().Model)
		return nil
	case "9":
		// Firmware and application version (assumption: R410M layout).
		fw := s.Options().Firmware
		if i := strings.IndexByte(fw, ' '); i > 0 {
			fw = fw[:i]
		}
		s.Replyf("%s,A.02.04", fw)
		return nil
	}
	return sim.ErrError
}

// +CCID: u-blox prefixes the ICCID (assumption from u-blox manuals).
func cmdCCID(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Action, sim.Read:
		s.Reply("+CCID: " + s.Options().ICCID)
		return nil
	case sim.Test:
		return nil
	}
	return sim.ErrError
}

// +CFUN=15 (and 16) reset the module, as TinyGSM's restart uses (S2).
func cmdCFUN(s *sim.Session, c *sim.Command) error {
	if c.Kind == sim.Exec {
		if n, err := c.Int(0); err == nil && (n == 15 || n == 16) {
			s.Restart()
			return nil
		}
	}
	return sim.Common("+CFUN")(s, c)
}

// +CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp> (27.007 8.69); LTE only.
func cmdCESQ(s *sim.Session, c *sim.Command) error {
	switch c.Kind {
	case sim.Action:
		if !s.Registered() {
			s.Reply("+CESQ: 99,99,255,255,255,255")
			return nil
		}
		// Map CSQ rssi 0-31 onto rsrp 0-97 (-140..-44 dBm) roughly.
		rsrp := min(97, s.Options().RSSI*3)
		s.Replyf("+CESQ: 99,99,255,255,20,%d", rsrp)
		return nil
	case sim.Test:
		s.Reply("+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)")
		return nil
	}
	return sim.ErrError
}

// AT+UDCONF=1,<0|1>: HEX mode for USOWR/USORD/USOST/USORF (S6).
func cmdUDCONF(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Exec:
		op, err := c.Int(0)
		if err != nil {
			return sim.CMEIncorrectParams
		}
		if op != 1 {
			return sim.CMENotSupported
		}
		if c.NArg() == 1 {
			s.Replyf("+UDCONF: 1,%d", b2i(st.hexMode))
			return nil
		}
		v, err := c.IntIn(1, 0, 1)
		if err != nil || c.NArg() != 2 {
			return sim.CMEIncorrectParams
		}
		st.hexMode = v == 1
		return nil
	case sim.Test:
		return nil
	}
	return sim.ErrError
}

// AT+USOCR=<protocol>[,<local_port>] -> +USOCR: <socket>.
func cmdUSOCR(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Test:
		s.Reply("+USOCR: (6,17),(1-65535)")
		return nil
	case sim.Exec:
	default:
		return sim.ErrError
	}
	proto, err := c.Int(0)
	if err != nil || (proto != 6 && proto != 17) || c.NArg() > 2 {
		return sim.CMEIncorrectParams
	}
	if c.NArg() == 2 {
		if _, err := c.IntIn(1, 1, 65535); err != nil {
			return sim.CMEIncorrectParams
		}
	}
	if !s.Attached() {
		return sim.CMENotAllowed
	}
	id := slices.Index(st.socks[:], nil)
	if id < 0 {
		return sim.CMENotAllowed // all 7 sockets in use
	}
	st.socks[id] = &socket{id: id, proto: proto}
	s.Replyf("+USOCR: %d", id)
	return nil
}

func (st *state) sock(c *sim.Command) (*socket, error) {
	id, err := c.IntIn(0, 0, maxSockets-1)
	if err != nil {
		return nil, sim.CMEIncorrectParams
	}
	k := st.socks[id]
	if k == nil {
		return nil, sim.CMENotAllowed
	}
	return k, nil
}

// AT+USOCO=<s>,"<host>",<port>[,<async>] (S6): blocking by default (< 120 s);
// async=1 answers OK at once and +UUSOCO: <s>,<socket_error> later.
func cmdUSOCO(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		s.Reply(`+USOCO: (0-6),"remote_host",(1-65535),(0,1)`)
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() < 3 || c.NArg() > 4 {
		return sim.CMEIncorrectParams
	}
	k, err := st.sock(c)
	if err != nil {
		return err
	}
	host := c.Arg(1)
	port, err := c.IntIn(2, 1, 65535)
	if err != nil || host == "" {
		return sim.CMEIncorrectParams
	}
	async, err := c.IntOr(3, 0)
	if err != nil || async < 0 || async > 1 {
		return sim.CMEIncorrectParams
	}
	if k.tcpState == 2 {
		// A second USOCO before +UUSOCO closes the socket (S6).
		st.free(k)
		return sim.CMENotAllowed
	}
	if k.conn != nil {
		return sim.CMENotAllowed
	}
	k.host, k.port, k.tcpState = host, port, 2
	k.connectN++
	n := k.connectN
	network := "tcp"
	if k.proto == 17 {
		network = "udp"
	}
	start := time.Now()
	s.Dial(sim.DialConfig{
		Network: network, Host: host, Port: port, Timeout: 120 * time.Second,
		OnData:  func(_ *sim.Conn, b []byte) { st.received(k, b) },
		OnClose: func(_ *sim.Conn, err error) { st.peerClosed(k) },
	}, func(conn *sim.Conn, err error) {
		rest := s.Between(100*time.Millisecond, 500*time.Millisecond) - time.Since(start)
		s.After(rest, func() {
			if st.socks[k.id] != k || k.connectN != n {
				if conn != nil {
					conn.Close()
				}
				return
			}
			code := errNone
			if err != nil {
				code = socketError(err)
				k.tcpState, k.lastError, st.lastErr = 0, code, code
			} else {
				k.conn, k.tcpState = conn, 4
			}
			if async == 1 {
				s.URC(fmt.Sprintf("+UUSOCO: %d,%d", k.id, code))
				return
			}
			if err != nil {
				s.Finish(sim.CMENotAllowed) // assumption: the socket error is read with USOER
				return
			}
			s.Finish(nil)
		})
	})
	if async == 1 {
		return nil
	}
	return sim.Pending
}

// socketError maps a dial error to a BSD errno as u-blox reports.
func socketError(err error) int {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return int(errno)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errTimedOut
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return errHostUnrch
	}
	return errGeneric
}

// received buffers inbound bytes and announces them with +UUSORD.
func (st *state) received(k *socket, b []byte) {
	if st.socks[k.id] != k {
		return
	}
	k.rx = append(k.rx, b...)
	// One URC per arrival with the total now unread (assumption: the
	// manual says the length is "bytes available").
	st.s.URC(fmt.Sprintf("+UUSORD: %d,%d", k.id, len(k.rx)))
}

// peerClosed: +UUSOCL only after all received data has been read (S6).
func (st *state) peerClosed(k *socket) {
	if st.socks[k.id] != k {
		return
	}
	k.conn = nil
	k.tcpState = 7
	k.peerGone = true
	if len(k.rx) == 0 {
		st.free(k)
		st.s.URC(fmt.Sprintf("+UUSOCL: %d", k.id))
	}
}

func (st *state) free(k *socket) {
	if k.conn != nil {
		k.conn.Close()
	}
	if st.socks[k.id] == k {
		st.socks[k.id] = nil
	}
}

// AT+USOWR: base (quoted data), HEX mode, or binary after the "@" prompt.
func cmdUSOWR(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		s.Reply(`+USOWR: (0-6),(1-1024),"data"`)
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() < 2 || c.NArg() > 3 {
		return sim.CMEIncorrectParams
	}
	k, err := st.sock(c)
	if err != nil {
		return err
	}
	limit := maxWrite
	if c.NArg() == 3 && st.hexMode {
		limit = maxWriteHx
	}
	n, err := c.IntIn(1, 1, limit)
	if err != nil {
		return sim.CMEIncorrectParams
	}
	if k.conn == nil || k.tcpState != 4 {
		return sim.CMENotAllowed
	}
	if c.NArg() == 3 {
		data := []byte(c.Arg(2))
		if st.hexMode {
			dec, err := hex.DecodeString(c.Arg(2))
			if err != nil {
				return sim.CMEIncorrectParams
			}
			data = dec
		}
		if len(data) != n {
			return sim.CMEIncorrectParams
		}
		return st.write(k, data)
	}
	want := n
	hexBinary := st.hexMode && s.Quirk(QuirkBinaryHex) == "hex"
	if hexBinary {
		want = 2 * n
	}
	return s.ReadData(sim.DataEntry{Prompt: s.Quirk(QuirkPrompt), Len: want}, func(data []byte, err error) error {
		if err != nil {
			return sim.ErrError
		}
		if hexBinary {
			dec, err := hex.DecodeString(string(data))
			if err != nil {
				return sim.CMEIncorrectParams
			}
			data = dec
		}
		return st.write(k, data)
	})
}

func (st *state) write(k *socket, data []byte) error {
	if k.conn == nil {
		return sim.CMENotAllowed
	}
	if err := k.conn.Write(data); err != nil {
		k.lastError, st.lastErr = socketError(err), socketError(err)
		return sim.CMENotAllowed
	}
	st.s.Replyf("+USOWR: %d,%d", k.id, len(data))
	return nil
}

// AT+USORD=<s>,<len> -> +USORD: <s>,<len>,"<data>" (hex in HEX mode);
// <len> 0 asks for the unread count.
func cmdUSORD(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		s.Reply("+USORD: (0-6),(0-1024)")
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() != 2 {
		return sim.CMEIncorrectParams
	}
	k, err := st.sock(c)
	if err != nil {
		return err
	}
	want, err := c.IntIn(1, 0, maxRead)
	if err != nil {
		return sim.CMEIncorrectParams
	}
	if want == 0 {
		s.Replyf("+USORD: %d,%d", k.id, len(k.rx))
		return nil
	}
	if len(k.rx) == 0 {
		if s.Quirk(QuirkEmptyUSORD) == "zero" {
			s.Replyf(`+USORD: %d,0,""`, k.id)
		} else {
			s.Replyf(`+USORD: %d,""`, k.id)
		}
		return nil
	}
	n := min(want, len(k.rx))
	chunk := k.rx[:n]
	k.rx = k.rx[n:]
	text := string(chunk)
	if st.hexMode {
		text = strings.ToUpper(hex.EncodeToString(chunk))
	}
	// Binary data goes between the quotes as is; rely on <len> (S6).
	s.WriteString(fmt.Sprintf("\r\n+USORD: %d,%d,\"", k.id, n))
	s.WriteString(text)
	s.WriteString("\"\r\n")
	if len(k.rx) > 0 {
		// After a partial read the URC shows what remains (S6).
		s.After(0, func() {
			if st.socks[k.id] == k && len(k.rx) > 0 {
				s.URC(fmt.Sprintf("+UUSORD: %d,%d", k.id, len(k.rx)))
			}
		})
	} else if k.peerGone {
		s.After(0, func() {
			if st.socks[k.id] == k {
				st.free(k)
				s.URC(fmt.Sprintf("+UUSOCL: %d", k.id))
			}
		})
	}
	return nil
}

// AT+USOCL=<s>[,<async_close>] (S6).
func cmdUSOCL(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		s.Reply("+USOCL: (0-6),(0,1)")
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() < 1 || c.NArg() > 2 {
		return sim.CMEIncorrectParams
	}
	k, err := st.sock(c)
	if err != nil {
		return err
	}
	async, err := c.IntOr(1, 0)
	if err != nil || async < 0 || async > 1 {
		return sim.CMEIncorrectParams
	}
	st.free(k)
	if async == 1 {
		s.AfterURC(s.Between(50*time.Millisecond, 300*time.Millisecond), fmt.Sprintf("+UUSOCL: %d", k.id))
		return nil
	}
	s.After(s.Between(50*time.Millisecond, 300*time.Millisecond), func() { s.Finish(nil) })
	return sim.Pending
}

// AT+USOCTL=<s>,<param>: 0 type, 1 last error, 10 TCP state.
func cmdUSOCTL(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind == sim.Test {
		s.Reply("+USOCTL: (0-6),(0-5,8,10,11)")
		return nil
	}
	if c.Kind != sim.Exec || c.NArg() != 2 {
		return sim.CMEIncorrectParams
	}
	k, err := st.sock(c)
	if err != nil {
		return err
	}
	p, err := c.Int(1)
	if err != nil {
		return sim.CMEIncorrectParams
	}
	switch p {
	case 0:
		s.Replyf("+USOCTL: %d,0,%d", k.id, k.proto)
	case 1:
		s.Replyf("+USOCTL: %d,1,%d", k.id, k.lastError)
	case 10:
		s.Replyf("+USOCTL: %d,10,%d", k.id, k.tcpState)
	case 11:
		s.Replyf("+USOCTL: %d,11,0", k.id) // nothing unacknowledged
	default:
		return sim.CMENotSupported
	}
	return nil
}

func cmdUSOER(s *sim.Session, c *sim.Command) error {
	if c.Kind != sim.Action {
		return sim.ErrError
	}
	s.Replyf("+USOER: %d", stateOf(s).lastErr)
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
