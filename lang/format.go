package lang

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Format prints f in canonical form: two-space indentation, one statement
// per line, single blank lines kept between statements, "} else {" on one
// line, literals and expressions exactly as written, and every comment
// kept. Runs of "send ... expect ..." lines, of params and of expect
// alternatives are aligned, as are trailing comments on consecutive lines.
// Format(Parse(Format(f))) equals Format(f).
//
// Comments and blank lines are placed using f.Source; a File built by hand
// without Source is printed without them.
func Format(f *File) []byte {
	p := newPrinter(f)
	p.stmts(f.Stmts, 0)
	p.eof()
	p.align()
	return p.render()
}

type lineKind uint8

const (
	lineCode      lineKind = iota
	lineOpen               // ends with "{": no blank line may follow
	lineClose              // starts with "}": no blank line may precede
	lineCloseOpen          // "} else {"
	lineComment            // an own-line comment
)

type alignKind uint8

const (
	alignNone    alignKind = iota
	alignSend              // pad after the send string, before "expect"
	alignParam             // pad after the param name, before "="
	alignAlt               // pad after the pattern, before "=>"
	alignDialect           // pad after a dialect declaration's key
)

// outLine is one line of output. Aligned lines are head, padding, tail.
type outLine struct {
	indent  int
	head    string
	tail    string
	comment string // trailing comment
	kind    lineKind
	blank   bool // a blank line precedes this one
	align   alignKind
	group   int // lines of one group are aligned together; 0 means none
}

func (l *outLine) code() string {
	if l.tail == "" {
		return l.head
	}
	return l.head + " " + l.tail
}

// span is where a unit of output came from: the offsets of its first and
// last token, and its first and last line.
type span struct {
	known              bool
	start, last        int
	startLine, endLine int
}

type printer struct {
	src      string
	toks     []lexer.Token // the file's tokens but end of lines, then EOF; nil when unknown
	comments []Comment
	ci       int // next comment to place
	lines    []outLine
	prevEnd  int // source line where the previous output line ended
	groups   int
}

func newPrinter(f *File) *printer {
	p := &printer{src: f.Source}
	if f.Source == "" {
		return p
	}
	lx, _ := lexDef{}.LexString(f.Path, f.Source)
	for {
		t, err := lx.Next()
		if err != nil {
			// Not the source f was parsed from: print without positions.
			p.toks = nil
			return p
		}
		if t.Type != tokEOL { // positions of code are all the printer needs
			p.toks = append(p.toks, t)
		}
		if t.EOF() {
			break
		}
	}
	p.comments = append([]Comment(nil), f.Comments...)
	sort.SliceStable(p.comments, func(i, j int) bool { return p.comments[i].Pos.Offset < p.comments[j].Pos.Offset })
	return p
}

// tokIndex returns the index of the first token at or after off.
func (p *printer) tokIndex(off int) int {
	return sort.Search(len(p.toks), func(i int) bool { return p.toks[i].Pos.Offset >= off })
}

// spanOf makes the span from the token at start to the token at last.
func (p *printer) spanOf(start, last int) span {
	if p.toks == nil || start < 0 || last < 0 || start >= len(p.toks) || last >= len(p.toks) {
		return span{}
	}
	a, b := p.toks[start], p.toks[last]
	return span{known: true, start: a.Pos.Offset, last: b.Pos.Offset, startLine: a.Pos.Line, endLine: b.Pos.Line + countNewlines(b.Value)}
}

// startTok is the index of the token at pos.
func (p *printer) startTok(pos Pos) int {
	if p.toks == nil {
		return -1
	}
	return p.tokIndex(pos.Offset)
}

// lastTok is the index of the last token before end (an EndPos).
func (p *printer) lastTok(end Pos) int {
	if p.toks == nil {
		return -1
	}
	return p.tokIndex(end.Offset) - 1
}

// nextPunct is the index of the first token after index i with value v.
func (p *printer) nextPunct(i int, v string) int {
	if i < 0 {
		return -1
	}
	for j := i + 1; j < len(p.toks); j++ {
		if p.toks[j].Value == v && p.toks[j].Type == tokPunct {
			return j
		}
	}
	return -1
}

func countNewlines(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || (s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n')) {
			n++
		}
	}
	return n
}

// add appends a line. startLine and endLine are its source lines, or 0.
func (p *printer) add(l outLine, startLine, endLine int) {
	if len(p.lines) > 0 && startLine > 0 && p.prevEnd > 0 && startLine > p.prevEnd+1 {
		prev := p.lines[len(p.lines)-1].kind
		if prev != lineOpen && prev != lineCloseOpen && l.kind != lineClose && l.kind != lineCloseOpen {
			l.blank = true
		}
	}
	if endLine > 0 {
		p.prevEnd = endLine
	}
	p.lines = append(p.lines, l)
}

// unit emits one line of code with the comments that belong to it: the
// comments before its last token go on their own lines above it, and a
// comment right after its last token stays on its line.
func (p *printer) unit(l outLine, sp span) {
	if sp.known {
		cindent := l.indent
		if l.kind == lineClose || l.kind == lineCloseOpen {
			cindent++ // a comment before "}" belongs inside the block
		}
		for p.ci < len(p.comments) && p.comments[p.ci].Pos.Offset < sp.last {
			c := p.comments[p.ci]
			p.ci++
			p.add(outLine{indent: cindent, head: c.Text, kind: lineComment}, min(c.Pos.Line, sp.startLine), c.Pos.Line)
		}
		end := sp.endLine
		if p.ci < len(p.comments) {
			c := p.comments[p.ci]
			if c.Trailing && c.Pos.Offset > sp.last && c.Pos.Offset < p.toks[p.tokIndex(sp.last+1)].Pos.Offset {
				l.comment = c.Text
				p.ci++
				end = max(end, c.Pos.Line)
			}
		}
		p.add(l, sp.startLine, end)
		return
	}
	p.add(l, 0, 0)
}

// eof places the comments after the last statement.
func (p *printer) eof() {
	for ; p.ci < len(p.comments); p.ci++ {
		c := p.comments[p.ci]
		p.add(outLine{head: c.Text, kind: lineComment}, c.Pos.Line, c.Pos.Line)
	}
}

func (p *printer) newGroup() int {
	p.groups++
	return p.groups
}

func (p *printer) stmts(list []Stmt, indent int) {
	var prevAlign alignKind
	prevLine, prevGroup := -1, 0
	for _, s := range list {
		mark := len(p.lines)
		p.stmt(s, indent)
		// A send or param line joins the alignment group of the line just
		// above it when that is the same kind of statement; comment lines,
		// blank lines and other statements end a group.
		l := &p.lines[len(p.lines)-1]
		if l.align == alignNone || l.kind != lineCode || blockStmt(s) {
			prevAlign = alignNone
			continue
		}
		if len(p.lines) == mark+1 && l.align == prevAlign && prevLine == mark-1 && !l.blank {
			l.group = prevGroup
		} else {
			l.group = p.newGroup()
		}
		prevAlign, prevLine, prevGroup = l.align, len(p.lines)-1, l.group
	}
}

// blockStmt reports whether a statement has a braced body of its own.
func blockStmt(s Stmt) bool { return grammarSyntax().blocks[reflect.TypeOf(s)] }

func (p *printer) stmt(s Stmt, indent int) {
	switch s := s.(type) {
	case *Send:
		p.step(s.Pos, s.EndPos, "send "+strText(s.Text), s.Expect, &s.Mods, indent)
	case *Expect:
		p.step(s.Pos, s.EndPos, "", s.Body, &s.Mods, indent)
	case *Param:
		// A param with no default stays in its run but has nothing to pad.
		l := outLine{indent: indent, head: "param " + s.Name, align: alignParam}
		if s.Default != nil {
			l.tail = "= " + exprText(s.Default)
		}
		if s.Secret {
			if l.tail == "" {
				l.head += " secret"
			} else {
				l.tail += " secret"
			}
		}
		p.simple(l, s.Pos, s.EndPos)
	case *RetryBlock:
		p.blockStmt(s.Pos, s.EndPos, retryText(s.Retry), s.Body, indent)
	case *On:
		p.blockStmt(s.Pos, s.EndPos, "on "+patternText(s.Pattern), s.Body, indent)
	case *If:
		p.ifStmt(s, indent)
	case *Repeat:
		h := "repeat " + exprText(s.Count)
		if s.While != nil {
			h += " while " + exprText(s.While)
		}
		p.blockStmt(s.Pos, s.EndPos, h, s.Body, indent)
	case *Flow:
		p.blockStmt(s.Pos, s.EndPos, "flow "+s.Name+"("+strings.Join(s.Params, ", ")+")", s.Body, indent)
	case *Finally:
		p.blockStmt(s.Pos, s.EndPos, "finally", s.Body, indent)
	case *Dialect:
		p.dialect(s, indent)
	default:
		p.simple(outLine{indent: indent, head: simpleText(s)}, StmtPos(s), StmtEnd(s))
	}
}

// dialect prints a dialect block, one declaration a line, the values of a
// run of declarations aligned.
func (p *printer) dialect(d *Dialect, indent int) {
	open := p.startTok(d.Pos)
	p.unit(outLine{indent: indent, head: "dialect " + d.Name + " {", kind: lineOpen}, p.spanOf(open, p.nextPunct(open, "{")))
	group := 0
	for _, it := range d.Items {
		mark := len(p.lines)
		p.simple(outLine{indent: indent + 1, head: it.Key, tail: dialectValues(it), align: alignDialect}, it.Pos, it.EndPos)
		l := &p.lines[len(p.lines)-1]
		if l.align != alignDialect {
			group = 0 // a multi-line declaration ends the run
			continue
		}
		if group == 0 || len(p.lines) != mark+1 || l.blank {
			group = p.newGroup()
		}
		l.group = group
	}
	c := p.lastTok(d.EndPos)
	p.unit(outLine{indent: indent, head: "}", kind: lineClose}, p.spanOf(c, c))
}

func dialectValues(it *DialectItem) string {
	parts := make([]string, len(it.Values))
	for i, v := range it.Values {
		parts[i] = literalText(v)
	}
	t := strings.Join(parts, ", ")
	if it.Inline {
		t += " inline"
	}
	if it.Suffix != nil {
		t += " suffix " + strText(it.Suffix)
	}
	return t
}

func literalText(l *Literal) string {
	if l.Regex != "" {
		return l.Regex
	}
	return strText(l.Text)
}

// simple emits a statement that fits one unit.
func (p *printer) simple(l outLine, pos, end Pos) {
	if isMultiline(l.code()) {
		l.head, l.tail, l.align = l.code(), "", alignNone
	}
	p.unit(l, p.spanOf(p.startTok(pos), p.lastTok(end)))
}

func isMultiline(s string) bool { return strings.ContainsAny(s, "\r\n") }

// StmtText is a statement as the formatter prints it, on one line, for
// step logs and messages: a block's statements are left out ("if x",
// "retry 3 every 1s"), an expect block's alternatives are "{...}".
func StmtText(s Stmt) string {
	var t string
	switch s := s.(type) {
	case *Send:
		t = "send " + strText(s.Text)
		if s.Expect != nil {
			t += " expect " + bodyHead(s.Expect)
		}
		t += modsText(&s.Mods)
	case *Expect:
		t = "expect " + bodyHead(s.Body) + modsText(&s.Mods)
	case *RetryBlock:
		t = retryText(s.Retry)
	case *On:
		t = "on " + patternText(s.Pattern)
	case *If:
		t = "if " + exprText(s.Cond)
	case *Repeat:
		t = "repeat " + exprText(s.Count)
		if s.While != nil {
			t += " while " + exprText(s.While)
		}
	case *Flow:
		t = "flow " + s.Name + "(" + strings.Join(s.Params, ", ") + ")"
	case *Finally:
		t = "finally"
	case *Dialect:
		t = "dialect " + s.Name
	default:
		t = simpleText(s)
	}
	return oneLine.ReplaceAllString(t, " ")
}

// oneLine matches a line break and the indentation around it.
var oneLine = regexp.MustCompile(`[ \t]*(?:\r\n|\r|\n)[ \t]*`)

// bodyHead is an expect body on one line, a block's alternatives elided.
func bodyHead(b *ExpectBody) string {
	switch {
	case b.Pattern != nil:
		return patternText(b.Pattern)
	case b.All != nil:
		return "all {...}"
	}
	return "{...}"
}

// simpleText prints a statement that has no block. Statements with a
// canonical order of their own (modifiers, a param's parts) are laid out
// here; any other is its tokens, spaced canonically.
func simpleText(s Stmt) string {
	switch s := s.(type) {
	case *Read:
		t := "read " + exprText(s.Count)
		if s.Bytes {
			t += " bytes"
		}
		return t + " into " + s.Into + modsText(&s.Mods)
	case *Send:
		t := "send " + strText(s.Text)
		if s.Expect != nil {
			t += " expect " + bodyText(s.Expect)
		}
		return t + modsText(&s.Mods)
	case *Expect:
		return "expect " + bodyText(s.Body) + modsText(&s.Mods)
	case *Param:
		t := "param " + s.Name
		if s.Default != nil {
			t += " = " + exprText(s.Default)
		}
		if s.Secret {
			t += " secret"
		}
		return t
	}
	if blockStmt(s) {
		return ""
	}
	return tokensText(s.node().Tokens)
}

// tokensText prints tokens on one line: one space between them, none
// before "," or ")", none after "(", and none between a name and the "("
// of its argument list.
func tokensText(toks []lexer.Token) string {
	var b strings.Builder
	prev := lexer.Token{Type: tokEOL}
	for _, t := range toks {
		if t.Type == tokEOL {
			continue
		}
		glue := prev.Type == tokEOL ||
			t.Type == tokPunct && (t.Value == "," || t.Value == ")") ||
			prev.Type == tokPunct && prev.Value == "(" ||
			t.Type == tokPunct && t.Value == "(" && prev.Type == tokIdent
		if !glue {
			b.WriteByte(' ')
		}
		b.WriteString(t.Value)
		prev = t
	}
	return b.String()
}

// step prints a send (head is "send STR") or an expect (head is "").
func (p *printer) step(pos, end Pos, head string, body *ExpectBody, mods *Mods, indent int) {
	if body == nil || body.Pattern != nil || p.bodyOneLine(body) {
		l := outLine{indent: indent, head: head}
		if body != nil {
			tail := "expect " + bodyText(body) + modsText(mods)
			if head == "" {
				l.head = tail
			} else {
				l.tail = tail
				l.align = alignSend
			}
		} else {
			l.head += modsText(mods)
		}
		p.simple(l, pos, end)
		return
	}
	h := "expect"
	if head != "" {
		h = head + " expect"
	}
	open := p.startTok(body.Pos) // "all" or "{"
	if body.All != nil {
		h += " all"
		if open >= 0 {
			open++
		}
	}
	p.unit(outLine{indent: indent, head: h + " {", kind: lineOpen}, p.spanOf(p.startTok(pos), open))
	closeTok := -1
	if body.All != nil {
		for _, pt := range body.All {
			i := p.startTok(pt.Pos)
			last := i
			if pt.IsPrompt && pt.Prompt != nil {
				last = p.startTok(pt.Prompt.Pos)
			}
			p.unit(outLine{indent: indent + 1, head: patternText(pt)}, p.spanOf(i, last))
			closeTok = last
		}
	} else {
		group := p.newGroup()
		for _, a := range body.Alts {
			mark := len(p.lines)
			p.alt(a, indent+1)
			// The alternative's own line follows its leading comments; a
			// blank line before them starts a new alignment group.
			for i := mark; i < len(p.lines); i++ {
				l := &p.lines[i]
				if l.blank {
					group = p.newGroup()
				}
				if l.kind != lineComment {
					if l.align == alignAlt {
						l.group = group
					}
					break
				}
			}
			closeTok = p.lastTok(a.EndPos)
		}
	}
	closeTok = p.nextPunct(closeTok, "}")
	p.unit(outLine{indent: indent, head: "}" + modsText(mods), kind: lineClose}, p.spanOf(closeTok, p.lastTok(end)))
}

// bodyOneLine reports whether an expect block stays on one line: it was on
// one line and is a list of patterns or a single simple alternative.
func (p *printer) bodyOneLine(b *ExpectBody) bool {
	if p.toks == nil {
		return false
	}
	open := p.startTok(b.Pos)
	var last int
	if b.All != nil {
		open++
		pt := b.All[len(b.All)-1]
		last = p.startTok(pt.Pos)
		if pt.IsPrompt && pt.Prompt != nil {
			last = p.startTok(pt.Prompt.Pos)
		}
	} else {
		if len(b.Alts) != 1 || b.Alts[0].Action.Block != nil {
			return false
		}
		last = p.lastTok(b.Alts[0].EndPos)
	}
	closeTok := p.nextPunct(last, "}")
	if open < 0 || open >= len(p.toks) || closeTok < 0 {
		return false
	}
	return p.toks[open].Pos.Line == p.toks[closeTok].Pos.Line && !p.commentsBetween(open, closeTok)
}

func (p *printer) commentsBetween(a, b int) bool {
	lo, hi := p.toks[a].Pos.Offset, p.toks[b].Pos.Offset
	i := sort.Search(len(p.comments), func(i int) bool { return p.comments[i].Pos.Offset > lo })
	return i < len(p.comments) && p.comments[i].Pos.Offset < hi
}

func (p *printer) alt(a *Alternative, indent int) {
	pat := patternText(a.Pattern)
	l := outLine{indent: indent, head: pat, align: alignAlt}
	if isMultiline(pat) {
		l.align = alignNone
	}
	act := a.Action
	switch {
	case act.OK:
		l.tail = "=> ok"
	case act.Retry:
		l.tail = "=> retry"
	case act.Fail != nil:
		l.tail = "=> fail " + exprText(act.Fail)
	case act.Block != nil:
		if one, ok := p.oneLineBlock(act.Block); ok {
			l.tail = "=> " + one
			break
		}
		l.tail = "=> {"
		l.kind = lineOpen
		p.unit(l, p.spanOf(p.startTok(a.Pos), p.startTok(act.Block.Pos)))
		p.blockBody(act.Block, indent)
		return
	}
	if isMultiline(l.tail) {
		l.align = alignNone
	}
	p.unit(l, p.spanOf(p.startTok(a.Pos), p.lastTok(a.EndPos)))
}

// oneLineBlock returns "{ stmt }" or "{}" for a block that stays on one
// line: it was on one line and holds at most one simple statement.
func (p *printer) oneLineBlock(b *Block) (string, bool) {
	if p.toks == nil {
		if len(b.Stmts) == 0 {
			return "{}", true
		}
		return "", false
	}
	open, closeTok := p.startTok(b.Pos), p.lastTok(b.EndPos)
	if open < 0 || closeTok <= open || p.commentsBetween(open, closeTok) {
		return "", false
	}
	if len(b.Stmts) == 0 {
		return "{}", true
	}
	if len(b.Stmts) > 1 || p.toks[open].Pos.Line != p.toks[closeTok].Pos.Line {
		return "", false
	}
	s := b.Stmts[0]
	switch s := s.(type) {
	case *Send:
		if s.Expect != nil && s.Expect.Pattern == nil {
			return "", false
		}
	case *Expect:
		if s.Body.Pattern == nil {
			return "", false
		}
	}
	t := simpleText(s)
	if t == "" || isMultiline(t) {
		return "", false
	}
	return "{ " + t + " }", true
}

// blockStmt prints "HEAD {", the block, and "}".
func (p *printer) blockStmt(pos, end Pos, head string, b *Block, indent int) {
	if one, ok := p.oneLineBlock(b); ok {
		p.unit(outLine{indent: indent, head: head + " " + one}, p.spanOf(p.startTok(pos), p.lastTok(end)))
		return
	}
	p.unit(outLine{indent: indent, head: head + " {", kind: lineOpen}, p.spanOf(p.startTok(pos), p.startTok(b.Pos)))
	p.blockBody(b, indent)
}

// blockBody prints the statements of b and its closing brace.
func (p *printer) blockBody(b *Block, indent int) {
	p.stmts(b.Stmts, indent+1)
	c := p.lastTok(b.EndPos)
	p.unit(outLine{indent: indent, head: "}", kind: lineClose}, p.spanOf(c, c))
}

func (p *printer) ifStmt(s *If, indent int) {
	if s.Else == nil {
		p.blockStmt(s.Pos, s.EndPos, "if "+exprText(s.Cond), s.Then, indent)
		return
	}
	p.unit(outLine{indent: indent, head: "if " + exprText(s.Cond) + " {", kind: lineOpen}, p.spanOf(p.startTok(s.Pos), p.startTok(s.Then.Pos)))
	for {
		p.stmts(s.Then.Stmts, indent+1)
		closeTok := p.lastTok(s.Then.EndPos)
		switch {
		case s.Else == nil:
			p.unit(outLine{indent: indent, head: "}", kind: lineClose}, p.spanOf(closeTok, closeTok))
			return
		case s.Else.If != nil:
			next := s.Else.If
			p.unit(outLine{indent: indent, head: "} else if " + exprText(next.Cond) + " {", kind: lineCloseOpen}, p.spanOf(closeTok, p.startTok(next.Then.Pos)))
			s = next
		default:
			p.unit(outLine{indent: indent, head: "} else {", kind: lineCloseOpen}, p.spanOf(closeTok, p.startTok(s.Else.Block.Pos)))
			p.blockBody(s.Else.Block, indent)
			return
		}
	}
}

func exprText(e *Expr) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.Source)
}

func strText(s *Str) string {
	if s == nil {
		return `""`
	}
	return s.Token
}

func durationText(d *Duration) string {
	if d == nil {
		return ""
	}
	if d.Literal != "" {
		return d.Literal
	}
	return d.Var
}

func countText(c *Count) string {
	if c == nil {
		return ""
	}
	if c.Literal != "" {
		return c.Literal
	}
	return c.Var
}

func retryText(r *Retry) string {
	t := "retry " + countText(r.Count)
	if r.Every != nil {
		t += " every " + durationText(r.Every)
	}
	return t
}

func modsText(m *Mods) string {
	t := ""
	if m.Timeout != nil {
		t += " timeout " + durationText(m.Timeout)
	}
	if m.Retry != nil {
		t += " " + retryText(m.Retry)
	}
	return t
}

func patternText(pt *Pattern) string {
	switch {
	case pt.Any:
		return "any"
	case pt.IsPrompt:
		if pt.Prompt != nil {
			return "prompt " + strText(pt.Prompt)
		}
		return "prompt"
	case pt.Regex != "":
		return pt.Regex
	}
	return strText(pt.Text)
}

// bodyText prints an expect body on one line.
func bodyText(b *ExpectBody) string {
	switch {
	case b.Pattern != nil:
		return patternText(b.Pattern)
	case b.All != nil:
		parts := make([]string, len(b.All))
		for i, pt := range b.All {
			parts[i] = patternText(pt)
		}
		return "all { " + strings.Join(parts, " ") + " }"
	}
	parts := make([]string, len(b.Alts))
	for i, a := range b.Alts {
		parts[i] = patternText(a.Pattern) + " => " + actionText(a.Action)
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

func actionText(a *Action) string {
	switch {
	case a.OK:
		return "ok"
	case a.Retry:
		return "retry"
	case a.Fail != nil:
		return "fail " + exprText(a.Fail)
	case a.Block != nil && len(a.Block.Stmts) == 1:
		return "{ " + simpleText(a.Block.Stmts[0]) + " }"
	}
	return "{}"
}

// align pads aligned groups, then aligns trailing comments in runs of
// consecutive single-line code lines at the same indentation.
func (p *printer) align() {
	width := map[int]int{}
	for _, l := range p.lines {
		if l.group != 0 && l.tail != "" {
			width[l.group] = max(width[l.group], utf8.RuneCountInString(l.head))
		}
	}
	for i := range p.lines {
		l := &p.lines[i]
		if l.group != 0 && l.tail != "" {
			l.head += strings.Repeat(" ", width[l.group]-utf8.RuneCountInString(l.head))
		}
	}
	for i := 0; i < len(p.lines); {
		j := i + 1
		if p.commentRun(i) {
			for j < len(p.lines) && p.commentRun(j) && !p.lines[j].blank && p.lines[j].indent == p.lines[i].indent {
				j++
			}
			w := 0
			for _, l := range p.lines[i:j] {
				if l.comment != "" {
					w = max(w, utf8.RuneCountInString(l.code()))
				}
			}
			for k := i; k < j; k++ {
				if l := &p.lines[k]; l.comment != "" {
					l.comment = strings.Repeat(" ", w-utf8.RuneCountInString(l.code())) + l.comment
				}
			}
		}
		i = j
	}
}

// commentRun reports whether line i can share a trailing-comment column
// with its neighbours.
func (p *printer) commentRun(i int) bool {
	l := &p.lines[i]
	return l.kind != lineComment && !isMultiline(l.code())
}

func (p *printer) render() []byte {
	var b strings.Builder
	for _, l := range p.lines {
		if l.blank {
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat("  ", l.indent))
		b.WriteString(l.code())
		if l.comment != "" {
			b.WriteString("  ")
			b.WriteString(l.comment)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
