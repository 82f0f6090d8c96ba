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

// ec20Release is what an EC20 flow sends last after a session: the
// disconnect, then finally's close and PDP deactivation.
var ec20Release = []string{"AT+QMTDISC=0", "AT+QMTCLOSE=0", "AT+QIDEACT=1"}

func TestEC20Publish(t *testing.T) {
	addr := broker(t)
	cases := []struct {
		name, message string
		qos           byte
		retain        bool
		params        map[string]string
	}{
		{"qos0", "hello", 0, false, nil},
		{"qos1 utf8", utf8Payload, 1, false, map[string]string{"username": "u", "password": "s3cret"}},
		{"qos2 binary", binaryPayload(), 2, false, nil},
		{"qos1 retain", "kept", 1, true, nil},
		{"qos1 4096 bytes", strings.Repeat("\x1a\r\nOK\r\n\"", 512), 1, false, nil},
		{"apn", "via iot", 1, false, map[string]string{"apn": "iot"}},
		{"empty", "", 1, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "ec20/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 2)
			params := map[string]string{"topic": topic, "message": c.message, "qos": string('0' + c.qos), "retain": boolStr(c.retain)}
			for k, v := range c.params {
				params[k] = v
			}
			r := runFlow(t, addr, flowRun{Vendor: "ec20", Script: "ec20/publish.at", Params: params})
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
			id := 0
			if c.qos > 0 {
				id = 1
			}
			sent := r.sent()
			if c.message == "" {
				// Nothing to count: the Ctrl-Z form.
				assert.Contains(t, sent, fmt.Sprintf(`AT+QMTPUB=0,%d,%d,%d,"%s"`, id, c.qos, b2i(c.retain), topic))
			} else {
				assert.Contains(t, sent, fmt.Sprintf(`AT+QMTPUBEX=0,%d,%d,%d,"%s",%d`, id, c.qos, b2i(c.retain), topic, len(c.message)))
			}
			apn := c.params["apn"]
			assert.Contains(t, sent, fmt.Sprintf(`AT+QICSGP=1,1,"%s","","",0`, apn))
			if c.params["username"] != "" {
				assert.Contains(t, sent, `AT+QMTCONN=0,"atrun-ec20","u","***"`)
				assert.NotContains(t, r.Transcript, "s3cret", "the password is a secret")
			} else {
				assert.Contains(t, sent, `AT+QMTCONN=0,"atrun-ec20"`)
			}
			assert.Equal(t, []string{"10.64.12.7"}, r.emitted("ip"))
			assert.Equal(t, ec20Release, sent[len(sent)-3:], "disconnected, and finally closed and deactivated")
		})
	}
}

// Firmwares without AT+QMTPUBEX answer ERROR (vendors.md 10.4): the flow
// falls back to AT+QMTPUB with a length, still binary-safe.
func TestEC20PublishWithoutQMTPUBEX(t *testing.T) {
	addr := broker(t)
	topic := "ec20/no-pubex"
	sub := subscribe(t, addr, topic, 2)
	msg := binaryPayload()
	r := runFlow(t, addr, flowRun{Vendor: "ec20", Script: "ec20/publish.at",
		Sim:    sim.Options{Quirks: map[string]string{"qmtpubex": "off"}},
		Params: map[string]string{"topic": topic, "message": msg, "qos": "1"}})
	require.NoError(t, r.Err)
	assert.Equal(t, []byte(msg), sub.wait(t, 1, 20*time.Second)[0].Payload)
	sent := r.sent()
	pubex := fmt.Sprintf(`AT+QMTPUBEX=0,1,1,0,"%s",%d`, topic, len(msg))
	pub := fmt.Sprintf(`AT+QMTPUB=0,1,1,0,"%s",%d`, topic, len(msg))
	i := indexOf(sent, pubex)
	require.GreaterOrEqual(t, i, 0, "tried AT+QMTPUBEX first")
	assert.Equal(t, pub, sent[i+1])
	assert.Contains(t, r.Logs, "this firmware has no AT+QMTPUBEX: publishing with AT+QMTPUB")
}

// A context the network already activated is used and left active; a
// client 0 left open by an earlier run (+QMTOPEN: 0,2) is closed and
// opened again.
func TestEC20PublishReusesState(t *testing.T) {
	addr := broker(t)
	abs, err := filepath.Abs("ec20/publish.at")
	require.NoError(t, err)
	host, port, _ := strings.Cut(addr, ":")
	script := filepath.Join(t.TempDir(), "prior.at")
	require.NoError(t, os.WriteFile(script, []byte(fmt.Sprintf(`# An earlier run left context 1 active and client 0 open.
send "AT+QIACT=1" expect "OK"
send %s expect "OK"
expect /^\+QMTOPEN: 0,0$/
include %q
`, "`AT+QMTOPEN=0,\""+host+"\","+port+"`", abs)), 0o644))
	topic := "ec20/reuse"
	sub := subscribe(t, addr, topic, 1)
	r := runFlow(t, addr, flowRun{Vendor: "ec20", Script: script, Params: map[string]string{"topic": topic, "message": "again"}})
	require.NoError(t, r.Err)
	assert.Equal(t, []byte("again"), sub.wait(t, 1, 20*time.Second)[0].Payload)
	sent := r.sent()
	assert.NotContains(t, sent, `AT+QICSGP=1,1,"","","",0`, "the active context is used as it is")
	assert.NotContains(t, sent, "AT+QIDEACT=1", "and left active")
	assert.Equal(t, []string{"10.64.12.7"}, r.emitted("ip"))
	open := fmt.Sprintf(`AT+QMTOPEN=0,"%s",%s`, host, port)
	i := indexOf(sent[3:], open) + 3
	require.GreaterOrEqual(t, i, 3)
	assert.Equal(t, []string{open, "AT+QMTCLOSE=0", open}, sent[i:i+3])
	assert.Contains(t, r.Logs, "PDP context 1 is already active (10.64.12.7): using it")
	assert.Contains(t, r.Logs, "MQTT client 0 was still open: closing it first")
	assert.Equal(t, []string{"AT+QMTDISC=0", "AT+QMTCLOSE=0"}, sent[len(sent)-2:])
}

func TestEC20PublishRefused(t *testing.T) {
	locked := testbroker.Start(t, testbroker.Config("allow_anonymous false"))
	cases := []struct {
		name, addr, wantErr string
		wantTail            []string
	}{
		{"connection refused", "127.0.0.1:1", "cannot open 127.0.0.1:1: network connection error", []string{`AT+QMTOPEN=0,"127.0.0.1",1`, "AT+QIDEACT=1"}},
		{"not authorized", locked, "the broker refused the connection: not authorized (CONNACK return code 5)", []string{"AT+QMTCLOSE=0", "AT+QIDEACT=1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runFlow(t, c.addr, flowRun{Vendor: "ec20", Script: "ec20/publish.at", Params: map[string]string{"topic": "t"}})
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err))
			sent := r.sent()
			assert.Equal(t, c.wantTail, sent[len(sent)-len(c.wantTail):])
			assert.NotContains(t, sent, "AT+QMTDISC=0", "no session to end")
		})
	}
}

// Bad input fails before a byte is sent.
func TestEC20PublishChecks(t *testing.T) {
	cases := []struct {
		params  map[string]string
		wantErr string
	}{
		{map[string]string{"message": strings.Repeat("x", 4097)}, "at most 4096 bytes per message, the message has 4097"},
		{map[string]string{"qos": "3"}, "qos must be 0, 1 or 2, got 3"},
		{map[string]string{"client_id": `a"b`}, "cannot contain a double quote"},
	}
	for _, c := range cases {
		t.Run(c.wantErr, func(t *testing.T) {
			params := map[string]string{"topic": "t"}
			for k, v := range c.params {
				params[k] = v
			}
			r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "ec20", Script: "ec20/publish.at", Params: params})
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Empty(t, r.sent())
		})
	}
}

func TestEC20Subscribe(t *testing.T) {
	addr := broker(t)
	for _, qos := range []string{"0", "1", "2"} {
		t.Run("qos"+qos, func(t *testing.T) {
			topic := "ec20/cmd/" + qos
			payloads := []string{"on", binaryPayload(), utf8Payload}
			r := runFlow(t, addr, flowRun{Vendor: "ec20", Script: "ec20/subscribe.at",
				Params: map[string]string{"topic": topic, "qos": qos, "count": "3", "wait": "20s"},
				OnLog:  publishOnSubscribed(t, addr, topic, payloads)})
			require.NoError(t, r.Err)
			assert.Equal(t, payloads, r.emitted("message"))
			assert.Equal(t, []string{topic, topic, topic}, r.emitted("topic_received"))
			sent := r.sent()
			assert.Contains(t, sent, `AT+QMTCFG="recv/mode",0,0,1`)
			assert.Contains(t, sent, fmt.Sprintf(`AT+QMTSUB=0,1,"%s",%s`, topic, qos))
			assert.Equal(t, append([]string{fmt.Sprintf(`AT+QMTUNS=0,2,"%s"`, topic)}, ec20Release...), sent[len(sent)-4:])
		})
	}
}

func TestEC20Info(t *testing.T) {
	r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "ec20", Script: "ec20/info.at", Sim: sim.Options{
		IMEI: "861468030123454", ICCID: "8986011234567890123", IMSI: "460011234567890", Firmware: "EC20CEFAGR06A07M4G", RSSI: 25,
	}})
	require.NoError(t, r.Err)
	assert.Equal(t, []string{"861468030123454"}, r.emitted("imei"))
	assert.Equal(t, []string{"8986011234567890123"}, r.emitted("iccid"))
	assert.Equal(t, []string{"460011234567890"}, r.emitted("imsi"))
	assert.Equal(t, []string{"EC20CEFAGR06A07M4G"}, r.emitted("firmware"))
	assert.Equal(t, []string{"25"}, r.emitted("rssi"))
}

func TestEC20PublishUnderFaults(t *testing.T) {
	testQMTPublishUnderFaults(t, "ec20", `+QIND: "csq",20,99`, []string{"AT+QMTCLOSE=0", "AT+QIDEACT=1"})
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
