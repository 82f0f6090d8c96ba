package sim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Handler carries out one command of a command line. It runs on the session
// goroutine. Its return value decides the final result code:
//
//	nil            "OK"
//	Done           nothing: the handler wrote its own final line, or none is due
//	Pending        nothing yet: a later callback calls Session.Finish
//	ErrError       "ERROR"
//	CMEError(n)    "+CME ERROR: n" formatted per AT+CMEE (0: "ERROR", 2: text)
//	CMSError(n)    "+CMS ERROR: n" formatted per AT+CMEE
//	Final("TEXT")  the line TEXT, e.g. "SEND FAIL"
//	any other      "ERROR"
//
// Done, Pending and Final count as success for chained commands
// ("AT+CIFSR;E0"); errors stop the chain.
type Handler func(s *Session, c *Command) error

// Profile describes one modem model. Profiles are values: a profile package
// builds one in init and passes it to Register.
type Profile struct {
	// Name is the registry key, lower case ("sim7000").
	Name string
	// Summary is a one-line description for listings.
	Summary string
	// Dialect is the name of the dialect block the shipped scripts for
	// this modem declare (dialect simcom { ... } in scripts/sim7000), so
	// that atrun can suggest --sim for a script. Modems of one family
	// share it (bc26 and ec20 speak quectel).
	Dialect string

	// Manufacturer, Model and Revision answer AT+CGMI, AT+CGMM and AT+CGMR
	// unless the profile overrides those commands; Options.Firmware
	// replaces Revision.
	Manufacturer, Model, Revision string
	// TAC is the 8-digit type allocation code that starts default IMEIs.
	TAC string

	// Boot lists the lines printed, in order, when the modem starts
	// (Options.ColdBoot) or restarts (AT+CFUN=1,1, the RebootAfter knob).
	Boot []string
	// BootTime is how long a restart takes before the first boot line
	// (scaled by Options.TimeScale); input during a boot is lost.
	BootTime time.Duration
	// OnBoot, if set, runs after the boot lines, e.g. to schedule URCs.
	OnBoot func(s *Session)

	// EchoOff starts sessions with echo off; the V.250 default is on.
	EchoOff bool
	// CMEE is the initial AT+CMEE mode: 0 plain ERROR, 1 numeric, 2 verbose.
	CMEE int
	// CMETexts adds or overrides verbose +CME ERROR texts (AT+CMEE=2).
	CMETexts map[int]string
	// BackslashEscapes makes \" and \, inside arguments literal (ESP-AT).
	BackslashEscapes bool
	// CRLF makes only CR LF end a command line (ESP-AT: "AT commands ...
	// end with a new line (CR LF)"); a bare CR is then part of the line.
	// Otherwise CR ends it, as V.250 says (S3), and a following LF is
	// ignored.
	CRLF bool
	// BusyReply is what a command line typed while another still runs
	// gets (ESP-AT: "busy p..."); empty means it is ignored, as V.250
	// §5.6.1 lets a modem do.
	BusyReply string

	// Quirks declares the profile's variants where real modules differ
	// (prompt with or without a space, "0, CONNECT OK" or "0,CONNECT OK").
	// Options.Quirks selects values; Session.Quirk reads them.
	Quirks map[string]Quirk

	// Commands maps canonical command names ("+CIPSTART", "E", "&W", "I")
	// to handlers. They take precedence over the common commands; a nil
	// handler removes a common command (the modem answers ERROR).
	Commands map[string]Handler

	// NewState, if set, makes the per-session profile state, returned by
	// Session.State. It is called at session start and after every
	// restart; a state that implements io.Closer is closed when it is
	// replaced or the session ends.
	NewState func(s *Session) any
}

// Engine quirks: every profile has them. Their defaults are as strict as
// the hardware; the other values are the engine's old leniency, for hosts
// that rely on it.
const (
	QuirkBusyInput = "busy-input" // "ignore" or "queue"
	QuirkEarlyData = "early-data" // "drop" or "keep"
	QuirkLineEnd   = "line-end"   // "module" or "cr"
)

var engineQuirks = map[string]Quirk{
	QuirkBusyInput: {Doc: `a command line typed before the previous one's final result: "ignore" (V.250 §5.6.1; ESP-AT answers busy p...) or "queue" it and run it after (lenient)`, Values: []string{"ignore", "queue"}},
	QuirkEarlyData: {Doc: `bytes typed before a data prompt: "drop" them, as modules do, or "keep" them as the start of the data (lenient)`, Values: []string{"drop", "keep"}},
	QuirkLineEnd:   {Doc: `what ends a command line: the "module"'s own (CR; CR LF for ESP-AT) or any "cr" (lenient)`, Values: []string{"module", "cr"}},
}

// EngineQuirks returns the quirks every profile has.
func EngineQuirks() map[string]Quirk { return maps.Clone(engineQuirks) }

// Lenient selects the lenient value of every engine quirk: the engine as
// it was before the modems were strict, for a host under test that is not
// yet careful (a flow should pass without it).
func Lenient() map[string]string {
	return map[string]string{QuirkBusyInput: "queue", QuirkEarlyData: "keep", QuirkLineEnd: "cr"}
}

// quirk looks a quirk up in the profile, then in the engine's.
func (p *Profile) quirk(name string) (Quirk, bool) {
	if q, ok := p.Quirks[name]; ok {
		return q, true
	}
	q, ok := engineQuirks[name]
	return q, ok
}

// Quirk is one variant knob of a profile.
type Quirk struct {
	Doc    string   // one line: what it changes and where each value is seen
	Values []string // allowed values, the default first
}

// Default is the quirk's first value.
func (q Quirk) Default() string {
	if len(q.Values) == 0 {
		return ""
	}
	return q.Values[0]
}

// Common returns the engine's handler for a common command ("+CGATT"),
// for profiles that wrap it, or nil.
func Common(name string) Handler { return commonCommands[strings.ToUpper(name)] }

// registry holds the registered profiles, like database/sql's drivers.
// Each is built on first lookup: a binary that links every profile but
// runs none (atrun run on a real port) does not build their command
// tables at start.
type registry struct {
	mu       sync.RWMutex
	profiles map[string]func() *Profile
}

var profiles = &registry{profiles: map[string]func() *Profile{}}

// Register makes a profile available by name. It panics if the name is
// empty or already registered, as those are programming errors in init.
func Register(p Profile) {
	cp := normalize(p.Name, p)
	register(p.Name, func() *Profile { return cp })
}

// RegisterFunc is Register with the profile built by build on first use;
// build must return a profile named name.
func RegisterFunc(name string, build func() Profile) {
	register(name, sync.OnceValue(func() *Profile { return normalize(name, build()) }))
}

func register(name string, get func() *Profile) {
	if name == "" {
		panic("sim: Register with empty profile name")
	}
	name = strings.ToLower(name)
	profiles.mu.Lock()
	defer profiles.mu.Unlock()
	if _, dup := profiles.profiles[name]; dup {
		panic(fmt.Sprintf("sim: profile %q registered twice", name))
	}
	profiles.profiles[name] = get
}

// normalize copies p with its name in lower case and its commands in
// upper case.
func normalize(name string, p Profile) *Profile {
	if !strings.EqualFold(p.Name, name) {
		panic(fmt.Sprintf("sim: profile registered as %q is named %q", name, p.Name))
	}
	cp := p
	cp.Name = strings.ToLower(name)
	cp.Commands = make(map[string]Handler, len(p.Commands))
	for k, h := range p.Commands {
		cp.Commands[strings.ToUpper(k)] = h
	}
	return &cp
}

// Lookup returns the profile registered under name (case-insensitive).
func Lookup(name string) (Profile, bool) {
	p, ok := lookup(name)
	if !ok {
		return Profile{}, false
	}
	return *p, true
}

func lookup(name string) (*Profile, bool) {
	profiles.mu.RLock()
	build, ok := profiles.profiles[strings.ToLower(name)]
	profiles.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return build(), true
}

// ForDialect lists the profiles whose Dialect is dialect, sorted.
func ForDialect(dialect string) []string {
	var out []string
	for _, n := range Names() {
		if p, ok := lookup(n); ok && p.Dialect != "" && p.Dialect == dialect {
			out = append(out, n)
		}
	}
	return out
}

// Names lists the registered profile names, sorted.
func Names() []string {
	profiles.mu.RLock()
	defer profiles.mu.RUnlock()
	names := make([]string, 0, len(profiles.profiles))
	for n := range profiles.profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
