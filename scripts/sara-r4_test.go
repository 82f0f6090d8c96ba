package scripts

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
)

// saraQuirks are the firmware variants of the virtual SARA-R4 the flows
// must cope with: the default, a bare "@" prompt with HEX mode affecting
// binary writes (the flows turn HEX mode off), and the other form of an
// empty AT+USORD answer.
var saraQuirks = []struct {
	name   string
	quirks map[string]string
}{
	{"default", nil},
	{"bare prompt, hex firmware", map[string]string{"prompt": "@", "binary-hex": "hex"}},
	{"usord zero", map[string]string{"usord-empty": "zero"}},
}

func TestSARAR4Publish(t *testing.T) {
	addr := broker(t)
	big := strings.Repeat("0123456789abcdef", 100*1024/16) // 100 KiB: 100 USOWR writes
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
	for _, q := range saraQuirks {
		for _, c := range cases {
			if c.name == "qos0 100KiB" && q.quirks != nil {
				continue // one large run is enough
			}
			t.Run(q.name+"/"+c.name, func(t *testing.T) {
				t.Parallel() // the runs wait out the manual's 50 ms before each write
				topic := "sara/" + strings.ReplaceAll(q.name+"/"+c.name, " ", "-")
				sub := subscribe(t, addr, topic, 2)
				params := map[string]string{
					"topic": topic, "client_id": topic, "message": c.message, "qos": string('0' + c.qos), "retain": boolStr(c.retain),
					"username": "u", "password": "s3cret", "apn": "internet.test",
				}
				if len(c.message) > 10000 {
					params["write_pause"] = "1ms" // 100 writes at the manual's 50 ms would take 5 s
				}
				r := runFlow(t, addr, flowRun{Vendor: "sara-r4", Script: "sara-r4/publish.at", Params: params,
					Sim: sim.Options{Quirks: q.quirks}})
				require.NoError(t, r.Err)
				got := sub.wait(t, 1, 20*time.Second)[0]
				assert.Equal(t, topic, got.Topic)
				assert.Equal(t, []byte(c.message), got.Payload)
				assert.Equal(t, c.qos, got.QoS)
				assert.NotContains(t, r.Transcript, "s3cret", "the password is a secret")
				if c.retain {
					late := subscribe(t, addr, topic, 1)
					m := late.wait(t, 1, 10*time.Second)[0]
					assert.True(t, m.Retain)
					assert.Equal(t, []byte(c.message), m.Payload)
				}
				sent := r.sent()
				assert.Equal(t, []string{"AT+CFUN=0", `AT+CGDCONT=1,"IP","internet.test"`, "AT+CEREG=1", "AT+CFUN=1"},
					sent[slices.Index(sent, "AT+CGDCONT?")+1:][:4], "the APN is set with the radio off")
				writes := 2 + (publishSize(topic, c.message, c.qos)+1023)/1024 // CONNECT, PUBLISH in 1024-byte writes, DISCONNECT
				if c.qos == 2 {
					writes++ // PUBREL
				}
				assert.Equal(t, writes, countPrefix(sent, "AT+USOWR=0,"))
				assert.Equal(t, "AT+USOCL=0", sent[len(sent)-1], "the socket is closed")
			})
		}
	}
}

func TestSARAR4Subscribe(t *testing.T) {
	addr := broker(t)
	for _, q := range saraQuirks {
		for _, qos := range []string{"0", "1", "2"} {
			t.Run(q.name+"/qos"+qos, func(t *testing.T) {
				t.Parallel()
				topic := "sara/cmd/" + strings.ReplaceAll(q.name, " ", "-") + "/" + qos
				payloads := []string{"on", binaryPayload(), utf8Payload}
				r := runFlow(t, addr, flowRun{Vendor: "sara-r4", Script: "sara-r4/subscribe.at",
					Sim:    sim.Options{Quirks: q.quirks},
					Params: map[string]string{"topic": topic, "client_id": topic, "qos": qos, "count": "3", "wait": "20s"},
					OnLog: func(line string) {
						if line == "subscribed to "+topic {
							go func() {
								for _, p := range payloads {
									publish(t, addr, topic, []byte(p), 2, false)
								}
							}()
						}
					}})
				require.NoError(t, r.Err)
				assert.Equal(t, payloads, r.emitted("message"))
				assert.Equal(t, []string{topic, topic, topic}, r.emitted("topic_received"))
				sent := r.sent()
				assert.Equal(t, "AT+USOCL=0", sent[len(sent)-1], "the socket is closed")
			})
		}
	}
}

func TestSARAR4Info(t *testing.T) {
	r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "sara-r4", Script: "sara-r4/info.at",
		Sim: sim.Options{IMEI: "352753090000008", ICCID: "89011703278100000018", IMSI: "310410123456789",
			Firmware: "L0.0.00.00.05.08 [Apr 17 2019 19:34:02]", RSSI: 17}})
	require.NoError(t, r.Err)
	assert.Equal(t, []string{"352753090000008"}, r.emitted("imei"))
	assert.Equal(t, []string{"89011703278100000018"}, r.emitted("iccid"))
	assert.Equal(t, []string{"310410123456789"}, r.emitted("imsi"))
	assert.Equal(t, []string{"L0.0.00.00.05.08 [Apr 17 2019 19:34:02]"}, r.emitted("firmware"))
	assert.Equal(t, []string{"17"}, r.emitted("rssi"))
}

func TestSARAR4PublishUnderFaults(t *testing.T) {
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
		{"injected read URC", sim.Options{InjectURC: "+UUSORD: 0,0", InjectEvery: 4}, ""},
		{"remote close after connect", sim.Options{RemoteCloseSends: 1}, "the broker closed the connection"},
		{"remote close at once", sim.Options{RemoteCloseAfter: time.Millisecond}, "the broker closed the connection"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "sara/fault/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 1)
			r := runFlow(t, addr, flowRun{Vendor: "sara-r4", Script: "sara-r4/publish.at", Sim: c.opts,
				Params: map[string]string{"topic": topic, "message": "m", "qos": "1"}})
			sent := r.sent()
			require.NotEmpty(t, sent)
			assert.Equal(t, "AT+USOCL=0", sent[len(sent)-1], "the socket is closed")
			if c.wantErr == "" {
				require.NoError(t, r.Err)
				assert.Equal(t, []byte("m"), sub.wait(t, 1, 20*time.Second)[0].Payload)
				return
			}
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err))
			assert.Equal(t, 1, countPrefix(sent, "AT+USOCL=0"), "only finally closed the socket")
		})
	}
}

// TestSARAR4ConnectRefused: nothing listens on the port; the flow names
// the socket error that +UUSOCO reports and closes the socket.
func TestSARAR4ConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	r := runFlow(t, addr, flowRun{Vendor: "sara-r4", Script: "sara-r4/publish.at",
		Params: map[string]string{"topic": "t"}})
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "TCP connect to 127.0.0.1:"+addr[strings.LastIndex(addr, ":")+1:]+" failed: connection refused")
	sent := r.sent()
	assert.Equal(t, "AT+USOCL=0", sent[len(sent)-1], "finally closed the socket")
	assert.Zero(t, countPrefix(sent, "AT+USOWR"), "nothing was written")
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// publishSize is the length of an MQTT 3.1.1 PUBLISH packet.
func publishSize(topic, payload string, qos byte) int {
	rest := 2 + len(topic) + len(payload)
	if qos > 0 {
		rest += 2
	}
	n := 1 + rest
	for v := rest; ; v >>= 7 {
		n++
		if v < 128 {
			return n
		}
	}
}

// TestSARAR4SubscribeConnectionLost: the broker closes the socket while the
// flow waits for messages; it fails at once and closes the socket.
func TestSARAR4SubscribeConnectionLost(t *testing.T) {
	addr := broker(t)
	start := time.Now()
	r := runFlow(t, addr, flowRun{Vendor: "sara-r4", Script: "sara-r4/subscribe.at",
		Sim:    sim.Options{RemoteCloseAfter: 300 * time.Millisecond},
		Params: map[string]string{"topic": "sara/lost", "wait": "20s"}})
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "the broker closed the connection")
	assert.Less(t, time.Since(start), 10*time.Second, "the close ends the wait")
	assert.Contains(t, r.Logs, "subscribed to sara/lost", "the close came while waiting for messages")
	sent := r.sent()
	assert.Equal(t, "AT+USOCL=0", sent[len(sent)-1], "finally closed the socket")
}
