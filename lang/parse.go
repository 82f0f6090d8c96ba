package lang

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Error is a positioned problem in a script.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	if e.Pos.Filename == "" && e.Pos.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Pos.Filename, e.Pos.Line, e.Pos.Column, e.Msg)
}

// ErrorList is every problem found in a script, sorted by position.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Sort orders the list by file, line and column, and drops exact duplicates.
func (l *ErrorList) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i].Pos, s[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	out := s[:0]
	for i, e := range s {
		if i > 0 && e.Pos == s[i-1].Pos && e.Msg == s[i-1].Msg {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

func (l *ErrorList) add(pos Pos, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

var parser = participle.MustBuild[File](
	participle.Lexer(lexDef{}),
	participle.Union[Stmt](
		&Param{}, &TimeoutStmt{}, &Abort{}, &Include{}, &Send{}, &Write{}, &Expect{},
		&RetryBlock{}, &Read{}, &On{}, &Let{}, &If{}, &Repeat{}, &Flow{}, &Call{},
		&Sleep{}, &Log{}, &Emit{}, &Fail{}, &Finally{}, &Dialect{},
	),
	participle.UseLookahead(4),
)

// The participle grammar in the struct tags of ast.go is the
// specification of the language: Grammar prints it, and tests check that
// Parse, a hand-written recursive-descent parser several times faster
// than participle's reflection-driven one, builds the very same AST from
// every input the grammar accepts, positions included.
//
// Grammar returns the grammar in EBNF, for review.
func Grammar() string { return parser.String() }

// MaxNesting bounds how deeply blocks, and brackets in expressions, may
// nest, so that a hostile script cannot exhaust a recursive parser's stack.
const MaxNesting = 64

// Parse parses one file. It does not follow includes; see Load.
func Parse(path, src string) (f *File, err error) {
	if !utf8.ValidString(src) {
		return nil, ErrorList{invalidUTF8(path, src)}
	}
	defer func() {
		// A parser bug must still give a positioned error, not a crash.
		if r := recover(); r != nil {
			if b, ok := r.(bailout); ok {
				f, err = nil, ErrorList{b.err}
				return
			}
			f, err = nil, ErrorList{{Pos: Pos{Filename: path, Line: 1, Column: 1}, Msg: fmt.Sprintf("internal error: %v", r)}}
		}
	}()
	var comments []Comment
	sc, _ := lexDef{comments: &comments}.LexString(path, src)
	f = (&syntax{sc: sc.(*scanner)}).file()
	f.Path, f.Source, f.Comments = path, src, comments
	var errs ErrorList
	walkStrs(f, func(s *Str) { parseStr(s, &errs) })
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	return f, nil
}

func invalidUTF8(path, src string) *Error {
	pos := Pos{Filename: path, Line: 1, Column: 1}
	for i, r := range src {
		switch {
		case r == utf8.RuneError:
			if _, n := utf8.DecodeRuneInString(src[i:]); n == 1 {
				return &Error{Pos: pos, Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): is this a text file?", src[i])}
			}
			pos.Column++
		case i == 0 && r == '\uFEFF':
		case r == '\n', r == '\r' && !strings.HasPrefix(src[i+1:], "\n"):
			pos.Line++
			pos.Column = 1
		case r == '\r':
		default:
			pos.Column++
		}
	}
	return &Error{Pos: pos, Msg: "invalid UTF-8"}
}

// toError positions an error from the lexer.
func toError(path string, err error) *Error {
	var le *Error
	if errors.As(err, &le) {
		return le
	}
	return &Error{Pos: Pos{Filename: path, Line: 1, Column: 1}, Msg: err.Error()}
}

// parseStr decodes a string literal's escapes and splits out ${...}
// interpolations, each with its own position.
func parseStr(s *Str, errs *ErrorList) {
	tok := s.Token
	raw := tok[0] == '`'
	body := tok[1 : len(tok)-1]
	pos := s.Pos
	pos.Column++
	pos.Offset++
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			s.Parts = append(s.Parts, StrPart{Lit: lit.String()})
			lit.Reset()
		}
	}
	// adv moves pos over text.
	adv := func(text string) {
		for _, r := range text {
			pos.Offset += utf8.RuneLen(r)
			if r == '\n' {
				pos.Line++
				pos.Column = 1
			} else {
				pos.Column++
			}
		}
	}
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '$' && strings.HasPrefix(body[i:], "$${"):
			lit.WriteString("${")
			adv("$${")
			i += 3
		case c == '$' && strings.HasPrefix(body[i:], "${"):
			end := interpolationEnd(body, i+2)
			start := pos
			if end == len(body) { // only raw strings get here: the lexer checks "..."
				errs.add(start, "unterminated ${ in string (missing })")
				return
			}
			adv("${")
			src := body[i+2 : end]
			if strings.TrimSpace(src) == "" {
				errs.add(start, "empty ${} in string")
			}
			flush()
			s.Parts = append(s.Parts, StrPart{Expr: &Expr{Pos: pos, Source: src}})
			adv(src + "}")
			i = end + 1
		case c == '\\' && !raw && i+1 < len(body):
			esc := pos
			n, val, err := unescape(body[i:])
			if err != nil {
				errs.add(esc, "%s", err)
				return
			}
			lit.WriteString(val)
			adv(body[i : i+n])
			i += n
		default:
			_, n := utf8.DecodeRuneInString(body[i:])
			lit.WriteString(body[i : i+n])
			adv(body[i : i+n])
			i += n
		}
	}
	flush()
}

// interpolationEnd finds the "}" closing a ${ that the lexer already
// checked is closed.
func interpolationEnd(body string, i int) int {
	depth := 1
	for i < len(body) {
		switch c := body[i]; c {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		case '"', '\'', '`':
			j := i + 1
			for j < len(body) && body[j] != c {
				if body[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			i = j
		}
		i++
	}
	return len(body)
}

func unescape(s string) (n int, val string, err error) {
	switch s[1] {
	case 'n':
		return 2, "\n", nil
	case 'r':
		return 2, "\r", nil
	case 't':
		return 2, "\t", nil
	case '0':
		return 2, "\x00", nil
	case '\\', '"', '$':
		return 2, s[1:2], nil
	case 'x':
		if len(s) >= 4 {
			if b, err := strconv.ParseUint(s[2:4], 16, 8); err == nil {
				return 4, string([]byte{byte(b)}), nil
			}
		}
		return 0, "", fmt.Errorf(`invalid escape: \x needs two hex digits`)
	case 'u':
		if len(s) >= 6 {
			if r, err := strconv.ParseUint(s[2:6], 16, 32); err == nil {
				return 6, string(rune(r)), nil
			}
		}
		return 0, "", fmt.Errorf(`invalid escape: \u needs four hex digits`)
	}
	r, _ := utf8.DecodeRuneInString(s[1:])
	return 0, "", fmt.Errorf(`unknown escape \%c (use \\ for a backslash, or a raw string)`, r)
}

// walkStrs calls fn for every string literal in f.
func walkStrs(f *File, fn func(*Str)) {
	Walk(f.Stmts, func(n any) {
		switch n := n.(type) {
		case *Str:
			if n != nil {
				fn(n)
			}
		}
	})
}

// Loader reads files for Load; tests replace it.
type Loader func(path string) ([]byte, error)

// Bounds of what Load reads: a script and its includes are written by
// hand, so anything larger is a mistake or hostile (include "/dev/zero").
const (
	MaxScriptBytes = 1 << 20 // one file
	MaxTotalBytes  = 4 << 20 // a script and all its includes
)

// ReadScript is Load's default Loader: it reads only regular files (a
// device or a FIFO would never end, or block), of at most MaxScriptBytes.
func ReadScript(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		what := "not a regular file"
		switch {
		case fi.IsDir():
			what = "a directory"
		case fi.Mode()&os.ModeNamedPipe != 0:
			what = "a FIFO"
		case fi.Mode()&os.ModeDevice != 0:
			what = "a device"
		}
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("%s, not a script file", what)}
	}
	if fi.Size() > MaxScriptBytes {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("%d bytes: a script file may have at most %d KiB", fi.Size(), MaxScriptBytes>>10)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxScriptBytes+1))
	if err == nil && len(b) > MaxScriptBytes {
		err = &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("over %d KiB: a script file may have at most that", MaxScriptBytes>>10)}
	}
	return b, err
}

// Load parses a script and, recursively, the files it includes. Include
// paths are relative to the including file. Every error found is returned.
func Load(path string, read Loader) (*File, error) {
	if read == nil {
		read = ReadScript
	}
	var errs ErrorList
	total := 0
	cache := map[string]*File{}
	var load func(path string, from *Include, stack []string) *File
	load = func(path string, from *Include, stack []string) *File {
		clean := filepath.Clean(path)
		for i, p := range stack {
			if p == clean {
				cycle := append(append([]string{}, stack[i:]...), clean)
				errs.add(from.Pos, "include cycle: %s", strings.Join(cycle, " -> "))
				return nil
			}
		}
		if f, ok := cache[clean]; ok {
			return f
		}
		b, err := read(path)
		if err == nil {
			if total += len(b); total > MaxTotalBytes {
				err = fmt.Errorf("the script and its includes are over %d KiB", MaxTotalBytes>>10)
			}
		}
		if err != nil {
			if from == nil {
				errs = append(errs, &Error{Msg: err.Error()})
			} else {
				errs.add(from.Path.Pos, "include %q: %s", from.Path.Value(), plainFileError(err))
			}
			return nil
		}
		f, err := Parse(path, string(b))
		if err != nil {
			errs = append(errs, err.(ErrorList)...)
			return nil
		}
		cache[clean] = f
		stack = append(stack, clean)
		Walk(f.Stmts, func(n any) {
			inc, ok := n.(*Include)
			if !ok {
				return
			}
			if inc.Path.HasExpr() {
				errs.add(inc.Path.Pos, "include path cannot use ${...}")
				return
			}
			p := inc.Path.Value()
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			inc.File = load(p, inc, stack)
		})
		return f
	}
	f := load(path, nil, nil)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

func plainFileError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if os.IsNotExist(err) {
			return "no such file"
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// Value is the string's text when it has no interpolation.
func (s *Str) Value() string {
	var b strings.Builder
	for _, p := range s.Parts {
		b.WriteString(p.Lit)
	}
	return b.String()
}

// HasExpr reports whether the string interpolates any expression.
func (s *Str) HasExpr() bool {
	for _, p := range s.Parts {
		if p.Expr != nil {
			return true
		}
	}
	return false
}

// bailout carries a syntax error up from deep in the parser to Parse.
type bailout struct{ err *Error }

// syntax is a recursive-descent parser for the grammar of ast.go. It sets
// Pos and EndPos exactly as participle does: Pos is a node's first token,
// EndPos the token that follows it. Keywords match by value, as
// participle's literals do. Tokens are lexed as the parser goes, so
// that garbage fails at its first bad token, in constant memory. Blocks
// may nest MaxNesting deep, which bounds the recursion.
type syntax struct {
	sc     *scanner
	ahead  [2]lexer.Token // lookahead; n of them are filled
	n      int
	braces []Pos // open "{", for the message when one is never closed
}

// fill makes sure k tokens are buffered.
func (p *syntax) fill(k int) {
	for p.n < k {
		t, err := p.sc.Next()
		if err != nil {
			panic(bailout{toError(p.sc.pos.Filename, err)})
		}
		p.ahead[p.n] = t
		p.n++
	}
}

// peek returns the next token. It returns a copy, so that p.peek().Pos
// in an expression that also consumes tokens is the position seen first.
func (p *syntax) peek() lexer.Token {
	p.fill(1)
	return p.ahead[0]
}

// peek2 is the token after the next one.
func (p *syntax) peek2() lexer.Token {
	p.fill(2)
	return p.ahead[1]
}

// next consumes a token and returns a copy of it.
func (p *syntax) next() lexer.Token {
	p.fill(1)
	t := p.ahead[0]
	if !t.EOF() {
		p.ahead[0] = p.ahead[1]
		p.n--
	}
	return t
}

func (p *syntax) skip() { p.next() }

// is reports whether the next token has the value v.
func (p *syntax) is(v string) bool {
	p.fill(1)
	return p.ahead[0].Value == v && !p.ahead[0].EOF()
}

func (p *syntax) typ(tt lexer.TokenType) bool {
	p.fill(1)
	return p.ahead[0].Type == tt
}

func (p *syntax) skipEOL() {
	for p.typ(tokEOL) {
		p.skip()
	}
}

// fail stops the parse with an error at the next token.
func (p *syntax) fail(format string, args ...any) {
	panic(bailout{&Error{Pos: p.peek().Pos, Msg: fmt.Sprintf(format, args...)}})
}

// expected fails with "expected WHAT, got TOKEN".
func (p *syntax) expected(what string) {
	t := p.peek()
	if t.EOF() && len(p.braces) > 0 {
		b := p.braces[len(p.braces)-1]
		p.fail("expected %s, got end of file (the \"{\" at line %d is never closed)", what, b.Line)
	}
	p.fail("expected %s, got %s", what, describeToken(t))
}

func (p *syntax) want(v, context string) {
	if !p.is(v) {
		p.expected(fmt.Sprintf("%q %s", v, context))
	}
	p.skip()
}

func (p *syntax) ident(context string) string {
	if !p.typ(tokIdent) {
		p.expected("a name " + context)
	}
	return p.next().Value
}

// describeToken names a token in an error message.
func describeToken(t lexer.Token) string {
	switch t.Type {
	case lexer.EOF:
		return "end of file"
	case tokEOL:
		return "end of line"
	case tokString, tokRaw, tokRegex, tokInt, tokDuration:
		return clip(t.Value)
	}
	return strconv.Quote(clip(t.Value))
}

func clip(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + "..."
	}
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:37]) + "..."
	}
	return s
}

// stmtKeywords are the words that start a statement.
var stmtKeywords = []string{
	"send", "expect", "let", "write", "if", "log", "call", "emit", "read", "retry", "sleep",
	"fail", "repeat", "on", "param", "include", "abort", "timeout", "flow", "finally", "dialect",
}

func (p *syntax) file() *File {
	f := &File{Pos: p.peek().Pos}
	p.skipEOL()
	for !p.typ(lexer.EOF) {
		f.Stmts = append(f.Stmts, p.stmt())
		p.skipEOL()
	}
	return f
}

// open consumes a "{" and the end of lines after it.
func (p *syntax) open() {
	if len(p.braces) == MaxNesting {
		p.fail("blocks nested deeper than %d levels", MaxNesting)
	}
	p.braces = append(p.braces, p.next().Pos)
	p.skipEOL()
}

func (p *syntax) block(what string) *Block {
	b := &Block{Pos: p.peek().Pos}
	if !p.is("{") {
		p.expected(fmt.Sprintf("\"{\" to start the %s block", what))
	}
	p.open()
	for !p.is("}") {
		b.Stmts = append(b.Stmts, p.stmt())
		p.skipEOL()
	}
	p.skip()
	p.braces = p.braces[:len(p.braces)-1]
	b.EndPos = p.peek().Pos
	return b
}

func (p *syntax) stmt() Stmt {
	t := p.peek()
	pos := t.Pos
	var s Stmt
	switch t.Value {
	case "send":
		s = p.send()
	case "expect":
		p.skip()
		x := &Expect{Pos: pos, Body: p.expectBody("after expect")}
		x.Mods = p.mods()
		x.EndPos = p.peek().Pos
		s = x
	case "let":
		p.skip()
		x := &Let{Pos: pos, Name: p.ident("after let")}
		p.want("=", "after let "+x.Name)
		x.Value = p.expr("after =")
		x.EndPos = p.peek().Pos
		s = x
	case "write":
		p.skip()
		s = &Write{Pos: pos, Value: p.expr("after write"), EndPos: p.peek().Pos}
	case "if":
		s = p.ifStmt()
	case "log":
		p.skip()
		s = &Log{Pos: pos, Value: p.expr("after log"), EndPos: p.peek().Pos}
	case "call":
		s = p.call()
	case "emit":
		p.skip()
		x := &Emit{Pos: pos, Name: p.ident("after emit")}
		if p.is("=") {
			p.skip()
			x.Value = p.expr("after =")
		}
		x.EndPos = p.peek().Pos
		s = x
	case "read":
		s = p.read()
	case "retry":
		r := p.retry()
		s = &RetryBlock{Pos: pos, Retry: r, Body: p.block("retry"), EndPos: p.peek().Pos}
	case "sleep":
		p.skip()
		s = &Sleep{Pos: pos, Duration: p.duration("after sleep"), EndPos: p.peek().Pos}
	case "fail":
		p.skip()
		s = &Fail{Pos: pos, Message: p.expr("after fail"), EndPos: p.peek().Pos}
	case "repeat":
		p.skip()
		x := &Repeat{Pos: pos, Count: p.expr("after repeat")}
		if p.is("while") {
			p.skip()
			x.While = p.expr("after while")
		}
		x.Body = p.block("repeat")
		x.EndPos = p.peek().Pos
		s = x
	case "on":
		p.skip()
		x := &On{Pos: pos, Pattern: p.pattern("after on")}
		x.Body = p.block("on")
		x.EndPos = p.peek().Pos
		s = x
	case "param":
		p.skip()
		x := &Param{Pos: pos, Name: p.ident("after param")}
		if p.is("=") {
			p.skip()
			x.Default = p.expr("after =")
		}
		if p.is("secret") {
			p.skip()
			x.Secret = true
		}
		x.EndPos = p.peek().Pos
		s = x
	case "include":
		p.skip()
		s = &Include{Pos: pos, Path: p.str("(the path) after include"), EndPos: p.peek().Pos}
	case "abort":
		p.skip()
		x := &Abort{Pos: pos, Patterns: []*Pattern{p.pattern("after abort")}}
		for p.is(",") {
			p.skip()
			p.skipEOL()
			x.Patterns = append(x.Patterns, p.pattern(`after ","`))
		}
		x.EndPos = p.peek().Pos
		s = x
	case "timeout":
		p.skip()
		s = &TimeoutStmt{Pos: pos, Duration: p.duration("after timeout"), EndPos: p.peek().Pos}
	case "flow":
		s = p.flow()
	case "finally":
		p.skip()
		s = &Finally{Pos: pos, Body: p.block("finally"), EndPos: p.peek().Pos}
	case "dialect":
		s = p.dialect()
	default:
		p.notAStatement()
	}
	if t := p.peek(); t.Type != tokEOL && !t.EOF() && t.Value != "}" && !contains(stmtKeywords, t.Value) {
		p.fail("expected end of line, got %s%s", describeToken(t), suggest(t))
	}
	return s
}

// notAStatement explains a token that cannot start a statement.
func (p *syntax) notAStatement() {
	t := p.peek()
	switch {
	case t.EOF() && len(p.braces) > 0:
		p.fail(`unexpected end of file: the "{" at line %d is never closed`, p.braces[len(p.braces)-1].Line)
	case t.Value == "}" && t.Type == tokPunct:
		p.fail(`unexpected "}": no block is open`)
	case t.Value == "else" && t.Type == tokIdent:
		p.fail(`else without if: it goes on the line of the if block's closing "}"`)
	case t.Type == tokIdent:
		if p.peek2().Value == "=" {
			p.fail("unknown statement %q (to set a variable: let %s = ...)", t.Value, t.Value)
		}
		p.fail("unknown statement %q%s", t.Value, didYouMean(t.Value, stmtKeywords))
	}
	if len(p.braces) > 0 {
		p.expected(`a statement or "}"`)
	}
	p.expected("a statement")
}

// suggest returns a did-you-mean for a misspelt word that may follow a
// statement.
func suggest(t lexer.Token) string {
	if t.Type != tokIdent {
		return ""
	}
	return didYouMean(t.Value, []string{"expect", "timeout", "retry", "every", "secret", "bytes", "into", "while", "else"})
}

func (p *syntax) send() *Send {
	s := &Send{Pos: p.next().Pos, Text: p.str("after send")}
	if p.is("expect") {
		p.skip()
		s.Expect = p.expectBody("after expect")
	}
	s.Mods = p.mods()
	s.EndPos = p.peek().Pos
	return s
}

func (p *syntax) expectBody(context string) *ExpectBody {
	b := &ExpectBody{Pos: p.peek().Pos}
	switch {
	case p.is("all"):
		p.skip()
		if !p.is("{") {
			p.expected(`"{" after expect all`)
		}
		p.open()
		b.All = append(b.All, p.pattern("in expect all"))
		p.skipEOL()
		for !p.is("}") {
			b.All = append(b.All, p.pattern(`or "}" in expect all`))
			p.skipEOL()
		}
		p.skip()
		p.braces = p.braces[:len(p.braces)-1]
	case p.is("{"):
		p.open()
		b.Alts = append(b.Alts, p.alternative(`PATTERN => ACTION in the expect block`))
		p.skipEOL()
		for !p.is("}") {
			b.Alts = append(b.Alts, p.alternative(`PATTERN => ACTION or "}" in the expect block`))
			p.skipEOL()
		}
		p.skip()
		p.braces = p.braces[:len(p.braces)-1]
	default:
		b.Pattern = p.pattern(context)
	}
	return b
}

// alternative parses "PATTERN => ACTION"; want says what was expected
// when no pattern starts here.
func (p *syntax) alternative(want string) *Alternative {
	if t := p.peek(); t.Type != tokString && t.Type != tokRaw && t.Type != tokRegex && !p.is("any") && !p.is("prompt") {
		p.expected(want)
	}
	a := &Alternative{Pos: p.peek().Pos, Pattern: p.pattern("")}
	p.want("=>", "after the pattern")
	a.Action = &Action{Pos: p.peek().Pos}
	switch {
	case p.is("ok"):
		p.skip()
		a.Action.OK = true
	case p.is("retry"):
		p.skip()
		a.Action.Retry = true
	case p.is("fail"):
		p.skip()
		a.Action.Fail = p.expr("after fail")
	case p.is("{"):
		a.Action.Block = p.block("action")
	default:
		p.expected(`an action after "=>" (ok, retry, fail "message" or a block)`)
	}
	a.EndPos = p.peek().Pos
	return a
}

func (p *syntax) pattern(context string) *Pattern {
	pt := &Pattern{Pos: p.peek().Pos}
	switch {
	case p.is("any"):
		p.skip()
		pt.Any = true
	case p.is("prompt"):
		p.skip()
		pt.IsPrompt = true
		if p.typ(tokString) || p.typ(tokRaw) {
			pt.Prompt = p.str("")
		}
	case p.typ(tokRegex):
		pt.Regex = p.next().Value
	case p.typ(tokString) || p.typ(tokRaw):
		pt.Text = p.str("")
	default:
		p.expected(`a pattern ("text", /regex/, prompt or any) ` + context)
	}
	return pt
}

func (p *syntax) mods() Mods {
	var m Mods
	for {
		switch {
		case p.is("timeout"):
			p.skip()
			m.Timeout = p.duration("after timeout")
		case p.is("retry"):
			m.Retry = p.retry()
		default:
			return m
		}
	}
}

func (p *syntax) retry() *Retry {
	r := &Retry{Pos: p.next().Pos}
	c := &Count{Pos: p.peek().Pos}
	switch {
	case p.typ(tokInt):
		c.Literal = p.next().Value
	case p.typ(tokIdent):
		c.Var = p.next().Value
	default:
		p.expected("a count after retry (a number or a name)")
	}
	r.Count = c
	if p.is("every") {
		p.skip()
		r.Every = p.duration("after every")
	}
	return r
}

func (p *syntax) duration(context string) *Duration {
	d := &Duration{Pos: p.peek().Pos}
	switch {
	case p.typ(tokDuration):
		d.Literal = p.next().Value
	case p.typ(tokIdent):
		d.Var = p.next().Value
	case p.typ(tokInt):
		v := p.peek().Value
		p.fail("duration %s has no unit (such as %ss or %sms)", v, v, v)
	default:
		p.expected("a duration " + context + " (such as 5s or 500ms)")
	}
	return d
}

func (p *syntax) str(context string) *Str {
	if !p.typ(tokString) && !p.typ(tokRaw) {
		p.expected("a string " + context)
	}
	t := p.next()
	return &Str{Pos: t.Pos, Token: t.Value}
}

func (p *syntax) expr(context string) *Expr {
	if !p.typ(tokExpr) {
		p.expected("an expression " + context)
	}
	t := p.next()
	return &Expr{Pos: t.Pos, Source: t.Value}
}

func (p *syntax) ifStmt() *If {
	s := &If{Pos: p.next().Pos, Cond: p.expr("after if")}
	s.Then = p.block("if")
	if p.is("else") {
		p.skip()
		s.Else = &Else{}
		switch {
		case p.is("if"):
			s.Else.If = p.ifStmt()
		case p.is("{"):
			s.Else.Block = p.block("else")
		default:
			p.expected(`"{" or "if" after else`)
		}
	}
	s.EndPos = p.peek().Pos
	return s
}

func (p *syntax) call() *Call {
	s := &Call{Pos: p.next().Pos, Name: p.ident("after call")}
	p.want("(", "after call "+s.Name)
	if !p.is(")") {
		s.Args = append(s.Args, p.expr("(an argument)"))
		for p.is(",") {
			p.skip()
			s.Args = append(s.Args, p.expr(`(an argument) after ","`))
		}
	}
	if !p.is(")") {
		p.expected(`"," or ")" in the arguments of ` + s.Name)
	}
	p.skip()
	s.EndPos = p.peek().Pos
	return s
}

func (p *syntax) flow() *Flow {
	s := &Flow{Pos: p.next().Pos, Name: p.ident("after flow")}
	p.want("(", "after flow "+s.Name)
	if p.typ(tokIdent) {
		s.Params = append(s.Params, p.next().Value)
		for p.is(",") {
			p.skip()
			s.Params = append(s.Params, p.ident(`(a parameter) after ","`))
		}
	}
	if !p.is(")") {
		p.expected(`"," or ")" in the parameters of flow ` + s.Name)
	}
	p.skip()
	s.Body = p.block("flow")
	s.EndPos = p.peek().Pos
	return s
}

func (p *syntax) read() *Read {
	s := &Read{Pos: p.next().Pos, Count: p.expr("(the byte count) after read")}
	if p.is("bytes") {
		p.skip()
		s.Bytes = true
	}
	if !p.is("into") {
		p.expected(`"into" after the read count (read N [bytes] into NAME)`)
	}
	p.skip()
	s.Into = p.ident("after into")
	s.Mods = p.mods()
	s.EndPos = p.peek().Pos
	return s
}

func (p *syntax) dialect() *Dialect {
	d := &Dialect{Pos: p.next().Pos, Name: p.ident("after dialect")}
	if !p.is("{") {
		p.expected(`"{" to start the dialect block`)
	}
	p.open()
	for !p.is("}") {
		d.Items = append(d.Items, p.dialectItem())
		p.skipEOL()
	}
	p.skip()
	p.braces = p.braces[:len(p.braces)-1]
	d.EndPos = p.peek().Pos
	return d
}

func (p *syntax) dialectItem() *DialectItem {
	t := p.peek()
	if t.Type != tokIdent || !contains(DialectKeys, t.Value) {
		if t.EOF() {
			p.notAStatement()
		}
		if t.Type == tokIdent {
			p.fail("unknown dialect declaration %q%s", t.Value, didYouMean(t.Value, DialectKeys))
		}
		p.expected(`a dialect declaration (` + strings.Join(DialectKeys, ", ") + `) or "}"`)
	}
	it := &DialectItem{Pos: t.Pos, Key: p.next().Value}
	it.Values = append(it.Values, p.literal("after "+it.Key))
	for p.is(",") {
		p.skip()
		p.skipEOL()
		it.Values = append(it.Values, p.literal(`after ","`))
	}
	if p.is("inline") {
		p.skip()
		it.Inline = true
	}
	if p.is("suffix") {
		p.skip()
		it.Suffix = p.str("after suffix")
	}
	it.EndPos = p.peek().Pos
	if t := p.peek(); t.Type != tokEOL && t.Value != "}" {
		p.fail("expected end of line, got %s%s", describeToken(t), didYouMean(t.Value, []string{"inline", "suffix"}))
	}
	return it
}

func (p *syntax) literal(context string) *Literal {
	l := &Literal{Pos: p.peek().Pos}
	switch {
	case p.typ(tokRegex):
		l.Regex = p.next().Value
	case p.typ(tokString) || p.typ(tokRaw):
		l.Text = p.str("")
	default:
		p.expected(`a "string" or /regex/ ` + context)
	}
	return l
}
