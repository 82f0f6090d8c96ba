package quectel

import "testing"

// The +QFUPL checksum XORs the data as big-endian 16-bit words, an odd
// last byte padded with zero; these values are worked out by hand.
func TestChecksum(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint16
	}{
		{"", 0x0000},
		{"A", 0x4100},
		{"AB", 0x4142},
		{"ABC", 0x4142 ^ 0x4300},
		{"ABAB", 0x0000},
		{"\xff\x00\x0f", 0xff00 ^ 0x0f00},
	} {
		if got := checksum([]byte(c.in)); got != c.want {
			t.Errorf("checksum(%q) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}
