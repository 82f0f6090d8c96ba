package runtime

import (
	"fmt"
	"slices"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
	"github.com/expr-lang/expr/ast"
)

// CheckOptions finds literal option maps passed to builtins that take one
// ({qso: 1} for mqtt_publish) and reports keys the builtin does not know,
// so that `atrun check` catches them before any byte is sent. Maps built
// at run time are checked when the builtin runs. rewritten says e's
// source was rewritten (see lang.InterpolateLiterals), so columns do not
// map back and the expression's own position is used.
func CheckOptions(e *lang.Expr, root ast.Node, rewritten bool) lang.ErrorList {
	var errs lang.ErrorList
	ast.Find(root, func(n ast.Node) bool {
		call, ok := n.(*ast.CallNode)
		if !ok {
			return false
		}
		id, ok := call.Callee.(*ast.IdentifierNode)
		if !ok {
			return false
		}
		f, ok := builtins.Lookup(id.Value)
		if !ok || f.Options == nil || len(call.Arguments) <= f.Options.Arg {
			return false
		}
		m, ok := call.Arguments[f.Options.Arg].(*ast.MapNode)
		if !ok {
			return false
		}
		for _, pair := range m.Pairs {
			key, ok := pair.(*ast.PairNode).Key.(*ast.StringNode)
			if !ok || slices.Contains(f.Options.Keys, key.Value) {
				continue
			}
			pos := e.Pos
			if !rewritten {
				pos = lang.Advance(e.Pos, e.Source, key.Location().From)
			}
			errs = append(errs, &lang.Error{Pos: pos, Msg: fmt.Sprintf("%s: unknown option %q%s", id.Value, key.Value, lang.DidYouMean(key.Value, f.Options.Keys))})
		}
		return false
	})
	return errs
}
