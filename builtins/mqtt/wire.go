package mqtt

import (
	"strings"
	"unicode/utf8"
)

// Primitive encoders. Callers grow dst to the exact size first, so these
// appends never reallocate.

func appendU16(dst []byte, v uint16) []byte { return append(dst, byte(v>>8), byte(v)) }

func appendU32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// appendVarint writes a variable byte integer (remaining length, property
// length, subscription identifier) in its minimal form.
func appendVarint(dst []byte, v int) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

func varintSize(v int) int {
	switch {
	case v < 1<<7:
		return 1
	case v < 1<<14:
		return 2
	case v < 1<<21:
		return 3
	}
	return 4
}

func appendString(dst []byte, s string) []byte {
	dst = appendU16(dst, uint16(len(s)))
	return append(dst, s...)
}

func appendBinary(dst []byte, b []byte) []byte {
	dst = appendU16(dst, uint16(len(b)))
	return append(dst, b...)
}

// readVarint decodes a variable byte integer. n == 0 with ok means b ends
// inside the integer, and v is the value of the bytes so far; !ok means it is
// malformed (more than 4 bytes, or not minimal [MQTT-1.5.5-1]).
func readVarint(b []byte) (v, n int, ok bool) {
	for i := 0; i < 4; i++ {
		if i >= len(b) {
			return v, 0, true
		}
		c := b[i]
		v |= int(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, 0, false
			}
			return v, i + 1, true
		}
	}
	return 0, 0, false
}

// checkString applies the UTF-8 string rules of section 1.5.3.
func checkString(s string) error {
	if len(s) > 65535 {
		return ErrStringTooLong
	}
	if !utf8.ValidString(s) {
		return ErrInvalidUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return ErrNullChar
	}
	return nil
}

func checkBinary(b []byte) error {
	if len(b) > 65535 {
		return ErrStringTooLong
	}
	return nil
}

// checkTopic validates a topic name (PUBLISH, will, response topic).
func checkTopic(s string) error {
	if s == "" {
		return ErrEmptyTopic
	}
	if err := checkString(s); err != nil {
		return err
	}
	if strings.ContainsAny(s, "+#") {
		return ErrWildcardTopic
	}
	return nil
}

// checkFilter validates a topic filter and returns the broken rule's detail.
func checkFilter(s string, v byte) (detail string, err error) {
	if s == "" {
		return "", ErrEmptyTopic
	}
	if err := checkString(s); err != nil {
		return "", err
	}
	rest := s
	if v == V5 && strings.HasPrefix(s, "$share/") {
		group, f, ok := strings.Cut(s[len("$share/"):], "/")
		switch {
		case group == "":
			return "shared subscription needs a share name [MQTT-4.8.2-1]", ErrBadFilter
		case strings.ContainsAny(group, "+#"):
			return "share name must not contain + or # [MQTT-4.8.2-2]", ErrBadFilter
		case !ok || f == "":
			return "shared subscription needs a topic filter after the share name", ErrBadFilter
		}
		rest = f
	}
	for {
		level, tail, more := strings.Cut(rest, "/")
		if strings.IndexByte(level, '#') >= 0 && (level != "#" || more) {
			return "# must be the last character and occupy a whole level", ErrBadFilter
		}
		if strings.IndexByte(level, '+') >= 0 && level != "+" {
			return "+ must occupy a whole level", ErrBadFilter
		}
		if !more {
			return "", nil
		}
		rest = tail
	}
}

// dec reads the body of one packet. The first error sticks; reads after it
// return zero values, so parsers can read a whole structure and check once.
type dec struct {
	b   []byte
	t   Type
	err error
}

func (d *dec) fail(field, detail string) {
	if d.err == nil {
		d.err = malformed(d.t, field, detail)
	}
}

func (d *dec) take(n int, field string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail(field, "field runs past the end of the packet (remaining length too short)")
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

func (d *dec) u8(field string) byte {
	if b := d.take(1, field); b != nil {
		return b[0]
	}
	return 0
}

func (d *dec) u16(field string) uint16 {
	if b := d.take(2, field); b != nil {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return 0
}

func (d *dec) u32(field string) uint32 {
	if b := d.take(4, field); b != nil {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return 0
}

func (d *dec) varint(field string) int {
	if d.err != nil {
		return 0
	}
	v, n, ok := readVarint(d.b)
	if !ok {
		d.fail(field, "variable byte integer longer than 4 bytes or not minimal [MQTT-1.5.5-1]")
		return 0
	}
	if n == 0 {
		d.fail(field, "field runs past the end of the packet (remaining length too short)")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// raw reads a two-byte length and that many bytes, aliasing the input.
func (d *dec) raw(field string) []byte {
	n := d.u16(field)
	return d.take(int(n), field)
}

func (d *dec) str(field string) string { return string(d.raw(field)) }

// bin returns a copy that is non-nil even when empty: presence matters for
// passwords and binary properties.
func (d *dec) bin(field string) []byte {
	b := d.raw(field)
	if d.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

func (d *dec) end() {
	if d.err == nil && len(d.b) > 0 {
		d.fail("", "bytes left over after the last field (remaining length too long)")
	}
}
