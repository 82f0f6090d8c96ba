package lang

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

var robustCases = []struct{ name, src string }{}

// parseWithGrammar parses with participle and the grammar of ast.go, the
// specification that Parse must follow.
func parseWithGrammar(path, src string) (*File, error) {
	var comments []Comment
	sc, _ := lexDef{comments: &comments}.LexString(path, src)
	peek, err := lexer.Upgrade(sc)
	if err != nil {
		return nil, err
	}
	f, err := parser.ParseFromLexer(peek)
	if err != nil {
		return nil, err
	}
	f.Path, f.Source, f.Comments = path, src, comments
	var errs ErrorList
	walkStrs(f, func(s *Str) { parseStr(s, &errs) })
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	return f, nil
}

// checkSameAsGrammar checks that Parse accepts exactly what the grammar
// accepts and builds the same AST, positions included.
func checkSameAsGrammar(t *testing.T, src string) {
	t.Helper()
	got, gerr := Parse("in.at", src)
	if utf8.ValidString(src) && (gerr == nil || !strings.Contains(gerr.Error(), "nested deeper")) {
		want, werr := parseWithGrammar("in.at", src)
		switch {
		case werr == nil && gerr != nil:
			t.Fatalf("Parse rejects what the grammar accepts: %v\ninput: %q", gerr, src)
		case werr != nil && gerr == nil:
			t.Fatalf("Parse accepts what the grammar rejects (%v)\ninput: %q", werr, src)
		case werr == nil && !reflect.DeepEqual(want, got):
			t.Fatalf("Parse and the grammar disagree at %s\ninput: %q", firstDiff(reflect.ValueOf(got), reflect.ValueOf(want), "File"), src)
		}
	}
}

// firstDiff describes the first difference between a and b.
func firstDiff(a, b reflect.Value, path string) string {
	if a.Kind() != b.Kind() || a.Type() != b.Type() {
		return fmt.Sprintf("%s: %v vs %v", path, a.Type(), b.Type())
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Sprintf("%s: nil %v vs %v", path, a.IsNil(), b.IsNil())
			}
			return ""
		}
		return firstDiff(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil %v vs %v", path, a.IsNil(), b.IsNil())
		}
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: len %d vs %d", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := firstDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Struct:
		for i := range a.NumField() {
			if d := firstDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface())
	}
	return ""
}
