package lang

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// tokens lexes a whole file; the first bad token ends it. A run of line
// ends is kept as its first: blank lines cost nothing to parse.
func tokens(sc *scanner) ([]lexer.Token, error) {
	var out []lexer.Token
	for {
		t, err := sc.Next()
		if err != nil {
			return nil, err
		}
		if t.Type == tokEOL && len(out) > 0 && out[len(out)-1].Type == tokEOL {
			continue // the grammar takes EOL*: one stands for a run of them
		}
		out = append(out, t)
		if t.EOF() {
			return out, nil
		}
	}
}

// tokenList hands lexed tokens to participle.
type tokenList struct {
	toks []lexer.Token
	i    int
}

func (l *tokenList) Next() (lexer.Token, error) {
	t := l.toks[l.i]
	if l.i < len(l.toks)-1 {
		l.i++
	}
	return t, nil
}

// tooDeep finds a block opened deeper than MaxNesting, so that a hostile
// script cannot drive the recursive parser deep. A "{" where a statement
// starts is a syntax error the parser reports; the scan stops there.
func tooDeep(toks []lexer.Token) *Error {
	depth := 0
	for i, t := range toks {
		if t.Type != tokPunct {
			continue
		}
		switch t.Value {
		case "{":
			if stmtStart(toks, i) {
				return nil
			}
			if depth++; depth > MaxNesting {
				return &Error{Pos: t.Pos, Msg: fmt.Sprintf("blocks nested deeper than %d levels", MaxNesting)}
			}
		case "}":
			depth--
		}
	}
	return nil
}

// stmtStart reports whether token i is where a statement starts: first in
// the file, or after an end of line, "{" or "}".
func stmtStart(toks []lexer.Token, i int) bool {
	if i == 0 {
		return true
	}
	p := toks[i-1]
	return p.Type == tokEOL || (p.Type == tokPunct && (p.Value == "{" || p.Value == "}"))
}

// brace is an open "{" and what it opened.
type brace struct {
	pos  Pos
	kind string // "dialect", "expect", "expect all" or "block"
}

// explain turns participle's error into the message a person needs: what
// was expected there, in the language's words, and what came instead.
// The grammar stays the one definition of what parses; this is the one
// place that words its failures.
func explain(toks []lexer.Token, err error) *Error {
	var pe participle.Error
	if !errors.As(err, &pe) {
		return &Error{Msg: err.Error()}
	}
	pos := pe.Position()
	i := sort.Search(len(toks), func(i int) bool { return toks[i].Pos.Offset >= pos.Offset })
	if i == len(toks) {
		i = len(toks) - 1
	}
	t := toks[i]
	expect := ""
	if m := pe.Message(); strings.HasSuffix(m, ")") {
		if k := strings.Index(m, " (expected "); k >= 0 {
			expect = m[k+len(" (expected ") : len(m)-1]
		}
	}
	// Open braces before the error, and where the statement starts.
	var open []brace
	start := 0
	for j := 0; j < i; j++ {
		if stmtStart(toks, j) {
			start = j
		}
		if toks[j].Type != tokPunct {
			continue
		}
		switch toks[j].Value {
		case "{":
			kind := "block"
			switch {
			case j >= 2 && toks[j-2].Value == "dialect" && toks[start].Value == "dialect":
				kind = "dialect"
			case j >= 1 && toks[j-1].Value == "expect":
				kind = "expect"
			case j >= 2 && toks[j-1].Value == "all" && toks[j-2].Value == "expect":
				kind = "expect all"
			}
			open = append(open, brace{toks[j].Pos, kind})
		case "}":
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		}
	}
	if stmtStart(toks, i) {
		start = i
	}
	at := func(format string, args ...any) *Error {
		return &Error{Pos: t.Pos, Msg: fmt.Sprintf(format, args...)}
	}
	got := describeToken(t)
	var inner brace
	if len(open) > 0 {
		inner = open[len(open)-1]
		if t.EOF() {
			got = fmt.Sprintf("end of file (the \"{\" at line %d is never closed)", inner.pos.Line)
		}
	}
	prev := ""
	if i > 0 {
		prev = toks[i-1].Value
	}
	kw := toks[start].Value

	switch {
	case inner.kind == "expect" && (i == start || t.EOF()):
		if t.Value == "}" && prevCode(toks, i) == "{" {
			return at("expected PATTERN => ACTION in the expect block, got %s", got)
		}
		return at(`expected PATTERN => ACTION or "}" in the expect block, got %s`, got)
	case inner.kind == "expect all" && (i == start || t.EOF()):
		return at(`expected a pattern or "}" in expect all, got %s`, got)
	case inner.kind == "dialect" && i == start && t.Type == tokIdent:
		return at("unknown dialect declaration %q%s", t.Value, didYouMean(t.Value, DialectKeys))
	case inner.kind == "dialect" && i == start && !t.EOF():
		return at(`expected a dialect declaration (%s) or "}", got %s`, strings.Join(DialectKeys, ", "), got)
	case t.EOF() && len(open) > 0:
		return at(`unexpected end of file: the "{" at line %d is never closed`, inner.pos.Line)
	case i == start:
		switch {
		case t.Value == "}" && t.Type == tokPunct:
			return at(`unexpected "}": no block is open`)
		case t.Value == "else" && t.Type == tokIdent:
			return at(`else without if: it goes on the line of the if block's closing "}"`)
		case t.Type == tokIdent && i+1 < len(toks) && toks[i+1].Value == "=":
			return at("unknown statement %q (to set a variable: let %s = ...)", t.Value, t.Value)
		case t.Type == tokIdent:
			return at("unknown statement %q%s", t.Value, didYouMean(t.Value, stmtKeywords()))
		case len(open) > 0:
			return at(`expected a statement or "}", got %s`, got)
		}
		return at("expected a statement, got %s", got)
	case expect == "" || (inner.kind == "dialect" && expect == `"}"`):
		if inner.kind == "dialect" {
			return at("expected end of line, got %s%s", got, didYouMean(t.Value, []string{"inline", "suffix"}))
		}
		return at("expected end of line, got %s%s", got, suggest(t))
	case strings.HasPrefix(expect, "Duration") && t.Type == tokInt:
		return at("duration %s has no unit (such as %ss or %sms)", t.Value, t.Value, t.Value)
	case strings.HasPrefix(expect, `"=>"`):
		return at(`expected "=>" after the pattern, got %s`, got)
	case strings.HasPrefix(expect, "Action"):
		return at(`expected an action after "=>" (ok, retry, fail "message" or a block), got %s`, got)
	case strings.HasPrefix(expect, "Block"), strings.HasPrefix(expect, `"{"`):
		if kw == "expect" {
			return at(`expected "{" after expect all, got %s`, got)
		}
		if kw == "else" || prev == "else" {
			kw = "else"
		}
		return at(`expected "{" to start the %s block, got %s`, kw, got)
	}
	return at("expected %s %s, got %s", phrase(expect), after(prev), got)
}

// phrase words what the grammar expected.
func phrase(expect string) string {
	first := expect
	if k := strings.IndexAny(first, " ("); k > 0 {
		first = first[:k]
	}
	switch first {
	case "Expr":
		return "an expression"
	case "Str":
		return "a string"
	case "Pattern", "ExpectBody":
		return `a pattern ("text", /regex/, prompt or any)`
	case "Duration":
		return "a duration (such as 5s or 500ms)"
	case "Count":
		return "a count (a number or a name)"
	case "<ident>":
		return "a name"
	case "Literal":
		return `a "string" or /regex/`
	}
	return expect
}

func after(prev string) string {
	if prev == "" || prev == "\n" {
		return "here"
	}
	return "after " + prev
}

// prevCode is the value of the last token before i that is not an end of
// line.
func prevCode(toks []lexer.Token, i int) string {
	for j := i - 1; j >= 0; j-- {
		if toks[j].Type != tokEOL {
			return toks[j].Value
		}
	}
	return ""
}
