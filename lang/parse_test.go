package lang

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatements(t *testing.T) {
	src := strings.Join([]string{
		`param topic`,
		`param password = "" secret`,
		`send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),\d+$/ timeout 2s retry 3 every 1s`,
		`let n = len(topic) + 1`,
		`repeat 3 while n < 2 {`,
		`  read n bytes into data`,
		`}`,
		`call f(a, {x: 1}, "s,)")`,
	}, "\n")
	f, err := Parse("t.at", src)
	require.NoError(t, err)
	require.Len(t, f.Stmts, 6)
	p := f.Stmts[1].(*Param)
	assert.Equal(t, "password", p.Name)
	assert.True(t, p.Secret)
	assert.Equal(t, `""`, p.Default.Source)
	s := f.Stmts[2].(*Send)
	assert.Equal(t, "AT+CSQ", s.Text.Value())
	assert.Equal(t, `/^\+CSQ: (?P<rssi>\d+),\d+$/`, s.Expect.Pattern.Regex)
	assert.Equal(t, "2s", s.Mods.Timeout.Literal)
	assert.Equal(t, "3", s.Mods.Retry.Count.Literal)
	assert.Equal(t, "1s", s.Mods.Retry.Every.Literal)
	assert.Equal(t, "len(topic) + 1", f.Stmts[3].(*Let).Value.Source)
	r := f.Stmts[4].(*Repeat)
	assert.Equal(t, "3", r.Count.Source)
	assert.Equal(t, "n < 2", r.While.Source)
	rd := r.Body.Stmts[0].(*Read)
	assert.Equal(t, "n", rd.Count.Source)
	assert.Equal(t, "data", rd.Into)
	c := f.Stmts[5].(*Call)
	require.Len(t, c.Args, 3)
	assert.Equal(t, []string{"a", "{x: 1}", `"s,)"`}, []string{c.Args[0].Source, c.Args[1].Source, c.Args[2].Source})
	assert.Equal(t, 19, c.Args[2].Pos.Column)
}

func TestStringInterpolation(t *testing.T) {
	f, err := Parse("t.at", "send `AT+CSTT=\"${apn}\",\"${user}\"`\nsend \"é${x + 1}\\r$${y}\"")
	require.NoError(t, err)
	s := f.Stmts[0].(*Send).Text
	require.Len(t, s.Parts, 5)
	assert.Equal(t, `AT+CSTT="`, s.Parts[0].Lit)
	assert.Equal(t, "apn", s.Parts[1].Expr.Source)
	assert.Equal(t, 18, s.Parts[1].Expr.Pos.Column)
	s2 := f.Stmts[1].(*Send).Text
	assert.Equal(t, "x + 1", s2.Parts[1].Expr.Source)
	assert.Equal(t, 10, s2.Parts[1].Expr.Pos.Column, "columns count runes, not bytes")
	assert.Equal(t, "\r${y}", s2.Parts[2].Lit)
}
