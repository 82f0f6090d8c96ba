package runtime

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Show is a value as logs, emits and records show it: strings and bytes as
// they are, numbers and booleans plainly, and lists and maps as JSON, so
// that [1, "a b"] does not print as the ambiguous [1 a b]. The text may
// hold any bytes; see TextOrHex where it must be UTF-8.
func Show(v any) string {
	switch x := v.(type) {
	case nil, string, []byte, int, int64, float64, bool:
		return toString(x)
	case uint64:
		return strconv.FormatUint(x, 10)
	case fmt.Stringer:
		return x.String()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a topic "a/<b>" stays readable
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// TextOrHex is s where the text must be UTF-8 (JSON, a database column):
// s itself when it is, else s as lowercase hex with encoding "hex", so that
// no byte a modem sent is lost to a replacement character.
func TextOrHex(s string) (text, encoding string) {
	if utf8.ValidString(s) {
		return s, ""
	}
	return hex.EncodeToString([]byte(s)), "hex"
}

// ValueText is the event's Value as JSON carries it: see TextOrHex.
func (e Event) ValueText() (text, encoding string) { return TextOrHex(e.Value) }

// EscapeInvalid is s with every byte that is not part of valid UTF-8
// written as \xHH: lines kept for a person to read (the last lines
// received) stay readable and lose no byte in JSON or a database.
func EscapeInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
