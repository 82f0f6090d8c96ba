package main

import (
	"bytes"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestStartupGCIsLooserOnlyWhileAScriptLoads(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		args    []string
		gogc    string
		loading int // the GC percent while the script loads
	}{
		{[]string{"check", "a.at"}, "", startupGCPercent},
		{[]string{"run", "a.at", "--sim", "sim7000"}, "", startupGCPercent},
		{[]string{"scripts/sim7000/publish.at"}, "", startupGCPercent},
		{[]string{"station", "a.at", "--ports", "/dev/ttyUSB*"}, "", startupGCPercent},
		{[]string{"sim", "sim7000"}, "", 73}, // serves for hours: the default
		{[]string{"lsp"}, "", 73},
		{[]string{"version"}, "", 73},
		{nil, "", 73},
		{[]string{"check", "a.at"}, "50", 73}, // the user's GOGC is theirs
	} {
		t.Setenv("GOGC", tc.gogc)
		debug.SetGCPercent(73)
		scriptLoaded = func() {}
		startupGC(tc.args)
		assert.Equal(t, tc.loading, gcPercent(), "%q GOGC=%q while loading", tc.args, tc.gogc)
		scriptLoaded()
		assert.Equal(t, 73, gcPercent(), "%q GOGC=%q once loaded", tc.args, tc.gogc)
	}
	scriptLoaded = func() {}
}

func TestRunRestoresTheGCTargetOnceTheScriptIsLoaded(t *testing.T) {
	defer func() { scriptLoaded = func() {} }()
	calls := 0
	scriptLoaded = func() { calls++ }
	dir := t.TempDir()
	script := dir + "/a.at"
	require.NoError(t, os.WriteFile(script, []byte("send \"AT\" expect \"OK\"\n"), 0o644))
	var out, errs bytes.Buffer
	// A port that is not there: the run stops after loading, at the port.
	code := run([]string{"run", script, "--port", dir + "/ttyUSB9"}, strings.NewReader(""), &out, &errs)
	assert.Equal(t, exitTransport, code, "stderr: %s", errs.String())
	assert.Equal(t, 1, calls)
}
