package lang

import (
	"errors"
	"fmt"
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
		&Sleep{}, &Log{}, &Emit{}, &Fail{}, &Finally{},
	),
	participle.UseLookahead(4),
)

// Grammar returns the grammar in EBNF, for review.
func Grammar() string { return parser.String() }

// MaxNesting bounds how deeply blocks may nest, so that a hostile script
// cannot exhaust the parser's stack.
const MaxNesting = 64

// Parse parses one file. It does not follow includes; see Load.
func Parse(path, src string) (f *File, err error) {
	if !utf8.ValidString(src) {
		return nil, ErrorList{invalidUTF8(path, src)}
	}
	if e := checkNesting(path, src); e != nil {
		return nil, ErrorList{e}
	}
	defer func() {
		// A parser bug must still give a positioned error, not a crash.
		if r := recover(); r != nil {
			f, err = nil, ErrorList{{Pos: Pos{Filename: path, Line: 1, Column: 1}, Msg: fmt.Sprintf("internal error: %v", r)}}
		}
	}()
	var comments []Comment
	sc, _ := lexDef{comments: &comments}.LexString(path, src)
	peek, err := lexer.Upgrade(sc)
	if err != nil {
		return nil, ErrorList{toError(path, err)}
	}
	f, err = parser.ParseFromLexer(peek)
	if err != nil {
		return nil, ErrorList{toError(path, err)}
	}
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
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(src[i:]); n == 1 {
				return &Error{Pos: pos, Msg: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): is this a text file?", src[i])}
			}
		}
		if r == '\n' {
			pos.Line++
			pos.Column = 1
		} else {
			pos.Column++
		}
	}
	return &Error{Pos: pos, Msg: "invalid UTF-8"}
}

// checkNesting rejects absurdly deep nesting before the recursive parser
// sees it. It over-counts braces inside strings, which is harmless at this
// depth.
func checkNesting(path, src string) *Error {
	depth := 0
	line, col := 1, 1
	for _, r := range src {
		switch r {
		case '{', '(', '[':
			depth++
			if depth > MaxNesting {
				return &Error{Pos: Pos{Filename: path, Line: line, Column: col}, Msg: fmt.Sprintf("nesting deeper than %d levels", MaxNesting)}
			}
		case '}', ')', ']':
			depth--
		case '\n':
			line++
			col = 0
		}
		col++
	}
	return nil
}

func toError(path string, err error) *Error {
	var le *Error
	if errors.As(err, &le) {
		return le
	}
	var pe participle.Error
	if errors.As(err, &pe) {
		pos := pe.Position()
		if pos.Filename == "" {
			pos.Filename = path
		}
		return &Error{Pos: pos, Msg: friendlyParseMessage(pe.Message())}
	}
	return &Error{Pos: Pos{Filename: path, Line: 1, Column: 1}, Msg: err.Error()}
}

// friendlyParseMessage rewrites participle's wording for script authors.
func friendlyParseMessage(m string) string {
	r := strings.NewReplacer(
		`"\n"`, "end of line",
		`<eol>`, "end of line",
		`<expr>`, "an expression",
		`<ident>`, "a name",
		`<string>`, "a string",
		`<raw>`, "a raw string",
		`<regex>`, "a regex",
		`<duration>`, "a duration",
		`<int>`, "a number",
		`<eof>`, "end of file",
		`<punct>`, "punctuation",
	)
	return r.Replace(m)
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

// Load parses a script and, recursively, the files it includes. Include
// paths are relative to the including file. Every error found is returned.
func Load(path string, read Loader) (*File, error) {
	if read == nil {
		read = os.ReadFile
	}
	var errs ErrorList
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
