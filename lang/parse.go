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
	"sync"
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
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
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

// grammar is the parser built from the struct tags of ast.go: the one
// definition of the language. It is built on first use, not at start-up.
var grammar = sync.OnceValue(grammarBuild)

func grammarBuild() *participle.Parser[File] {
	return participle.MustBuild[File](
		participle.Lexer(lexDef{}),
		participle.Union[Stmt](statements()...),
		participle.UseLookahead(4),
	)
}

// Grammar returns the grammar in EBNF, for review.
func Grammar() string { return grammar().String() }

// MaxNesting bounds how deeply blocks, and brackets in expressions, may
// nest, so that a hostile script cannot exhaust a recursive parser's stack.
const MaxNesting = 64

// Parse parses one file. It does not follow includes; see Load.
func Parse(path, src string) (f *File, err error) {
	if len(src) > MaxScriptBytes {
		return nil, ErrorList{{Pos: Pos{Filename: path, Line: 1, Column: 1}, Msg: fmt.Sprintf("the script has %d bytes: a script file may have at most %d KiB", len(src), MaxScriptBytes>>10)}}
	}
	if !utf8.ValidString(src) {
		return nil, ErrorList{invalidUTF8(path, src)}
	}
	defer func() {
		// A parser bug must still give a positioned error, not a crash.
		if r := recover(); r != nil {
			f, err = nil, ErrorList{{Pos: Pos{Filename: path, Line: 1, Column: 1}, Msg: fmt.Sprintf("internal error: %v", r)}}
		}
	}()
	var comments []Comment
	sc, _ := lexDef{comments: &comments}.LexString(path, src)
	toks, lerr := tokens(sc.(*scanner))
	if lerr != nil {
		return nil, ErrorList{toError(path, lerr)}
	}
	if e := tooDeep(toks); e != nil {
		return nil, ErrorList{e}
	}
	peek, perr := lexer.Upgrade(&tokenList{toks: toks})
	if perr == nil {
		f, perr = grammar().ParseFromLexer(peek)
	}
	if perr != nil {
		return nil, ErrorList{explain(toks, perr)}
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

// InterpolateLiterals rewrites string literals with ${...} inside an
// expression into concatenations, so that log "rssi ${rssi}" means what it
// says everywhere a string can be written. It finds each ${...} as .at
// strings do (interpolationEnd), so both agree on where one ends.
func InterpolateLiterals(src string) (string, bool) {
	if !strings.Contains(src, "${") {
		return src, false
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(src); {
		q := src[i]
		if q != '"' && q != '`' && q != '\'' {
			b.WriteByte(q)
			i++
			continue
		}
		j := i + 1
		for j < len(src) && src[j] != q {
			if src[j] == '\\' && q != '`' {
				j++
			}
			j++
		}
		if j >= len(src) {
			b.WriteString(src[i:])
			break
		}
		body := src[i+1 : j]
		if q == '\'' || !strings.Contains(body, "${") {
			b.WriteString(src[i : j+1])
			i = j + 1
			continue
		}
		changed = true
		b.WriteString("(")
		first := true
		part := func(s string) {
			if !first {
				b.WriteString(" + ")
			}
			first = false
			b.WriteString(s)
		}
		lit := 0
		for k := 0; k < len(body); {
			if strings.HasPrefix(body[k:], "${") {
				end := interpolationEnd(body, k+2)
				if lit < k {
					part(string(q) + body[lit:k] + string(q))
				}
				part("str(" + body[k+2:end] + ")")
				k = end + 1
				lit = k
				continue
			}
			if body[k] == '\\' && q != '`' {
				k++
			}
			k++
		}
		if lit < len(body) || first {
			part(string(q) + body[lit:] + string(q))
		}
		b.WriteString(")")
		i = j + 1
	}
	return b.String(), changed
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

// suggest returns a did-you-mean for a misspelt word that may follow a
// statement.
func suggest(t lexer.Token) string {
	if t.Type != tokIdent {
		return ""
	}
	return didYouMean(t.Value, []string{"expect", "timeout", "retry", "every", "secret", "bytes", "into", "while", "else"})
}
