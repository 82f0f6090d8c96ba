package runtime

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime/at"
)

// dialect is what a script declares about its modem, merged from every
// dialect block of the script and its includes. The runtime itself knows
// only V.250 and 3GPP TS 27.007/27.005: vendor result codes, data headers
// and prompts come from here.
type dialect struct {
	lineEnding string          // "" means "\r"
	finals     []lineMatch     // success final result codes beyond OK
	errors     []lineMatch     // error final result codes beyond ERROR, +CME ERROR ...
	noFinal    []lineMatch     // commands whose answer has no final result code
	headers    []at.DataHeader // counted binary data
	prompts    []string        // what a bare "expect prompt" waits for
}

// lineMatch is a declared string (whole line, trimmed) or regex.
type lineMatch struct {
	text string
	re   *regexp.Regexp
	fold bool // compare text ignoring case (command names)
}

func (m lineMatch) match(s string) bool {
	if m.re != nil {
		return m.re.MatchString(s)
	}
	s = strings.TrimSpace(s)
	if m.fold {
		return strings.EqualFold(s, m.text)
	}
	return s == m.text
}

func matchAny(ms []lineMatch, s string) bool {
	for _, m := range ms {
		if m.match(s) {
			return true
		}
	}
	return false
}

// compileDialect merges the dialect blocks, in declaration order. They
// have passed lang.Check, so regexes compile and shapes are right.
func compileDialect(blocks []*lang.Dialect) (*dialect, error) {
	d := &dialect{}
	for _, b := range blocks {
		for _, it := range b.Items {
			if err := d.add(it); err != nil {
				return nil, &lang.Error{Pos: it.Pos, Msg: err.Error()}
			}
		}
	}
	if len(d.prompts) == 0 {
		d.prompts = []string{">"}
	}
	return d, nil
}

func (d *dialect) add(it *lang.DialectItem) error {
	var ms []lineMatch
	for _, v := range it.Values {
		m := lineMatch{fold: it.Key == "no_final"}
		if v.Regex != "" {
			re, err := lang.CompileRegex(v.Regex)
			if err != nil {
				return err
			}
			m.re = re
		} else {
			m.text = strings.TrimSpace(v.Text.Value())
		}
		ms = append(ms, m)
	}
	switch it.Key {
	case "line_ending":
		d.lineEnding = it.Values[0].Text.Value()
	case "final":
		d.finals = append(d.finals, ms...)
	case "error":
		d.errors = append(d.errors, ms...)
	case "no_final":
		d.noFinal = append(d.noFinal, ms...)
	case "prompt":
		for _, v := range it.Values {
			d.prompts = append(d.prompts, v.Text.Value())
		}
	case "data":
		src := it.Values[0].Regex
		src = strings.ReplaceAll(src[1:len(src)-1], `\/`, `/`)
		// Anchored at both ends: an inline header is tried as the line
		// grows and must end exactly where the data starts.
		re, err := regexp.Compile(`^(?:` + src + `)$`)
		if err != nil {
			return fmt.Errorf("invalid regex: %w", err)
		}
		h := at.DataHeader{Re: re, LenGroup: re.SubexpIndex("len"), Inline: it.Inline}
		if h.LenGroup < 0 {
			return fmt.Errorf("data header %s has no group (?P<len>\\d+)", it.Values[0].Regex)
		}
		if it.Suffix != nil {
			h.Suffix = it.Suffix.Value()
		}
		d.headers = append(d.headers, h)
	}
	return nil
}

// isFinal reports whether a line is a final result code: V.250 and 27.007
// ones, or one the dialect declares.
func (d *dialect) isFinal(line string) bool {
	return at.IsFinal(line) || matchAny(d.finals, line) || matchAny(d.errors, line)
}

// isErrorFinal reports whether a line is a final result code that means
// the command failed.
func (d *dialect) isErrorFinal(line string) bool {
	return at.IsErrorFinal(line) || matchAny(d.errors, line)
}

// hasNoFinal reports whether the dialect says a command's answer comes
// without a final result code (SIMCom AT+CIFSR prints only the address).
func (d *dialect) hasNoFinal(command string) bool { return matchAny(d.noFinal, command) }
