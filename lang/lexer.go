package lang

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types. The lexer is hand-written because the language is
// context-sensitive: an expression (expr-lang) runs from a known point of a
// statement to a known stop (end of line, a block's "{", a keyword) and is
// one token, so "/" outside an expression always starts a regex.
const (
	tokEOL lexer.TokenType = -(iota + 2)
	tokIdent
	tokInt
	tokDuration
	tokString
	tokRaw
	tokRegex
	tokExpr
	tokPunct
)

var symbols = map[string]lexer.TokenType{
	"EOF":      lexer.EOF,
	"EOL":      tokEOL,
	"Ident":    tokIdent,
	"Int":      tokInt,
	"Duration": tokDuration,
	"String":   tokString,
	"Raw":      tokRaw,
	"Regex":    tokRegex,
	"Expr":     tokExpr,
	"Punct":    tokPunct,
}

// Comment is a "#" comment, kept out of the grammar and re-attached by the
// formatter by position.
type Comment struct {
	Pos  lexer.Position
	Text string // including the leading "#"
	// Trailing is true when code precedes the comment on its line.
	Trailing bool
}

type lexDef struct {
	comments *[]Comment // where the lexer of the current parse records comments
}

func (d lexDef) Symbols() map[string]lexer.TokenType { return symbols }

func (d lexDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

func (d lexDef) LexString(filename, src string) (lexer.Lexer, error) {
	l := &scanner{src: src, pos: lexer.Position{Filename: filename, Line: 1, Column: 1}, comments: d.comments}
	if strings.HasPrefix(src, "\uFEFF") { // UTF-8 byte order mark
		l.pos.Offset = 3
	}
	return l, nil
}

type scanner struct {
	src      string
	pos      lexer.Position
	parens   []lexer.Position // open "(" outside expressions: newlines inside are not EOL
	stmt     []string         // tokens of the current statement so far: where expressions start
	lineHas  bool             // a token was emitted on the current line
	comments *[]Comment
}

func (s *scanner) peek() rune {
	if s.pos.Offset >= len(s.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(s.src[s.pos.Offset:])
	return r
}

func (s *scanner) peekAt(off int) rune {
	if off >= len(s.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(s.src[off:])
	return r
}

// advance consumes one rune, keeping line and column (in runes) right.
// A CR LF pair is one newline; a lone CR counts as a newline too.
func (s *scanner) advance() rune {
	r, n := utf8.DecodeRuneInString(s.src[s.pos.Offset:])
	s.pos.Offset += n
	switch {
	case r == '\n', r == '\r' && s.peek() != '\n':
		s.pos.Line++
		s.pos.Column = 1
	case r == '\r':
		// the LF that follows ends the line
	default:
		s.pos.Column++
	}
	return r
}

func (s *scanner) errorf(pos lexer.Position, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) emit(typ lexer.TokenType, value string, pos lexer.Position) (lexer.Token, error) {
	s.lineHas = true
	switch {
	case typ == tokEOL:
		s.stmt = s.stmt[:0]
		s.lineHas = false
	case typ == tokPunct && (value == "{" || value == "}" || value == "=>"):
		s.stmt = s.stmt[:0]
	case typ == tokIdent && len(s.stmt) > 0 && (s.stmt[len(s.stmt)-1] == "\x00" || s.stmt[len(s.stmt)-1] == ")") && contains(stmtKeywords(), value):
		// A statement keyword after a literal or ")" starts a second
		// statement on the line: "send "AT" expect "OK" log x". The
		// checker reports it; the lexer must still see the expression.
		s.stmt = append(s.stmt[:0], value)
	case typ == tokIdent || typ == tokPunct:
		s.stmt = append(s.stmt, value)
	default:
		s.stmt = append(s.stmt, "\x00") // a literal: its text never decides context
	}
	return lexer.Token{Type: typ, Value: value, Pos: pos}, nil
}

func (s *scanner) Next() (lexer.Token, error) {
	for {
		r := s.peek()
		switch {
		case r == -1:
			if n := len(s.parens); n > 0 {
				return lexer.Token{}, s.errorf(s.parens[n-1], `unclosed "(" (missing ")")`)
			}
			return lexer.EOFToken(s.pos), nil
		case r == ' ' || r == '\t' || r == '\f' || r == '\v':
			s.advance()
		case r == '\\' && s.continuation():
			// A backslash and blanks to the end of the line join the next
			// line to this one. One before the end of the file counts too,
			// so that the formatter's final newline changes nothing.
			s.advance()
			for c := s.peek(); c == ' ' || c == '\t' || c == '\f' || c == '\v'; c = s.peek() {
				s.advance()
			}
			switch s.peek() {
			case '\r':
				s.advance()
				if s.peek() == '\n' {
					s.advance()
				}
			case '\n':
				s.advance()
			}
			s.lineHas = false
		case r == '\n' || r == '\r':
			pos := s.pos
			s.advance()
			if len(s.parens) > 0 {
				s.lineHas = false
				continue
			}
			return s.emit(tokEOL, "\n", pos)
		case r == '#':
			pos := s.pos
			start := s.pos.Offset
			for c := s.peek(); c != -1 && c != '\n' && c != '\r'; c = s.peek() {
				s.advance()
			}
			if s.comments != nil {
				*s.comments = append(*s.comments, Comment{Pos: pos, Text: strings.TrimRightFunc(s.src[start:s.pos.Offset], unicode.IsSpace), Trailing: s.lineHas})
			}
		default:
			if mode, ok := s.exprMode(); ok {
				return s.scanExpr(mode)
			}
			return s.scanToken()
		}
	}
}

// continuation reports whether the backslash at the scanner's position
// ends its line: only blanks follow it before a newline or the end.
func (s *scanner) continuation() bool {
	for i := s.pos.Offset + 1; i < len(s.src); i++ {
		switch s.src[i] {
		case ' ', '\t', '\f', '\v':
		case '\n', '\r':
			return true
		default:
			return false
		}
	}
	return true
}

// exprStop says where an expression that starts here ends.
type exprStop struct {
	brace bool     // at a "{" (a block follows)
	comma bool     // at "," or ")" (call arguments)
	words []string // at one of these keywords
}

// exprMode reports whether an expression starts at this point of the
// statement, and where it stops; the grammar says (grammarSyntax). An
// "else if" condition is an if's.
func (s *scanner) exprMode() (exprStop, bool) {
	st := s.stmt
	if len(st) > 0 && st[0] == "else" {
		st = st[1:]
	}
	for _, c := range grammarSyntax().exprs {
		if c.match(st) {
			if c.stop.comma && s.peek() == ')' {
				return exprStop{}, false // an empty argument list
			}
			return c.stop, true
		}
	}
	return exprStop{}, false
}

func (s *scanner) scanExpr(stop exprStop) (lexer.Token, error) {
	pos := s.pos
	start := s.pos.Offset
	var stack []lexer.Position // open brackets, for a positioned error
	var opens []rune
	end := start // end of the expression text, excluding trailing blanks
	for {
		r := s.peek()
		depth := len(opens)
		if r == -1 {
			if depth > 0 {
				return lexer.Token{}, s.errorf(stack[depth-1], "unclosed %q in expression", string(opens[depth-1]))
			}
			break
		}
		if depth == 0 {
			// A backslash outside brackets and strings is never part of an
			// expression: it may be a line continuation.
			if r == '\n' || r == '\r' || r == '#' || r == '}' || r == '\\' {
				break
			}
			if r == '{' && stop.brace {
				break
			}
			if (r == ',' || r == ')') && stop.comma {
				break
			}
			if isIdentStart(r) {
				wstart := s.pos.Offset
				w := s.identAt(wstart)
				if wstart > start && contains(stop.words, w) {
					break
				}
				for range utf8.RuneCountInString(w) {
					s.advance()
				}
				end = s.pos.Offset
				continue
			}
		}
		switch r {
		case '(', '[', '{':
			if depth == MaxNesting {
				return lexer.Token{}, s.errorf(s.pos, "expression nested deeper than %d levels", MaxNesting)
			}
			stack = append(stack, s.pos)
			opens = append(opens, r)
		case ')', ']', '}':
			want := map[rune]rune{')': '(', ']': '[', '}': '{'}[r]
			if depth == 0 || opens[depth-1] != want {
				return lexer.Token{}, s.errorf(s.pos, "unexpected %q in expression", string(r))
			}
			stack, opens = stack[:depth-1], opens[:depth-1]
		case '"', '\'', '`':
			if err := s.skipQuoted(r); err != nil {
				return lexer.Token{}, err
			}
			end = s.pos.Offset
			continue
		}
		s.advance()
		if !unicode.IsSpace(r) {
			end = s.pos.Offset
		}
	}
	text := s.src[start:end]
	if text == "" {
		return s.scanToken()
	}
	return s.emit(tokExpr, text, pos)
}

// skipQuoted skips a string literal inside an expression.
func (s *scanner) skipQuoted(q rune) error {
	pos := s.pos
	s.advance()
	for {
		r := s.peek()
		switch {
		case r == -1 || (q != '`' && (r == '\n' || r == '\r')):
			return s.errorf(pos, "unterminated string")
		case r == q:
			s.advance()
			return nil
		case r == '\\' && q != '`':
			s.advance()
			if s.peek() != -1 {
				s.advance()
			}
		default:
			s.advance()
		}
	}
}

func (s *scanner) identAt(off int) string {
	end := off
	for end < len(s.src) {
		r, n := utf8.DecodeRuneInString(s.src[end:])
		if !isIdentPart(r) {
			break
		}
		end += n
	}
	return s.src[off:end]
}

func (s *scanner) scanToken() (lexer.Token, error) {
	pos := s.pos
	start := s.pos.Offset
	r := s.peek()
	switch {
	case isIdentStart(r):
		w := s.identAt(start)
		for range utf8.RuneCountInString(w) {
			s.advance()
		}
		return s.emit(tokIdent, w, pos)
	case r >= '0' && r <= '9':
		return s.scanNumber()
	case r == '"':
		if err := s.scanString(); err != nil {
			return lexer.Token{}, err
		}
		return s.emit(tokString, s.src[start:s.pos.Offset], pos)
	case r == '`':
		s.advance()
		for s.peek() != '`' {
			if s.peek() == -1 {
				return lexer.Token{}, s.errorf(pos, "unterminated raw string")
			}
			s.advance()
		}
		s.advance()
		return s.emit(tokRaw, s.src[start:s.pos.Offset], pos)
	case r == '/': // division only occurs inside expressions, so "/" here starts a regex
		s.advance()
		for s.peek() != '/' {
			c := s.peek()
			if c == -1 || c == '\n' || c == '\r' {
				return lexer.Token{}, s.errorf(pos, "unterminated regex")
			}
			s.advance()
			if c == '\\' && s.peek() != -1 && s.peek() != '\n' && s.peek() != '\r' {
				s.advance()
			}
		}
		s.advance()
		return s.emit(tokRegex, s.src[start:s.pos.Offset], pos)
	case r == '=' && s.peekAt(start+1) == '>':
		s.advance()
		s.advance()
		return s.emit(tokPunct, "=>", pos)
	case strings.ContainsRune("{}(),=", r):
		s.advance()
		switch r {
		case '(':
			s.parens = append(s.parens, pos)
		case ')':
			if n := len(s.parens); n > 0 {
				s.parens = s.parens[:n-1]
			}
		}
		return s.emit(tokPunct, string(r), pos)
	}
	if r == utf8.RuneError {
		return lexer.Token{}, s.errorf(pos, "invalid UTF-8 or binary data (byte 0x%02x)", s.src[start])
	}
	return lexer.Token{}, s.errorf(pos, "unexpected character %q", string(r))
}

// scanString scans a double-quoted string, including any ${...}
// interpolations, which may themselves contain quotes and braces.
func (s *scanner) scanString() error {
	pos := s.pos
	s.advance()
	for {
		r := s.peek()
		switch {
		case r == -1 || r == '\n' || r == '\r':
			return s.errorf(pos, "unterminated string")
		case r == '"':
			s.advance()
			return nil
		case r == '\\':
			s.advance()
			if c := s.peek(); c != -1 && c != '\n' && c != '\r' {
				s.advance()
			}
		case r == '$' && s.peekAt(s.pos.Offset+1) == '$' && s.peekAt(s.pos.Offset+2) == '{':
			// $${ is a literal ${
			s.advance()
			s.advance()
			s.advance()
		case r == '$' && s.peekAt(s.pos.Offset+1) == '{':
			if err := s.skipInterpolation(); err != nil {
				return err
			}
		default:
			s.advance()
		}
	}
}

func (s *scanner) skipInterpolation() error {
	pos := s.pos
	s.advance()
	s.advance()
	depth := 1
	for depth > 0 {
		r := s.peek()
		switch r {
		case -1, '\n', '\r':
			return s.errorf(pos, "unterminated ${ in string (missing })")
		case '{':
			depth++
			if depth > MaxNesting {
				return s.errorf(s.pos, "expression nested deeper than %d levels", MaxNesting)
			}
		case '}':
			depth--
		case '\'', '`', '"':
			// A quote inside ${...} that never closes usually means the
			// "}" is missing: report the ${.
			if err := s.skipQuoted(r); err != nil {
				return s.errorf(pos, "unterminated ${ in string (missing })")
			}
			continue
		}
		s.advance()
	}
	return nil
}

// scanNumber scans an integer (decimal or 0x hex) or a duration such as
// 500ms, 1.5s or 1m30s.
func (s *scanner) scanNumber() (lexer.Token, error) {
	pos := s.pos
	start := s.pos.Offset
	if s.peek() == '0' && (s.peekAt(start+1) == 'x' || s.peekAt(start+1) == 'X') {
		s.advance()
		s.advance()
		for isHexDigit(s.peek()) {
			s.advance()
		}
		if s.pos.Offset == start+2 || isIdentPart(s.peek()) {
			return lexer.Token{}, s.errorf(pos, "invalid hex number")
		}
		return s.emit(tokInt, s.src[start:s.pos.Offset], pos)
	}
	isDuration := false
	for {
		for isDigit(s.peek()) {
			s.advance()
		}
		if s.peek() == '.' && isDigit(s.peekAt(s.pos.Offset+1)) {
			s.advance()
			for isDigit(s.peek()) {
				s.advance()
			}
		}
		u := s.identAt(s.pos.Offset)
		if u == "" {
			break
		}
		unit := longestUnit(u)
		if unit == "" {
			return lexer.Token{}, s.errorf(pos, "invalid duration %q (units are ms, s, m, h)", s.src[start:s.pos.Offset]+u)
		}
		for range utf8.RuneCountInString(unit) {
			s.advance()
		}
		isDuration = true
		if !isDigit(s.peek()) {
			if isIdentPart(s.peek()) {
				return lexer.Token{}, s.errorf(pos, "invalid duration %q (units are ms, s, m, h)", s.src[start:s.pos.Offset]+s.identAt(s.pos.Offset))
			}
			break
		}
	}
	text := s.src[start:s.pos.Offset]
	if isDuration {
		return s.emit(tokDuration, text, pos)
	}
	if strings.Contains(text, ".") {
		return lexer.Token{}, s.errorf(pos, "a number here must be a whole number or a duration, got %q", text)
	}
	return s.emit(tokInt, text, pos)
}

func longestUnit(u string) string {
	for _, unit := range []string{"ms", "us", "µs", "ns", "h", "m", "s"} {
		if strings.HasPrefix(u, unit) {
			rest := u[len(unit):]
			if rest == "" || isDigit(rune(rest[0])) {
				return unit
			}
		}
	}
	return ""
}

func isDigit(r rune) bool    { return r >= '0' && r <= '9' }
func isHexDigit(r rune) bool { return isDigit(r) || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F') }
func isIdentStart(r rune) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}
func isIdentPart(r rune) bool { return isIdentStart(r) || isDigit(r) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
