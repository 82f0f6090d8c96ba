package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the syntactic form of a command (V.250 5.4).
type Kind int

const (
	// Action is a command with no suffix: "AT+CIICR", "ATE0", "ATI".
	// Basic commands keep their digits in Raw ("E0" has Raw "0").
	Action Kind = iota
	// Exec is a set/execute command: "AT+CSTT=\"apn\"".
	Exec
	// Read is a query: "AT+CSQ?" is Action, "AT+CREG?" is Read.
	Read
	// Test asks for the supported values: "AT+CIPSTART=?".
	Test
)

func (k Kind) String() string {
	switch k {
	case Action:
		return "action"
	case Exec:
		return "exec"
	case Read:
		return "read"
	case Test:
		return "test"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Command is one parsed command of a command line.
type Command struct {
	// Name is canonical and upper case: "+CIPSTART", "E", "&W", "S3", "D".
	Name string
	Kind Kind
	// Raw is the argument text as typed: after "=" for Exec, the digits of
	// a basic command ("0" of "E0"), the dial string of "D".
	Raw string
	// Line is the whole command line without the trailing CR.
	Line string

	args   []string // split Raw, surrounding quotes kept
	escape bool     // backslash escapes inside quotes (profile option)
}

// NArg is the number of comma-separated arguments in Raw.
func (c *Command) NArg() int { return len(c.args) }

// RawArg returns argument i exactly as typed (quotes kept, spaces trimmed),
// or "" if there is no such argument.
func (c *Command) RawArg(i int) string {
	if i < 0 || i >= len(c.args) {
		return ""
	}
	return c.args[i]
}

// Quoted reports whether argument i was a quoted string.
func (c *Command) Quoted(i int) bool {
	a := c.RawArg(i)
	return len(a) >= 2 && a[0] == '"' && a[len(a)-1] == '"'
}

// Arg returns argument i with surrounding quotes removed (and, for profiles
// with BackslashEscapes, \x reduced to x), or "" if absent.
func (c *Command) Arg(i int) string {
	a := c.RawArg(i)
	if len(a) >= 2 && a[0] == '"' && a[len(a)-1] == '"' {
		a = a[1 : len(a)-1]
	}
	if c.escape && strings.ContainsRune(a, '\\') {
		var b strings.Builder
		for j := 0; j < len(a); j++ {
			if a[j] == '\\' && j+1 < len(a) {
				j++
			}
			b.WriteByte(a[j])
		}
		a = b.String()
	}
	return a
}

// Args returns every argument as Arg would.
func (c *Command) Args() []string {
	out := make([]string, len(c.args))
	for i := range c.args {
		out[i] = c.Arg(i)
	}
	return out
}

// Int parses argument i as a decimal integer (quotes allowed, as in
// AT+SMCONF="URL","host","1883").
func (c *Command) Int(i int) (int, error) {
	if i >= len(c.args) {
		return 0, fmt.Errorf("argument %d of %q missing", i+1, c.Name)
	}
	n, err := strconv.Atoi(strings.TrimSpace(c.Arg(i)))
	if err != nil {
		return 0, fmt.Errorf("argument %d of %q: %q is not a number", i+1, c.Name, c.Arg(i))
	}
	return n, nil
}

// IntIn parses argument i and checks lo <= n <= hi.
func (c *Command) IntIn(i, lo, hi int) (int, error) {
	n, err := c.Int(i)
	if err != nil {
		return 0, err
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("argument %d of %q: %d out of range %d-%d", i+1, c.Name, n, lo, hi)
	}
	return n, nil
}

// IntOr is Int with a default for a missing or empty argument.
func (c *Command) IntOr(i, def int) (int, error) {
	if i >= len(c.args) || c.args[i] == "" {
		return def, nil
	}
	return c.Int(i)
}

// String renders the command back into AT syntax without the "AT".
func (c *Command) String() string {
	switch c.Kind {
	case Exec:
		return c.Name + "=" + c.Raw
	case Read:
		return c.Name + "?"
	case Test:
		return c.Name + "=?"
	}
	return c.Name + c.Raw
}

// ParseLine parses a command line such as `AT+CIFSR;E0` or `ATE0V1` into
// its commands. The line must start with "AT" (any case); a bare "AT" gives
// one command with an empty Name.
func ParseLine(line string, backslashEscapes bool) ([]*Command, error) {
	if len(line) < 2 || !strings.EqualFold(line[:2], "AT") {
		return nil, fmt.Errorf("command line %q does not start with AT", line)
	}
	rest := line[2:]
	if strings.TrimSpace(rest) == "" {
		return []*Command{{Line: line}}, nil
	}
	var cmds []*Command
	for len(rest) > 0 {
		if rest[0] == ';' || rest[0] == ' ' {
			rest = rest[1:]
			continue
		}
		c := &Command{Line: line, escape: backslashEscapes}
		var err error
		rest, err = parseOne(c, rest, backslashEscapes)
		if err != nil {
			return nil, fmt.Errorf("command line %q: %w", line, err)
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// extendedPrefix lists the characters that start an extended command name.
const extendedPrefix = "+^$%#*!"

func parseOne(c *Command, s string, esc bool) (string, error) {
	ch := s[0]
	switch {
	case strings.IndexByte(extendedPrefix, ch) >= 0:
		i := 1
		for i < len(s) && isNameChar(s[i]) {
			i++
		}
		if i == 1 {
			return "", fmt.Errorf("empty command name after %q", string(ch))
		}
		c.Name = strings.ToUpper(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "=?"):
			c.Kind = Test
			s = s[2:]
		case strings.HasPrefix(s, "?"):
			c.Kind = Read
			s = s[1:]
		case strings.HasPrefix(s, "="):
			c.Kind = Exec
			end := argsEnd(s[1:], esc)
			c.Raw = s[1 : 1+end]
			c.args = splitArgs(c.Raw, esc)
			s = s[1+end:]
		}
		if s != "" && s[0] != ';' {
			return "", fmt.Errorf("unexpected %q after %q", s, c.Name)
		}
		return s, nil
	case ch == 'D' || ch == 'd':
		// The dial string takes the rest of the line (ATD*99#).
		c.Name, c.Raw = "D", s[1:]
		c.args = splitArgs(c.Raw, esc)
		return "", nil
	case ch == '&' || isLetter(ch):
		i := 1
		if ch == '&' {
			if len(s) < 2 || !isLetter(s[1]) {
				return "", fmt.Errorf("bad command %q", s)
			}
			i = 2
		}
		name := strings.ToUpper(s[:i])
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		c.Name, c.Raw = name, s[i:j]
		s = s[j:]
		if name == "S" {
			// S-registers: ATS3=13, ATS0?
			c.Name, c.Raw = "S"+c.Raw, ""
			switch {
			case strings.HasPrefix(s, "=?"):
				c.Kind, s = Test, s[2:]
			case strings.HasPrefix(s, "?"):
				c.Kind, s = Read, s[1:]
			case strings.HasPrefix(s, "="):
				j := 1
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				c.Kind, c.Raw, s = Exec, s[1:j], s[j:]
			}
		} else if strings.HasPrefix(s, "?") {
			c.Kind, s = Read, s[1:]
		}
		if c.Raw != "" {
			c.args = []string{c.Raw}
		}
		return s, nil
	}
	return "", fmt.Errorf("unexpected character %q", string(ch))
}

func isLetter(b byte) bool { return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') }

func isNameChar(b byte) bool {
	return isLetter(b) || (b >= '0' && b <= '9') || b == '_' || b == '.' || b == '-' || b == '&'
}

// argsEnd returns the length of the argument text: up to a ';' outside quotes.
func argsEnd(s string, esc bool) int {
	inQ := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if esc && inQ {
				i++
			}
		case '"':
			inQ = !inQ
		case ';':
			if !inQ {
				return i
			}
		}
	}
	return len(s)
}

func splitArgs(s string, esc bool) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	inQ := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if esc {
				i++
			}
		case '"':
			inQ = !inQ
		case ',':
			if !inQ {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
