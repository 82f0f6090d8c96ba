//go:build unix

package lang

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadRefusesWhatIsNotAScript: devices, FIFOs and directories are
// never read (/dev/zero never ends, a FIFO blocks), and sizes are bounded.
func TestLoadRefusesWhatIsNotAScript(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.at")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	big := filepath.Join(dir, "big.at")
	require.NoError(t, os.WriteFile(big, []byte(strings.Repeat("log 1\n", MaxScriptBytes/6+1)), 0o644))
	var parts []string
	for i := range 5 { // each under the bound, together over MaxTotalBytes
		name := filepath.Join(dir, "part"+string(rune('a'+i))+".at")
		require.NoError(t, os.WriteFile(name, []byte(strings.Repeat("# padding\n", (MaxScriptBytes-100)/10)), 0o644))
		parts = append(parts, "include "+`"`+filepath.Base(name)+`"`)
	}
	for _, tc := range []struct{ src, want string }{
		{`include "/dev/zero"`, `main.at:1:9: include "/dev/zero": a device, not a script file`},
		{`include "fifo.at"`, `main.at:1:9: include "fifo.at": a FIFO, not a script file`},
		{`include "."`, `main.at:1:9: include ".": a directory, not a script file`},
		{`include "big.at"`, `main.at:1:9: include "big.at": 1048578 bytes: a script file may have at most 1024 KiB`},
		{strings.Join(parts, "\n"), `include "parte.at": the script and its includes are over 4096 KiB`},
	} {
		main := filepath.Join(dir, "main.at")
		require.NoError(t, os.WriteFile(main, []byte(tc.src+"\n"), 0o644))
		done := make(chan error, 1)
		go func() { _, err := Load(main, nil); done <- err }()
		select {
		case err := <-done:
			require.Error(t, err)
			assert.Contains(t, strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""), tc.want)
		case <-time.After(10 * time.Second):
			t.Fatalf("Load(%q) did not return", tc.src) // a FIFO open blocks
		}
	}
}
