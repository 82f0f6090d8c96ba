package builtins

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxFileSize bounds file(): no modem accepts more in one transfer, and a
// typo such as file("/dev/zero") must fail instead of eating memory.
const maxFileSize = 16 << 20

// coreFuncs are the non-MQTT builtins.
//
// expr's own builtins stay available where they already behave right for
// scripts: int("18") parses a decimal string, upper, lower, trim, split,
// hasPrefix, replace, repeat. len is replaced (it counts bytes here) and so is
// now (it returns a string here, not a time.Time).
func coreFuncs() []Func {
	return []Func{
		{
			Name:      "hex",
			Signature: "hex(b bytes) string",
			Doc:       "uppercase hex of b, two digits per byte, as CIPSENDHEX and USOWR hex mode expect",
			Types:     []any{new(func(string) string)},
			Fn:        fnHex,
		},
		{
			Name:      "unhex",
			Signature: "unhex(s string) bytes",
			Doc:       "bytes from hex digits in s (either case, spaces and line breaks ignored)",
			Types:     []any{new(func(string) string)},
			Fn:        fnUnhex,
		},
		{
			Name:      "len",
			Signature: "len(x bytes|list|map) int",
			Doc:       "length of x; for strings the number of bytes, not characters (as AT+CIPSEND=<len> counts)",
			Types:     []any{new(func(any) int)},
			Fn:        fnLen,
		},
		{
			Name:      "str",
			Signature: "str(x bytes|int|float|bool) string",
			Doc:       "x as text: integral numbers without a trailing .0, true/false for booleans",
			Types:     []any{new(func(any) string)},
			Fn:        fnStr,
		},
		{
			Name:      "bytes",
			Signature: "bytes(x string|list|int) bytes",
			Doc:       "a byte string from a string, a list of ints 0..255, or one int 0..255",
			Types:     []any{new(func(any) string)},
			Fn:        fnBytes,
		},
		{
			Name:      "byte",
			Signature: "byte(n int) bytes",
			Doc:       "the single byte n (0..255), e.g. byte(0x1A) for Ctrl-Z",
			Types:     []any{new(func(any) string)},
			Fn:        fnByte,
		},
		{
			// expr's own repeat checks its budget only after building the
			// string: repeat(repeat("x", 1e5), 1e5) would take 10 GB first.
			Name:      "repeat",
			Signature: "repeat(s string, n int) string",
			Doc:       "s repeated n times (at most " + strconv.Itoa(MaxValueBytes>>20) + " MiB)",
			Types:     []any{new(func(string, int) string)},
			Fn: func(args ...any) (any, error) {
				s, n := args[0].(string), args[1].(int)
				if n < 0 {
					return nil, fmt.Errorf("repeat: count %d is negative", n)
				}
				if len(s) > 0 && n > MaxValueBytes/len(s) {
					return nil, fmt.Errorf("repeat: %d times %d bytes is over the %d MiB a value may hold", n, len(s), MaxValueBytes>>20)
				}
				return strings.Repeat(s, n), nil
			},
		},
		{
			Name:      "at_escape",
			Signature: `at_escape(s string [, style string]) string`,
			Doc:       `s escaped for use inside "..." of an AT command (no quotes added); style "quote" (default, V.250 \HH for " \ and control bytes), "luat" (\22 \5C \0D \0A only) or "esp" (\" \\ \,)`,
			Types:     []any{new(func(string) string), new(func(string, string) string)},
			Fn:        fnATEscape,
		},
		hmacFunc("hmac_md5", md5.New, "HMAC-MD5 of msg keyed by key, as lowercase hex (Aliyun signmethod=hmacmd5)"),
		hmacFunc("hmac_sha1", sha1.New, "HMAC-SHA1 of msg keyed by key, as lowercase hex (Aliyun signmethod=hmacsha1)"),
		hmacFunc("hmac_sha256", sha256.New, "HMAC-SHA256 of msg keyed by key, as lowercase hex (Huawei IoTDA, Aliyun signmethod=hmacsha256)"),
		{
			Name:      "sha256",
			Signature: "sha256(x bytes) string",
			Doc:       "SHA-256 of x as lowercase hex",
			Types:     []any{new(func(string) string)},
			Fn: func(args ...any) (any, error) {
				sum := sha256.Sum256([]byte(args[0].(string)))
				return hex.EncodeToString(sum[:]), nil
			},
		},
		{
			Name:      "base64",
			Signature: "base64(x bytes) string",
			Doc:       "standard base64 of x, with padding",
			Types:     []any{new(func(string) string)},
			Fn: func(args ...any) (any, error) {
				return base64.StdEncoding.EncodeToString([]byte(args[0].(string))), nil
			},
		},
		{
			Name:      "unbase64",
			Signature: "unbase64(s string) bytes",
			Doc:       "bytes from base64 text (standard or URL alphabet, padding optional, line breaks ignored)",
			Types:     []any{new(func(string) string)},
			Fn:        fnUnbase64,
		},
		{
			Name:      "file",
			Signature: "file(path string) bytes",
			Doc:       "contents of the file at path (relative to the working directory), at most 16 MiB",
			Types:     []any{new(func(string) string)},
			Fn:        fnFile,
		},
		{
			Name:      "now",
			Signature: "now() string",
			Doc:       "current UTC time as RFC 3339, e.g. 2026-01-02T15:04:05Z",
			Types:     []any{new(func() string)},
			Fn: func(args ...any) (any, error) {
				return time.Now().UTC().Format(time.RFC3339), nil
			},
		},
		{
			Name:      "unix",
			Signature: "unix() int",
			Doc:       "current time in seconds since 1970-01-01 UTC",
			Types:     []any{new(func() int)},
			Fn: func(args ...any) (any, error) {
				return int(time.Now().Unix()), nil
			},
		},
		{
			Name:      "unix_ms",
			Signature: "unix_ms() int",
			Doc:       "current time in milliseconds since 1970-01-01 UTC (Aliyun timestamp=)",
			// int64: milliseconds since 1970 overflow a 32-bit int (routers, Pi).
			Types: []any{new(func() int64)},
			Fn: func(args ...any) (any, error) {
				return time.Now().UnixMilli(), nil
			},
		},
		{
			Name:      "time_format",
			Signature: "time_format(format string [, unix int]) string",
			Doc:       `UTC time (now, or unix seconds) in strftime style: %Y %m %d %H %M %S %y %j %s %%; time_format("%Y%m%d%H") is the Huawei IoTDA timestamp`,
			Types:     []any{new(func(string) string), new(func(string, int) string)},
			Fn:        fnTimeFormat,
		},
	}
}

func fnHex(args ...any) (any, error) {
	return strings.ToUpper(hex.EncodeToString([]byte(args[0].(string)))), nil
}

func fnUnhex(args ...any) (any, error) {
	s := args[0].(string)
	out := make([]byte, 0, len(s)/2)
	var hi byte
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		v, ok := hexDigit(c)
		if !ok {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, fmt.Errorf("unhex: invalid hex digit %q at position %d", r, i+1)
		}
		if digits%2 == 0 {
			hi = v
		} else {
			out = append(out, hi<<4|v)
		}
		digits++
	}
	if digits%2 != 0 {
		return nil, fmt.Errorf("unhex: odd number of hex digits (%d)", digits)
	}
	return string(out), nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func fnLen(args ...any) (any, error) {
	switch x := args[0].(type) {
	case string:
		return len(x), nil
	case nil:
		return nil, fmt.Errorf("len: got nil, want bytes, list or map")
	}
	v := reflect.ValueOf(args[0])
	switch v.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return v.Len(), nil
	}
	return nil, fmt.Errorf("len: got %s, want bytes, list or map", typeName(args[0]))
}

func fnStr(args ...any) (any, error) {
	switch x := args[0].(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return formatFloat(x), nil
	case float32:
		return formatFloat(float64(x)), nil
	}
	if n, ok := asInt(args[0]); ok {
		return strconv.FormatInt(n, 10), nil
	}
	return nil, fmt.Errorf("str: got %s, want bytes, number or bool", typeName(args[0]))
}

// formatFloat prints the shortest form that round-trips, so 18.0 is "18"
// and 0.1 is "0.1", never 1e+06 style for ordinary magnitudes.
func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func fnBytes(args ...any) (any, error) {
	switch x := args[0].(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case []any:
		out := make([]byte, len(x))
		for i, e := range x {
			b, err := toByte(e)
			if err != nil {
				return nil, fmt.Errorf("bytes: element %d: %v", i, err)
			}
			out[i] = b
		}
		return string(out), nil
	case []int:
		out := make([]byte, len(x))
		for i, e := range x {
			b, err := toByte(e)
			if err != nil {
				return nil, fmt.Errorf("bytes: element %d: %v", i, err)
			}
			out[i] = b
		}
		return string(out), nil
	}
	if _, ok := asInt(args[0]); ok {
		b, err := toByte(args[0])
		if err != nil {
			return nil, fmt.Errorf("bytes: %v", err)
		}
		return string([]byte{b}), nil
	}
	return nil, fmt.Errorf("bytes: got %s, want string, list of ints or int", typeName(args[0]))
}

func fnByte(args ...any) (any, error) {
	b, err := toByte(args[0])
	if err != nil {
		return nil, fmt.Errorf("byte: %v", err)
	}
	return string([]byte{b}), nil
}

func toByte(x any) (byte, error) {
	n, ok := asInt(x)
	if !ok {
		return 0, fmt.Errorf("got %s, want int 0..255", typeName(x))
	}
	if n < 0 || n > 255 {
		return 0, fmt.Errorf("got %d, want 0..255", n)
	}
	return byte(n), nil
}

// asInt accepts every Go integer kind and integral floats (expr yields
// float64 for 2.0 and for arithmetic such as 510/2).
func asInt(x any) (int64, bool) {
	switch n := x.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		// uint64 first: on 32-bit targets the constant overflows uint.
		return int64(n), uint64(n) <= math.MaxInt64
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return int64(n), n <= math.MaxInt64
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case float32:
		f := float64(n)
		if f == math.Trunc(f) && math.Abs(f) < 1<<24 {
			return int64(f), true
		}
	}
	return 0, false
}

func typeName(x any) string {
	switch x.(type) {
	case nil:
		return "nil"
	case string:
		return "string"
	case bool:
		return "bool"
	case float32, float64:
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	if _, ok := asInt(x); ok {
		return "int"
	}
	return fmt.Sprintf("%T", x)
}

// ATEscape escapes s for use inside "..." of an AT command in one of the
// styles of at_escape: "quote", "luat" or "esp".
func ATEscape(s, style string) (string, error) {
	v, err := fnATEscape(s, style)
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func fnATEscape(args ...any) (any, error) {
	s := args[0].(string)
	style := "quote"
	if len(args) > 1 {
		style = args[1].(string)
	}
	var b strings.Builder
	b.Grow(len(s))
	switch style {
	case "quote":
		// V.250 5.4.2.2: any byte may be written as \ and two hex digits;
		// quote, backslash and control bytes must be, or they end the string
		// or the command line.
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c == '"' || c == '\\' || c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\%02X`, c)
			} else {
				b.WriteByte(c)
			}
		}
	case "luat":
		// Exactly the four escapes the Luat AT manual lists for AT+MPUB.
		for i := 0; i < len(s); i++ {
			switch c := s[i]; c {
			case '"', '\\', '\r', '\n':
				fmt.Fprintf(&b, `\%02X`, c)
			default:
				b.WriteByte(c)
			}
		}
	case "esp":
		// ESP-AT knows only \\ \" \, and cannot carry CR, LF or NUL in a
		// command; AT+MQTTPUBRAW sends such payloads unescaped.
		for i := 0; i < len(s); i++ {
			switch c := s[i]; c {
			case '"', '\\', ',':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\r', '\n', 0:
				return nil, fmt.Errorf("at_escape: esp style cannot carry byte 0x%02X at position %d (send it raw after a prompt, e.g. AT+MQTTPUBRAW)", c, i+1)
			default:
				b.WriteByte(c)
			}
		}
	default:
		return nil, fmt.Errorf("at_escape: unknown style %q (want \"quote\", \"luat\" or \"esp\")", style)
	}
	return b.String(), nil
}

func hmacFunc(name string, h func() hash.Hash, doc string) Func {
	return Func{
		Name:      name,
		Signature: name + "(key bytes, msg bytes) string",
		Doc:       doc,
		Types:     []any{new(func(string, string) string)},
		Fn: func(args ...any) (any, error) {
			m := hmac.New(h, []byte(args[0].(string)))
			m.Write([]byte(args[1].(string)))
			return hex.EncodeToString(m.Sum(nil)), nil
		},
	}
}

func fnUnbase64(args ...any) (any, error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, args[0].(string))
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	out, err := enc.DecodeString(s)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("unbase64: invalid base64 at character %d (spaces and line breaks not counted)", int64(ce)+1)
		}
		return nil, fmt.Errorf("unbase64: %v", err)
	}
	return string(out), nil
}

func fnFile(args ...any) (any, error) {
	path := args[0].(string)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("file %q: %v", path, unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("file %q: %v", path, unwrapPath(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("file %q: is a directory", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("file %q: %v", path, unwrapPath(err))
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file %q: larger than %d MiB", path, maxFileSize>>20)
	}
	return string(data), nil
}

// unwrapPath drops the "open <path>: " prefix that *PathError repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func fnTimeFormat(args ...any) (any, error) {
	layout := args[0].(string)
	t := time.Now().UTC()
	if len(args) > 1 {
		sec, ok := asInt(args[1])
		if !ok {
			return nil, fmt.Errorf("time_format: got %s for unix seconds, want int", typeName(args[1]))
		}
		t = time.Unix(sec, 0).UTC()
	}
	return strftime(layout, t)
}

// strftime implements the directives a cloud recipe needs; an unknown one
// is an error rather than passed through, so typos show up at once.
func strftime(layout string, t time.Time) (string, error) {
	var b strings.Builder
	for i := 0; i < len(layout); i++ {
		c := layout[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(layout) {
			return "", fmt.Errorf("time_format: format %q ends with a lone %%", layout)
		}
		i++
		switch layout[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 's':
			fmt.Fprintf(&b, "%d", t.Unix())
		case '%':
			b.WriteByte('%')
		default:
			r, _ := utf8.DecodeRuneInString(layout[i:])
			return "", fmt.Errorf("time_format: unknown directive %q in %q (want %%Y %%m %%d %%H %%M %%S %%y %%j %%s or %%%%)", "%"+string(r), layout)
		}
	}
	return b.String(), nil
}
