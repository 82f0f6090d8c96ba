package builtins

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/expr-lang/expr"
	"github.com/stretchr/testify/require"
)

// eval compiles src with every builtin registered, as the interpreter does,
// and runs it.
func eval(src string) (any, error) {
	prog, err := expr.Compile(src, ExprOptions()...)
	if err != nil {
		return nil, err
	}
	return expr.Run(prog, nil)
}

func TestCoreValues(t *testing.T) {
	tests := []struct {
		src  string
		want any
	}{
		// hex / unhex: the MQTT CONNECT from vendors.md §0 round-trips.
		{`hex("\x10\x00" + byte(0xab) + byte(0xff))`, "1000ABFF"},
		// expr reads "\xab" as the rune U+00AB (two bytes in UTF-8), not one byte.
		{`hex("\xab")`, "C2AB"},
		{`hex("")`, ""},
		{`unhex("101000044D5154540402003C000464657631")`, "\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04dev1"},
		{`unhex("de ad\tBE\r\nef")`, "\xde\xad\xbe\xef"},
		{`unhex("")`, ""},
		{`hex(unhex("820800010003636d6401"))`, "820800010003636D6401"},

		// len counts bytes; expr's builtin would give 5 runes here.
		{`len("héllo")`, 6},
		{`len(unhex("00ff00"))`, 3},
		{`len([1, 2, 3])`, 3},
		{`len({a: 1, b: 2})`, 2},
		{`len("")`, 0},

		{`str(18)`, "18"},
		{`str(18.0)`, "18"},
		{`str(4 / 2)`, "2"},
		{`str(7 / 2)`, "3.5"},
		{`str(-0.25)`, "-0.25"},
		{`str(1e21)`, "1000000000000000000000"},
		{`str(true)`, "true"},
		{`str("ab\x00")`, "ab\x00"},
		{`"AT+CIPSEND=" + str(len("hi"))`, "AT+CIPSEND=2"},

		{`bytes("abc")`, "abc"},
		{`bytes([0x10, 0, 255])`, "\x10\x00\xff"},
		{`bytes([])`, ""},
		{`bytes(65)`, "A"},
		{`byte(0x1A)`, "\x1a"},
		{`byte(0)`, "\x00"},
		{`byte(255.0)`, "\xff"},
		{`"ab" + byte(0x1A)`, "ab\x1a"},

		// expr's int() already parses a captured decimal string.
		{`int("18") + 1`, 19},

		{`at_escape("plain text")`, "plain text"},
		{`at_escape("say \"hi\" \\ bye")`, `say \22hi\22 \5C bye`},
		{`at_escape("a\r\nb\tc\x1a\x7f")`, `a\0D\0Ab\09c\1A\7F`},
		{`at_escape("a,b;ü")`, "a,b;ü"},
		{`at_escape("{\"t\":1}\r\n", "luat")`, `{\22t\22:1}\0D\0A`},
		{`at_escape("back\\slash\ttab", "luat")`, "back\\5Cslash\ttab"},
		{`at_escape("a\"b\\c,d", "esp")`, `a\"b\\c\,d`},
		{`at_escape("x", "quote")`, "x"},

		// RFC 2202 (HMAC-MD5, HMAC-SHA1), test cases 1, 2, 3, 6.
		{`hmac_md5(repeat(byte(0x0b), 16), "Hi There")`, "9294727a3638bb1c13f48ef8158bfc9d"},
		{`hmac_md5("Jefe", "what do ya want for nothing?")`, "750c783e6ab0b503eaa86e310a5db738"},
		{`hmac_sha1(repeat(byte(0x0b), 20), "Hi There")`, "b617318655057264e28bc0b6fb378c8ef146be00"},
		{`hmac_sha1("Jefe", "what do ya want for nothing?")`, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{`hmac_sha1(repeat(byte(0xaa), 20), repeat(byte(0xdd), 50))`, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
		{`hmac_sha1(repeat(byte(0xaa), 80), "Test Using Larger Than Block-Size Key - Hash Key First")`, "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
		// RFC 4231 test cases 1, 2, 3, 6.
		{`hmac_sha256(repeat(byte(0x0b), 20), "Hi There")`, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{`hmac_sha256("Jefe", "what do ya want for nothing?")`, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{`hmac_sha256(repeat(byte(0xaa), 20), repeat(byte(0xdd), 50))`, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
		{`hmac_sha256(repeat(byte(0xaa), 131), "Test Using Larger Than Block-Size Key - Hash Key First")`, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		// vendors.md §9.1: Huawei IoTDA password, key = timestamp, msg = secret.
		{`hmac_sha256("2025041401", "12345678")`, "c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a"},
		// vendors.md §9.2: Aliyun passwords (the md5 one is in a real Luat log).
		{`hmac_md5("fef32adf6dad46c2c7cbf335d3a7b021", "clientId868488076506128deviceName868488076506128productKeyk1hipglLdjU")`, "0f655b12adf519b9a7a2b0a990f398b6"},
		{`hmac_sha1("ef87008b74300d18c90dc4ca40c35d08", "clientId" + "34EAE7244CEF" + "deviceName" + "little" + "productKey" + "a1c8iNLOevX" + "timestamp" + str(789))`, "1e86943bd413ee21c8d6072c3b8e66dec1a49d7a"},

		// FIPS 180-2 examples.
		{`sha256("abc")`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`sha256("")`, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},

		// RFC 4648 §10.
		{`base64("")`, ""},
		{`base64("f")`, "Zg=="},
		{`base64("fo")`, "Zm8="},
		{`base64("foobar")`, "Zm9vYmFy"},
		{`base64(unhex("fbff"))`, "+/8="},
		{`unbase64("Zm9vYmFy")`, "foobar"},
		{`unbase64("Zm8=")`, "fo"},
		{`unbase64("Zm8")`, "fo"},
		{`unbase64("Zm9v\r\nYmFy\n")`, "foobar"},
		{`unbase64("-_8")`, "\xfb\xff"},
		{`unbase64(base64(unhex("00ff10")))`, "\x00\xff\x10"},

		{`time_format("%Y%m%d%H", 1532454980)`, "2018072417"}, // vendors.md §9.1 example
		{`time_format("%Y-%m-%dT%H:%M:%SZ %y %j %s %%", 0)`, "1970-01-01T00:00:00Z 70 001 0 %"},
		{`time_format("no directives", 86400)`, "no directives"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := eval(tt.src)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// The bubble's fake clock starts at 2000-01-01T00:00:00Z, which makes the
// clock builtins exact.
func TestCoreClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tests := []struct {
			src  string
			want any
		}{
			{`now()`, "2000-01-01T00:00:00Z"},
			{`unix()`, 946684800},
			{`unix_ms()`, int64(946684800000)},
			{`time_format("%Y%m%d%H")`, "2000010100"},
			{`"dev_0_0_" + time_format("%Y%m%d%H")`, "dev_0_0_2000010100"},
		}
		for _, tt := range tests {
			got, err := eval(tt.src)
			require.NoError(t, err, tt.src)
			require.Equal(t, tt.want, got, tt.src)
		}
	})
}

func TestCoreFile(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "ca.crt")
	content := "-----BEGIN CERTIFICATE-----\r\n\x00\xff\n"
	require.NoError(t, os.WriteFile(cert, []byte(content), 0o600))

	got, err := eval(fmt.Sprintf("file(%q)", cert))
	require.NoError(t, err)
	require.Equal(t, content, got)

	got, err = eval(fmt.Sprintf("len(file(%q))", cert))
	require.NoError(t, err)
	require.Equal(t, len(content), got)

	missing := filepath.Join(dir, "nope.pem")
	_, err = eval(fmt.Sprintf("file(%q)", missing))
	require.ErrorContains(t, err, fmt.Sprintf("file %q: no such file or directory", missing))

	_, err = eval(fmt.Sprintf("file(%q)", dir))
	require.ErrorContains(t, err, fmt.Sprintf("file %q: is a directory", dir))
}

func TestCoreRuntimeErrors(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{`unhex("0G")`, `unhex: invalid hex digit 'G' at position 2`},
		{`unhex("00 1x")`, `unhex: invalid hex digit 'x' at position 5`},
		{`unhex("0ü")`, `unhex: invalid hex digit 'ü' at position 2`},
		{`unhex("abc")`, `unhex: odd number of hex digits (3)`},
		{`unhex("ab c")`, `unhex: odd number of hex digits (3)`},
		{`len(1)`, `len: got int, want bytes, list or map`},
		{`len(nil)`, `len: got nil, want bytes, list or map`},
		{`str(nil)`, `str: got nil, want bytes, number or bool`},
		{`str([1])`, `str: got list, want bytes, number or bool`},
		{`bytes([1, 300])`, `bytes: element 1: got 300, want 0..255`},
		{`bytes([1, "a"])`, `bytes: element 1: got string, want int 0..255`},
		{`bytes(-1)`, `bytes: got -1, want 0..255`},
		{`bytes(true)`, `bytes: got bool, want string, list of ints or int`},
		{`byte(256)`, `byte: got 256, want 0..255`},
		{`byte(1.5)`, `byte: got float, want int 0..255`},
		{`byte("a")`, `byte: got string, want int 0..255`},
		{`at_escape("x", "ascii")`, `at_escape: unknown style "ascii" (want "quote", "luat" or "esp")`},
		{`at_escape("a\nb", "esp")`, `at_escape: esp style cannot carry byte 0x0A at position 2`},
		{`unbase64("Zm9v!mFy")`, `unbase64: invalid base64 at character 5`},
		{`time_format("%Y%Q")`, `time_format: unknown directive "%Q" in "%Y%Q"`},
		{`time_format("100%")`, `time_format: format "100%" ends with a lone %`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := eval(tt.src)
			require.ErrorContains(t, err, tt.want, "got value %q", got)
		})
	}
}

func TestCoreCompileErrors(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{`hex()`, "not enough arguments to call hex"},
		{`hex("a", "b")`, "too many arguments to call hex"},
		{`hex(1)`, "cannot use int as argument (type string) to call hex"},
		{`unhex()`, "not enough arguments to call unhex"},
		{`len()`, "not enough arguments to call len"},
		{`len("a", "b")`, "too many arguments to call len"},
		{`str()`, "not enough arguments to call str"},
		{`bytes(1, 2)`, "too many arguments to call bytes"},
		{`byte()`, "not enough arguments to call byte"},
		{`at_escape()`, "not enough arguments to call at_escape"},
		{`at_escape("a", "luat", "x")`, "too many arguments to call at_escape"},
		{`hmac_sha1("key")`, "not enough arguments to call hmac_sha1"},
		{`hmac_sha256("k", "m", "x")`, "too many arguments to call hmac_sha256"},
		{`hmac_md5("k")`, "not enough arguments to call hmac_md5"},
		{`sha256()`, "not enough arguments to call sha256"},
		{`base64("a", "b")`, "too many arguments to call base64"},
		{`unbase64()`, "not enough arguments to call unbase64"},
		{`file()`, "not enough arguments to call file"},
		{`now(1)`, "too many arguments to call now"},
		{`unix(1)`, "too many arguments to call unix"},
		{`unix_ms(1)`, "too many arguments to call unix_ms"},
		{`time_format()`, "not enough arguments to call time_format"},
		{`time_format("%Y", 1, 2)`, "too many arguments to call time_format"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := expr.Compile(tt.src, ExprOptions()...)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// The table feeds `atrun help builtins`: every entry must be complete and
// its signature must name the function it documents.
func TestCoreTable(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range coreFuncs() {
		require.False(t, seen[f.Name], "duplicate %q", f.Name)
		seen[f.Name] = true
		require.True(t, strings.HasPrefix(f.Signature, f.Name+"("), "signature %q of %q", f.Signature, f.Name)
		require.NotEmpty(t, f.Doc, f.Name)
		require.NotContains(t, f.Doc, "\n", f.Name)
		require.NotEmpty(t, f.Types, f.Name)
		require.NotNil(t, f.Fn, f.Name)
	}
	for _, name := range []string{"hex", "unhex", "len", "str", "bytes", "byte", "at_escape",
		"hmac_md5", "hmac_sha1", "hmac_sha256", "sha256", "base64", "unbase64", "file",
		"now", "unix", "unix_ms", "time_format"} {
		require.True(t, seen[name], "missing %q", name)
	}
}

func BenchmarkHex(b *testing.B) {
	prog, err := expr.Compile(`hex(unhex("101000044D5154540402003C000464657631"))`, ExprOptions()...)
	require.NoError(b, err)
	for b.Loop() {
		if _, err := expr.Run(prog, nil); err != nil {
			b.Fatal(err)
		}
	}
}
