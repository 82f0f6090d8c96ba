package runtime

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestShow(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, ""},
		{"a b", "a b"},
		{[]byte{0xff, 0x00, 'A'}, "\xff\x00A"},
		{42, "42"},
		{int64(-7), "-7"},
		{uint64(1 << 63), "9223372036854775808"},
		{2.5, "2.5"},
		{3.0, "3"},
		{true, "true"},
		{[]any{1, "a b", nil}, `[1,"a b",null]`},
		{map[string]any{"b": 1, "a": "x"}, `{"a":"x","b":1}`}, // keys sorted
		{[]any{"a/<b>&c"}, `["a/<b>&c"]`},                     // not \u003c
		{[]any{[]byte("hi")}, `["aGk="]`},                     // bytes in a list: base64, as JSON has them
	} {
		assert.Equal(t, tc.want, Show(tc.v), "%#v", tc.v)
	}
}

func TestTextOrHexKeepsEveryByte(t *testing.T) {
	for _, tc := range []struct{ in, text, enc string }{
		{"OK", "OK", ""},
		{"", "", ""},
		{"héllo", "héllo", ""},
		{"\xff\x00\xfeA", "ff00fe41", "hex"},
		{"\xc3(", "c328", "hex"}, // a cut two-byte sequence
	} {
		text, enc := TextOrHex(tc.in)
		assert.Equal(t, tc.text, text, "%q", tc.in)
		assert.Equal(t, tc.enc, enc, "%q", tc.in)
	}
}

func TestEscapeInvalid(t *testing.T) {
	for in, want := range map[string]string{
		"OK":            "OK",
		"héllo":         "héllo",
		"REV\xff1":      `REV\xff1`,
		"\xc3(\xe2\x82": `\xc3(\xe2\x82`,
		"":              "",
	} {
		assert.Equal(t, want, EscapeInvalid(in), "%q", in)
	}
}
