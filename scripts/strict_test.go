package scripts

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/sim"
)

// TestEveryFlowAgainstStrictModems runs every vendor's publish, subscribe
// and info flow against its virtual modem as strict as the hardware (a
// command typed before the previous final result is ignored, ESP-AT
// executes only CR LF lines, data typed before a prompt is lost), with
// the output cut into small chunks, an unrelated URC every third line and
// 20 ms before every answer. A flow that races the modem fails here.
func TestEveryFlowAgainstStrictModems(t *testing.T) {
	addr := broker(t)
	vendors := []struct {
		name   string
		urc    string
		params map[string]string
	}{
		{"sim7000", "+CEREG: 1", nil},
		{"sara-r4", "+CEREG: 1", nil},
		{"bc26", "+CEREG: 1", nil},
		{"ec20", "+CEREG: 1", nil},
		{"sim8200", "+CEREG: 1", nil},
		{"esp8266", "WIFI GOT IP", map[string]string{"ssid": "lab", "psk": "lab-passphrase"}},
		{"air780", "+CGEV: ME PDN ACT 1", nil},
	}
	for i, v := range vendors {
		opts := func() sim.Options {
			return sim.Options{Chunk: 5, Seed: int64(i + 1), InjectURC: v.urc, InjectEvery: 3, Latency: 20 * time.Millisecond}
		}
		params := func(extra ...string) map[string]string {
			p := map[string]string{}
			for k, val := range v.params {
				p[k] = val
			}
			for j := 0; j+1 < len(extra); j += 2 {
				p[extra[j]] = extra[j+1]
			}
			return p
		}
		t.Run(v.name+"/publish", func(t *testing.T) {
			t.Parallel()
			topic := "strict/" + v.name + "/publish"
			sub := subscribe(t, addr, topic, 1)
			r := runFlow(t, addr, flowRun{Vendor: v.name, Script: v.name + "/publish.at", Sim: opts(),
				Params: params("topic", topic, "message", "strict "+v.name, "qos", "1")})
			require.NoError(t, r.Err)
			assert.Equal(t, "strict "+v.name, string(sub.wait(t, 1, 20*time.Second)[0].Payload))
		})
		t.Run(v.name+"/subscribe", func(t *testing.T) {
			t.Parallel()
			topic := "strict/" + v.name + "/subscribe"
			r := runFlow(t, addr, flowRun{Vendor: v.name, Script: v.name + "/subscribe.at", Sim: opts(),
				Params: params("topic", topic, "qos", "1", "count", "1", "wait", "20s"),
				OnLog: func(line string) {
					if line == "subscribed to "+topic {
						go publish(t, addr, topic, []byte("to "+v.name), 1, false)
					}
				}})
			require.NoError(t, r.Err)
			assert.Equal(t, []string{"to " + v.name}, r.emitted("message"))
		})
		t.Run(v.name+"/info", func(t *testing.T) {
			t.Parallel()
			r := runFlow(t, addr, flowRun{Vendor: v.name, Script: v.name + "/info.at", Sim: opts(), Params: params()})
			require.NoError(t, r.Err)
			if v.name == "esp8266" {
				assert.Len(t, r.emitted("mac"), 1)
			} else {
				assert.Len(t, r.emitted("imei"), 1)
				assert.Len(t, r.emitted("iccid"), 1)
			}
			assert.NotContains(t, strings.Join(r.sent(), "\n"), "\n\n", "no empty command lines")
		})
	}
}
