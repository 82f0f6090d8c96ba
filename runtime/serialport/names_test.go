package serialport

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyWindows(t *testing.T) {
	for _, name := range []string{"COM10", "com10", `\\.\COM10`, `\\.\com10`} {
		require.Equal(t, "COM10", key(name, "windows"), name)
	}
	require.NotEqual(t, key("COM1", "windows"), key("COM10", "windows"))
	// Unix device files are case-sensitive and have no prefix to drop.
	require.Equal(t, `\\.\COM10`, key(`\\.\COM10`, "linux"))
	require.Equal(t, "/dev/ttyACM0", key("/dev/ttyACM0", "darwin"))
	require.NotEqual(t, key("/dev/ttyUSB0", "linux"), key("/dev/TTYUSB0", "linux"))
}

func TestMatchWindows(t *testing.T) {
	listed := []string{"COM10", "COM3", "COM1", "COM11", "COM2", "COM100"}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"COM*", []string{"COM1", "COM2", "COM3", "COM10", "COM11", "COM100"}},
		{"com*", []string{"COM1", "COM2", "COM3", "COM10", "COM11", "COM100"}},
		{`\\.\COM1?`, []string{"COM10", "COM11"}},
		{`\\.\COM10`, []string{"COM10"}},
		{"COM[12]", []string{"COM1", "COM2"}},
		{"COM4*", nil},
		{`C:\COM*`, nil}, // a backslash is a literal, not an escape
	}
	for _, tt := range tests {
		got, err := matchWindows(tt.pattern, listed)
		require.NoError(t, err, tt.pattern)
		require.Equal(t, tt.want, got, tt.pattern)
	}
	_, err := matchWindows("COM[", listed)
	require.Error(t, err)
}

func TestFindByAnySpelling(t *testing.T) {
	infos := []Info{{Name: "/dev/ttyUSB0", IsUSB: true, VID: "1E0E"}, {Name: "/dev/ttyS0"}}
	in, ok := Find(infos, "/dev/ttyUSB0")
	require.True(t, ok)
	require.Equal(t, "1E0E", in.VID)
	_, ok = Find(infos, "/dev/ttyUSB1")
	require.False(t, ok)
	if runtime.GOOS == "windows" {
		in, ok = Find([]Info{{Name: "COM10", VID: "2C7C"}}, `\\.\com10`)
		require.True(t, ok)
		require.Equal(t, "2C7C", in.VID)
	}
}

func TestGlobFilesNaturalOrder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows globs listed COM ports, not files (TestMatchWindows)")
	}
	dir := t.TempDir()
	for _, n := range []string{"ttyUSB10", "ttyUSB2", "ttyUSB1", "ttyACM0"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	got, err := Glob(filepath.Join(dir, "ttyUSB*"))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "ttyUSB1"), filepath.Join(dir, "ttyUSB2"), filepath.Join(dir, "ttyUSB10")}, got)
	_, err = Glob(filepath.Join(dir, "tty["))
	require.Error(t, err)
}

func TestHintsPerOS(t *testing.T) {
	require.Contains(t, busyHint("linux", false), "ModemManager")
	require.Contains(t, busyHint("linux", true), "holds a lock")
	require.Contains(t, busyHint("windows", false), "one user at a time")
	require.NotContains(t, busyHint("darwin", false), "ModemManager")
	require.Contains(t, permissionHint("linux", ""), "usermod -aG dialout")
	require.Contains(t, permissionHint("linux", "uucp"), "usermod -aG uucp")
	require.Contains(t, permissionHint("freebsd", ""), "pw groupmod dialer")
	require.NotContains(t, permissionHint("windows", ""), "usermod")
	require.Equal(t, "COM3", exampleName("windows"))
	require.Equal(t, "/dev/ttyUSB2", exampleName("linux"))
}
