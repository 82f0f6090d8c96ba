package scripts

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/runtime/replay"
	"github.com/atrun/atrun/sim"
	simbroker "github.com/atrun/atrun/sim/broker"
)

var update = flag.Bool("update", false, "record the shipped flows' sessions again (testdata/recordings)")

// recorded are the shipped flows whose sessions, recorded against the
// virtual modems, ship in testdata/recordings; QA replays them after
// editing a flow (atrun replay SCRIPT RECORDING).
var recorded = []struct {
	vendor, script string
	params         map[string]string
}{
	{"sim7000", "sim7000/info.at", nil},
	{"sim7000", "sim7000/publish.at", map[string]string{"topic": "atrun/replay", "qos": "1"}},
	{"sara-r4", "sara-r4/info.at", nil},
	{"sara-r4", "sara-r4/publish.at", map[string]string{"topic": "atrun/replay", "qos": "1"}},
	{"bc26", "bc26/info.at", nil},
	{"bc26", "bc26/publish.at", map[string]string{"topic": "atrun/replay", "qos": "1"}},
	{"ec20", "ec20/info.at", nil},
	{"ec20", "ec20/publish.at", map[string]string{"topic": "atrun/replay", "qos": "1"}},
	{"sim8200", "sim8200/info.at", nil},
	{"sim8200", "sim8200/publish.at", map[string]string{"topic": "atrun/replay", "qos": "1"}},
	{"esp8266", "esp8266/info.at", nil},
	{"esp8266", "esp8266/publish.at", map[string]string{"topic": "atrun/replay", "qos": "1", "ssid": "lab", "psk": "secret123"}},
	{"air780", "air780/info.at", nil},
	{"air780", "air780/publish.at", map[string]string{"topic": "atrun/replay", "qos": "1"}},
}

func recordingPath(script string) string {
	name := strings.TrimSuffix(strings.ReplaceAll(script, "/", "-"), ".at") + ".rec"
	return filepath.Join("testdata", "recordings", name)
}

// TestReplayRecordings replays every shipped recording: each flow must
// still send exactly what it sent when the session was recorded.
func TestReplayRecordings(t *testing.T) {
	for _, rc := range recorded {
		t.Run(rc.script, func(t *testing.T) {
			path := recordingPath(rc.script)
			prog, err := runtime.Load(rc.script, nil)
			require.NoError(t, err)
			if *update {
				record(t, rc.vendor, prog, rc.params, path)
			}
			f, err := os.Open(path)
			require.NoError(t, err, "record it with: go test ./scripts -run TestReplayRecordings -update")
			rec, err := replay.Load(f)
			f.Close()
			require.NoError(t, err)
			// The header holds the params, secrets masked, so that
			// atrun replay needs no -D.
			values, masked, err := rec.Params()
			require.NoError(t, err)
			for k, v := range rc.params {
				if secret(prog, k) {
					require.Contains(t, masked, k, "secret param %s", k)
					require.NotContains(t, values, k)
				} else {
					require.Equal(t, v, values[k], "param %s in the header", k)
				}
			}
			require.Equal(t, len(rc.params), len(values)+len(masked), "params in the header: %v, masked %v", values, masked)
			player := replay.NewPlayer(rec, replay.PlayerOptions{})
			defer player.Close()
			res := prog.Run(context.Background(), player, runtime.Options{Params: rc.params})
			require.NoError(t, res.Err)
			if line, n := player.Unsent(); n > 0 {
				t.Errorf("the flow stopped before the recording did (recording line %d)", line)
			}
		})
	}
}

func record(t *testing.T, vendor string, prog *runtime.Program, params map[string]string, path string) {
	t.Helper()
	b, err := simbroker.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := sim.Pipe(ctx, vendor, sim.Options{Broker: b.Addr()})
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	out, err := os.Create(path)
	require.NoError(t, err)
	defer out.Close()
	meta := append([]replay.Meta{{Key: "script", Value: "scripts/" + prog.File.Path}, {Key: "modem", Value: "virtual " + vendor}},
		replay.ParamMeta(params, func(name string) bool { return secret(prog, name) })...)
	rec, err := replay.NewRecorder(conn, out, meta...)
	require.NoError(t, err)
	res := prog.Run(ctx, rec, runtime.Options{Params: params})
	require.NoError(t, rec.Close())
	require.NoError(t, res.Err)
}

func secret(prog *runtime.Program, name string) bool {
	p := prog.Param(name)
	return p != nil && p.Secret
}
