package sim

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Options configure a virtual modem. The zero value is a fast modem for
// tests (TimeScale 0); Realistic returns the interactive defaults.
type Options struct {
	// TimeScale multiplies every modelled delay (boot, CIICR, connect
	// results): 0 answers as fast as possible, 1 is realistic.
	TimeScale float64
	// ColdBoot prints the boot lines when a session starts, as if the
	// modem were powered on as the host opened the port.
	ColdBoot bool

	// Broker, if set ("host:port", or "mqtt://host:port", "tcp://..."),
	// replaces the address of every outbound TCP connection and MQTT
	// session, whatever host the script names.
	Broker string
	// BrokerTLS and BrokerMutualTLS, if set, replace Broker for TLS
	// connections: one that presents a client certificate goes to
	// BrokerMutualTLS (when set), any other TLS one to BrokerTLS. The
	// embedded broker's TLS listeners (atrun run --broker embedded).
	BrokerTLS, BrokerMutualTLS string
	// OnConnect, if set, is told of every outbound connection (socket or
	// MQTT session) once it is up or has failed, with the address it was
	// redirected to, so that a tool can say where a failed connection
	// really went. It is called from any goroutine and must not block.
	OnConnect func(Connection)
	// OnBoot, if set, is told when the modem starts booting (ready false,
	// with how long the boot takes: input is lost meanwhile) and when it
	// is done and takes commands (ready true). It runs on the session
	// goroutine and must not block.
	OnBoot func(ready bool, boot time.Duration)
	// TLS, if set, is the base TLS configuration for TLS sessions (root
	// CAs of a test broker, InsecureSkipVerify); profiles add certificates.
	TLS *tls.Config

	// Identity. Empty values get plausible defaults derived from the
	// profile and Seed; IMEI and ICCID defaults carry valid Luhn digits.
	IMEI, ICCID, IMSI string
	Firmware          string // replaces Profile.Revision
	Operator          string // AT+COPS? name; default "atrun"
	RSSI              int    // AT+CSQ <rssi> 0-31; 0 means the default 20
	LocalIP           string // the address the bearer gets; default 10.64.12.7

	// Latency is added before each command's response (not scaled).
	Latency time.Duration
	// Baud throttles output to Baud/10 bytes per second (0: unthrottled).
	Baud int
	// Chunk splits output into writes of 1..Chunk bytes (seeded).
	Chunk int
	// DropRate and GarbleRate drop or corrupt whole response lines with
	// the given probability (0-1, seeded). Echo and binary data are spared.
	DropRate, GarbleRate float64
	// RemoteCloseAfter makes the remote end close every TCP socket and MQTT
	// session this long after it opened (0: never).
	RemoteCloseAfter time.Duration
	// RemoteCloseSends makes the remote end close a socket after that many
	// sends on it, or an MQTT session after that many publishes (0: never).
	RemoteCloseSends int
	// RebootAfter restarts the modem once, right after the final result of
	// the N-th command line (0: never).
	RebootAfter int
	// InjectURC is a line injected before every InjectEvery-th output line
	// (InjectEvery 0 means 1 when InjectURC is set).
	InjectURC   string
	InjectEvery int
	// Seed makes every random choice (chunks, drops, delays) repeatable.
	Seed int64

	// Quirks selects profile variants by name (see Profile.Quirks), e.g.
	// {"prompt": ">"}; unnamed quirks take their defaults.
	Quirks map[string]string
}

// Realistic returns options for interactive use: real-time delays and
// the boot lines when the session starts.
func Realistic() Options {
	return Options{TimeScale: 1, ColdBoot: true}
}

// check reports the first invalid option.
func (o *Options) check() error {
	switch {
	case o.TimeScale < 0:
		return fmt.Errorf("time scale %v is negative", o.TimeScale)
	case o.Baud < 0:
		return fmt.Errorf("baud %d is negative", o.Baud)
	case o.Chunk < 0:
		return fmt.Errorf("chunk %d is negative", o.Chunk)
	case o.DropRate < 0 || o.DropRate > 1:
		return fmt.Errorf("drop rate %v is not between 0 and 1", o.DropRate)
	case o.GarbleRate < 0 || o.GarbleRate > 1:
		return fmt.Errorf("garble rate %v is not between 0 and 1", o.GarbleRate)
	case o.RSSI < 0 || o.RSSI > 31 && o.RSSI != 99:
		return fmt.Errorf("rssi %d is not 0-31 or 99", o.RSSI)
	case o.RemoteCloseAfter < 0, o.Latency < 0:
		return fmt.Errorf("negative duration in options")
	case o.RemoteCloseSends < 0, o.RebootAfter < 0, o.InjectEvery < 0:
		return fmt.Errorf("negative count in options")
	case strings.ContainsAny(o.InjectURC, "\r\n"):
		return fmt.Errorf("injected URC %q contains a line break", o.InjectURC)
	}
	if err := checkDigits("IMEI", o.IMEI, 15, 15); err != nil {
		return err
	}
	if err := checkDigits("ICCID", o.ICCID, 18, 20); err != nil {
		return err
	}
	if err := checkDigits("IMSI", o.IMSI, 6, 15); err != nil {
		return err
	}
	for _, b := range []string{o.Broker, o.BrokerTLS, o.BrokerMutualTLS} {
		if b != "" {
			if _, err := brokerAddr(b); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkDigits(what, v string, lo, hi int) error {
	if v == "" {
		return nil
	}
	if len(v) < lo || len(v) > hi {
		if lo == hi {
			return fmt.Errorf("%s %q must have %d digits", what, v, lo)
		}
		return fmt.Errorf("%s %q must have %d-%d digits", what, v, lo, hi)
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return fmt.Errorf("%s %q must be digits only", what, v)
		}
	}
	return nil
}

// LuhnDigit returns the Luhn check digit for the digit string s
// (IMEI: 14 digits + check; ICCID: 18 or 19 digits + check).
func LuhnDigit(s string) byte {
	sum := 0
	double := true // the digit left of the check digit is doubled
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidLuhn reports whether the last digit of s is its Luhn check digit.
func ValidLuhn(s string) bool {
	if len(s) < 2 || checkDigits("number", s, 2, 64) != nil {
		return false
	}
	return LuhnDigit(s[:len(s)-1]) == s[len(s)-1]
}

// identity fills the empty identity fields.
func (o Options) identity(p *Profile) Options {
	serial := fmt.Sprintf("%06d", uint64(o.Seed)%1000000)
	if o.IMEI == "" {
		tac := p.TAC
		if len(tac) != 8 {
			tac = "86000000"
		}
		body := tac + serial
		o.IMEI = body + string(LuhnDigit(body))
	}
	if o.ICCID == "" {
		// 89 telecom, 86 country, 01 issuer, account digits, Luhn.
		body := "898601" + "2412" + "000" + serial
		o.ICCID = body + string(LuhnDigit(body))
	}
	if o.IMSI == "" {
		o.IMSI = "460011234" + serial
	}
	if o.Firmware == "" {
		o.Firmware = p.Revision
	}
	if o.Operator == "" {
		o.Operator = "atrun"
	}
	if o.RSSI == 0 {
		o.RSSI = 20
	}
	if o.LocalIP == "" {
		o.LocalIP = "10.64.12.7"
	}
	if o.InjectURC != "" && o.InjectEvery == 0 {
		o.InjectEvery = 1
	}
	return o
}

func checkQuirks(p *Profile, q map[string]string) error {
	for name, v := range q {
		spec, ok := p.quirk(name)
		if !ok {
			known := make([]string, 0, len(p.Quirks)+len(engineQuirks))
			for k := range p.Quirks {
				known = append(known, k)
			}
			for k := range engineQuirks {
				known = append(known, k)
			}
			slices.Sort(known)
			return fmt.Errorf("unknown quirk %q (known: %s)", name, strings.Join(known, ", "))
		}
		if !slices.Contains(spec.Values, v) {
			return fmt.Errorf("quirk %q: value %q is not one of %q", name, v, spec.Values)
		}
	}
	return nil
}
