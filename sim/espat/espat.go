// Package espat is the virtual Espressif ESP8266 / ESP32 running the
// ESP-AT firmware (v2.2 and later): Wi-Fi station commands (AT+CWMODE,
// CWJAP with WIFI CONNECTED / WIFI GOT IP, CWQAP, CIPSTA, CIFSR) and the
// MQTT AT commands (AT+MQTTUSERCFG, MQTTCONNCFG, MQTTCONN, MQTTPUB,
// MQTTPUBRAW, MQTTSUB, MQTTUNSUB, MQTTCLEAN and the +MQTTCONNECTED,
// +MQTTDISCONNECTED, +MQTTSUBRECV reports) over a real MQTT session.
//
// ESP-AT is not a 3GPP modem: the 27.007 commands (AT+CSQ, AT+CREG...)
// answer ERROR, answers have no space after the colon ("+CWMODE:1"), and
// string arguments take backslash escapes (\" \, \\). With AT+SYSLOG=1
// an "ERR CODE:0x<8 hex>" line comes before each ERROR.
//
// The Wi-Fi side is modelled, not real: every SSID exists and answers
// with Options.RSSI; a WPA2 passphrase has 8-63 characters, so a shorter
// non-empty password fails as a wrong password (+CWJAP:2). The station
// gets Options.LocalIP.
//
// Sources (shared/reference/vendors.md section 6): the esp-at
// documentation (MQTT_AT_Commands.rst, MQTT_AT_Examples.rst,
// Wi-Fi_AT_Commands.rst, Basic_AT_Commands.rst; S18, S18b), the
// byte-exact v2.3.0.0 result table ("\r\nOK\r\n\r\n>"), and real logs
// (esp-at issues #427, #478, #554, #867). Unsettled details are marked
// "assumption".
package espat

import (
	"fmt"
	"time"

	"github.com/atrun/atrun/sim"
)

func init() {
	sim.RegisterFunc("esp8266", ESP8266)
	sim.RegisterFunc("esp32", ESP32)
}

// QuirkAutoConnect makes the module join its saved AP at boot.
const QuirkAutoConnect = "autoconnect"

// SavedSSID is the AP a module with the "autoconnect" quirk joins at boot.
const SavedSSID = "atrun"

type chip int

const (
	esp8266 chip = iota
	esp32
)

// ESP8266 returns the ESP8266 profile (registered as "esp8266"): MQTT
// over TCP only (schemes 1 and 6: "MQTT over TLS is not supported due to
// memory limit on ESP8266", v2.3.0.0 ESP8266 docs), PUBRAW bounded by the
// default 512-byte MQTT buffer.
func ESP8266() sim.Profile {
	return profile(esp8266, "esp8266", "ESP8266 with ESP-AT 2.2: Wi-Fi station and MQTT AT commands",
		"2.2.0.0(b097cdf - ESP8266 - Jun 17 2021 12:57:45)")
}

// ESP32 returns the ESP32 profile (registered as "esp32"): as ESP8266,
// plus MQTT over TLS (schemes 2-5).
func ESP32() sim.Profile {
	return profile(esp32, "esp32", "ESP32 with ESP-AT 3.2: Wi-Fi station and MQTT AT commands, TLS",
		"3.2.0.0(s-ec2dec2 - ESP32 - Jul 28 2023 07:05:28)")
}

func profile(c chip, name, summary, rev string) sim.Profile {
	cmds := map[string]sim.Handler{
		"+GMR":     cmdGMR,
		"+RST":     cmdRST,
		"+RESTORE": cmdRST,
		"+SYSLOG":  cmdSYSLOG,
		"+SYSSTORE": flag("+SYSSTORE", func(st *state) *int {
			return &st.sysstore
		}),
		"+CWMODE":      cmdCWMODE,
		"+CWJAP":       cmdCWJAP,
		"+CWQAP":       cmdCWQAP,
		"+CWRECONNCFG": cmdCWRECONNCFG,
		"+CIPSTA":      cmdCIPSTA,
		"+CIFSR":       cmdCIFSR,
		"+CIPSTAMAC":   cmdCIPSTAMAC,
		"+CIPSNTPCFG":  cmdCIPSNTPCFG,
		"+CIPSNTPTIME": cmdCIPSNTPTIME,

		"+MQTTUSERCFG":      cmdMQTTUSERCFG,
		"+MQTTLONGCLIENTID": cmdMQTTLong(func(l *link) *string { return &l.clientID }),
		"+MQTTLONGUSERNAME": cmdMQTTLong(func(l *link) *string { return &l.user }),
		"+MQTTLONGPASSWORD": cmdMQTTLong(func(l *link) *string { return &l.pass }),
		"+MQTTCLIENTID":     cmdMQTTShort(func(l *link) *string { return &l.clientID }),
		"+MQTTUSERNAME":     cmdMQTTShort(func(l *link) *string { return &l.user }),
		"+MQTTPASSWORD":     cmdMQTTShort(func(l *link) *string { return &l.pass }),
		"+MQTTCONNCFG":      cmdMQTTCONNCFG,
		"+MQTTALPN":         cmdMQTTALPN,
		"+MQTTSNI":          cmdMQTTSNI,
		"+MQTTCONN":         cmdMQTTCONN,
		"+MQTTPUB":          cmdMQTTPUB,
		"+MQTTPUBRAW":       cmdMQTTPUBRAW,
		"+MQTTSUB":          cmdMQTTSUB,
		"+MQTTUNSUB":        cmdMQTTUNSUB,
		"+MQTTCLEAN":        cmdMQTTCLEAN,
	}
	// 3GPP and V.250 commands other than AT and ATE do not exist on ESP-AT.
	for _, n := range []string{"V", "Q", "Z", "&F", "&W", "I", "+CGMI", "+GMI", "+CGMM", "+GMM",
		"+CGMR", "+CGSN", "+GSN", "+CIMI", "+CCID", "+ICCID", "+CPIN", "+CSQ", "+CREG", "+CGREG",
		"+CEREG", "+CGATT", "+CFUN", "+CMEE", "+COPS", "+CGDCONT", "+CGACT", "+CGPADDR"} {
		cmds[n] = nil
	}
	bootTime := 300 * time.Millisecond
	if c == esp32 {
		bootTime = time.Second
	}
	return sim.Profile{
		Name:         name,
		Dialect:      "espat", // the dialect block of its scripts
		Summary:      summary,
		Manufacturer: "Espressif",
		Model:        map[chip]string{esp8266: "ESP8266", esp32: "ESP32"}[c],
		Revision:     rev,
		// "ready" = "The ESP-AT firmware is ready" (S18 message reports).
		Boot:             []string{"ready"},
		BootTime:         bootTime,
		OnBoot:           onBoot,
		BackslashEscapes: true,
		CRLF:             true,
		// "busy p..." = still processing the previous command (S18
		// message reports).
		BusyReply: "busy p...",
		Quirks: map[string]sim.Quirk{
			QuirkAutoConnect: {
				Doc:    `"off": no saved AP; "on": join the saved AP "atrun" at boot, printing WIFI CONNECTED and WIFI GOT IP after ready (esp-at #554 log)`,
				Values: []string{"off", "on"},
			},
		},
		NewState: func(s *sim.Session) any { return newState(s, c) },
		Commands: cmds,
	}
}

type state struct {
	s        *sim.Session
	chip     chip
	syslog   bool
	sysstore int

	// Wi-Fi station
	mode       int // AT+CWMODE: 0 off, 1 station, 2 SoftAP, 3 both
	ssid       string
	pwd        string
	joined     bool // WIFI GOT IP
	joining    bool
	reconn     int // reconnect interval, seconds
	reconnMax  int
	staticIP   string
	sntpOn     int
	sntpZone   int
	sntpServer []string

	mqtt link
}

func newState(s *sim.Session, c chip) *state {
	// Station mode by default (assumption: the ESP-AT factory setting).
	return &state{s: s, chip: c, mode: 1, sysstore: 1, reconn: 1, sntpZone: 8,
		sntpServer: []string{"cn.ntp.org.cn", "ntp.sjtu.edu.cn", "us.pool.ntp.org"}}
}

func stateOf(s *sim.Session) *state { return sim.StateOf[*state](s) }

// Close drops the MQTT session.
func (st *state) Close() error {
	if st.mqtt.cl != nil {
		st.mqtt.cl.Close()
		st.mqtt.cl = nil
	}
	return nil
}

// Error codes: category 0x01, subcategory, extension (Basic AT commands,
// AT+SYSLOG). MQTT failures carry the MQTT code as the extension under
// subcategory 0x0A, as in "ERR CODE:0x010a6006" (esp-at #867).
const (
	errParaNum     = 0x01060000 // ESP_AT_SUB_PARA_NUM_MISMATCH
	errParaInvalid = 0x01070000 // ESP_AT_SUB_PARA_INVALID
	errExecFail    = 0x010a0000 // ESP_AT_SUB_CMD_EXEC_FAIL
	errOpError     = 0x010c0000 // ESP_AT_SUB_CMD_OP_ERROR
)

// fail answers ERROR, preceded by "ERR CODE:0x%08x" when AT+SYSLOG=1.
func (st *state) fail(code uint32) error {
	if st.syslog {
		st.s.Replyf("ERR CODE:0x%08x", code)
	}
	return sim.ErrError
}

func (st *state) mqttFail(ext uint32) error { return st.fail(errExecFail | ext) }

func onBoot(s *sim.Session) {
	if s.Quirk(QuirkAutoConnect) != "on" {
		return
	}
	st := stateOf(s)
	st.ssid, st.pwd = SavedSSID, "atrun-psk"
	st.joining = true
	s.After(s.Between(500*time.Millisecond, 1500*time.Millisecond), func() {
		s.URC("WIFI CONNECTED")
		s.After(s.Between(200*time.Millisecond, 800*time.Millisecond), func() {
			st.joining, st.joined = false, true
			s.URC("WIFI GOT IP")
		})
	})
}

func flag(name string, p func(*state) *int) sim.Handler {
	return func(s *sim.Session, c *sim.Command) error {
		st := stateOf(s)
		switch c.Kind {
		case sim.Read:
			s.Replyf("%s:%d", name, *p(st))
			return nil
		case sim.Test:
			s.Replyf("%s:(0,1)", name)
			return nil
		case sim.Exec:
			n, err := c.IntIn(0, 0, 1)
			if err != nil || c.NArg() != 1 {
				return st.fail(errParaInvalid)
			}
			*p(st) = n
			return nil
		}
		return st.fail(errParaNum)
	}
}

// AT+GMR: version lines (layout of an ESP8266 2.2.0.0 build).
func cmdGMR(s *sim.Session, c *sim.Command) error {
	if c.Kind != sim.Action {
		return stateOf(s).fail(errParaNum)
	}
	s.Reply("AT version:" + s.Options().Firmware)
	if s.Profile().Model == "ESP8266" {
		s.Reply("SDK version:v3.4-22-g967752e2")
		s.Reply("compile time(6800286):Aug  4 2021 17:20:05")
		s.Reply("Bin version:2.2.0(ESP8266_1MB)")
	} else {
		s.Reply("SDK version:v5.0.2-376-g24b9d38a24-dirty")
		s.Reply("compile time(0ad6331):Jul 28 2023 07:05:28")
		s.Reply("Bin version:v3.2.0.0(WROOM-32)")
	}
	return nil
}

// AT+RST / AT+RESTORE: OK, then a restart ending with "ready".
func cmdRST(s *sim.Session, c *sim.Command) error {
	if c.Kind != sim.Action {
		return stateOf(s).fail(errParaNum)
	}
	s.Restart()
	return nil
}

func cmdSYSLOG(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+SYSLOG:%d", b2i(st.syslog))
		return nil
	case sim.Test:
		s.Reply("+SYSLOG:(0-1)")
		return nil
	case sim.Exec:
		n, err := c.IntIn(0, 0, 1)
		if err != nil || c.NArg() != 1 {
			return st.fail(errParaInvalid)
		}
		st.syslog = n == 1
		return nil
	}
	return st.fail(errParaNum)
}

// --------------------------------------------------------------- Wi-Fi

func cmdCWMODE(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+CWMODE:%d", st.mode)
		return nil
	case sim.Test:
		s.Reply("+CWMODE:(0-3)")
		return nil
	case sim.Exec:
	default:
		return st.fail(errParaNum)
	}
	mode, err := c.IntIn(0, 0, 3)
	if err != nil || c.NArg() > 2 {
		return st.fail(errParaInvalid)
	}
	if _, err := c.IntOr(1, 1); err != nil {
		return st.fail(errParaInvalid)
	}
	st.mode = mode
	if mode == 0 || mode == 2 {
		st.leave()
	}
	return nil
}

// AT+CWJAP=[<ssid>],[<pwd>][,<bssid>][,<pci_en>][,<reconn_interval>]
// [,<listen_interval>][,<scan_mode>][,<jap_timeout>][,<pmf>] -> WIFI
// CONNECTED, WIFI GOT IP, OK; or +CWJAP:<code> and ERROR.
func cmdCWJAP(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		if !st.joined {
			s.Reply("No AP")
			return nil
		}
		// dBm from the 27.007 RSSI scale of Options.RSSI.
		s.Replyf(`+CWJAP:"%s","%s",6,%d,0,%d,3,0,1`, st.ssid, bssid(s), -113+2*s.Options().RSSI, st.reconn)
		return nil
	case sim.Test:
		return nil
	case sim.Action:
		if st.ssid == "" {
			return st.fail(errExecFail)
		}
		return st.join(st.ssid, st.pwd)
	case sim.Exec:
	default:
		return st.fail(errParaNum)
	}
	if c.NArg() > 9 {
		return st.fail(errParaNum)
	}
	ssid, pwd := c.Arg(0), c.Arg(1)
	if ssid == "" && c.NArg() <= 2 {
		ssid, pwd = st.ssid, st.pwd // both omitted: last configuration
	}
	if ssid == "" || len(ssid) > 32 || len(pwd) > 64 {
		return st.fail(errParaInvalid)
	}
	if c.NArg() > 4 && c.RawArg(4) != "" {
		n, err := c.IntIn(4, 0, 7200)
		if err != nil {
			return st.fail(errParaInvalid)
		}
		st.reconn = n
	}
	// jap_timeout 3-600 s; every modelled AP answers well within it.
	if timeout, err := c.IntOr(7, 15); err != nil || timeout < 3 || timeout > 600 {
		return st.fail(errParaInvalid)
	}
	return st.join(ssid, pwd)
}

func (st *state) join(ssid, pwd string) error {
	s := st.s
	if st.mode != 1 && st.mode != 3 {
		// "This command requires Station mode to be enabled."
		return st.fail(errOpError)
	}
	if st.joining {
		return st.fail(errOpError)
	}
	if st.joined {
		st.leave()
	}
	st.ssid, st.pwd = ssid, pwd
	st.joining = true
	if len(pwd) > 0 && len(pwd) < 8 {
		// Wrong password: reported after the authentication attempts.
		s.After(s.Between(2*time.Second, 5*time.Second), func() {
			st.joining = false
			s.Reply("+CWJAP:2")
			s.Finish(st.fail(errExecFail))
		})
		return sim.Pending
	}
	s.After(s.Between(500*time.Millisecond, 1500*time.Millisecond), func() {
		s.URC("WIFI CONNECTED")
		s.After(s.Between(200*time.Millisecond, 800*time.Millisecond), func() {
			st.joining, st.joined = false, true
			s.URC("WIFI GOT IP")
			s.Finish(nil)
		})
	})
	return sim.Pending
}

// leave disconnects the station: WIFI DISCONNECT, and the MQTT session
// goes down with it.
func (st *state) leave() {
	if !st.joined && !st.joining {
		return
	}
	st.joined, st.joining = false, false
	st.s.URC("WIFI DISCONNECT")
	st.mqttLost()
}

// AT+CWQAP: WIFI DISCONNECT (when connected), then OK.
func cmdCWQAP(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind != sim.Action {
		return st.fail(errParaNum)
	}
	st.leave()
	return nil
}

func cmdCWRECONNCFG(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		s.Replyf("+CWRECONNCFG:%d,%d", st.reconn, st.reconnMax)
		return nil
	case sim.Exec:
		iv, err1 := c.IntIn(0, 0, 7200)
		n, err2 := c.IntIn(1, 0, 1000)
		if err1 != nil || err2 != nil || c.NArg() != 2 {
			return st.fail(errParaInvalid)
		}
		st.reconn, st.reconnMax = iv, n
		return nil
	}
	return st.fail(errParaNum)
}

func (st *state) ip() string {
	switch {
	case st.staticIP != "":
		return st.staticIP
	case st.joined:
		return st.s.Options().LocalIP
	}
	return "0.0.0.0"
}

func gateway(ip string) string {
	for i := len(ip) - 1; i >= 0; i-- {
		if ip[i] == '.' {
			return ip[:i] + ".1"
		}
	}
	return "0.0.0.0"
}

// AT+CIPSTA? -> +CIPSTA:ip:"<ip>", gateway, netmask (IPv6 lines only
// with IPv6 enabled, not modelled).
func cmdCIPSTA(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		ip, gw, mask := st.ip(), "0.0.0.0", "0.0.0.0"
		if ip != "0.0.0.0" {
			gw, mask = gateway(ip), "255.255.255.0"
		}
		s.Replyf(`+CIPSTA:ip:"%s"`, ip)
		s.Replyf(`+CIPSTA:gateway:"%s"`, gw)
		s.Replyf(`+CIPSTA:netmask:"%s"`, mask)
		return nil
	case sim.Exec:
		if c.NArg() != 1 && c.NArg() != 3 || !c.Quoted(0) {
			return st.fail(errParaInvalid)
		}
		st.staticIP = c.Arg(0)
		return nil
	}
	return st.fail(errParaNum)
}

// bssid and mac are fixed per seed (Espressif OUI for the station).
func bssid(s *sim.Session) string {
	n := uint64(s.Options().Seed)
	return fmt.Sprintf("ca:d7:19:%02x:%02x:%02x", byte(n>>16), byte(n>>8), byte(n)^0x44)
}

func mac(s *sim.Session) string {
	n := uint64(s.Options().Seed)
	return fmt.Sprintf("a4:cf:12:%02x:%02x:%02x", byte(n>>16), byte(n>>8), byte(n)^0x5c)
}

func cmdCIFSR(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind != sim.Action {
		return st.fail(errParaNum)
	}
	if st.mode == 2 || st.mode == 3 {
		s.Reply(`+CIFSR:APIP,"192.168.4.1"`)
		s.Replyf(`+CIFSR:APMAC,"%s"`, mac(s)[:16]+"5d")
	}
	if st.mode == 1 || st.mode == 3 {
		s.Replyf(`+CIFSR:STAIP,"%s"`, st.ip())
		s.Replyf(`+CIFSR:STAMAC,"%s"`, mac(s))
	}
	return nil
}

func cmdCIPSTAMAC(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind != sim.Read {
		return st.fail(errParaNum)
	}
	s.Replyf(`+CIPSTAMAC:"%s"`, mac(s))
	return nil
}

// AT+CIPSNTPCFG=<enable>,<timezone>[,"<server>"...]: kept for the TLS
// examples; the clock is the host's.
func cmdCIPSNTPCFG(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	switch c.Kind {
	case sim.Read:
		line := fmt.Sprintf("+CIPSNTPCFG:%d,%d", st.sntpOn, st.sntpZone)
		for _, sv := range st.sntpServer {
			line += fmt.Sprintf(`,"%s"`, sv)
		}
		s.Reply(line)
		return nil
	case sim.Exec:
		on, err1 := c.IntIn(0, 0, 1)
		zone, err2 := c.IntOr(1, 0)
		if err1 != nil || err2 != nil || zone < -12 || zone > 14 || c.NArg() > 5 {
			return st.fail(errParaInvalid)
		}
		st.sntpOn, st.sntpZone = on, zone
		if c.NArg() > 2 {
			st.sntpServer = c.Args()[2:]
		}
		return nil
	}
	return st.fail(errParaNum)
}

// AT+CIPSNTPTIME? -> +CIPSNTPTIME:<asctime> (example in MQTT_AT_Examples).
func cmdCIPSNTPTIME(s *sim.Session, c *sim.Command) error {
	st := stateOf(s)
	if c.Kind != sim.Read {
		return st.fail(errParaNum)
	}
	now := time.Now().UTC().Add(time.Duration(st.sntpZone) * time.Hour)
	if st.sntpOn == 0 || !st.joined {
		now = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	s.Reply("+CIPSNTPTIME:" + now.Format(time.ANSIC))
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
