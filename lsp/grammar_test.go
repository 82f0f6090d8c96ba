package lsp

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/atrun/atrun/builtins"
	"github.com/atrun/atrun/lang"
)

// TestVSCodeGrammarKnowsTheLanguage keeps the editor's TextMate grammar
// (editors/vscode) in step with the language: it names every statement,
// dialect declaration and builtin, and nothing else.
func TestVSCodeGrammarKnowsTheLanguage(t *testing.T) {
	b, err := os.ReadFile("../editors/vscode/syntaxes/atrun.tmLanguage.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Repository map[string]json.RawMessage `json:"repository"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	// alternation returns the words of the first "(?:a|b|c)" or "(a|b|c)"
	// group of rule's regexes whose words all look like names.
	alternation := func(rule, contains string) []string {
		var found []string
		words := regexp.MustCompile(`\((?:\?:)?([a-z_0-9]+(?:\|[a-z_0-9]+)+)\)`)
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					if s, ok := x.(string); ok && (k == "match" || k == "begin") && strings.Contains(s, contains) && found == nil {
						if m := words.FindStringSubmatch(s); m != nil {
							found = strings.Split(m[1], "|")
						}
					}
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		var v any
		json.Unmarshal(g.Repository[rule], &v)
		walk(v)
		slices.Sort(found)
		return found
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	tests := []struct {
		what, rule, contains string
		want                 []string
	}{
		{"statement keywords", "statement", "param", sorted(lang.StatementKeywords())},
		{"dialect declarations", "dialect-key", "no_final", sorted(lang.DialectKeys)},
		{"builtins", "expression-inner", "mqtt_connect", builtins.Names()},
	}
	for _, tt := range tests {
		if got := alternation(tt.rule, tt.contains); !slices.Equal(got, tt.want) {
			t.Errorf("the grammar's %s: %v\nwant %v", tt.what, got, tt.want)
		}
	}
}
