package lang

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// robustCases are hostile or odd inputs: each parses (into stmts
// statements) or fails with exactly err. Rows marked "fuzz" were found by
// FuzzParseFormat.
var robustCases = []struct {
	name, src string
	stmts     int
	err       string
}{
	{name: "empty file", src: ""},
	{name: "only blank lines", src: "\n\n \t\n\r\n"},
	{name: "only comments", src: "# a\n  # b"},
	{name: "binary garbage", src: "\x7fELF\x02\x01\x01\x00\x00\xff\xfe", err: "in.at:1:10: invalid UTF-8 (byte 0xff): is this a text file?"},
	{name: "control characters", src: "\x01\x02\x03", err: `in.at:1:1: unexpected character "\x01"`},
	{name: "NUL at a statement", src: "log 1\n\x00", err: `in.at:2:1: unexpected character "\x00"`},
	{name: "NUL inside a string", src: "send \"a\x00b\"", stmts: 1},
	{name: "invalid UTF-8 on a later line", src: "log 1\r\nlog \"\xc3\"", err: "in.at:2:6: invalid UTF-8 (byte 0xc3): is this a text file?"},
	{name: "unterminated string", src: "send \"AT+CSQ\nexpect \"OK\"", err: "in.at:1:6: unterminated string"},
	{name: "unterminated string at end of file", src: `send "AT`, err: "in.at:1:6: unterminated string"},
	{name: "unterminated raw string", src: "log 1\nsend `AT+CSQ\nexpect \"OK\"", err: "in.at:2:6: unterminated raw string"},
	{name: "unterminated regex", src: "expect /^\\+CSQ: \nlog 1", err: "in.at:1:8: unterminated regex"},
	{name: "unterminated string in an expression", src: `log "abc`, err: "in.at:1:5: unterminated string"},
	{name: "interpolation without }", src: `send "AT+CSTT=${apn" expect "OK"`, err: "in.at:1:15: unterminated ${ in string (missing })"},
	{name: "interpolation without } in a raw string", src: "send `AT+CSTT=\"${apn\"` expect \"OK\"", err: "in.at:1:16: unterminated ${ in string (missing })"},
	{name: "empty interpolation", src: `send "${ }"`, err: "in.at:1:7: empty ${} in string"},
	{name: "escaped interpolation", src: `send "$${x"`, stmts: 1},
	{name: "tabs count as one column", src: "\tsend\t\"AT\"\texpect\t\"OK\"\n\tlog\tx)", err: `in.at:2:7: unexpected ")" in expression`},
	{name: "CRLF line endings", src: "log 1\r\nlog 2\r\nsned 3\r\n", err: `in.at:3:1: unknown statement "sned" (did you mean "send"?)`},
	{name: "CRLF inside a raw string", src: "send `a\r\nb` expect \"OK\"\r\nlog (1\r\n", err: `in.at:3:5: unclosed "(" in expression`},
	{name: "lone CR line endings", src: "log 1\rlog 2\rsned", err: `in.at:3:1: unknown statement "sned" (did you mean "send"?)`},
	{name: "byte order mark", src: "\uFEFFlog 1\nlog 2", stmts: 2},
	{name: "byte order mark then an error", src: "\uFEFFsned 1", err: `in.at:1:1: unknown statement "sned" (did you mean "send"?)`},
	{name: "byte order mark in the middle", src: "log 1\n\uFEFF", err: `in.at:2:1: unexpected character "\ufeff"`},
	{name: "nesting at the limit", src: strings.Repeat("if x {\n", MaxNesting) + strings.Repeat("}\n", MaxNesting), stmts: 1},
	{name: "nesting too deep", src: strings.Repeat("if x {\n", MaxNesting+1) + strings.Repeat("}\n", MaxNesting+1), err: "in.at:65:6: blocks nested deeper than 64 levels"},
	{name: "expect blocks count as nesting", src: strings.Repeat("retry 1 {\n", MaxNesting) + "expect { \"A\" => ok }", err: "in.at:65:8: blocks nested deeper than 64 levels"},
	{name: "expression nesting too deep", src: "log " + strings.Repeat("(", MaxNesting+1), err: "in.at:1:69: expression nested deeper than 64 levels"},
	{name: "interpolation nesting too deep", src: `send "${` + strings.Repeat("{", MaxNesting) + `"`, err: "in.at:1:72: expression nested deeper than 64 levels"},
	{name: "many braces", src: strings.Repeat("{", 100000), err: `in.at:1:1: expected a statement, got "{"`},
	{name: "unclosed block", src: "on \"X\" {\n  log 1\n", err: `in.at:3:1: unexpected end of file: the "{" at line 1 is never closed`},
	{name: "unclosed expect block", src: "expect {\n  \"A\" => ok\n", err: `in.at:3:1: expected PATTERN => ACTION or "}" in the expect block, got end of file (the "{" at line 1 is never closed)`},
	{name: "stray closing brace", src: "log 1\n}", err: `in.at:2:1: unexpected "}": no block is open`},
	{name: "unclosed call", src: "call f(1,\n  2", err: `in.at:1:7: unclosed "(" (missing ")")`},
	{name: "if without brace", src: "if x\n  log 1\n}", err: `in.at:1:5: expected "{" to start the if block, got end of line`},
	{name: "bad hex number", src: "retry 0x1G {\n}", err: "in.at:1:7: invalid hex number"},
	{name: "duration without unit", src: "sleep 10", err: "in.at:1:7: duration 10 has no unit (such as 10s or 10ms)"},
	{name: "unknown duration unit", src: "sleep 10sec", err: `in.at:1:7: invalid duration "10sec" (units are ms, s, m, h)`},
	{name: "backslash at the end of the file", src: `fail\`, err: "in.at:1:6: expected an expression after fail, got end of file"},    // fuzz
	{name: "backslash and a blank at the end", src: `param A=\ `, err: "in.at:1:11: expected an expression after =, got end of file"}, // fuzz
	{name: "two backslashes after log", src: `log\\`, err: `in.at:1:4: unexpected character "\\"`},                                    // fuzz
	{name: "line continuation", src: "send \"AT\" \\\n  expect \"OK\"", stmts: 1},
	{name: "long line", src: "send \"" + strings.Repeat("A", MaxScriptBytes-100) + "\" expect \"OK\"", stmts: 1},
	{name: "over the size bound", src: strings.Repeat("#", MaxScriptBytes+1), err: "in.at:1:1: the script has 1048577 bytes: a script file may have at most 1024 KiB"},
}

func TestRobust(t *testing.T) {
	for _, tc := range robustCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("in.at", tc.src)
			if tc.err != "" {
				require.Error(t, err)
				assert.Equal(t, tc.err, err.Error())
				var errs ErrorList
				require.True(t, errors.As(err, &errs))
				assert.Nil(t, f)
				return
			}
			require.NoError(t, err)
			assert.Len(t, f.Stmts, tc.stmts)
			checkRoundTrip(t, tc.src)
		})
	}
}

// TestRobustPositions checks positions after tabs, CRLF, lone CR and a
// byte order mark, where a statement starts and where it ends.
func TestRobustPositions(t *testing.T) {
	f, err := Parse("in.at", "\uFEFF\tlog 1\r\n\r\nlog `a\r\nb` # c\rlet x = 2")
	require.NoError(t, err)
	require.Len(t, f.Stmts, 3)
	type lc struct{ Line, Column int }
	at := func(p Pos) lc { return lc{p.Line, p.Column} }
	assert.Equal(t, lc{1, 2}, at(StmtPos(f.Stmts[0])))
	assert.Equal(t, lc{3, 1}, at(StmtPos(f.Stmts[1])))
	assert.Equal(t, lc{3, 5}, at(f.Stmts[1].(*Log).Value.Pos))
	assert.Equal(t, lc{5, 1}, at(StmtPos(f.Stmts[2])))
	assert.Equal(t, lc{5, 9}, at(f.Stmts[2].(*Let).Value.Pos))
	require.Len(t, f.Comments, 1)
	assert.Equal(t, Comment{Pos: Pos{Filename: "in.at", Offset: 24, Line: 4, Column: 4}, Text: "# c", Trailing: true}, f.Comments[0])
}

// TestHugeFile parses a script at the size bound in bounded time and
// memory, and refuses anything larger, garbage included, at once.
func TestHugeFile(t *testing.T) {
	line := "send \"AT+CSQ\" expect /^\\+CSQ: (?P<rssi>\\d+),\\d+$/ timeout 2s  # signal\n"
	src := strings.Repeat(line, MaxScriptBytes/len(line))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f, err := Parse("big.at", src)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Len(t, f.Stmts, MaxScriptBytes/len(line))
	assert.Less(t, elapsed, 20*time.Second, "parse time")
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(400*len(src)), "bytes allocated: %d", allocated)
	t.Logf("1 MiB: %d statements in %v, %d MB allocated", len(f.Stmts), elapsed, allocated>>20)

	for name, garbage := range map[string]string{
		"10 MB script": strings.Repeat(line, 10<<20/len(line)),
		"newlines":     strings.Repeat("\n", 10<<20) + "}",
		"braces":       strings.Repeat("{", 10<<20),
		"brackets":     "log " + strings.Repeat("[", 10<<20),
		"junk":         strings.Repeat("\x01", 10<<20),
	} {
		start := time.Now()
		_, err := Parse("junk.at", garbage)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "junk.at:1:1: the script has 10485")
		assert.Less(t, time.Since(start), time.Second, name)
	}
	// Garbage under the bound fails at its first bad token.
	for name, garbage := range map[string]string{
		"newlines": strings.Repeat("\n", MaxScriptBytes-1) + "}",
		"braces":   strings.Repeat("{", MaxScriptBytes),
		"brackets": "log " + strings.Repeat("[", MaxScriptBytes-4),
		"junk":     strings.Repeat("\x01", MaxScriptBytes),
	} {
		start := time.Now()
		_, err := Parse("junk.at", garbage)
		require.Error(t, err, name)
		assert.Less(t, time.Since(start), 10*time.Second, name)
	}
}
