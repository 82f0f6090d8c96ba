// Package runtime compiles checked .at scripts and runs them over a
// transport: any io.ReadWriter, such as a serial port, a TCP connection or
// an in-memory pipe. Runs share nothing, so many may go on at once.
package runtime

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// Program is a script compiled for running: every expression compiled,
// every regex compiled, params and flows indexed.
type Program struct {
	File   *lang.File
	Params []*lang.Param // in declaration order, includes first where included

	flows    map[string]*lang.Flow
	exprs    map[*lang.Expr]*vm.Program
	regexes  map[*lang.Pattern]*regexp.Regexp
	handlers []*lang.On
	aborts   []*lang.Pattern
	finally  *lang.Finally
	secret   map[string]bool
	dialects []*lang.Dialect
	dialect  *dialect
}

// Load reads, parses, checks and compiles a script and its includes.
// The error, if any, is a lang.ErrorList with every problem found.
func Load(path string, read lang.Loader) (*Program, error) {
	f, err := lang.Load(path, read)
	if err != nil {
		return nil, err
	}
	return Compile(f)
}

// Compile checks and compiles a loaded file.
func Compile(f *lang.File) (*Program, error) {
	errs := lang.Check(f)
	p := &Program{
		File:    f,
		flows:   map[string]*lang.Flow{},
		exprs:   map[*lang.Expr]*vm.Program{},
		regexes: map[*lang.Pattern]*regexp.Regexp{},
		secret:  map[string]bool{},
	}
	c := &compiler{p: p, errs: errs, types: map[string]any{}}
	c.index(f)
	c.bindGlobals(f)
	c.compileMain(f)
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	d, err := compileDialect(p.dialects)
	if err != nil {
		return nil, lang.ErrorList{err.(*lang.Error)}
	}
	p.dialect = d
	return p, nil
}

type compiler struct {
	p    *Program
	errs lang.ErrorList
	// types holds a sample value of each variable's type, for expr's
	// type checks; nil means any type.
	types map[string]any
	// global is every name a script binds anywhere, with where.
	global map[string]lang.Pos
}

// index collects params, flows, handlers, aborts and finally from the
// file and its includes, in execution order.
func (c *compiler) index(f *lang.File) {
	for _, s := range f.Stmts {
		switch s := s.(type) {
		case *lang.Param:
			c.p.Params = append(c.p.Params, s)
			if s.Secret {
				c.p.secret[s.Name] = true
			}
		case *lang.Flow:
			if _, dup := c.p.flows[s.Name]; !dup {
				c.p.flows[s.Name] = s
			}
		case *lang.On:
			c.p.handlers = append(c.p.handlers, s)
		case *lang.Abort:
			c.p.aborts = append(c.p.aborts, s.Patterns...)
		case *lang.Finally:
			if c.p.finally == nil {
				c.p.finally = s
			}
		case *lang.Dialect:
			c.p.dialects = append(c.p.dialects, s)
		case *lang.Include:
			if s.File != nil {
				c.index(s.File)
			}
		}
	}
}

// bindGlobals finds every name bound anywhere (let, captures, read, emit
// does not bind), so that flows, handlers and finally may use them.
func (c *compiler) bindGlobals(f *lang.File) {
	c.global = map[string]lang.Pos{}
	for _, f := range lang.Files(f) {
		lang.Walk(f.Stmts, func(n any) {
			switch n := n.(type) {
			case *lang.Let:
				c.addGlobal(n.Name, n.Pos)
			case *lang.Read:
				c.addGlobal(n.Into, n.Pos)
			case *lang.Pattern:
				for _, name := range c.captures(n) {
					c.addGlobal(name, n.Pos)
				}
			}
		})
	}
	c.global["data"] = lang.Pos{}
}

func (c *compiler) addGlobal(name string, pos lang.Pos) {
	if _, ok := c.global[name]; !ok {
		c.global[name] = pos
	}
}

// captures compiles a pattern's regex (once) and returns its named groups.
func (c *compiler) captures(p *lang.Pattern) []string {
	if p.Regex == "" {
		return nil
	}
	re, ok := c.p.regexes[p]
	if !ok {
		var err error
		re, err = lang.CompileRegex(p.Regex)
		if err != nil {
			return nil // reported by lang.Check
		}
		c.p.regexes[p] = re
	}
	var names []string
	for _, n := range re.SubexpNames() {
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

// scope is the set of names visible at a point of the script.
type scope struct {
	names map[string]bool
	where string // "", "flow", "handler", "finally": where any global is allowed
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

func (c *compiler) compileMain(f *lang.File) {
	sc := &scope{names: map[string]bool{}}
	for _, p := range c.p.Params {
		sc.names[p.Name] = true
	}
	// Params are typed by their defaults, evaluated in order.
	for _, p := range c.p.Params {
		c.types[p.Name] = ""
		if p.Default != nil {
			prog := c.expr(p.Default, sc)
			if prog != nil {
				if v, err := expr.Run(prog, map[string]any{}); err == nil && v != nil {
					c.types[p.Name] = v
				}
			}
		}
	}
	for name := range c.global {
		if _, typed := c.types[name]; !typed {
			c.types[name] = nil
		}
	}
	c.stmts(f.Stmts, sc)
	for _, fl := range c.p.flows {
		fs := &scope{names: map[string]bool{}, where: "flow"}
		for n := range sc.names {
			fs.names[n] = true
		}
		for _, p := range fl.Params {
			fs.names[p] = true
			c.types[p] = nil
		}
		c.stmts(fl.Body.Stmts, fs)
	}
	for _, h := range c.p.handlers {
		hs := &scope{names: map[string]bool{"data": true}, where: "handler"}
		for n := range sc.names {
			hs.names[n] = true
		}
		for _, n := range c.captures(h.Pattern) {
			hs.names[n] = true
		}
		c.pattern(h.Pattern, hs)
		c.noIO(h.Body.Stmts, "an on handler")
		c.stmts(h.Body.Stmts, hs)
	}
	if c.p.finally != nil {
		c.stmts(c.p.finally.Body.Stmts, &scope{names: sc.names, where: "finally"})
	}
}

// noIO rejects statements that talk to the modem inside handlers: a
// handler runs between the steps of the main flow and must not move its
// cursor.
func (c *compiler) noIO(stmts []lang.Stmt, where string) {
	lang.Walk(stmts, func(n any) {
		switch n := n.(type) {
		case *lang.Send, *lang.Expect, *lang.Write, *lang.Read, *lang.Call, *lang.Sleep:
			c.errs = append(c.errs, &lang.Error{Pos: lang.StmtPos(n.(lang.Stmt)), Msg: fmt.Sprintf("%s cannot be used in %s: set a variable and act on it in the main flow", stmtWord(n.(lang.Stmt)), where)})
		}
	})
}

func stmtWord(s lang.Stmt) string {
	return strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%T", s), "*lang."))
}

// stmts compiles statements in order; names they bind are added to sc.
func (c *compiler) stmts(list []lang.Stmt, sc *scope) {
	for _, s := range list {
		c.stmt(s, sc)
	}
}

func (c *compiler) stmt(s lang.Stmt, sc *scope) {
	switch s := s.(type) {
	case *lang.Param, *lang.Flow, *lang.On, *lang.Finally, *lang.Abort, *lang.Dialect:
		if a, ok := s.(*lang.Abort); ok {
			for _, p := range a.Patterns {
				c.pattern(p, sc)
			}
		}
	case *lang.Include:
		if s.File != nil {
			c.stmts(s.File.Stmts, sc)
		}
	case *lang.TimeoutStmt:
		c.duration(s.Duration, sc)
	case *lang.Send:
		c.str(s.Text, sc)
		c.mods(&s.Mods, sc)
		c.body(s.Expect, sc)
	case *lang.Write:
		c.expr(s.Value, sc)
	case *lang.Expect:
		c.mods(&s.Mods, sc)
		c.body(s.Body, sc)
	case *lang.RetryBlock:
		c.retry(s.Retry, sc)
		c.stmts(s.Body.Stmts, sc)
	case *lang.Read:
		c.expr(s.Count, sc)
		c.mods(&s.Mods, sc)
		sc.names[s.Into] = true
		c.types[s.Into] = ""
	case *lang.Let:
		prog := c.expr(s.Value, sc)
		sc.names[s.Name] = true
		if prog != nil && c.types[s.Name] == nil {
			if t := prog.Node().Type(); t != nil && t.Kind() != reflect.Interface {
				c.types[s.Name] = reflect.Zero(t).Interface()
			}
		}
	case *lang.If:
		c.ifStmt(s, sc)
	case *lang.Repeat:
		c.expr(s.Count, sc)
		if s.While != nil {
			c.expr(s.While, sc)
		}
		c.stmts(s.Body.Stmts, sc)
	case *lang.Call:
		for _, a := range s.Args {
			c.expr(a, sc)
		}
		for _, n := range c.flowBinds(s.Name, map[string]bool{}) {
			sc.names[n] = true
		}
	case *lang.Sleep:
		c.duration(s.Duration, sc)
	case *lang.Log:
		c.expr(s.Value, sc)
	case *lang.Emit:
		if s.Value != nil {
			c.expr(s.Value, sc)
		} else {
			c.name(s.Name, s.Pos, sc)
		}
	case *lang.Fail:
		c.expr(s.Message, sc)
	}
}

// flowBinds lists the names a flow sets when called, including the flows
// it calls.
func (c *compiler) flowBinds(name string, seen map[string]bool) []string {
	f := c.p.flows[name]
	if f == nil || seen[name] {
		return nil
	}
	seen[name] = true
	var out []string
	lang.Walk(f.Body.Stmts, func(n any) {
		switch n := n.(type) {
		case *lang.Let:
			out = append(out, n.Name)
		case *lang.Read:
			out = append(out, n.Into)
		case *lang.Pattern:
			out = append(out, c.captures(n)...)
			out = append(out, "data")
		case *lang.Call:
			out = append(out, c.flowBinds(n.Name, seen)...)
		}
	})
	return out
}

func (c *compiler) ifStmt(s *lang.If, sc *scope) {
	c.expr(s.Cond, sc)
	c.stmts(s.Then.Stmts, sc)
	if s.Else != nil {
		if s.Else.If != nil {
			c.ifStmt(s.Else.If, sc)
		} else {
			c.stmts(s.Else.Block.Stmts, sc)
		}
	}
}

func (c *compiler) body(b *lang.ExpectBody, sc *scope) {
	if b == nil {
		return
	}
	if b.Pattern != nil {
		c.pattern(b.Pattern, sc)
		c.bind(b.Pattern, sc)
	}
	for _, p := range b.All {
		c.pattern(p, sc)
		c.bind(p, sc)
	}
	for _, a := range b.Alts {
		c.pattern(a.Pattern, sc)
		inner := sc.with(c.captures(a.Pattern)...)
		inner.names["data"] = true
		if a.Action.Fail != nil {
			c.expr(a.Action.Fail, inner)
		}
		if a.Action.Block != nil {
			c.stmts(a.Action.Block.Stmts, inner)
		}
		for n := range inner.names {
			sc.names[n] = true
		}
	}
}

func (c *compiler) bind(p *lang.Pattern, sc *scope) {
	for _, n := range c.captures(p) {
		sc.names[n] = true
		c.types[n] = ""
	}
	sc.names["data"] = true
}

func (c *compiler) pattern(p *lang.Pattern, sc *scope) {
	c.captures(p)
	c.str(p.Text, sc)
	c.str(p.Prompt, sc)
}

func (c *compiler) str(s *lang.Str, sc *scope) {
	if s == nil {
		return
	}
	for _, part := range s.Parts {
		if part.Expr != nil {
			c.expr(part.Expr, sc)
		}
	}
}

func (c *compiler) mods(m *lang.Mods, sc *scope) {
	if m.Timeout != nil {
		c.duration(m.Timeout, sc)
	}
	c.retry(m.Retry, sc)
}

func (c *compiler) retry(r *lang.Retry, sc *scope) {
	if r == nil {
		return
	}
	if r.Count.Var != "" {
		c.name(r.Count.Var, r.Count.Pos, sc)
	}
	if r.Every != nil {
		c.duration(r.Every, sc)
	}
}

func (c *compiler) duration(d *lang.Duration, sc *scope) {
	if d.Var != "" {
		c.name(d.Var, d.Pos, sc)
	}
}

// name checks that a bare variable reference is bound.
func (c *compiler) name(name string, pos lang.Pos, sc *scope) {
	if sc.names[name] {
		return
	}
	if at, ok := c.global[name]; ok {
		if sc.where != "" {
			return
		}
		c.errs = append(c.errs, &lang.Error{Pos: pos, Msg: fmt.Sprintf("%q is used before it is set (set at line %d)", name, at.Line)})
		return
	}
	c.errs = append(c.errs, &lang.Error{Pos: pos, Msg: fmt.Sprintf("unknown name %q%s", name, lang.DidYouMean(name, c.known(sc)))})
}

func (c *compiler) known(sc *scope) []string {
	var out []string
	for n := range sc.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// expr compiles an expression once against the names visible in sc.
func (c *compiler) expr(e *lang.Expr, sc *scope) *vm.Program {
	if e == nil {
		return nil
	}
	if prog, ok := c.p.exprs[e]; ok {
		return prog
	}
	env := make(types.Map, len(sc.names)+len(c.global))
	for n := range sc.names {
		env[n] = c.typeOf(n)
	}
	if sc.where != "" {
		for n := range c.global {
			env[n] = c.typeOf(n)
		}
	}
	opts := append([]expr.Option{expr.Env(env)}, builtins.ExprOptions()...)
	src, rewritten := lang.InterpolateLiterals(e.Source)
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		le := c.exprError(e, err, sc)
		if rewritten {
			le.Pos = e.Pos // columns of the rewritten text do not map back
		}
		c.errs = append(c.errs, le)
		return nil
	}
	c.p.exprs[e] = prog
	return prog
}

// typeOf is the expr type of a variable: the type of its sample value,
// or any.
func (c *compiler) typeOf(name string) types.Type {
	if v := c.types[name]; v != nil {
		return types.TypeOf(v)
	}
	return types.Any
}

var unknownName = regexp.MustCompile(`^unknown name (\w+)`)

// exprError maps expr's error, positioned in runes from the expression's
// start, onto the script.
func (c *compiler) exprError(e *lang.Expr, err error, sc *scope) *lang.Error {
	msg := err.Error()
	pos := e.Pos
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		pos = advance(e.Pos, e.Source, fe.From)
	}
	if m := unknownName.FindStringSubmatch(msg); m != nil {
		name := m[1]
		if at, ok := c.global[name]; ok && sc.where == "" {
			msg = fmt.Sprintf("%q is used before it is set (set at line %d)", name, at.Line)
		} else {
			var cands []string
			cands = append(cands, c.known(sc)...)
			for _, f := range builtins.All() {
				cands = append(cands, f.Name)
			}
			msg = fmt.Sprintf("unknown name %q%s", name, lang.DidYouMean(name, cands))
		}
	}
	return &lang.Error{Pos: pos, Msg: msg}
}

// advance moves pos forward over the first n runes of src.
func advance(pos lang.Pos, src string, n int) lang.Pos {
	for i, r := range src {
		if n == 0 {
			break
		}
		n--
		pos.Offset = pos.Offset + utf8.RuneLen(r)
		_ = i
		if r == '\n' {
			pos.Line++
			pos.Column = 1
		} else {
			pos.Column++
		}
	}
	return pos
}
