package lang

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Resolution is what the resolve pass found out about a script's names.
type Resolution struct {
	Errors ErrorList
	// Unresolved holds the expressions that use a name they cannot see,
	// or stand where no expression may (in a dialect): they are reported
	// and not worth compiling.
	Unresolved map[*Expr]bool
	// Names is every variable a script may see anywhere: params, flow
	// params, names bound by let, read and regex captures, and data.
	Names []string
}

// Resolve checks the names a script uses, walking the syntax tree of every
// expression: each must be bound before the main flow reaches it (flows,
// handlers and finally may use any name the script binds, since they run
// later), and handlers must not talk to the modem. funcs are the function
// names expressions may call, offered as did-you-mean candidates.
func Resolve(f *File, funcs []string) *Resolution {
	r := &resolver{
		res:      &Resolution{Unresolved: map[*Expr]bool{}},
		funcs:    funcs,
		flows:    map[string]*Flow{},
		captures: map[*Pattern][]string{},
		global:   map[string]Pos{"data": {}},
	}
	r.index(f)
	r.main(f)
	names := map[string]bool{}
	for n := range r.global {
		names[n] = true
	}
	for _, p := range r.params {
		names[p.Name] = true
	}
	for _, fl := range r.flows {
		for _, p := range fl.Params {
			names[p] = true
		}
	}
	for n := range names {
		r.res.Names = append(r.res.Names, n)
	}
	sort.Strings(r.res.Names)
	return r.res
}

type resolver struct {
	res      *Resolution
	funcs    []string
	params   []*Param
	flows    map[string]*Flow
	handlers []*On
	finally  *Finally
	captures map[*Pattern][]string
	// global is every name the script binds anywhere, with where first.
	global map[string]Pos
}

// scope is the set of names visible at a point of the script.
type scope struct {
	names map[string]bool
	// where is "" in the main flow; "flow", "handler" or "finally" where
	// any name the script binds may be used.
	where string
}

func (s *scope) with(names ...string) *scope {
	n := &scope{names: make(map[string]bool, len(s.names)+len(names)), where: s.where}
	for k := range s.names {
		n.names[k] = true
	}
	for _, k := range names {
		n.names[k] = true
	}
	return n
}

// index collects params, flows, handlers and finally from the file and
// its includes, and every name bound anywhere.
func (r *resolver) index(root *File) {
	var visit func(f *File)
	visit = func(f *File) {
		for _, s := range f.Stmts {
			switch s := s.(type) {
			case *Param:
				r.params = append(r.params, s)
			case *Flow:
				if _, dup := r.flows[s.Name]; !dup {
					r.flows[s.Name] = s
				}
			case *On:
				r.handlers = append(r.handlers, s)
			case *Finally:
				if r.finally == nil {
					r.finally = s
				}
			case *Include:
				if s.File != nil {
					visit(s.File)
				}
			}
		}
	}
	visit(root)
	for _, f := range Files(root) {
		Walk(f.Stmts, func(n any) {
			switch n := n.(type) {
			case *Let:
				r.bindGlobal(n.Name, n.Pos)
			case *Read:
				r.bindGlobal(n.Into, n.Pos)
			case *Pattern:
				for _, name := range r.capturesOf(n) {
					r.bindGlobal(name, n.Pos)
				}
			case *Dialect:
				walkNode(n, func(n any) bool {
					if e, ok := n.(*Expr); ok {
						r.res.Unresolved[e] = true // Check reports it
					}
					return true
				})
			}
		})
	}
}

func (r *resolver) bindGlobal(name string, pos Pos) {
	if _, ok := r.global[name]; !ok {
		r.global[name] = pos
	}
}

// capturesOf returns a pattern's named groups; a bad regex has none (it
// is reported by Check).
func (r *resolver) capturesOf(p *Pattern) []string {
	if p.Regex == "" {
		return nil
	}
	names, ok := r.captures[p]
	if !ok {
		if re, err := CompileRegex(p.Regex); err == nil {
			for _, n := range re.SubexpNames() {
				if n != "" {
					names = append(names, n)
				}
			}
		}
		r.captures[p] = names
	}
	return names
}

func (r *resolver) main(f *File) {
	sc := &scope{names: map[string]bool{}}
	for _, p := range r.params {
		sc.names[p.Name] = true
	}
	for _, p := range r.params {
		r.expr(p.Default, sc)
	}
	r.stmts(f.Stmts, sc)
	for _, fl := range r.flows {
		fs := sc.with(fl.Params...)
		fs.where = "flow"
		r.stmts(fl.Body.Stmts, fs)
	}
	for _, h := range r.handlers {
		hs := sc.with(r.capturesOf(h.Pattern)...)
		hs.names["data"] = true
		hs.where = "handler"
		r.pattern(h.Pattern, hs)
		r.noIO(h.Body.Stmts, "an on handler")
		r.stmts(h.Body.Stmts, hs)
	}
	if r.finally != nil {
		r.stmts(r.finally.Body.Stmts, &scope{names: sc.names, where: "finally"})
	}
}

// noIO rejects statements that talk to the modem inside handlers: a
// handler runs between the steps of the main flow and must not move its
// cursor.
func (r *resolver) noIO(stmts []Stmt, where string) {
	Walk(stmts, func(n any) {
		switch n := n.(type) {
		case *Send, *Expect, *Write, *Read, *Call, *Sleep:
			s := n.(Stmt)
			r.res.Errors.add(StmtPos(s), "%s cannot be used in %s: set a variable and act on it in the main flow", stmtName(s), where)
		}
	})
}

// stmts resolves statements in order, adding the names they bind to sc.
// Flows, handlers and finally are resolved on their own (see main); their
// declarations bind nothing here.
func (r *resolver) stmts(list []Stmt, sc *scope) {
	for _, s := range list {
		r.stmt(s, sc)
	}
}

func (r *resolver) stmt(s Stmt, sc *scope) {
	switch s := s.(type) {
	case *Flow, *On, *Finally, *Param, *Dialect:
		return // resolved by main or on their own
	case *Include:
		if s.File != nil {
			r.stmts(s.File.Stmts, sc)
		}
		return
	case *Send:
		r.str(s.Text, sc)
		r.mods(&s.Mods, sc)
		r.body(s.Expect, sc)
		return
	case *Expect:
		r.mods(&s.Mods, sc)
		r.body(s.Body, sc)
		return
	case *If:
		r.expr(s.Cond, sc)
		r.stmts(s.Then.Stmts, sc)
		if s.Else != nil {
			if s.Else.If != nil {
				r.stmt(s.Else.If, sc)
			} else {
				r.stmts(s.Else.Block.Stmts, sc)
			}
		}
		return
	case *Emit:
		if s.Value == nil {
			r.name(s.Name, s.Pos, sc, nil)
		}
	}
	// Any other statement: its own expressions, strings, durations and
	// counts, then its block, then what it binds.
	r.parts(s, sc)
	switch s := s.(type) {
	case *RetryBlock:
		r.stmts(s.Body.Stmts, sc)
	case *Repeat:
		r.stmts(s.Body.Stmts, sc)
	case *Read:
		sc.names[s.Into] = true
	case *Let:
		sc.names[s.Name] = true
	case *Call:
		for _, n := range r.flowBinds(s.Name, map[string]bool{}) {
			sc.names[n] = true
		}
	}
}

// parts resolves the expressions, strings, patterns, durations and counts
// of one statement, not entering its blocks.
func (r *resolver) parts(s Stmt, sc *scope) {
	walkNode(s, func(n any) bool {
		switch n := n.(type) {
		case *Block:
			return false
		case *Expr:
			r.expr(n, sc)
		case *Pattern:
			r.pattern(n, sc)
			return false
		case *Duration:
			if n.Var != "" {
				r.name(n.Var, n.Pos, sc, nil)
			}
		case *Count:
			if n.Var != "" {
				r.name(n.Var, n.Pos, sc, nil)
			}
		}
		return true
	})
}

// flowBinds lists the names a flow sets when called, including the flows
// it calls.
func (r *resolver) flowBinds(name string, seen map[string]bool) []string {
	f := r.flows[name]
	if f == nil || seen[name] {
		return nil
	}
	seen[name] = true
	var out []string
	Walk(f.Body.Stmts, func(n any) {
		switch n := n.(type) {
		case *Let:
			out = append(out, n.Name)
		case *Read:
			out = append(out, n.Into)
		case *Pattern:
			out = append(out, r.capturesOf(n)...)
			out = append(out, "data")
		case *Call:
			out = append(out, r.flowBinds(n.Name, seen)...)
		}
	})
	return out
}

func (r *resolver) body(b *ExpectBody, sc *scope) {
	if b == nil {
		return
	}
	bind := func(p *Pattern) {
		for _, n := range r.capturesOf(p) {
			sc.names[n] = true
		}
		sc.names["data"] = true
	}
	if b.Pattern != nil {
		r.pattern(b.Pattern, sc)
		bind(b.Pattern)
	}
	for _, p := range b.All {
		r.pattern(p, sc)
		bind(p)
	}
	for _, a := range b.Alts {
		r.pattern(a.Pattern, sc)
		inner := sc.with(r.capturesOf(a.Pattern)...)
		inner.names["data"] = true
		if a.Action.Fail != nil {
			r.expr(a.Action.Fail, inner)
		}
		if a.Action.Block != nil {
			r.stmts(a.Action.Block.Stmts, inner)
		}
		for n := range inner.names {
			sc.names[n] = true
		}
	}
}

func (r *resolver) pattern(p *Pattern, sc *scope) {
	r.str(p.Text, sc)
	r.str(p.Prompt, sc)
}

func (r *resolver) str(s *Str, sc *scope) {
	if s == nil {
		return
	}
	for _, part := range s.Parts {
		if part.Expr != nil {
			r.expr(part.Expr, sc)
		}
	}
}

func (r *resolver) mods(m *Mods, sc *scope) {
	if m.Timeout != nil && m.Timeout.Var != "" {
		r.name(m.Timeout.Var, m.Timeout.Pos, sc, nil)
	}
	if m.Retry != nil {
		if m.Retry.Count.Var != "" {
			r.name(m.Retry.Count.Var, m.Retry.Count.Pos, sc, nil)
		}
		if e := m.Retry.Every; e != nil && e.Var != "" {
			r.name(e.Var, e.Pos, sc, nil)
		}
	}
}

// name checks that a variable is visible; it reports why not and returns
// false when it is not. extra are further did-you-mean candidates.
func (r *resolver) name(name string, pos Pos, sc *scope, extra []string) bool {
	if sc.names[name] {
		return true
	}
	if at, ok := r.global[name]; ok {
		if sc.where != "" {
			return true
		}
		r.res.Errors.add(pos, "%q is used before it is set (set at line %d)", name, at.Line)
		return false
	}
	known := make([]string, 0, len(sc.names)+len(extra))
	for n := range sc.names {
		known = append(known, n)
	}
	sort.Strings(known)
	r.res.Errors.add(pos, "unknown name %q%s", name, didYouMean(name, append(known, extra...)))
	return false
}

// expr resolves the variables of one expression from its syntax tree.
// Syntax errors are left to the compiler, which words them.
func (r *resolver) expr(e *Expr, sc *scope) {
	if e == nil {
		return
	}
	if isName(e.Source) { // most interpolations: no need for expr's parser
		if !r.name(e.Source, e.Pos, sc, r.funcs) {
			r.res.Unresolved[e] = true
		}
		return
	}
	src, rewritten := InterpolateLiterals(e.Source)
	tree, err := parser.Parse(src)
	if err != nil {
		return
	}
	vars, calls := freeNames(tree.Node)
	at := func(id *ast.IdentifierNode) Pos {
		if rewritten { // columns of rewritten text do not map back
			return e.Pos
		}
		return Advance(e.Pos, e.Source, id.Location().From)
	}
	for _, id := range vars {
		if !r.name(id.Value, at(id), sc, r.funcs) {
			r.res.Unresolved[e] = true
		}
	}
	if r.funcs == nil {
		return // no function table to resolve calls against
	}
	for _, id := range calls {
		if !slices.Contains(r.funcs, id.Value) && !sc.names[id.Value] {
			r.res.Errors.add(at(id), "unknown name %q%s", id.Value, didYouMean(id.Value, r.funcs))
			r.res.Unresolved[e] = true
		}
	}
}

// isName reports whether an expression is one variable name.
func isName(src string) bool {
	for i, c := range src {
		if !(c == '_' || unicode.IsLetter(c) || i > 0 && unicode.IsDigit(c)) {
			return false
		}
	}
	return src != "" && !slices.Contains(exprWords, src)
}

// exprWords are expr's own words that look like names.
var exprWords = []string{"true", "false", "nil", "not", "and", "or", "in", "matches", "contains", "startsWith", "endsWith", "let", "if", "else", "$env"}

// freeNames returns the first use of each variable an expression reads
// (not expr's own $env, and not declared by a let inside the expression)
// and of each function it calls by name. expr's own builtins (len, map...)
// are parsed as builtin nodes, not calls, so are in neither.
func freeNames(root ast.Node) (vars, calls []*ast.IdentifierNode) {
	callees := map[ast.Node]bool{}
	declared := map[string]bool{}
	var ids []*ast.IdentifierNode
	ast.Find(root, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallNode:
			callees[n.Callee] = true
		case *ast.VariableDeclaratorNode:
			declared[n.Name] = true
		case *ast.IdentifierNode:
			ids = append(ids, n)
		}
		return false
	})
	sort.SliceStable(ids, func(i, j int) bool { return ids[i].Location().From < ids[j].Location().From })
	seen := map[string]bool{}
	for _, id := range ids {
		if declared[id.Value] || seen[id.Value] || strings.HasPrefix(id.Value, "$") {
			continue
		}
		seen[id.Value] = true
		if callees[id] {
			calls = append(calls, id)
		} else {
			vars = append(vars, id)
		}
	}
	return vars, calls
}

// Advance moves pos forward over the first n runes of src.
func Advance(pos Pos, src string, n int) Pos {
	for _, c := range src {
		if n == 0 {
			break
		}
		n--
		pos.Offset += utf8.RuneLen(c)
		if c == '\n' {
			pos.Line++
			pos.Column = 1
		} else {
			pos.Column++
		}
	}
	return pos
}
