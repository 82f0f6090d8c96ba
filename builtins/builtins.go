// Package builtins is the one table of functions visible to .at expressions.
//
// Byte strings are Go strings: a string may hold any bytes, `+` concatenates,
// and len counts bytes, not runes, because AT commands count bytes
// (AT+CIPSEND=<len>). Functions are pure: they build values, statements do I/O.
package builtins

import (
	"sort"

	"github.com/expr-lang/expr"
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
}

// All returns every builtin, sorted by name.
func All() []Func {
	fs := append(coreFuncs(), mqttFuncs()...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs
}

// ExprOptions registers every builtin with expr.
func ExprOptions() []expr.Option {
	var opts []expr.Option
	for _, f := range All() {
		opts = append(opts, expr.Function(f.Name, f.Fn, f.Types...))
	}
	return opts
}
