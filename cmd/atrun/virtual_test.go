//go:build !atrun_small

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// On an OS without pseudo-terminals, atrun sim --pty says why and what to
// use instead, before it starts anything.
func TestSimPTYNeedsUnix(t *testing.T) {
	saved := havePTY
	havePTY = false
	t.Cleanup(func() { havePTY = saved })
	link := filepath.Join(t.TempDir(), "modem")
	var stdout, stderr bytes.Buffer
	code := run([]string{"sim", "sim7000", "--pty", link}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), "--pty needs a Unix pseudo-terminal")
	assert.Contains(t, stderr.String(), "atrun sim sim7000 --listen tcp://127.0.0.1:7000")
	assert.Contains(t, stderr.String(), "--port tcp://127.0.0.1:7000")
	assert.Empty(t, stdout.String(), "no embedded broker was started")
	_, err := os.Lstat(link)
	assert.True(t, os.IsNotExist(err), "no link was made")
}
