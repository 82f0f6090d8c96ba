package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Windows port names reach the serial layer as written: no path cleaning,
// no /dev/ prefix, no glob, and the two spellings of one port stay one
// target where the OS says they are one port.
func TestPortNamesPassThrough(t *testing.T) {
	e := &env{getenv: func(string) string { return "" }}
	f := &runFlags{ports: multi{"COM3", `\\.\COM10`, "com3"}}
	ts, err := e.targets(f, nil, nil)
	require.NoError(t, err)
	var ports []string
	for _, tt := range ts {
		ports = append(ports, tt.Port)
	}
	if filepath.Separator == '\\' {
		require.Equal(t, []string{"COM3", `\\.\COM10`}, ports)
	} else {
		require.Equal(t, []string{"COM3", `\\.\COM10`, "com3"}, ports)
	}

	// Here (not Windows) \\.\COM10 is no device, and the error names it
	// exactly as given.
	if filepath.Separator == '\\' {
		return
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "../../scripts/sim7000/info.at", "--port", `\\.\COM10`}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitTransport, code)
	assert.Contains(t, stderr.String(), `no such port \\.\COM10 (see `+"`atrun ports`)")
}
