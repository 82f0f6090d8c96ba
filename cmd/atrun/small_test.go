//go:build !atrun_small

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The router build (-tags atrun_small) links neither the virtual modems
// nor the embedded broker nor what only they need.
func TestSmallBuildLeavesOutSimAndBroker(t *testing.T) {
	goCmd := goTool(t)
	out, err := exec.Command(goCmd, "list", "-deps", "-tags", "atrun_small", "github.com/atrun/atrun/cmd/atrun").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/atrun/atrun/runtime/serialport")
	for _, d := range deps {
		for _, banned := range []string{"github.com/atrun/atrun/sim", "github.com/mochi-mqtt/", "github.com/eclipse/paho", "github.com/creack/pty"} {
			assert.False(t, strings.HasPrefix(d, banned), "the router build links %s", d)
		}
	}
}

// The router build runs, checks, formats, evaluates and replays, and says
// clearly that sim and --sim are not in it.
func TestSmallBuildCommands(t *testing.T) {
	goCmd := goTool(t)
	bin := filepath.Join(t.TempDir(), "atrun-small")
	build := exec.Command(goCmd, "build", "-tags", "atrun_small", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	root := filepath.Join("..", "..")
	script := filepath.Join(root, "scripts", "sim7000", "info.at")
	atrun := func(args ...string) (code int, stdout, stderr string) {
		var o, e bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), o.String(), e.String()
		}
		require.NoError(t, err)
		return 0, o.String(), e.String()
	}

	code, stdout, _ := atrun("version")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "router build")

	code, _, stderr := atrun("sim", "sim7000", "--listen", "tcp://127.0.0.1:0")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "atrun sim: not in this build")
	assert.Contains(t, stderr, "atrun replay")

	code, _, stderr = atrun("run", script, "--sim", "sim7000")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--sim is not in this build")

	code, _, stderr = atrun("check", script)
	assert.Equal(t, 0, code, stderr)

	code, stdout, stderr = atrun("fmt", "-l", script)
	assert.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)

	code, stdout, stderr = atrun("eval", `hex(mqtt_connect("dev1", {keepalive: 60}))`)
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, "101000044D5154540402003C000464657631\n", stdout)

	code, stdout, stderr = atrun("replay", script, filepath.Join(root, "scripts", "testdata", "recordings", "sim7000-info.rec"))
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "PASS")

	code, _, stderr = atrun("run", script, "--port", "tcp://127.0.0.1:1")
	assert.Equal(t, exitTransport, code, stderr)
}

func goTool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the router binary")
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	return p
}
