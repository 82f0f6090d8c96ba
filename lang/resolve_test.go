package lang

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	funcs := []string{"hex", "len_of", "upper"}
	tests := []struct {
		name, src string
		want      []string // errors, "line:col: message"
	}{
		{"params and lets", "param apn = \"x\"\nlet n = 1\nlog apn + string(n)\n", nil},
		{"unknown with candidates", "param apn = \"x\"\nlog apnn\n", []string{`2:5: unknown name "apnn" (did you mean "apn"?)`}},
		{"function suggested for a variable", "log uper\n", []string{`1:5: unknown name "uper" (did you mean "upper"?)`}},
		{"unknown function", "write hexx(\"AT\")\n", []string{`1:7: unknown name "hexx" (did you mean "hex"?)`}},
		{"every unknown name of one expression", "log a + b + a\n", []string{`1:5: unknown name "a"`, `1:9: unknown name "b"`}},
		{"used before set", "log rssi\nlet rssi = 1\n", []string{`1:5: "rssi" is used before it is set (set at line 2)`}},
		{"capture binds after its expect", "expect /\\+CSQ: (?P<rssi>\\d+)/\nlog rssi + data\n", nil},
		{"alternative binds inside its action", "expect {\n  /(?P<a>x)/ => { log a }\n  \"OK\" => ok\n}\nlog a\n", nil},
		{"interpolation in a send", "send \"AT+X=${nope}\"\n", []string{`1:14: unknown name "nope"`}},
		{"duration variable", "let t = 5\nsleep tt\n", []string{`2:7: unknown name "tt" (did you mean "t"?)`}},
		{"emit of a bare name", "emit imei\n", []string{`1:1: unknown name "imei"`}},
		{"flows see every name the script binds", "flow f(x) { log x + later }\nlet later = 1\ncall f(1)\n", nil},
		{"flow params stay in the flow", "flow f(x) { log x }\nlog x\n", []string{`2:5: unknown name "x"`}},
		{"call binds what the flow sets", "flow f() { let got = 1 }\ncall f()\nlog got\n", nil},
		{"handlers see data and captures", "on /\\+X: (?P<v>\\d+)/ { log v + data }\n", nil},
		{"no I/O in handlers", "on \"RING\" { send \"ATA\" }\n", []string{`1:13: send cannot be used in an on handler: set a variable and act on it in the main flow`}},
		{"expr's own names", "let xs = [1, 2]\nlog map(xs, # + 1)\nlog filter([{a: 1}], .a > 0)\nlog let y = 2; y * 2\nlog $env\n", nil},
		{"member names are not variables", "let m = {a: 1}\nlog m.a + m.b\n", nil},
		{"param default sees other params", "param a = 1\nparam b = a + c\n", []string{`2:15: unknown name "c" (did you mean "a"?)`}},
		{"retry count variable", "let n = 3\nretry nn { send \"AT\" expect \"OK\" }\n", []string{`2:7: unknown name "nn" (did you mean "n"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("t.at", tt.src)
			require.NoError(t, err)
			res := Resolve(f, funcs)
			var got []string
			for _, e := range res.Errors {
				got = append(got, strings.TrimPrefix(e.Error(), "t.at:"))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// An expression with a name that does not resolve is marked, so that the
// compiler does not report it a second time in expr's words.
func TestResolveMarksUnresolved(t *testing.T) {
	f, err := Parse("t.at", "let a = 1\nlog a\nlog b + hexx(1)\n")
	require.NoError(t, err)
	res := Resolve(f, []string{"hex"})
	var marked []string
	Walk(f.Stmts, func(n any) {
		if e, ok := n.(*Expr); ok && res.Unresolved[e] {
			marked = append(marked, e.Source)
		}
	})
	assert.Equal(t, []string{"b + hexx(1)"}, marked)
	assert.Len(t, res.Errors, 2, "both names of the expression")
}

// A dialect is fixed when written: its ${...} are reported by Check, and
// Resolve keeps the compiler away from them.
func TestResolveSkipsDialectExprs(t *testing.T) {
	f, err := Parse("t.at", "dialect d {\n  final \"${x}\"\n}\n")
	require.NoError(t, err)
	res := Resolve(f, nil)
	assert.Empty(t, res.Errors)
	assert.Len(t, res.Unresolved, 1)
}

func TestResolveNames(t *testing.T) {
	f, err := Parse("t.at", "param p = 1\nflow f(a) { let b = 1 }\nexpect /(?P<c>x)/\nread 2 into d\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "d", "data", "p"}, Resolve(f, nil).Names)
}
