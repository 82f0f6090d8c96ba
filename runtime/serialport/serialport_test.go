package serialport

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"go.bug.st/serial"
)

func TestConfigMode(t *testing.T) {
	tests := []struct {
		cfg  Config
		want serial.Mode
		err  string
	}{
		{Config{}, serial.Mode{BaudRate: 115200, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}, ""},
		{Config{Baud: 9600, DataBits: 7, Parity: "Even", StopBits: "2"}, serial.Mode{BaudRate: 9600, DataBits: 7, Parity: serial.EvenParity, StopBits: serial.TwoStopBits}, ""},
		{Config{Baud: 57600, DataBits: 5, Parity: "mark", StopBits: "1.5"}, serial.Mode{BaudRate: 57600, DataBits: 5, Parity: serial.MarkParity, StopBits: serial.OnePointFiveStopBits}, ""},
		{Config{Parity: "space"}, serial.Mode{BaudRate: 115200, DataBits: 8, Parity: serial.SpaceParity, StopBits: serial.OneStopBit}, ""},
		{Config{Parity: "odd", StopBits: "1"}, serial.Mode{BaudRate: 115200, DataBits: 8, Parity: serial.OddParity, StopBits: serial.OneStopBit}, ""},
		{Config{Baud: -9600}, serial.Mode{}, "invalid baud rate -9600"},
		{Config{DataBits: 4}, serial.Mode{}, "invalid data bits 4 (want 5, 6, 7 or 8)"},
		{Config{Parity: "N"}, serial.Mode{}, `invalid parity "N" (want none, odd, even, mark or space)`},
		{Config{StopBits: "0"}, serial.Mode{}, `invalid stop bits "0" (want 1, 1.5 or 2)`},
	}
	for _, tt := range tests {
		m, err := tt.cfg.mode()
		if tt.err != "" {
			require.EqualError(t, err, tt.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, *m)
	}
}

func TestMatch(t *testing.T) {
	infos := []Info{
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "1E0E", PID: "9001", Serial: "A"},
		{Name: "/dev/ttyUSB1", IsUSB: true, VID: "1E0E", PID: "9011", Serial: "B"},
		{Name: "/dev/ttyUSB2", IsUSB: true, VID: "2C7C", PID: "0125", Serial: "C"},
		{Name: "/dev/ttyS0"},
	}
	names := func(in []Info) []string {
		var out []string
		for _, i := range in {
			out = append(out, i.Name)
		}
		return out
	}
	tests := []struct {
		spec string
		want []string
		err  string
	}{
		{"1e0e:9001", []string{"/dev/ttyUSB0"}, ""},
		{"1E0E:9001", []string{"/dev/ttyUSB0"}, ""},
		{" 2c7c:0125 ", []string{"/dev/ttyUSB2"}, ""},
		{"1e0e", []string{"/dev/ttyUSB0", "/dev/ttyUSB1"}, ""},
		{"1e0e:*", []string{"/dev/ttyUSB0", "/dev/ttyUSB1"}, ""},
		{"1e0e:0000", nil, ""},
		{"ffff:ffff", nil, ""},
		{"", nil, `invalid USB id "" (want VID:PID in hex, e.g. 1e0e:9001)`},
		{"1e0e:", nil, `invalid USB id "1e0e:" (want VID:PID in hex, e.g. 1e0e:9001)`},
		{"1e0e:90011", nil, `invalid USB id "1e0e:90011" (want VID:PID in hex, e.g. 1e0e:9001)`},
		{"xyz1:0001", nil, `invalid USB id "xyz1:0001" (want VID:PID in hex, e.g. 1e0e:9001)`},
		{"+1e0:0001", nil, `invalid USB id "+1e0:0001" (want VID:PID in hex, e.g. 1e0e:9001)`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := Match(infos, tt.spec)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, names(got))
		})
	}
}

func TestNaturalOrder(t *testing.T) {
	got := []string{"/dev/ttyUSB10", "/dev/ttyACM0", "/dev/ttyUSB2", "/dev/ttyUSB1", "/dev/ttyS0", "/dev/ttyUSB02", "/dev/ttyUSB"}
	sort.Slice(got, func(i, j int) bool { return naturalLess(got[i], got[j]) })
	require.Equal(t, []string{"/dev/ttyACM0", "/dev/ttyS0", "/dev/ttyUSB", "/dev/ttyUSB1", "/dev/ttyUSB2", "/dev/ttyUSB02", "/dev/ttyUSB10"}, got)
}
