package lang

import (
	"reflect"
	"sync"

	"github.com/alecthomas/participle/v2/lexer"
)

// Files returns f and every file it includes, recursively, each once, in
// load order: the one walk of the include tree.
func Files(f *File) []*File {
	var out []*File
	seen := map[*File]bool{}
	var visit func(f *File)
	visit = func(f *File) {
		if f == nil || seen[f] {
			return
		}
		seen[f] = true
		out = append(out, f)
		Walk(f.Stmts, func(n any) {
			if inc, ok := n.(*Include); ok {
				visit(inc.File)
			}
		})
	}
	visit(f)
	return out
}

// Walk calls fn for every node under stmts in source order: statements,
// blocks, patterns, strings, expressions and durations. It does not enter
// included files.
func Walk(stmts []Stmt, fn func(node any)) {
	for _, s := range stmts {
		walkNode(s, func(n any) bool { fn(n); return true })
	}
}

// walkNode calls fn for n and every node under it, in field order (which
// is source order, since the fields are the grammar). fn returning false
// skips a node's children. The walk follows the AST's own types, so a new
// statement needs no case here.
func walkNode(n any, fn func(any) bool) {
	v := reflect.ValueOf(n)
	if v.Kind() != reflect.Pointer || v.IsNil() || !fn(n) {
		return
	}
	walkFields(v.Elem(), fn)
}

func walkFields(v reflect.Value, fn func(any) bool) {
	for _, i := range nodeFields(v.Type()) {
		walkValue(v.Field(i), fn)
	}
}

func walkValue(f reflect.Value, fn func(any) bool) {
	switch f.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !f.IsNil() {
			walkNode(f.Interface(), fn)
		}
	case reflect.Slice:
		for j := 0; j < f.Len(); j++ {
			walkValue(f.Index(j), fn)
		}
	case reflect.Struct: // Mods, StrPart: no node of their own
		walkFields(f, fn)
	}
}

var (
	astPosType = reflect.TypeFor[Pos]()
	fileType   = reflect.TypeFor[*File]()
	fieldMemo  sync.Map // reflect.Type -> []int
)

// nodeFields are the fields of a node type that may hold nodes: not
// positions, tokens or scalars, and not Include.File (Walk stays in one
// file).
func nodeFields(t reflect.Type) []int {
	if v, ok := fieldMemo.Load(t); ok {
		return v.([]int)
	}
	var out []int
	for i := range t.NumField() {
		ft := t.Field(i).Type
		if ft == astPosType || ft == fileType {
			continue
		}
		el := ft
		if el.Kind() == reflect.Slice {
			el = el.Elem()
		}
		switch el.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Struct:
			if el != astPosType && el != reflect.TypeFor[lexer.Token]() {
				out = append(out, i)
			}
		}
	}
	fieldMemo.Store(t, out)
	return out
}
