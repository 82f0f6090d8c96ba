// Package runtime compiles checked .at scripts and runs them over a
// transport: any io.ReadWriter, such as a serial port, a TCP connection or
// an in-memory pipe. Runs share nothing, so many may go on at once.
package runtime

import (
	"errors"
	"reflect"
	"regexp"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
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
	res := lang.Resolve(f, builtins.Names())
	errs = append(errs, res.Errors...)
	p := &Program{
		File:    f,
		flows:   map[string]*lang.Flow{},
		exprs:   map[*lang.Expr]*vm.Program{},
		regexes: map[*lang.Pattern]*regexp.Regexp{},
		secret:  map[string]bool{},
	}
	c := &compiler{p: p, errs: errs, res: res, types: map[string]any{}}
	c.index(f)
	c.compile(f)
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

// compiler compiles every expression and regex of a resolved script. The
// names were resolved by lang.Resolve, so every expression is compiled
// against one environment holding every name of the script.
type compiler struct {
	p    *Program
	errs lang.ErrorList
	res  *lang.Resolution
	// types holds a sample value of each variable's type, for expr's
	// type checks; nil means any type.
	types map[string]any
	// config is expr's configuration for the current types; nil when a
	// type was learnt since it was made.
	config *conf.Config
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

// compile compiles every expression and regex in source order, included
// files in place, learning variables' types as it goes: a param's from
// its default, a let's from its value, read and captures are strings.
func (c *compiler) compile(f *lang.File) {
	for _, n := range c.res.Names {
		c.types[n] = nil
	}
	for _, p := range c.p.Params {
		c.types[p.Name] = ""
	}
	// Params are typed by their defaults, evaluated in order.
	for _, p := range c.p.Params {
		if prog := c.expr(p.Default); prog != nil {
			if v, err := expr.Run(prog, map[string]any{}); err == nil && v != nil {
				c.learn(p.Name, v, true)
			}
		}
	}
	c.walk(f.Stmts)
}

func (c *compiler) walk(stmts []lang.Stmt) {
	lang.Walk(stmts, func(n any) {
		switch n := n.(type) {
		case *lang.Include:
			if n.File != nil {
				c.walk(n.File.Stmts)
			}
		case *lang.Expr:
			c.expr(n)
		case *lang.Pattern:
			c.regex(n)
			for _, name := range c.captures(n) {
				c.learn(name, "", false)
			}
		case *lang.Read:
			c.learn(n.Into, "", false)
		case *lang.Let:
			if prog := c.expr(n.Value); prog != nil {
				if t := prog.Node().Type(); t != nil && t.Kind() != reflect.Interface {
					c.learn(n.Name, reflect.Zero(t).Interface(), false)
				}
			}
		}
	})
}

// learn records a variable's type from a sample value; the first one
// learnt stays unless force.
func (c *compiler) learn(name string, sample any, force bool) {
	if c.types[name] != nil && !force {
		return
	}
	c.types[name] = sample
	c.config = nil
}

// regex compiles a pattern's regex once.
func (c *compiler) regex(p *lang.Pattern) *regexp.Regexp {
	if p.Regex == "" {
		return nil
	}
	re, ok := c.p.regexes[p]
	if !ok {
		var err error
		if re, err = lang.CompileRegex(p.Regex); err != nil {
			return nil // reported by lang.Check
		}
		c.p.regexes[p] = re
	}
	return re
}

// captures returns a pattern's named groups.
func (c *compiler) captures(p *lang.Pattern) []string {
	re := c.regex(p)
	if re == nil {
		return nil
	}
	var names []string
	for _, n := range re.SubexpNames() {
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

// expr compiles an expression once. Expressions whose names did not
// resolve were reported by lang.Resolve and are skipped.
func (c *compiler) expr(e *lang.Expr) *vm.Program {
	if e == nil || c.res.Unresolved[e] {
		return nil
	}
	if prog, ok := c.p.exprs[e]; ok {
		return prog
	}
	src, rewritten := lang.InterpolateLiterals(e.Source)
	prog, err := compileExpr(src, c.exprConfig(), func(tree ast.Node) {
		c.errs = append(c.errs, CheckOptions(e, tree, rewritten)...)
	})
	if err != nil {
		le := exprError(e, err)
		if rewritten {
			le.Pos = e.Pos // columns of the rewritten text do not map back
		}
		c.errs = append(c.errs, le)
		return nil
	}
	c.p.exprs[e] = prog
	return prog
}

// exprConfig is expr's configuration for the variables' current types,
// made again only when a type was learnt: making one copies every
// builtin, which was most of the cost of compiling a script.
func (c *compiler) exprConfig() *conf.Config {
	if c.config == nil {
		env := make(types.Map, len(c.types))
		for n, v := range c.types {
			env[n] = types.Any
			if v != nil {
				env[n] = types.TypeOf(v)
			}
		}
		c.config = newExprConfig(expr.Env(env))
	}
	return c.config
}

// newExprConfig is expr.Compile's configuration step with the builtins.
func newExprConfig(opts ...expr.Option) *conf.Config {
	cfg := conf.CreateNew()
	for _, op := range append(opts, builtins.ExprOptions()...) {
		op(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	cfg.Check()
	return cfg
}

// compileExpr is expr.Compile with a configuration made once: check,
// optimize, compile. The configuration is only read. checked sees the
// checked tree before the optimizer folds constants.
func compileExpr(src string, cfg *conf.Config, checked func(ast.Node)) (*vm.Program, error) {
	tree, err := checker.ParseCheck(src, cfg)
	if err != nil {
		return nil, err
	}
	checked(tree.Node)
	if cfg.Optimize {
		if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				return nil, fe.Bind(tree.Source)
			}
			return nil, err
		}
	}
	return exprcompiler.Compile(tree, cfg)
}

// exprError maps expr's error, positioned in runes from the expression's
// start, onto the script.
func exprError(e *lang.Expr, err error) *lang.Error {
	msg := err.Error()
	pos := e.Pos
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		pos = lang.Advance(e.Pos, e.Source, fe.From)
	}
	return &lang.Error{Pos: pos, Msg: msg}
}
