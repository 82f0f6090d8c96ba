package lsp

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
)

// decl is a name the script declares: a param, a flow or a let.
type decl struct {
	kind string // "param", "flow" or "let"
	name string
	stmt lang.Stmt
	file *lang.File
}

// decls returns the script's params, flows and variables (each name's
// first binding), this file's and its includes', in load order.
func (d *document) decls() []decl {
	if d.tree == nil {
		return nil
	}
	if d.declared != nil {
		return d.declared
	}
	out := []decl{}
	defer func() { d.declared = out }()
	seen := map[string]bool{}
	add := func(kind, name string, s lang.Stmt, f *lang.File) {
		if !seen[kind+" "+name] {
			seen[kind+" "+name] = true
			out = append(out, decl{kind, name, s, f})
		}
	}
	for _, f := range lang.Files(d.tree) {
		lang.Walk(f.Stmts, func(n any) {
			switch s := n.(type) {
			case *lang.Param:
				add("param", s.Name, s, f)
			case *lang.Flow:
				add("flow", s.Name, s, f)
			case *lang.Let:
				add("let", s.Name, s, f)
			}
		})
	}
	return out
}

func (d *document) lookup(name string, kinds ...string) (decl, bool) {
	for _, k := range kinds {
		for _, dc := range d.decls() {
			if dc.kind == k && dc.name == name {
				return dc, true
			}
		}
	}
	return decl{}, false
}

// site is what the cursor is on.
type site struct {
	off    int
	word   string // the name under the cursor, if any
	start  int    // where word starts
	tok    *lang.Token
	prev   *lang.Token // the token before tok
	interp bool        // inside ${...} of a string
}

func (d *document) siteAt(p position) site {
	off := d.text.offsetOf(p)
	st := site{off: off}
	st.word, st.start = d.text.wordAt(off)
	at := off
	if st.word != "" {
		at = st.start
	}
	for i := range d.toks {
		tk := &d.toks[i]
		if tk.Pos.Offset <= at && at < tk.End.Offset {
			st.tok = tk
			if i > 0 {
				st.prev = &d.toks[i-1]
			}
			break
		}
	}
	if st.tok != nil && (st.tok.Kind == lang.TokString || st.tok.Kind == lang.TokRaw) {
		st.interp = inInterpolation(st.tok.Text[:at-st.tok.Pos.Offset])
	}
	return st
}

// inInterpolation reports whether the end of a string literal's prefix
// is inside ${...}.
func inInterpolation(prefix string) bool {
	depth := 0
	for i := 0; i < len(prefix); i++ {
		switch {
		case depth == 0 && strings.HasPrefix(prefix[i:], "$${"):
			i += 2
		case strings.HasPrefix(prefix[i:], "${"):
			depth++
			i++
		case depth > 0 && prefix[i] == '{':
			depth++
		case depth > 0 && prefix[i] == '}':
			depth--
		}
	}
	return depth > 0
}

// inExpression reports whether the site is inside an expression: an
// expression token, ${...}, or text that does not lex (being typed).
func (st site) inExpression() bool {
	return st.tok == nil || st.tok.Kind == lang.TokExpr || st.interp
}

func (d *document) hover(p position) *hover {
	st := d.siteAt(p)
	if st.word == "" {
		return nil
	}
	if st.tok == nil { // a comment, or text that does not lex
		line := d.text.positionOf(st.start).Line
		if inString, inInterp := stringState(d.text.src[d.text.lines[line]:st.start]); inString && !inInterp {
			return nil
		}
	}
	md := d.hoverText(st)
	if md == "" {
		return nil
	}
	r := d.text.spanOf(st.start, st.start+len(st.word))
	return &hover{Contents: markupContent{Kind: "markdown", Value: md}, Range: &r}
}

func (d *document) hoverText(st site) string {
	w := st.word
	if st.tok != nil && st.tok.Kind == lang.TokIdent {
		naming := st.prev != nil && slices.Contains([]string{"param", "let", "flow", "call", "emit", "into", "dialect"}, st.prev.Text)
		if !naming {
			if d.inDialect(st.start) {
				if k, ok := dialectDocs[w]; ok {
					return codeBlock(k.Syntax) + k.Doc
				}
			}
			if k, ok := statementDocs[w]; ok {
				return codeBlock(k.Syntax) + k.Doc
			}
		}
	} else if !st.inExpression() {
		return ""
	}
	if st.inExpression() {
		if fn, ok := optionMapAt(d.text.src, st.start); ok && followedByColon(d.text.src, st.start+len(w)) {
			if doc, ok := mqttOptionDocs[w]; ok {
				return fmt.Sprintf("%s\n\n%s", codeBlock(fmt.Sprintf("%s(..., {%s: ...})", fn, w)), doc)
			}
		}
		if f, ok := builtins.Lookup(w); ok {
			return codeBlock(f.Signature) + f.Doc
		}
	}
	if dc, ok := d.lookup(w, "param", "flow", "let"); ok {
		return d.declText(dc)
	}
	return ""
}

func codeBlock(s string) string { return "```at\n" + s + "\n```\n" }

func (d *document) declText(dc decl) string {
	where := fmt.Sprintf("declared at %s:%d", filepath.Base(dc.file.Path), lang.StmtPos(dc.stmt).Line)
	switch s := dc.stmt.(type) {
	case *lang.Param:
		sig := "param " + s.Name
		if s.Default != nil {
			sig += " = " + s.Default.Source
		}
		if s.Secret {
			sig += " secret"
		}
		var b strings.Builder
		b.WriteString(codeBlock(sig))
		if s.Default == nil {
			fmt.Fprintf(&b, "Required: set it with `-D %s=...`.", s.Name)
		} else {
			fmt.Fprintf(&b, "Default `%s`; set it with `-D %s=...`.", s.Default.Source, s.Name)
		}
		if s.Secret {
			b.WriteString(" Secret: masked as `***` in logs, transcripts, reports and errors.")
		}
		return b.String() + "\n\n" + where
	case *lang.Flow:
		return codeBlock(fmt.Sprintf("flow %s(%s)", s.Name, strings.Join(s.Params, ", "))) + where
	case *lang.Let:
		return codeBlock(fmt.Sprintf("let %s = %s", s.Name, s.Value.Source)) + where
	}
	return ""
}

// inDialect reports whether off is directly inside a dialect block.
func (d *document) inDialect(off int) bool {
	var stack []string
	stmt := ""
	startOfStmt := true
	for _, tk := range d.toks {
		if tk.Pos.Offset >= off {
			break
		}
		if startOfStmt && tk.Kind == lang.TokIdent {
			stmt = tk.Text
		}
		startOfStmt = false
		switch {
		case tk.Kind == lang.TokEOL:
			startOfStmt = true
		case tk.Kind == lang.TokPunct && tk.Text == "{":
			stack = append(stack, stmt)
			startOfStmt = true
		case tk.Kind == lang.TokPunct && tk.Text == "}":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			startOfStmt = true
		}
	}
	return len(stack) > 0 && stack[len(stack)-1] == "dialect"
}

// optionMapAt finds the builtin whose options map encloses off: in
// `mqtt_publish(t, p, {qos: 1, |` it returns "mqtt_publish". It reads the
// text backwards, so that it works on a line still being typed.
func optionMapAt(src string, off int) (string, bool) {
	depth := 0
	for i := off - 1; i >= 0 && off-i < 4096; i-- {
		switch src[i] {
		case ')', ']', '}':
			depth++
		case '(', '[':
			if depth == 0 {
				return "", false
			}
			depth--
		case '{':
			if depth > 0 {
				depth--
				continue
			}
			j := i - 1
			for j >= 0 && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
				j--
			}
			if j < 0 || (src[j] != '(' && src[j] != ',') {
				return "", false // a block or ${, not a map argument
			}
			fn := callee(src, j)
			f, ok := builtins.Lookup(fn)
			return fn, ok && f.Options != nil
		}
	}
	return "", false
}

// callee returns the function name before the "(" that opens the
// argument list containing i.
func callee(src string, i int) string {
	depth := 0
	for ; i >= 0; i-- {
		switch src[i] {
		case ')', ']', '}':
			depth++
		case '[', '{':
			depth--
		case '(':
			if depth > 0 {
				depth--
				continue
			}
			end := i
			for end > 0 && src[end-1] == ' ' {
				end--
			}
			start := end
			for start > 0 && isIdentPart(rune(src[start-1])) {
				start--
			}
			return src[start:end]
		}
	}
	return ""
}

func followedByColon(src string, i int) bool {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return i < len(src) && src[i] == ':'
}

// Built on first use: atrun's other commands should not pay for them.
var (
	callPrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*call\s+\w*$`) })
	usedKey    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(\w+)\s*:`) })
)

func (d *document) complete(p position) completionList {
	t := d.text
	off := t.offsetOf(p)
	line := t.positionOf(off).Line
	before := t.src[t.lines[line]:off]
	prefixStart := off
	for prefixStart > t.lines[line] && isIdentPart(rune(t.src[prefixStart-1])) {
		prefixStart--
	}
	items := []completionItem{}
	if fn, ok := optionMapAt(t.src, prefixStart); ok {
		f, _ := builtins.Lookup(fn)
		open := strings.LastIndex(t.src[:prefixStart], "{")
		used := map[string]bool{}
		for _, m := range usedKey().FindAllStringSubmatch(t.src[open:prefixStart], -1) {
			used[m[1]] = true
		}
		for _, k := range f.Options.Keys {
			if used[k] {
				continue
			}
			items = append(items, completionItem{Label: k, Kind: kindProperty, Detail: fn + " option",
				Documentation: markdown(mqttOptionDocs[k]), InsertText: k + ": ", InsertTextFormat: formatPlain})
		}
		return completionList{Items: items}
	}
	if strings.TrimLeft(t.src[t.lines[line]:prefixStart], " \t") == "" {
		if d.inDialect(prefixStart) {
			for _, k := range lang.DialectKeys {
				doc := dialectDocs[k]
				items = append(items, completionItem{Label: k, Kind: kindKeyword, Detail: doc.Syntax, Documentation: markdown(doc.Doc)})
			}
			return completionList{Items: items}
		}
		for i, k := range lang.StatementKeywords() {
			doc := statementDocs[k]
			items = append(items, completionItem{Label: k, Kind: kindKeyword, Detail: doc.Syntax,
				Documentation: markdown(doc.Doc), SortText: fmt.Sprintf("%02d", i)})
		}
		return completionList{Items: items}
	}
	if callPrefix().MatchString(before) {
		for _, dc := range d.decls() {
			if fl, ok := dc.stmt.(*lang.Flow); ok {
				items = append(items, completionItem{Label: fl.Name, Kind: kindFunction,
					Detail:     fmt.Sprintf("flow %s(%s)", fl.Name, strings.Join(fl.Params, ", ")),
					InsertText: snippetCall(fl.Name, fl.Params), InsertTextFormat: formatSnippet})
			}
		}
		return completionList{Items: items}
	}
	inString, inInterp := stringState(before)
	if inString && !inInterp || !inInterp && !takesExpressions(before) {
		return completionList{Items: items}
	}
	for _, name := range d.variables() {
		detail := "variable"
		if dc, ok := d.lookup(name, "param"); ok {
			detail = strings.SplitN(strings.TrimPrefix(d.declText(dc), "```at\n"), "\n", 2)[0]
		}
		items = append(items, completionItem{Label: name, Kind: kindVariable, Detail: detail, SortText: "0" + name})
	}
	for _, f := range builtins.All() {
		items = append(items, completionItem{Label: f.Name, Kind: kindFunction, Detail: f.Signature,
			Documentation: markdown(f.Doc), InsertText: f.Name + "($1)", InsertTextFormat: formatSnippet, SortText: "1" + f.Name})
	}
	return completionList{Items: items}
}

// variables are the names expressions may use: params, lets, reads,
// regex captures and flow params, as the resolve pass finds them.
func (d *document) variables() []string {
	if d.tree == nil {
		return nil
	}
	if d.names == nil {
		d.names = append([]string{}, lang.Resolve(d.tree, builtins.Names()).Names...)
	}
	return d.names
}

func snippetCall(name string, params []string) string {
	args := make([]string, len(params))
	for i, p := range params {
		args[i] = fmt.Sprintf("${%d:%s}", i+1, p)
	}
	return name + "(" + strings.Join(args, ", ") + ")"
}

func markdown(s string) *markupContent {
	if s == "" {
		return nil
	}
	return &markupContent{Kind: "markdown", Value: s}
}

// stringState reports whether the end of a line's prefix is inside a
// string literal, and whether inside its ${...}.
func stringState(prefix string) (inString, inInterp bool) {
	var quote byte
	depth := 0 // ${ nesting inside the string
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		switch {
		case quote == 0:
			if c == '"' || c == '`' {
				quote = c
			}
			if c == '#' {
				return true, false // a comment: no completion either
			}
		case depth > 0:
			switch c {
			case '{':
				depth++
			case '}':
				depth--
			}
		case c == '\\' && quote == '"':
			i++
		case c == '$' && i+1 < len(prefix) && prefix[i+1] == '{':
			depth++
			i++
		case c == quote:
			quote = 0
		}
	}
	return quote != 0, quote != 0 && depth > 0
}

// takesExpressions reports whether the statement a line starts with has
// expressions outside its strings: not send, expect, abort, on, timeout,
// sleep, include or a dialect declaration, whose words are patterns,
// durations and keywords.
func takesExpressions(line string) bool {
	line = strings.TrimLeft(line, " \t}")
	line = strings.TrimPrefix(line, "else ")
	first := wordRun(strings.TrimLeft(line, " \t"))
	switch first {
	case "send", "expect", "abort", "on", "timeout", "sleep", "include", "finally", "flow", "dialect", "retry":
		return false
	}
	return !slices.Contains(lang.DialectKeys, first)
}

func (d *document) definition(p position) *location {
	st := d.siteAt(p)
	if d.file != nil {
		var hit *lang.Include
		lang.Walk(d.file.Stmts, func(n any) {
			if inc, ok := n.(*lang.Include); ok {
				a := d.text.offsetOfPos(inc.Path.Pos)
				if a <= st.off && st.off <= a+len(inc.Path.Token) {
					hit = inc
				}
			}
		})
		if hit != nil {
			return &location{URI: pathToURI(d.includePath(hit)), Range: span{}}
		}
	}
	if st.word == "" || st.tok != nil && !st.inExpression() && st.tok.Kind != lang.TokIdent {
		return nil
	}
	kinds := []string{"param", "let", "flow"}
	if st.prev != nil && (st.prev.Text == "call" || st.prev.Text == "flow") {
		kinds = []string{"flow"}
	}
	dc, ok := d.lookup(st.word, kinds...)
	if !ok {
		return nil
	}
	return d.nameLocation(dc)
}

// nameLocation is where a declaration writes its name.
func (d *document) nameLocation(dc decl) *location {
	src, uri := dc.file.Source, pathToURI(dc.file.Path)
	if filepath.Clean(dc.file.Path) == d.path {
		src, uri = d.text.src, d.uri
	}
	t := newText(src)
	toks, _ := lang.Lex(dc.file.Path, src)
	from := t.offsetOfPos(lang.StmtPos(dc.stmt))
	for _, tk := range toks {
		if tk.Pos.Offset > from && tk.Kind == lang.TokIdent && tk.Text == dc.name {
			return &location{URI: uri, Range: t.spanOf(tk.Pos.Offset, tk.End.Offset)}
		}
	}
	return &location{URI: uri, Range: t.spanOf(from, from)}
}

func (d *document) symbols() []documentSymbol {
	out := []documentSymbol{}
	if d.file == nil {
		return out
	}
	for _, s := range d.file.Stmts {
		sym, ok := d.symbol(s)
		if ok {
			out = append(out, sym)
		}
	}
	return out
}

func (d *document) symbol(s lang.Stmt) (documentSymbol, bool) {
	t := d.text
	whole := span{t.positionOfPos(lang.StmtPos(s)), t.positionOfPos(lang.StmtEnd(s))}
	named := func(kind int, name, detail string) documentSymbol {
		sel := whole
		if loc := d.nameLocation(decl{name: name, stmt: s, file: d.file}); loc != nil && loc.URI == d.uri {
			sel = loc.Range
		}
		return documentSymbol{Name: name, Detail: detail, Kind: kind, Range: whole, SelectionRange: sel}
	}
	switch s := s.(type) {
	case *lang.Param:
		detail := "required"
		if s.Default != nil {
			detail = "= " + s.Default.Source
		}
		if s.Secret {
			detail += " secret"
		}
		return named(symConstant, s.Name, detail), true
	case *lang.Flow:
		sym := named(symFunction, s.Name, "("+strings.Join(s.Params, ", ")+")")
		for _, inner := range s.Body.Stmts {
			if c, ok := d.symbol(inner); ok {
				sym.Children = append(sym.Children, c)
			}
		}
		return sym, true
	case *lang.Let:
		return named(symVariable, s.Name, "= "+s.Value.Source), true
	case *lang.Include:
		return documentSymbol{Name: s.Path.Value(), Detail: "include", Kind: symFile, Range: whole, SelectionRange: d.strSpan(s.Path)}, true
	case *lang.Dialect:
		return named(symNamespace, s.Name, "dialect"), true
	case *lang.On:
		return documentSymbol{Name: "on " + patternText(s.Pattern), Kind: symEvent, Range: whole, SelectionRange: whole}, true
	case *lang.Finally:
		return documentSymbol{Name: "finally", Kind: symEvent, Range: whole, SelectionRange: whole}, true
	}
	return documentSymbol{}, false
}

func patternText(p *lang.Pattern) string {
	switch {
	case p.Regex != "":
		return p.Regex
	case p.Text != nil:
		return p.Text.Token
	case p.IsPrompt:
		return "prompt"
	}
	return "any"
}

// format formats the text as `atrun fmt` does: one edit replacing the
// whole text, or none when it is already formatted.
func (d *document) format() ([]textEdit, error) {
	f, err := lang.Parse(d.path, d.text.src)
	if err != nil {
		return nil, fmt.Errorf("cannot format a script that does not parse: %v", firstLine(err.Error()))
	}
	out := string(lang.Format(f))
	if out == d.text.src {
		return []textEdit{}, nil
	}
	return []textEdit{{Range: d.text.all(), NewText: out}}, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
