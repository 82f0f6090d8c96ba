package scripts

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
)

func TestBC26Publish(t *testing.T) {
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
		{"qos0 1024 bytes", strings.Repeat("\x1a\r\n\x00", 256), 0, false, nil},
		{"apn", "via iot", 1, false, map[string]string{"apn": "iot"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "bc26/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 2)
			params := map[string]string{"topic": topic, "message": c.message, "qos": string('0' + c.qos), "retain": boolStr(c.retain)}
			for k, v := range c.params {
				params[k] = v
			}
			r := runFlow(t, addr, flowRun{Vendor: "bc26", Script: "bc26/publish.at", Params: params})
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
			assert.Contains(t, sent, fmt.Sprintf(`AT+QMTPUB=0,%d,%d,%d,"%s"`, id, c.qos, b2i(c.retain), topic))
			assert.Contains(t, sent, `AT+QMTCFG="dataformat",0,1,1`)
			// The payload went as hex digits and Ctrl-Z.
			assert.Contains(t, r.Transcript, fmt.Sprintf("TX %q", strings.ToUpper(hex.EncodeToString([]byte(c.message)))))
			if c.params["apn"] != "" {
				assert.Contains(t, sent, `AT+QCGDEFCONT="IP","iot"`)
			}
			if c.params["username"] != "" {
				assert.Contains(t, sent, `AT+QMTCONN=0,"atrun-bc26","u","***"`)
				assert.NotContains(t, r.Transcript, "s3cret", "the password is a secret")
			} else {
				assert.Contains(t, sent, `AT+QMTCONN=0,"atrun-bc26"`)
			}
			assert.Equal(t, []string{"10.64.12.7"}, r.emitted("ip"))
			assert.Equal(t, []string{"AT+QMTDISC=0", "AT+QMTCLOSE=0"}, sent[len(sent)-2:], "disconnected, and finally closed")
		})
	}
}

func TestBC26PublishRefused(t *testing.T) {
	locked := testbroker.Start(t, testbroker.Config("allow_anonymous false"))
	cases := []struct {
		name, addr, wantErr string
		wantTail            []string
	}{
		// Nothing listens on port 1: +QMTOPEN: 0,5; nothing to close.
		{"connection refused", "127.0.0.1:1", "cannot open 127.0.0.1:1: network connection error", []string{`AT+QMTOPEN=0,"127.0.0.1",1`}},
		{"not authorized", locked, "the broker refused the connection: not authorized (CONNACK return code 5)", []string{"AT+QMTCLOSE=0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runFlow(t, c.addr, flowRun{Vendor: "bc26", Script: "bc26/publish.at", Params: map[string]string{"topic": "t"}})
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
func TestBC26PublishChecks(t *testing.T) {
	cases := []struct {
		params  map[string]string
		wantErr string
	}{
		{map[string]string{"message": strings.Repeat("x", 1025)}, "at most 1024 bytes in data mode, the message has 1025"},
		{map[string]string{"qos": "3"}, "qos must be 0, 1 or 2, got 3"},
		{map[string]string{"topic": `a"b`}, "cannot contain a double quote"},
	}
	for _, c := range cases {
		t.Run(c.wantErr, func(t *testing.T) {
			params := map[string]string{"topic": "t"}
			for k, v := range c.params {
				params[k] = v
			}
			r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "bc26", Script: "bc26/publish.at", Params: params})
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Empty(t, r.sent())
		})
	}
}

func TestBC26Subscribe(t *testing.T) {
	addr := broker(t)
	for _, qos := range []string{"0", "1", "2"} {
		t.Run("qos"+qos, func(t *testing.T) {
			topic := "bc26/cmd/" + qos
			payloads := []string{"on", binaryPayload(), utf8Payload}
			r := runFlow(t, addr, flowRun{Vendor: "bc26", Script: "bc26/subscribe.at",
				Params: map[string]string{"topic": topic, "qos": qos, "count": "3", "wait": "20s"},
				OnLog:  publishOnSubscribed(t, addr, topic, payloads)})
			require.NoError(t, r.Err)
			assert.Equal(t, payloads, r.emitted("message"))
			assert.Equal(t, []string{topic, topic, topic}, r.emitted("topic_received"))
			sent := r.sent()
			assert.Contains(t, sent, fmt.Sprintf(`AT+QMTSUB=0,1,"%s",%s`, topic, qos))
			assert.Equal(t, []string{fmt.Sprintf(`AT+QMTUNS=0,2,"%s"`, topic), "AT+QMTDISC=0", "AT+QMTCLOSE=0"}, sent[len(sent)-3:])
		})
	}
}

func TestBC26Info(t *testing.T) {
	r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "bc26", Script: "bc26/info.at", Sim: sim.Options{
		IMEI: "867287030123458", ICCID: "89860425102180000001", IMSI: "460041234567890", Firmware: "BC26NBR01A12", RSSI: 17,
	}})
	require.NoError(t, r.Err)
	assert.Equal(t, []string{"867287030123458"}, r.emitted("imei"))
	assert.Equal(t, []string{"89860425102180000001"}, r.emitted("iccid"))
	assert.Equal(t, []string{"460041234567890"}, r.emitted("imsi"))
	assert.Equal(t, []string{"BC26NBR01A12"}, r.emitted("firmware"))
	assert.Equal(t, []string{"17"}, r.emitted("rssi"))
}

func TestBC26PublishUnderFaults(t *testing.T) {
	testQMTPublishUnderFaults(t, "bc26", "+IP: 10.64.12.7", []string{"AT+QMTCLOSE=0"})
}

// testQMTPublishUnderFaults runs a Quectel publish flow with each fault
// knob; release is what finally sends last once client 0 was opened.
// Shared by the BC26 and EC20 tests.
func testQMTPublishUnderFaults(t *testing.T, vendor, urc string, release []string) {
	addr := broker(t)
	// A +QMTSTAT injected right after +QMTCONN: 0,0,0 lands in the session:
	// count the modem's lines up to there in a clean run.
	clean := runFlow(t, addr, flowRun{Vendor: vendor, Script: vendor + "/publish.at", Params: map[string]string{"topic": vendor + "/fault/clean"}})
	require.NoError(t, clean.Err)
	statEvery := responseLines(clean.Transcript, "+QMTCONN: 0,0,0") + 1
	require.Greater(t, statEvery, 1)
	cases := []struct {
		name string
		opts sim.Options
		// wantErr is "" when the flow must succeed; otherwise the flow may
		// succeed or fail with one of these fragments, as timing decides.
		wantErr  []string
		mustFail bool
	}{
		{"latency", sim.Options{Latency: 30 * time.Millisecond}, nil, false},
		{"small chunks", sim.Options{Chunk: 3, Seed: 7}, nil, false},
		{"injected URC", sim.Options{InjectURC: urc, InjectEvery: 3}, nil, false},
		// The broker closes right after it acknowledged the publish: the
		// message is out; +QMTSTAT may beat +QMTPUB to the host.
		{"remote close after publish", sim.Options{RemoteCloseSends: 1}, []string{"MQTT connection lost: the broker closed the connection"}, false},
		{"remote close after 5ms", sim.Options{RemoteCloseAfter: 5 * time.Millisecond, Latency: 10 * time.Millisecond},
			[]string{"MQTT connection lost: the broker closed the connection", "network connection error"}, false},
		{"injected QMTSTAT", sim.Options{InjectURC: "+QMTSTAT: 0,1", InjectEvery: statEvery}, []string{"MQTT connection lost: the broker closed the connection (+QMTSTAT: 0,1)"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := vendor + "/fault/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 1)
			r := runFlow(t, addr, flowRun{Vendor: vendor, Script: vendor + "/publish.at", Sim: c.opts,
				Params: map[string]string{"topic": topic, "message": "m", "qos": "1"}})
			t.Logf("outcome: %v", r.Err)
			sent := r.sent()
			require.NotEmpty(t, sent)
			if strings.Contains(r.Transcript, `+QMTOPEN: 0,0`) {
				assert.Equal(t, release, sent[len(sent)-len(release):], "finally ran")
			}
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

// publishOnSubscribed publishes payloads at QoS 2 with an independent
// client once the flow logs its subscription, so each message arrives at
// the QoS the flow subscribed with.
func publishOnSubscribed(t *testing.T, addr, topic string, payloads []string) func(string) {
	return func(line string) {
		if line == "subscribed to "+topic {
			go func() {
				for _, p := range payloads {
					publish(t, addr, topic, []byte(p), 2, false)
				}
			}()
		}
	}
}

// responseLines counts the lines the modem printed (CR LF framed, echo
// and prompts aside) up to and including the first one equal to last; 0
// if last never came.
func responseLines(transcript, last string) int {
	var rx strings.Builder
	for _, line := range strings.Split(transcript, "\n") {
		if _, q, ok := strings.Cut(line, " RX "); ok {
			if s, err := strconv.Unquote(q); err == nil {
				rx.WriteString(s)
			}
		}
	}
	for i, m := range crlfLine.FindAllStringSubmatch(rx.String(), -1) {
		if m[1] == last {
			return i + 1
		}
	}
	return 0
}

var crlfLine = regexp.MustCompile("\r\n([^\r\n]+)\r\n")

func containsAny(s string, frags []string) bool {
	for _, f := range frags {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
