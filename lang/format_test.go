package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lines joins its arguments with newlines and ends with one.
func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }

var formatCases = []struct {
	name, in, want string
}{
	{"empty", "", ""},
	{"only blank lines", "\n\n  \n", ""},
	{"only a comment", "\n\n# hi  \n\n", "# hi\n"},
	{"final newline added", `log 1`, "log 1\n"},
	{"spaces between tokens", "send   \"AT\"expect\t\"OK\"   timeout 2s", lines(`send "AT" expect "OK" timeout 2s`)},
	{"mods in canonical order", `send "AT" retry 3 every 1s timeout 2s`, lines(`send "AT" timeout 2s retry 3 every 1s`)},
	{"expressions kept as written", "let  x =   a+b*( c )  \nif x>1{log x}", lines(`let x = a+b*( c )`, `if x>1 { log x }`)},
	{"multi-line expression kept", "let x = f(1,\n      2)\nlog x", lines("let x = f(1,\n      2)", "log x")},
	{"raw string with newline kept", "send `A\n  B` expect \"OK\"\nsend \"C\" expect \"OK\"", lines("send `A\n  B` expect \"OK\"", `send "C" expect "OK"`)},
	{
		"blank lines collapsed, none at block edges",
		"\n\nlog 1\n\n\n\nlog 2\nrepeat 2 {\n\n  log 3\n\n\n  log 4\n\n}\n\n\n",
		lines("log 1", "", "log 2", "repeat 2 {", "  log 3", "", "  log 4", "}"),
	},
	{
		"indentation two spaces per level",
		"flow f(a,b) {\nif a {\n\t\trepeat 2 while b {\nlog a\n}\n}\n}",
		lines("flow f(a, b) {", "  if a {", "    repeat 2 while b {", "      log a", "    }", "  }", "}"),
	},
	{
		"else on the closing line",
		"if a {\n log 1\n}   else   if b {\n log 2\n} else {\n log 3 }",
		lines("if a {", "  log 1", "} else if b {", "  log 2", "} else {", "  log 3", "}"),
	},
	{"one-line block kept", `on "+X" {   fail "y"   }`, lines(`on "+X" { fail "y" }`)},
	{"empty block", "finally {\n}\non \"X\" {}", lines("finally {}", `on "X" {}`)},
	{
		"one-line block with two statements expanded",
		`retry 3 { send "A" expect "OK" send "B" }`,
		lines("retry 3 {", `  send "A" expect "OK"`, `  send "B"`, "}"),
	},
	{
		"one-line block with a block inside expanded",
		`on "X" { if y { fail "z" } }`,
		lines(`on "X" {`, `  if y { fail "z" }`, "}"),
	},
	{
		"multi-line block stays expanded",
		"on \"X\" {\n  fail \"y\"\n}",
		lines(`on "X" {`, `  fail "y"`, "}"),
	},
	{
		"send expect run aligned",
		"send \"AT\" expect \"OK\"\nsend \"AT+CSQ\"   expect /x/ timeout 1s\nsend `AT+CGDCONT=1,\"IP\"` expect \"OK\"  # apn\n\nsend \"A\"  expect \"OK\"",
		lines(
			`send "AT"                expect "OK"`,
			`send "AT+CSQ"            expect /x/ timeout 1s`,
			"send `AT+CGDCONT=1,\"IP\"` expect \"OK\"  # apn",
			"",
			`send "A" expect "OK"`,
		),
	},
	{
		"send run broken by a comment line and other statements",
		"send \"AT\" expect \"OK\"\n# c\nsend \"AT+CSQ\" expect \"OK\"\nsend \"AT+CSQQ\"\nsend \"A\" expect \"OK\"\nsend \"AAA\" expect \"OK\"",
		lines(
			`send "AT" expect "OK"`,
			"# c",
			`send "AT+CSQ" expect "OK"`,
			`send "AT+CSQQ"`,
			`send "A"   expect "OK"`,
			`send "AAA" expect "OK"`,
		),
	},
	{
		"params aligned",
		"param broker = \"x\"\nparam port=1883\nparam topic\nparam password = \"\" secret\nparam k secret\n\nparam other = 1",
		lines(
			`param broker   = "x"`,
			`param port     = 1883`,
			`param topic`,
			`param password = "" secret`,
			`param k secret`,
			``,
			`param other = 1`,
		),
	},
	{
		"alternatives aligned",
		"expect {\n\"OK\" => ok\n  # why\n  /^\\+CME ERROR: (\\d+)$/=>fail \"cme\"\n\n\"LONGER ONE\" => retry\n\"X\" => retry\n} timeout 5s retry 2",
		lines(
			"expect {",
			`  "OK"                   => ok`,
			"  # why",
			`  /^\+CME ERROR: (\d+)$/ => fail "cme"`,
			"",
			`  "LONGER ONE" => retry`,
			`  "X"          => retry`,
			"} timeout 5s retry 2",
		),
	},
	{
		"alternative with a block",
		"send \"AT\" expect {\n \"A\" => { log 1 }\n \"BB\" => {\n log 2\n log 3\n }\n}",
		lines(
			`send "AT" expect {`,
			`  "A"  => { log 1 }`,
			`  "BB" => {`,
			`    log 2`,
			`    log 3`,
			`  }`,
			`}`,
		),
	},
	{"expect all on one line kept", `expect all { "OK"   /^\+CMQTTSTART: 0$/ } timeout 5s`, lines(`expect all { "OK" /^\+CMQTTSTART: 0$/ } timeout 5s`)},
	{
		"expect all expanded",
		"expect all {\n\"OK\" /^\\+A$/\nprompt \">\"\n}",
		lines("expect all {", `  "OK"`, `  /^\+A$/`, `  prompt ">"`, "}"),
	},
	{"single alternative on one line kept", `expect { "OK" => ok }`, lines(`expect { "OK" => ok }`)},
	{
		"trailing comments aligned in a run",
		"log 1 # a\nlet xyz = 2     # b\nlog 3\nsleep 1s #c\n\nlog 4   # d",
		lines("log 1        # a", "let xyz = 2  # b", "log 3", "sleep 1s     #c", "", "log 4  # d"),
	},
	{
		"comments keep their place and take the indentation",
		"# top\n\n   # about f\nflow f() { # open\n      # first\n  log 1 # one\n        # last\n} # close\n# end",
		lines("# top", "", "# about f", "flow f() {  # open", "  # first", "  log 1  # one", "  # last", "}  # close", "# end"),
	},
	{
		"comments inside a statement move above it in order",
		"abort \"E\", # e\n  # mid\n  \"F\" # f\ncall f(1, # one\n  2)",
		lines("# e", "# mid", `abort "E", "F"  # f`, "# one", "call f(1, 2)"),
	},
	{"comment before else stays in the then block", "if a {\n  log 1\n  # then end\n} else {\n  log 2\n}", lines("if a {", "  log 1", "  # then end", "} else {", "  log 2", "}")},
	{"empty if", "if x {\n}", lines("if x {}")},
	{
		"empty then block with a comment",
		"if x {\n  # nothing yet\n} else {\n}",
		lines("if x {", "  # nothing yet", "} else {", "}"),
	},
	{
		"comments in expect all",
		"expect all { # both\n  \"OK\" # final\n  # then\n  /^\\+X$/\n}",
		lines("expect all {  # both", `  "OK"  # final`, "  # then", `  /^\+X$/`, "}"),
	},
	{"comment in an empty block", "finally { # later\n}", lines("finally {  # later", "}")},
	{"crlf line endings", "log 1\r\n\r\n\r\nlog 2 # c\r\n", lines("log 1", "", "log 2  # c")},
	{"byte order mark dropped", "\uFEFFlog 1\n", lines("log 1")},
	{"line continuation joined", "send \"AT\" \\\n  expect \"OK\"", lines(`send "AT" expect "OK"`)},
	{"two statements on one line split", `log 1 fail "x"`, lines(`log 1 fail "x"`)},
	{"statements after a block split", `on "X" { log 1 } log 2`, lines(`on "X" { log 1 }`, "log 2")},
	{
		"every statement",
		strings.Join([]string{
			`param p = 1 secret`, `timeout 5s`, `abort "ERROR", /x/`, `include "a.at"`,
			`send "AT" expect prompt ">"`, `write 0x1A`, `expect any`, `retry 3 every 1s { log 1 }`,
			`read n bytes into d timeout 1s`, `read 4 into e`, `on /^\+X: (?P<x>\d+)$/ { emit x }`, `let y = 2`,
			`repeat 3 while y < 2 { sleep 100ms }`, `flow g() { call g() }`, `call g()`, `sleep t`,
			`log "x"`, `emit z = y`, `fail "boom"`, `finally { send "AT" }`,
		}, "\n"),
		lines(
			`param p = 1 secret`, `timeout 5s`, `abort "ERROR", /x/`, `include "a.at"`,
			`send "AT" expect prompt ">"`, `write 0x1A`, `expect any`, `retry 3 every 1s { log 1 }`,
			`read n bytes into d timeout 1s`, `read 4 into e`, `on /^\+X: (?P<x>\d+)$/ { emit x }`, `let y = 2`,
			`repeat 3 while y < 2 { sleep 100ms }`, `flow g() { call g() }`, `call g()`, `sleep t`,
			`log "x"`, `emit z = y`, `fail "boom"`, `finally { send "AT" }`,
		),
	},
}

func TestFormat(t *testing.T) {
	for _, tc := range formatCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("t.at", tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(Format(f)))
			checkRoundTrip(t, tc.in)
		})
	}
}

// TestFormatGolden formats testdata/format/NAME.at and compares with
// NAME.golden; -update rewrites the golden files.
func TestFormatGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/format/*.at")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			f, err := Parse(path, string(src))
			require.NoError(t, err)
			got := Format(f)
			golden := strings.TrimSuffix(path, ".at") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
			checkRoundTrip(t, string(src))
		})
	}
}

// TestFormatCorpus checks the round trip on every script of the repository.
func TestFormatCorpus(t *testing.T) {
	srcs := seedScripts(t)
	require.NotEmpty(t, srcs)
	for i, src := range srcs {
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkRoundTrip(t, src) })
	}
}

// TestFormatWithoutSource prints a File built by hand: no comments or blank
// lines, but every statement.
func TestFormatWithoutSource(t *testing.T) {
	f, err := Parse("t.at", lines("# c", `send "AT" expect { "OK" => ok }`, "", `on "X" { log 1 }`, "finally {}"))
	require.NoError(t, err)
	f.Source = ""
	assert.Equal(t, lines(`send "AT" expect {`, `  "OK" => ok`, `}`, `on "X" {`, `  log 1`, `}`, "finally {}"), string(Format(f)))
}

func TestASTDiff(t *testing.T) {
	parse := func(src string) *File {
		f, err := Parse("t.at", src)
		require.NoError(t, err)
		return f
	}
	assert.Empty(t, astDiff(parse("log 1 # a\n\nlog 2"), parse("\n  log 1\n# a\nlog   2\n")))
	assert.NotEmpty(t, astDiff(parse("log 1"), parse("log 2")))
	assert.NotEmpty(t, astDiff(parse("log 1 # a"), parse("log 1 # b")))
	assert.NotEmpty(t, astDiff(parse("send \"a\" expect \"b\""), parse("send \"a\"\nexpect \"b\"")))
}

// astDiff describes how two files differ, ignoring positions, the path,
// the source text and where comments sit; "" when they are the same.
func astDiff(a, b *File) string {
	na, nb := normalize(a), normalize(b)
	if reflect.DeepEqual(na, nb) {
		return ""
	}
	return fmt.Sprintf("\n got: %s\nwant: %s", dumpAST(nb), dumpAST(na))
}

// normalize returns a copy of f with every Pos and EndPos zeroed, and
// comments reduced to their text.
func normalize(f *File) *File {
	v := reflect.New(reflect.TypeOf(*f))
	v.Elem().Set(deepCopy(reflect.ValueOf(*f)))
	out := v.Interface().(*File)
	out.Path, out.Source = "", ""
	for i := range out.Comments {
		out.Comments[i] = Comment{Text: out.Comments[i].Text}
	}
	return out
}

var posType = reflect.TypeOf(Pos{})

func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(deepCopy(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(deepCopy(v.Index(i)))
		}
		return s
	case reflect.Struct:
		s := reflect.New(v.Type()).Elem()
		if v.Type() == posType {
			return s
		}
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue // stmtNode: positions and tokens
			}
			s.Field(i).Set(deepCopy(v.Field(i)))
		}
		return s
	}
	return v
}

// dumpAST prints a normalized AST on one line, for failure messages.
func dumpAST(f *File) string {
	var b strings.Builder
	var dump func(v reflect.Value)
	dump = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				b.WriteString("nil")
				return
			}
			dump(v.Elem())
		case reflect.Slice:
			b.WriteString("[")
			for i := range v.Len() {
				if i > 0 {
					b.WriteString(" ")
				}
				dump(v.Index(i))
			}
			b.WriteString("]")
		case reflect.Struct:
			if v.Type() == posType {
				return
			}
			b.WriteString(v.Type().Name() + "{")
			first := true
			for i := range v.NumField() {
				fv := v.Field(i)
				if fv.IsZero() {
					continue
				}
				if !first {
					b.WriteString(" ")
				}
				first = false
				b.WriteString(v.Type().Field(i).Name + ":")
				dump(fv)
			}
			b.WriteString("}")
		default:
			fmt.Fprintf(&b, "%q", fmt.Sprint(v.Interface()))
		}
	}
	dump(reflect.ValueOf(f))
	return b.String()
}
