package lang

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The lexer's knowledge of statements is derived from ast.go's tags; this
// is what it derives for today's language, written out by hand.
func TestGrammarSyntax(t *testing.T) {
	syn := grammarSyntax()
	assert.ElementsMatch(t, []string{
		"param", "timeout", "abort", "include", "send", "write", "expect", "retry", "read", "on",
		"let", "if", "repeat", "flow", "call", "sleep", "log", "emit", "fail", "finally", "dialect",
	}, syn.keywords)

	type ctx = exprContext
	assert.ElementsMatch(t, []ctx{
		{[]string{"param", anyIdent, "="}, exprStop{words: []string{"secret"}}},
		{[]string{"write"}, exprStop{}},
		{[]string{"read"}, exprStop{words: []string{"bytes", "into"}}},
		{[]string{"let", anyIdent, "="}, exprStop{}},
		{[]string{"if"}, exprStop{brace: true}},
		{[]string{"repeat"}, exprStop{brace: true, words: []string{"while"}}},
		{[]string{"repeat", aLiteral, "while"}, exprStop{brace: true}},
		{[]string{"call", anyIdent, "("}, exprStop{comma: true}},
		{[]string{"log"}, exprStop{}},
		{[]string{"emit", anyIdent, "="}, exprStop{}},
		{[]string{"fail"}, exprStop{}},
	}, syn.exprs)
}

func TestExprContextMatch(t *testing.T) {
	call := exprContext{prefix: []string{"call", anyIdent, "("}, stop: exprStop{comma: true}}
	let := exprContext{prefix: []string{"let", anyIdent, "="}}
	tests := []struct {
		c    exprContext
		st   []string
		want bool
	}{
		{call, []string{"call", "f", "("}, true},
		{call, []string{"call", "f", "(", aLiteral, ","}, true},
		{call, []string{"call", "f", "(", aLiteral}, false},
		{call, []string{"call", aLiteral, "("}, false},
		{let, []string{"let", "x", "="}, true},
		{let, []string{"let", "x", "=", aLiteral}, false},
		{let, []string{"let", "(", "="}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.c.match(tt.st), "%q", tt.st)
	}
}

func TestBlockStatements(t *testing.T) {
	var got []string
	for _, s := range statements() {
		if blockStmt(s) {
			got = append(got, stmtName(s))
		}
	}
	assert.ElementsMatch(t, []string{"retry", "on", "if", "repeat", "flow", "finally", "dialect"}, got)
}

// A statement with no layout of its own prints as its tokens, canonically
// spaced: a new statement needs no case in the formatter.
func TestTokensText(t *testing.T) {
	for src, want := range map[string]string{
		"call  f( a ,b )":         "call f(a, b)",
		"call f()":                "call f()",
		"let x=1":                 "let x = 1",
		"emit   imei":             "emit imei",
		"emit x =  y":             "emit x = y",
		"abort \"A\",\n  /b/":     `abort "A", /b/`,
		"sleep  1s":               "sleep 1s",
		"include   \"x.at\"":      `include "x.at"`,
		"timeout t":               "timeout t",
		"log  \"a ${b}\"  + c":    `log "a ${b}"  + c`,
		"write hex( \"AT\" )":     `write hex( "AT" )`,
		"fail \"no\"":             `fail "no"`,
		"expect prompt \">\"":     `expect prompt ">"`,
		"on \"RING\" { log 1 }":   ``,
		"read 5 into x retry 2":   `read 5 into x retry 2`,
		"param p = 1 secret":      `param p = 1 secret`,
		"send \"AT\" timeout 1s":  `send "AT" timeout 1s`,
		"expect \"OK\" retry 3":   `expect "OK" retry 3`,
		"read n bytes into b":     `read n bytes into b`,
		"timeout 5s":              "timeout 5s",
		"retry 3 { send \"AT\" }": "",
	} {
		f, err := Parse("t.at", src)
		if !assert.NoError(t, err, src) {
			continue
		}
		assert.Equal(t, want, simpleText(f.Stmts[0]), src)
	}
}
