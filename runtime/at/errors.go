package at

import (
	"fmt"
	"strconv"
	"strings"
)

// CMEError is a "+CME ERROR" final result code (3GPP TS 27.007 §9.2).
//
// Code is -1 when the modem answered in verbose mode (AT+CMEE=2) with words
// that are not in the 27.007 table; Text then holds its words as received.
// Otherwise Text is the 27.007 text for Code, or "unknown error".
type CMEError struct {
	Code int
	Text string
}

// CMSError is a "+CMS ERROR" final result code (3GPP TS 27.005 §3.2.5),
// with the same conventions as CMEError.
type CMSError struct {
	Code int
	Text string
}

// Error gives "+CME ERROR: 10 (SIM not inserted)".
func (e CMEError) Error() string { return format("+CME ERROR", e.Code, e.Text) }

// Error gives "+CMS ERROR: 330 (SMSC address unknown)".
func (e CMSError) Error() string { return format("+CMS ERROR", e.Code, e.Text) }

// Is reports whether target is a CMEError with the same code, so that
// errors.Is(err, at.CMEError{Code: 10}) works; a target with Code -1
// matches on Text, ignoring case, spaces and punctuation.
func (e CMEError) Is(target error) bool {
	var t CMEError
	switch x := target.(type) {
	case CMEError:
		t = x
	case *CMEError:
		if x == nil {
			return false
		}
		t = *x
	default:
		return false
	}
	return same(e.Code, e.Text, t.Code, t.Text)
}

// Is is CMEError.Is for CMSError.
func (e CMSError) Is(target error) bool {
	var t CMSError
	switch x := target.(type) {
	case CMSError:
		t = x
	case *CMSError:
		if x == nil {
			return false
		}
		t = *x
	default:
		return false
	}
	return same(e.Code, e.Text, t.Code, t.Text)
}

func same(code int, text string, tcode int, ttext string) bool {
	if tcode >= 0 {
		return code == tcode
	}
	return normalize(text) == normalize(ttext)
}

func format(prefix string, code int, text string) string {
	switch {
	case code >= 0:
		return fmt.Sprintf("%s: %d (%s)", prefix, code, text)
	case text == "":
		return prefix
	default:
		return prefix + ": " + text
	}
}

// ParseDeviceError recognises a "+CME ERROR: <n>" or "+CMS ERROR: <n>" line,
// numeric or verbose ("+CME ERROR: SIM not inserted" gives code 10), and
// returns it as a CMEError or CMSError. Case and surrounding spaces are
// ignored, and so is a missing colon, which some manuals print. Any other
// line gives (nil, false).
func ParseDeviceError(line string) (error, bool) {
	line = strings.TrimSpace(line)
	const n = len("+CME ERROR")
	if len(line) < n {
		return nil, false
	}
	var tab *table
	switch strings.ToUpper(line[:n]) {
	case "+CME ERROR":
		tab = &cmeTable
	case "+CMS ERROR":
		tab = &cmsTable
	default:
		return nil, false
	}
	rest := line[n:]
	// "+CME ERRORS" or "+CME ERROR10" are not this result code.
	if rest != "" && rest[0] != ':' && rest[0] != ' ' && rest[0] != '\t' {
		return nil, false
	}
	rest = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
	rest = strings.TrimSpace(strings.Trim(rest, `"`))
	code, text := decode(tab, rest)
	if tab == &cmsTable {
		return CMSError{Code: code, Text: text}, true
	}
	return CMEError{Code: code, Text: text}, true
}

func decode(tab *table, rest string) (int, string) {
	if rest == "" {
		return -1, ""
	}
	if isDigits(rest) {
		if code, err := strconv.Atoi(rest); err == nil {
			return code, lookup(tab, code)
		}
	}
	if code, ok := reverse(tab, rest); ok {
		return code, lookup(tab, code)
	}
	return -1, rest
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// CMEText is the 27.007 text for a +CME ERROR code, or "unknown error".
func CMEText(code int) string { return lookup(&cmeTable, code) }

// CMSText is the 27.005 text for a +CMS ERROR code, or "unknown error".
func CMSText(code int) string { return lookup(&cmsTable, code) }

// CMECode finds the code for a verbose +CME ERROR text, ignoring case,
// spaces and punctuation.
func CMECode(text string) (int, bool) { return reverse(&cmeTable, text) }

// CMSCode is CMECode for +CMS ERROR texts; "(U)SIM" may be written "SIM"
// or "USIM".
func CMSCode(text string) (int, bool) { return reverse(&cmsTable, text) }

func lookup(tab *table, code int) string {
	for _, e := range tab.entries {
		if e.code == code {
			return e.text
		}
	}
	return "unknown error"
}

// reverse returns the lowest code whose text matches; the tables list codes
// in ascending order, so "Congestion" is 122, not the VBS code 157.
func reverse(tab *table, text string) (int, bool) {
	want := normalize(text)
	if want == "" {
		return 0, false
	}
	for _, e := range tab.entries {
		if normalize(e.text) == want {
			return e.code, true
		}
		if strings.Contains(e.text, "(U)SIM") {
			if normalize(strings.ReplaceAll(e.text, "(U)SIM", "SIM")) == want {
				return e.code, true
			}
		}
	}
	for _, a := range tab.aliases {
		if normalize(a.text) == want {
			return a.code, true
		}
	}
	return 0, false
}

// normalize keeps letters and digits only, lowercased, as ModemManager does,
// so "Network not allowed - emergency calls only" matches
// "network not allowed, emergency calls only".
func normalize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c >= 0x80:
			b.WriteByte(c)
		}
	}
	return b.String()
}

type entry struct {
	code int
	text string
}

// table is one result code's texts; aliases are verbose texts that real
// firmware prints and that differ from the standard's wording beyond case
// and punctuation. Both are read-only.
type table struct {
	entries []entry
	aliases []entry
}

// cmeTable is 3GPP TS 27.007 §9.2, ascending by code. Texts are the
// standard's own spelling. 121, 135-137 and 184-209 come from later
// releases as Eigencomm-based modules (Luat Air780) report them.
var cmeTable = table{entries: []entry{
	// §9.2.1 general errors
	{0, "phone failure"},
	{1, "no connection to phone"},
	{2, "phone-adaptor link reserved"},
	{3, "operation not allowed"},
	{4, "operation not supported"},
	{5, "PH-SIM PIN required"},
	{6, "PH-FSIM PIN required"},
	{7, "PH-FSIM PUK required"},
	{10, "SIM not inserted"},
	{11, "SIM PIN required"},
	{12, "SIM PUK required"},
	{13, "SIM failure"},
	{14, "SIM busy"},
	{15, "SIM wrong"},
	{16, "incorrect password"},
	{17, "SIM PIN2 required"},
	{18, "SIM PUK2 required"},
	{20, "memory full"},
	{21, "invalid index"},
	{22, "not found"},
	{23, "memory failure"},
	{24, "text string too long"},
	{25, "invalid characters in text string"},
	{26, "dial string too long"},
	{27, "invalid characters in dial string"},
	{30, "no network service"},
	{31, "network timeout"},
	{32, "network not allowed - emergency calls only"},
	{40, "network personalization PIN required"},
	{41, "network personalization PUK required"},
	{42, "network subset personalization PIN required"},
	{43, "network subset personalization PUK required"},
	{44, "service provider personalization PIN required"},
	{45, "service provider personalization PUK required"},
	{46, "corporate personalization PIN required"},
	{47, "corporate personalization PUK required"},
	{48, "hidden key required"},
	{49, "EAP method not supported"},
	{50, "incorrect parameters"},
	{51, "command implemented but currently disabled"},
	{52, "command aborted by user"},
	{53, "not attached to network due to MT functionality restrictions"},
	{54, "modem not allowed - MT restricted to emergency calls only"},
	{55, "operation not allowed because of MT functionality restrictions"},
	{56, "fixed dial number only allowed - called number is not a fixed dial number"},
	{57, "temporarily out of service due to other MT usage"},
	{58, "language/alphabet not supported"},
	{59, "unexpected data value"},
	{60, "system failure"},
	{61, "data missing"},
	{62, "call barred"},
	{63, "message waiting indication subscription failure"},
	{100, "unknown"},
	// §9.2.2.1 GPRS and EPS: attach failures (24.008 cause in the comment)
	{103, "illegal MS"},                                      // #3
	{106, "illegal ME"},                                      // #6
	{107, "GPRS services not allowed"},                       // #7
	{108, "GPRS services and non-GPRS services not allowed"}, // #8
	{111, "PLMN not allowed"},                                // #11
	{112, "location area not allowed"},                       // #12
	{113, "roaming not allowed in this location area"},       // #13
	{114, "GPRS services not allowed in this PLMN"},          // #14
	{115, "no suitable cells in location area"},              // #15
	{121, "PTI mismatch"},                                    // #47
	{122, "congestion"},                                      // #22
	{125, "not authorized for this CSG"},                     // #25
	// §9.2.2.2 context activation failures
	{126, "insufficient resources"},                            // #26
	{127, "missing or unknown APN"},                            // #27
	{128, "unknown PDP address or PDP type"},                   // #28
	{129, "user authentication failed"},                        // #29
	{130, "activation rejected by GGSN, Serving GW or PDN GW"}, // #30
	{131, "activation rejected, unspecified"},                  // #31
	{132, "service option not supported"},                      // #32
	{133, "requested service option not subscribed"},           // #33
	{134, "service option temporarily out of order"},           // #34
	{135, "PTI already in use"},                                // #35
	{136, "regular deactivation"},                              // #36
	{137, "EPS QoS not accepted"},                              // #37
	{140, "feature not supported"},                             // #40
	{141, "semantic error in the TFT operation"},               // #41
	{142, "syntactical error in the TFT operation"},            // #42
	{143, "unknown PDP context"},                               // #43
	{144, "semantic errors in packet filter(s)"},               // #44
	{145, "syntactical errors in packet filter(s)"},            // #45
	{146, "PDP context without TFT already activated"},         // #46
	// §9.2.2.4 other GPRS errors
	{148, "unspecified GPRS error"},
	{149, "PDP authentication failure"},
	{150, "invalid mobile class"},
	// §9.2.3 VBS, VGCS and eMLPP
	{151, "VBS/VGCS not supported by the network"},
	{152, "no service subscription on SIM"},
	{153, "no subscription for group ID"},
	{154, "group Id not activated on SIM"},
	{155, "no matching notification"},
	{156, "VBS/VGCS call already present"},
	{157, "congestion"},
	{158, "network failure"},
	{159, "uplink busy"},
	{160, "no access rights for SIM file"},
	{161, "no subscription for priority"},
	{162, "operation not applicable or not possible"},
	{163, "group Id prefixes not supported"},
	{164, "group Id prefixes not usable for VBS"},
	{165, "group Id prefix value invalid"},
	// §9.2.2.3 PDN disconnection, §9.2.2.1/2 continued
	{171, "last PDN disconnection not allowed"},                              // #49
	{172, "semantically incorrect message"},                                  // #95
	{173, "invalid mandatory information"},                                   // #96
	{174, "message type non-existent or not implemented"},                    // #97
	{175, "conditional IE error"},                                            // #100
	{176, "protocol error, unspecified"},                                     // #111
	{177, "operator determined barring"},                                     // #8
	{178, "maximum number of PDP contexts reached"},                          // #65
	{179, "requested APN not supported in current RAT and PLMN combination"}, // #66
	{180, "request rejected, bearer control mode violation"},                 // #48
	{181, "unsupported QCI value"},                                           // #83
	{182, "user data transmission via control plane is congested"},
	{184, "invalid PTI value"},                                          // #81
	{186, "message not compatible with protocol state"},                 // #101
	{190, "network failure"},                                            // #38
	{191, "reactivation requested"},                                     // #39
	{192, "PDN type IPv4 only allowed"},                                 // #50
	{193, "PDN type IPv6 only allowed"},                                 // #51
	{194, "single address bearers only allowed"},                        // #52
	{195, "collision with network initiated request"},                   // #56
	{196, "PDN type IPv4v6 only allowed"},                               // #57
	{197, "PDN type non IP only allowed"},                               // #58
	{198, "bearer handling not supported"},                              // #60
	{199, "APN restriction value incompatible with active PDP context"}, // #112
	{200, "multiple accesses to a PDN connection not allowed"},          // #113
	{201, "ESM information not received"},                               // #53
	{202, "PDN connection does not exist"},                              // #54
	{203, "multiple PDN connections for a given APN not allowed"},       // #55
	{208, "message type not compatible with protocol state"},            // #98
	{209, "information element non-existent or not implemented"},        // #99
}, aliases: []entry{
	{173, "mandatory information element error"}, // Legato
	{173, "mandatory IE error"},                  // ModemManager
	{174, "IE not implemented"},                  // ModemManager
	// EPS (24.301) wording of the same causes, as Eigencomm firmware prints
	{128, "unknown PDN type"},
	{129, "user authentication or authorization failed"},
	{130, "activation rejected by Serving GW or PDN GW"},
	{131, "request rejected, unspecified"},
	{143, "invalid EPS bearer identity"},
	{178, "maximum number of EPS bearers reached"},
}}

// cmsTable is 3GPP TS 27.005 §3.2.5, ascending by code: 0-127 are 24.011
// §E.2 RP causes, 128-255 are 23.040 §9.2.3.22 TP-FCS values, 300 up are
// 27.005's own.
var cmsTable = table{entries: []entry{
	{1, "unassigned (unallocated) number"},
	{8, "operator determined barring"},
	{10, "call barred"},
	{17, "network failure"},
	{21, "short message transfer rejected"},
	{22, "memory capacity exceeded"},
	{27, "destination out of service"},
	{28, "unidentified subscriber"},
	{29, "facility rejected"},
	{30, "unknown subscriber"},
	{38, "network out of order"},
	{41, "temporary failure"},
	{42, "congestion"},
	{47, "resources unavailable, unspecified"},
	{50, "requested facility not subscribed"},
	{69, "requested facility not implemented"},
	{81, "invalid short message transfer reference value"},
	{95, "invalid message, unspecified"},
	{96, "invalid mandatory information"},
	{97, "message type non-existent or not implemented"},
	{98, "message not compatible with short message protocol state"},
	{99, "information element non-existent or not implemented"},
	{111, "protocol error, unspecified"},
	{127, "interworking, unspecified"},
	{128, "telematic interworking not supported"},
	{129, "short message type 0 not supported"},
	{130, "cannot replace short message"},
	{143, "unspecified TP-PID error"},
	{144, "data coding scheme (alphabet) not supported"},
	{145, "message class not supported"},
	{159, "unspecified TP-DCS error"},
	{160, "command cannot be actioned"},
	{161, "command unsupported"},
	{175, "unspecified TP-Command error"},
	{176, "TPDU not supported"},
	{192, "SC busy"},
	{193, "no SC subscription"},
	{194, "SC system failure"},
	{195, "invalid SME address"},
	{196, "destination SME barred"},
	{197, "SM rejected-duplicate SM"},
	{198, "TP-VPF not supported"},
	{199, "TP-VP not supported"},
	{208, "(U)SIM SMS storage full"},
	{209, "no SMS storage capability in (U)SIM"},
	{210, "error in MS"},
	{211, "memory capacity exceeded"},
	{212, "(U)SIM Application Toolkit busy"},
	{213, "(U)SIM data download error"},
	{255, "unspecified error cause"},
	{300, "ME failure"},
	{301, "SMS service of ME reserved"},
	{302, "operation not allowed"},
	{303, "operation not supported"},
	{304, "invalid PDU mode parameter"},
	{305, "invalid text mode parameter"},
	{310, "(U)SIM not inserted"},
	{311, "(U)SIM PIN required"},
	{312, "PH-(U)SIM PIN required"},
	{313, "(U)SIM failure"},
	{314, "(U)SIM busy"},
	{315, "(U)SIM wrong"},
	{316, "(U)SIM PUK required"},
	{317, "(U)SIM PIN2 required"},
	{318, "(U)SIM PUK2 required"},
	{320, "memory failure"},
	{321, "invalid memory index"},
	{322, "memory full"},
	{330, "SMSC address unknown"},
	{331, "no network service"},
	{332, "network timeout"},
	{340, "no +CNMA acknowledgement expected"},
	{500, "unknown error"},
}}
