package station

import "testing"

// Record and transcript names from any port name, on any OS.
func TestExpandPortNames(t *testing.T) {
	tests := []struct{ port, want string }{
		{"/dev/ttyUSB2", "rec-ttyUSB2-3.txt"},
		{"/dev/serial/by-id/usb-SimTech-if02", "rec-usb-SimTech-if02-3.txt"},
		{"COM3", "rec-COM3-3.txt"},
		{`\\.\COM10`, "rec-COM10-3.txt"},
		{"tcp://10.0.0.5:7000", "rec-10.0.0.5_7000-3.txt"},
		{"sim:sim7000", "rec-sim_sim7000-3.txt"},
	}
	for _, tt := range tests {
		if got := expand("rec-{port}-{run}.txt", tt.port, 3); got != tt.want {
			t.Errorf("expand(%q) = %q, want %q", tt.port, got, tt.want)
		}
	}
}
