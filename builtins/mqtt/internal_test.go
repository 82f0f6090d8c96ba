package mqtt

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVarint(t *testing.T) {
	tests := []struct {
		v   int
		enc string
	}{
		{0, "00"},
		{1, "01"},
		{127, "7f"},
		{128, "8001"},
		{16383, "ff7f"},
		{16384, "808001"},
		{2097151, "ffff7f"},
		{2097152, "80808001"},
		{268435455, "ffffff7f"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.v), func(t *testing.T) {
			b := appendVarint(nil, tt.v)
			require.Equal(t, tt.enc, fmt.Sprintf("%x", b))
			require.Equal(t, len(b), varintSize(tt.v))
			v, n, ok := readVarint(append(b, 0xAA))
			require.True(t, ok)
			require.Equal(t, tt.v, v)
			require.Equal(t, len(b), n)
			// Every proper prefix is incomplete, not wrong.
			for i := range len(b) {
				_, n, ok := readVarint(b[:i])
				require.True(t, ok)
				require.Zero(t, n)
			}
		})
	}
	for _, bad := range []string{"8000", "ff8000", "ffffff8001", "ffffffff7f", "80808080"} {
		var b []byte
		fmt.Sscanf(bad, "%x", &b)
		_, _, ok := readVarint(b)
		require.False(t, ok, bad)
	}
}

// The largest packet is measured without being written: the payload is
// never touched, so the OS never backs its 256 MB with memory.
func TestMaxRemainingLength(t *testing.T) {
	payload := make([]byte, MaxRemainingLength-2) // topic "t" takes 3 bytes
	p := &Publish{Topic: "t", Payload: payload[:MaxRemainingLength-3]}
	l, err := p.check(V311)
	require.NoError(t, err)
	require.Equal(t, MaxRemainingLength, l.rem)
	require.Equal(t, []byte{0xff, 0xff, 0xff, 0x7f}, appendVarint(nil, l.rem))

	p.Payload = payload
	dst := []byte("keep")
	out, err := AppendPacket(dst, p, V311)
	require.ErrorIs(t, err, ErrTooLarge)
	require.EqualError(t, err, "PUBLISH: packet exceeds the maximum packet size: remaining length 268435456 over the protocol limit 268435455")
	require.Equal(t, "keep", string(out))
	require.True(t, errors.As(err, new(*Error)))
}
