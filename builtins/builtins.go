// Package builtins is the one table of functions visible to .at expressions.
//
// Byte strings are Go strings: a string may hold any bytes, `+` concatenates,
// and len counts bytes, not runes, because AT commands count bytes
// (AT+CIPSEND=<len>). Functions are pure: they build values, statements do I/O.
package builtins

import (
	"slices"
	"sort"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
)

// MaxValueBytes bounds the bytes one value may hold (a string, or all the
// strings of a list or map), so that a script cannot exhaust memory.
const MaxValueBytes = 16 << 20

// Func is one function visible to scripts.
type Func struct {
	Name      string
	Signature string // as shown to users, e.g. "hex(b bytes) string"
	Doc       string // one line for `atrun help builtins`
	// Types are function-typed values (new(func(string) string)) that let expr
	// check argument counts and types when a script is checked. Empty means any.
	Types []any
	Fn    func(args ...any) (any, error)
	// Options, if set, says which argument is an options map and the keys
	// it accepts, so that a literal map can be checked before a run.
	Options *Options
}

// Options describes a function's options-map argument.
type Options struct {
	Arg  int // 0-based position of the map
	Keys []string
}

// table is built on first use, not at init, and once: every expression
// the runtime compiles asks for it, so rebuilding it each time (and expr's
// reflection over every signature) was a tenth of checking a script.
var table = sync.OnceValue(func() []Func {
	fs := append(coreFuncs(), mqttFuncs()...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs
})

// All returns every builtin, sorted by name.
func All() []Func { return slices.Clone(table()) }

// Lookup returns the builtin called name.
func Lookup(name string) (Func, bool) {
	fs := table()
	i := sort.Search(len(fs), func(i int) bool { return fs[i].Name >= name })
	if i < len(fs) && fs[i].Name == name {
		return fs[i], true
	}
	return Func{}, false
}

// Names returns every builtin's name, sorted.
var Names = sync.OnceValue(func() []string {
	var out []string
	for _, f := range table() {
		out = append(out, f.Name)
	}
	return out
})

// exprFuncs is the table as expr declares it, made by expr.Function itself
// once; expr only reads a declared function, so compiles share them.
var exprFuncs = sync.OnceValue(func() map[string]*builtin.Function {
	c := conf.CreateNew()
	for _, f := range table() {
		expr.Function(f.Name, f.Fn, f.Types...)(c)
	}
	return c.Functions
})

// ExprOptions registers every builtin with expr.
func ExprOptions() []expr.Option {
	return []expr.Option{func(c *conf.Config) {
		for name, f := range exprFuncs() {
			c.Functions[name] = f
		}
	}}
}
