package scripts

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
)

func TestSIM7000Publish(t *testing.T) {
	addr := broker(t)
	big := strings.Repeat("0123456789abcdef", 100*1024/16) // 100 KiB: 71 CIPSEND writes
	cases := []struct {
		name, message string
		qos           byte
		retain        bool
	}{
		{"qos0", "hello", 0, false},
		{"qos1 utf8", utf8Payload, 1, false},
		{"qos2 binary", binaryPayload(), 2, false},
		{"qos1 retain", "kept", 1, true},
		{"qos0 100KiB", big, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "sim7000/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 2)
			r := runFlow(t, addr, flowRun{Vendor: "sim7000", Script: "sim7000/publish.at", Params: map[string]string{
				"topic": topic, "message": c.message, "qos": string('0' + c.qos), "retain": boolStr(c.retain),
				"username": "u", "password": "s3cret",
			}})
			require.NoError(t, r.Err)
			got := sub.wait(t, 1, 20*time.Second)[0]
			assert.Equal(t, topic, got.Topic)
			assert.Equal(t, []byte(c.message), got.Payload)
			assert.Equal(t, c.qos, got.QoS)
			assert.NotContains(t, r.Transcript, "s3cret", "the password is a secret")
			if c.retain {
				// A retained message reaches a subscriber that arrives later, flagged.
				late := subscribe(t, addr, topic, 1)
				m := late.wait(t, 1, 10*time.Second)[0]
				assert.True(t, m.Retain)
				assert.Equal(t, []byte(c.message), m.Payload)
			}
			assert.Equal(t, []string{"AT+CIPCLOSE", "AT+CIPSHUT"}, r.sent()[len(r.sent())-2:], "finally ran")
		})
	}
}

func TestSIM7000Subscribe(t *testing.T) {
	addr := broker(t)
	for _, qos := range []string{"0", "1", "2"} {
		t.Run("qos"+qos, func(t *testing.T) {
			topic := "sim7000/cmd/" + qos
			payloads := []string{"on", binaryPayload(), utf8Payload}
			r := runFlow(t, addr, flowRun{Vendor: "sim7000", Script: "sim7000/subscribe.at",
				Params: map[string]string{"topic": topic, "qos": qos, "count": "3", "wait": "20s"},
				OnLog: func(line string) {
					if line == "subscribed to "+topic {
						go func() {
							for _, p := range payloads {
								publish(t, addr, topic, []byte(p), 1, false)
							}
						}()
					}
				}})
			require.NoError(t, r.Err)
			assert.Equal(t, payloads, r.emitted("message"))
			assert.Equal(t, []string{topic, topic, topic}, r.emitted("topic_received"))
		})
	}
}

func TestSIM7000Info(t *testing.T) {
	r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "sim7000", Script: "sim7000/info.at",
		Sim: sim.Options{IMEI: "869056031234563", ICCID: "89860124120000000008"}})
	require.NoError(t, r.Err)
	assert.Equal(t, []string{"869056031234563"}, r.emitted("imei"))
	assert.Equal(t, []string{"89860124120000000008"}, r.emitted("iccid"))
	assert.Len(t, r.emitted("imsi"), 1)
	assert.Len(t, r.emitted("firmware"), 1)
}

func TestSIM7000PublishUnderFaults(t *testing.T) {
	addr := broker(t)
	cases := []struct {
		name string
		opts sim.Options
		// wantErr is "" when the flow must succeed, else a fragment of the
		// error it must fail with.
		wantErr string
	}{
		{"latency", sim.Options{Latency: 30 * time.Millisecond}, ""},
		{"small chunks", sim.Options{Chunk: 3, Seed: 7}, ""},
		{"injected URC", sim.Options{InjectURC: "+CEREG: 1", InjectEvery: 3}, ""},
		{"remote close", sim.Options{RemoteCloseSends: 1}, "closed the connection"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "sim7000/fault/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 1)
			r := runFlow(t, addr, flowRun{Vendor: "sim7000", Script: "sim7000/publish.at", Sim: c.opts,
				Params: map[string]string{"topic": topic, "message": "m", "qos": "1"}})
			sent := r.sent()
			require.GreaterOrEqual(t, len(sent), 2)
			assert.Equal(t, []string{"AT+CIPCLOSE", "AT+CIPSHUT"}, sent[len(sent)-2:], "finally ran")
			if c.wantErr == "" {
				require.NoError(t, r.Err)
				assert.Equal(t, []byte("m"), sub.wait(t, 1, 20*time.Second)[0].Payload)
				return
			}
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err))
		})
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
