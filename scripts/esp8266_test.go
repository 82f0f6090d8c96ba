package scripts

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
)

// espRelease is what an ESP8266 flow that joined the AP sends last: the
// link released, then finally leaves the AP.
var espRelease = []string{"AT+MQTTCLEAN=0", "AT+CWQAP"}

func espParams(extra map[string]string) map[string]string {
	p := map[string]string{"ssid": "lab", "psk": "lab-passphrase"}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func TestESP8266Publish(t *testing.T) {
	addr := broker(t)
	long := strings.Repeat("u", 70) // over AT+MQTTUSERCFG's 64-byte user name
	cases := []struct {
		name, message string
		qos           byte
		retain        bool
		params        map[string]string
		// userCfg is the AT+MQTTUSERCFG line sent; long lists the
		// AT+MQTTLONG* commands that follow it.
		userCfg string
		long    []string
	}{
		{"qos0", "hello", 0, false, nil, `AT+MQTTUSERCFG=0,1,"atrun-esp8266","","",0,0,""`, nil},
		{"qos1 utf8", utf8Payload, 1, false, map[string]string{"username": "u", "password": "s3cret"},
			`AT+MQTTUSERCFG=0,1,"atrun-esp8266","u","***",0,0,""`, nil},
		{"qos2 binary", binaryPayload(), 2, false, nil, `AT+MQTTUSERCFG=0,1,"atrun-esp8266","","",0,0,""`, nil},
		{"qos1 retain", "kept", 1, true, nil, `AT+MQTTUSERCFG=0,1,"atrun-esp8266","","",0,0,""`, nil},
		{"qos1 476 bytes", strings.Repeat("\r\n\x00\x1a\"OK", 68), 1, false, nil, `AT+MQTTUSERCFG=0,1,"atrun-esp8266","","",0,0,""`, nil},
		// Escapes in the client id and user name; a password that would
		// need escapes goes by length, so the transcript can hide it.
		{"escaped and long credentials", "m", 1, false,
			map[string]string{"client_id": `id,"1"`, "username": `a\b`, "password": "pa,ss"},
			`AT+MQTTUSERCFG=0,1,"atrun","","",0,0,""`,
			[]string{"AT+MQTTLONGCLIENTID=0,6", "AT+MQTTLONGUSERNAME=0,3", "AT+MQTTLONGPASSWORD=0,5"}},
		{"long user name", "m", 0, false, map[string]string{"username": long, "password": "s3cret"},
			`AT+MQTTUSERCFG=0,1,"atrun","","",0,0,""`,
			[]string{"AT+MQTTLONGCLIENTID=0,13", "AT+MQTTLONGUSERNAME=0,70", "AT+MQTTLONGPASSWORD=0,6"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "esp8266/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 2)
			r := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: "esp8266/publish.at", Params: espParams(paramsWith(c.params, map[string]string{
				"topic": topic, "message": c.message, "qos": string('0' + c.qos), "retain": boolStr(c.retain),
			}))})
			require.NoError(t, r.Err)
			got := sub.wait(t, 1, 20*time.Second)[0]
			assert.Equal(t, topic, got.Topic)
			assert.Equal(t, c.message, string(got.Payload), "payload byte for byte")
			assert.Equal(t, c.qos, got.QoS)
			if c.retain {
				late := subscribe(t, addr, topic, 1)
				m := late.wait(t, 1, 10*time.Second)[0]
				assert.True(t, m.Retain)
				assert.Equal(t, []byte(c.message), m.Payload)
			}
			sent := r.sent()
			assert.Contains(t, sent, `AT+CWJAP="lab","***"`)
			assert.Contains(t, sent, "AT+MQTTCONNCFG=0,60,0,\"\",\"\",0,0")
			assert.Contains(t, sent, fmt.Sprintf(`AT+MQTTCONN=0,"%s",%s,0`, strings.Split(addr, ":")[0], strings.Split(addr, ":")[1]))
			assert.Contains(t, sent, fmt.Sprintf(`AT+MQTTPUBRAW=0,"%s",%d,%d,%d`, topic, len(c.message), c.qos, b2i(c.retain)))
			i := indexOf(sent, c.userCfg)
			require.GreaterOrEqual(t, i, 0, "sent %q", sent)
			if c.long != nil {
				assert.Equal(t, c.long, sent[i+1:i+1+len(c.long)])
			}
			for _, secret := range []string{"s3cret", "pa,ss", "lab-passphrase"} {
				assert.NotContains(t, r.Transcript, secret, "secrets stay out of the transcript")
			}
			assert.Equal(t, []string{"10.64.12.7"}, r.emitted("ip"))
			assert.Equal(t, espRelease, sent[len(sent)-2:], "released, and finally left the AP")
		})
	}
}

// The ESP8266's MQTT buffer is 512 bytes with the header: the module
// refuses a longer message, and the flow says why.
func TestESP8266PublishTooLong(t *testing.T) {
	addr := broker(t)
	r := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: "esp8266/publish.at",
		Params: espParams(map[string]string{"topic": "t", "message": strings.Repeat("x", 600)})})
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "the module refused to publish 600 bytes to t: the message is too long for the module's MQTT buffer (ERR CODE:0x010a604c)")
	assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err))
	assert.Equal(t, espRelease, r.sent()[len(r.sent())-2:], "finally released the link and left the AP")
}

// Bad input fails before a byte is sent.
func TestESP8266PublishChecks(t *testing.T) {
	cases := []struct {
		params  map[string]string
		wantErr string
	}{
		{map[string]string{"message": ""}, "ESP-AT cannot publish an empty message"},
		{map[string]string{"qos": "3"}, "qos must be 0, 1 or 2, got 3"},
		{map[string]string{"keepalive": "7201"}, "keepalive must be 0-7200 s on ESP-AT, got 7201"},
		{map[string]string{"topic": "a\nb"}, "cannot contain CR, LF or NUL on ESP-AT"},
	}
	for _, c := range cases {
		t.Run(c.wantErr, func(t *testing.T) {
			r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "esp8266", Script: "esp8266/publish.at",
				Params: espParams(paramsWith(map[string]string{"topic": "t"}, c.params))})
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Empty(t, r.sent())
		})
	}
}

func TestESP8266PublishWiFi(t *testing.T) {
	addr := broker(t)
	t.Run("wrong password", func(t *testing.T) {
		// The modelled AP refuses a WPA2 passphrase under 8 characters.
		r := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: "esp8266/publish.at",
			Params: map[string]string{"topic": "t", "ssid": "lab", "psk": "short"}})
		require.Error(t, r.Err)
		assert.Contains(t, r.Err.Error(), "cannot join the Wi-Fi AP lab: wrong password (+CWJAP:2)")
		assert.NotContains(t, r.sent(), "AT+CWQAP", "not joined: nothing to leave")
		assert.NotContains(t, r.Transcript, "short")
	})
	t.Run("no saved AP", func(t *testing.T) {
		r := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: "esp8266/publish.at",
			Params: map[string]string{"topic": "t"}})
		require.Error(t, r.Err)
		assert.Contains(t, r.Err.Error(), "the module has no saved AP to join: set ssid and psk")
	})
	t.Run("saved AP", func(t *testing.T) {
		// A module that joined its saved AP at boot: the flow uses the AP
		// and leaves it joined.
		abs, err := filepath.Abs("esp8266/publish.at")
		require.NoError(t, err)
		script := filepath.Join(t.TempDir(), "boot.at")
		require.NoError(t, os.WriteFile(script, []byte(fmt.Sprintf(`send "AT+RST" expect "OK"
expect "ready" timeout 5s
expect "WIFI GOT IP" timeout 5s
include %q
`, abs)), 0o644))
		topic := "esp8266/saved-ap"
		sub := subscribe(t, addr, topic, 1)
		r := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: script, Sim: sim.Options{Quirks: map[string]string{"autoconnect": "on"}},
			Params: map[string]string{"topic": topic, "message": "via saved AP"}})
		require.NoError(t, r.Err)
		assert.Equal(t, []byte("via saved AP"), sub.wait(t, 1, 20*time.Second)[0].Payload)
		sent := r.sent()
		assert.NotContains(t, sent, "AT+CWQAP")
		for _, s := range sent {
			assert.False(t, strings.HasPrefix(s, "AT+CWJAP="), "no join: %q", s)
		}
		assert.Contains(t, r.Logs, `the module is on the AP atrun already: using it`)
		assert.Equal(t, "AT+MQTTCLEAN=0", sent[len(sent)-1])
	})
}

func TestESP8266PublishRefused(t *testing.T) {
	locked := testbroker.Start(t, testbroker.Config("allow_anonymous false"))
	cases := []struct{ name, addr string }{
		{"connection refused", "127.0.0.1:1"},
		{"not authorized", locked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runFlow(t, c.addr, flowRun{Vendor: "esp8266", Script: "esp8266/publish.at", Params: espParams(map[string]string{"topic": "t"})})
			require.Error(t, r.Err)
			// ESP-AT does not tell a refused socket from a refused CONNECT.
			assert.Contains(t, r.Err.Error(), fmt.Sprintf("cannot connect to %s: the client could not start (connection refused or broker unreachable) (ERR CODE:0x010a600b)", c.addr))
			assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err))
			assert.Equal(t, espRelease, r.sent()[len(r.sent())-2:], "finally released the link and left the AP")
		})
	}
}

func TestESP8266Subscribe(t *testing.T) {
	addr := broker(t)
	for _, qos := range []string{"0", "1", "2"} {
		t.Run("qos"+qos, func(t *testing.T) {
			topic := "esp8266/cmd/" + qos
			payloads := []string{"on", binaryPayload(), utf8Payload}
			r := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: "esp8266/subscribe.at",
				Params: espParams(map[string]string{"topic": topic, "qos": qos, "count": "3", "wait": "20s"}),
				OnLog:  publishOnSubscribed(t, addr, topic, payloads)})
			require.NoError(t, r.Err)
			assert.Equal(t, payloads, r.emitted("message"))
			assert.Equal(t, []string{topic, topic, topic}, r.emitted("topic_received"))
			sent := r.sent()
			assert.Contains(t, sent, fmt.Sprintf(`AT+MQTTSUB=0,"%s",%s`, topic, qos))
			assert.Equal(t, append([]string{fmt.Sprintf(`AT+MQTTUNSUB=0,"%s"`, topic)}, espRelease...), sent[len(sent)-3:])
		})
	}
}

func TestESP8266SubscribeLost(t *testing.T) {
	addr := broker(t)
	r := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: "esp8266/subscribe.at",
		Sim:    sim.Options{RemoteCloseAfter: 50 * time.Millisecond},
		Params: espParams(map[string]string{"topic": "esp8266/lost", "wait": "10s"})})
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "the MQTT connection was lost: the broker closed it or the network failed (+MQTTDISCONNECTED:0)")
	assert.Equal(t, espRelease, r.sent()[len(r.sent())-2:])
}

func TestESP8266Info(t *testing.T) {
	opts := sim.Options{Firmware: "2.2.0.0(test build)", RSSI: 25, Seed: 0x0102}
	t.Run("joined", func(t *testing.T) {
		r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "esp8266", Script: "esp8266/info.at", Sim: opts,
			Params: map[string]string{"ssid": "lab", "psk": "lab-passphrase"}})
		require.NoError(t, r.Err)
		assert.Equal(t, []string{"2.2.0.0(test build)"}, r.emitted("firmware"))
		// The virtual module derives its Espressif MAC from the seed.
		assert.Equal(t, []string{"a4:cf:12:00:01:5e"}, r.emitted("mac"))
		assert.Equal(t, []string{fmt.Sprint(-113 + 2*25)}, r.emitted("rssi_dbm"))
		assert.Len(t, r.emitted("sdk"), 1)
		assert.Equal(t, "AT+CWQAP", r.sent()[len(r.sent())-1])
	})
	t.Run("not joined", func(t *testing.T) {
		r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "esp8266", Script: "esp8266/info.at", Sim: opts})
		require.NoError(t, r.Err)
		assert.Equal(t, []string{"a4:cf:12:00:01:5e"}, r.emitted("mac"))
		assert.Empty(t, r.emitted("rssi_dbm"))
		assert.Contains(t, r.Logs, "not joined to an AP: no signal to report (set ssid and psk)")
		assert.NotContains(t, r.sent(), "AT+CWQAP")
	})
}

func TestESP8266PublishUnderFaults(t *testing.T) {
	addr := broker(t)
	// A +MQTTDISCONNECTED:0 injected two lines after +MQTTCONNECTED lands
	// in the live session: count the module's lines in a clean run.
	clean := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: "esp8266/publish.at", Params: espParams(map[string]string{"topic": "esp8266/fault/clean"})})
	require.NoError(t, clean.Err)
	lostEvery := responseLines(clean.Transcript, fmt.Sprintf(`+MQTTCONNECTED:0,1,"127.0.0.1","%s","",0`, strings.Split(addr, ":")[1])) + 2
	require.Greater(t, lostEvery, 2)
	cases := []struct {
		name string
		opts sim.Options
		// wantErr is nil when the flow must succeed; otherwise it may
		// succeed or fail with one of these fragments, as timing decides.
		wantErr  []string
		mustFail bool
	}{
		{"latency", sim.Options{Latency: 30 * time.Millisecond}, nil, false},
		{"small chunks", sim.Options{Chunk: 3, Seed: 7}, nil, false},
		{"injected URC", sim.Options{InjectURC: "WIFI GOT IP", InjectEvery: 3}, nil, false},
		// The broker closes right after the publish: the message is out.
		{"remote close after publish", sim.Options{RemoteCloseSends: 1}, nil, false},
		{"remote close after 5ms", sim.Options{RemoteCloseAfter: 5 * time.Millisecond, Latency: 10 * time.Millisecond},
			[]string{"the MQTT connection was lost", "the module refused to publish"}, false},
		{"injected disconnect", sim.Options{InjectURC: "+MQTTDISCONNECTED:0", InjectEvery: lostEvery},
			[]string{"the MQTT connection was lost"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "esp8266/fault/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 1)
			r := runFlow(t, addr, flowRun{Vendor: "esp8266", Script: "esp8266/publish.at", Sim: c.opts,
				Params: espParams(map[string]string{"topic": topic, "message": "m", "qos": "1"})})
			t.Logf("outcome: %v", r.Err)
			sent := r.sent()
			require.GreaterOrEqual(t, len(sent), 2)
			assert.Equal(t, espRelease, sent[len(sent)-2:], "finally ran")
			if r.Err == nil {
				require.False(t, c.mustFail, "the flow must fail")
				assert.Equal(t, []byte("m"), sub.wait(t, 1, 20*time.Second)[0].Payload)
				return
			}
			require.NotNil(t, c.wantErr, "the flow must succeed: %v", r.Err)
			assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err), "%v", r.Err)
			assert.True(t, containsAny(r.Err.Error(), c.wantErr), "error %q; want one of %q", r.Err, c.wantErr)
		})
	}
}

// paramsWith returns a copy of a with b's entries added.
func paramsWith(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
