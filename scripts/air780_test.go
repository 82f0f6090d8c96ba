package scripts

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/internal/simtesting"
	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/air780"
)

// air780Release is what an Air780 flow sends last after a session: the
// disconnect and the close of the link.
var air780Release = []string{"AT+MDISCONNECT", "AT+MIPCLOSE"}

func TestAir780Publish(t *testing.T) {
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
		{"qos1 4100 bytes", strings.Repeat("\x1a\r\nOK\r\n\"\\", 410), 1, false, nil},
		{"empty", "", 1, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "air780/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 2)
			r := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/publish.at", Params: paramsWith(c.params, map[string]string{
				"topic": topic, "message": c.message, "qos": string('0' + c.qos), "retain": boolStr(c.retain),
			})})
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
			if c.message == "" {
				assert.Contains(t, sent, fmt.Sprintf(`AT+MPUB="%s",%d,%d,""`, topic, c.qos, b2i(c.retain)))
			} else {
				assert.Contains(t, sent, fmt.Sprintf(`AT+MPUBEX="%s",%d,%d,%d`, topic, c.qos, b2i(c.retain), len(c.message)))
			}
			if c.params["username"] != "" {
				assert.Contains(t, sent, `AT+MCONFIG="atrun-air780","u","***"`)
				assert.NotContains(t, r.Transcript, "s3cret", "the password is a secret")
			} else {
				assert.Contains(t, sent, `AT+MCONFIG="atrun-air780","",""`)
			}
			host, port, _ := strings.Cut(addr, ":")
			assert.Contains(t, sent, fmt.Sprintf(`AT+MIPSTART="%s",%s`, host, port))
			assert.Contains(t, sent, "AT+MCONNECT=1,60")
			assert.Equal(t, air780Release, sent[len(sent)-2:], "disconnected and closed")
		})
	}
}

// Bad input fails before a byte is sent.
func TestAir780PublishChecks(t *testing.T) {
	cases := []struct {
		script  string
		params  map[string]string
		wantErr string
	}{
		{"publish.at", map[string]string{"message": strings.Repeat("x", 4101)}, "at most 4100 bytes per message, the message has 4101"},
		{"publish.at", map[string]string{"qos": "3"}, "qos must be 0, 1 or 2, got 3"},
		{"publish.at", map[string]string{"keepalive": "0"}, "keepalive must be 1-65535 s on the Air780, got 0"},
		{"publish.at", map[string]string{"client_id": `a"b`}, "cannot contain a double quote, CR or LF"},
		{"subscribe.at", map[string]string{"topic": strings.Repeat("t", 257)}, "the topic must have 1-256 bytes on the Air780, it has 257"},
		{"publish-tls.at", map[string]string{"tls_mode": "strict"}, `tls_mode must be "none", "server" or "mutual", got "strict"`},
		{"publish-tls.at", map[string]string{"tls_mode": "server"}, "tls_mode server needs ca_file"},
		{"publish-tls.at", map[string]string{"tls_mode": "mutual", "ca_file": "harness_test.go"}, "tls_mode mutual needs client_cert and client_key"},
	}
	for _, c := range cases {
		t.Run(c.wantErr, func(t *testing.T) {
			r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "air780", Script: "air780/" + c.script, Params: paramsWith(map[string]string{"topic": "t"}, c.params)})
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Empty(t, r.sent())
		})
	}
}

func TestAir780PublishRefused(t *testing.T) {
	locked := testbroker.Start(t, testbroker.Config("allow_anonymous false"))
	cases := []struct {
		name, addr, wantErr string
		wantTail            []string
	}{
		{"connection refused", "127.0.0.1:1", "cannot connect to 127.0.0.1:1 (STATE: TCP CLOSED)", []string{`AT+MIPSTART="127.0.0.1",1`}},
		// The module shows no CONNACK code: ERROR, then CLOSED.
		{"not authorized", locked, "the broker refused the MQTT connection (client id, user name or password?)", []string{"AT+MCONNECT=1,60", "AT+MIPCLOSE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runFlow(t, c.addr, flowRun{Vendor: "air780", Script: "air780/publish.at", Params: map[string]string{"topic": "t"}})
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), c.wantErr)
			assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err))
			sent := r.sent()
			assert.Equal(t, c.wantTail, sent[len(sent)-len(c.wantTail):])
			assert.NotContains(t, sent, "AT+MDISCONNECT", "no session to end")
		})
	}
}

// The broker closes the session right after acknowledging the message;
// each "loss" quirk of the virtual module reports it its own way. The
// message is out, so the flow succeeds and closes what is left. (Latency
// gives the loss time to show before the flow ends the session itself;
// either order must end well.)
func TestAir780PublishLossAfterConfirmation(t *testing.T) {
	addr := broker(t)
	cases := []struct{ loss, urc string }{
		{air780.LossClosed, "CLOSED"},
		{air780.LossPDPManual, "+PDP DEACT"},
		{air780.LossPDPGuide, "+CGEV: NW PDN DEACT 1"},
	}
	for _, c := range cases {
		t.Run(c.loss, func(t *testing.T) {
			t.Parallel() // each waits out the latency
			topic := "air780/loss/" + c.loss
			sub := subscribe(t, addr, topic, 1)
			r := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/publish.at",
				Sim:    sim.Options{RemoteCloseSends: 1, Latency: 20 * time.Millisecond, Quirks: quirk(air780.QuirkLoss, c.loss)},
				Params: map[string]string{"topic": topic, "message": "m", "qos": "1", "client_id": "loss-" + c.loss}})
			require.NoError(t, r.Err)
			assert.Equal(t, []byte("m"), sub.wait(t, 1, 20*time.Second)[0].Payload)
			sent := r.sent()
			assert.Equal(t, "AT+MIPCLOSE", sent[len(sent)-1], "the link closed")
			assert.Equal(t, 1, countOf(sent, "AT+MIPCLOSE"))
			if !strings.Contains(r.Transcript, fmt.Sprintf("RX %q", "\r\n"+c.urc+"\r\n")) {
				t.Logf("the flow ended the session before the loss showed")
				return
			}
			// The far end closes after the confirmed publish, before or
			// after MDISCONNECT goes out (a race the host cannot win): either
			// way the handler reports the loss and the session ends cleanly.
			assert.Contains(t, r.Logs, "the link was lost ("+c.urc+")")
		})
	}
}

// A loss reported while the flow waits for the message's confirmation:
// each URC spelling is injected after CONNACK OK, and the flow recovers
// (the guide's MIPCLOSE; after +PDP DEACT also the manual's CIPSHUT and
// context activation), connects again and publishes.
func TestAir780PublishRecovers(t *testing.T) {
	addr := broker(t)
	clean := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/publish.at", Params: map[string]string{"topic": "air780/recover/clean", "qos": "1"}})
	require.NoError(t, clean.Err)
	every := responseLines(clean.Transcript, "CONNACK OK") + 1 // the OK after the message
	require.Greater(t, every, 1)
	cases := []struct {
		urc      string
		recovery []string
	}{
		{"CLOSED", []string{"AT+MIPCLOSE"}},
		{"+PDP DEACT", []string{"AT+MIPCLOSE", "AT+CIPSHUT", `AT+CGDCONT=5,"IP",""`, "AT+CGACT=1,5"}},
		{"+CGEV: NW PDN DEACT 1", []string{"AT+MIPCLOSE"}},
	}
	for _, c := range cases {
		t.Run(c.urc, func(t *testing.T) {
			topic := "air780/recover/" + strings.NewReplacer(" ", "-", ":", "", "+", "").Replace(c.urc)
			sub := subscribe(t, addr, topic, 1)
			r := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/publish.at",
				Sim:    sim.Options{InjectURC: c.urc, InjectEvery: every},
				Params: map[string]string{"topic": topic, "message": "m", "qos": "1"}})
			require.NoError(t, r.Err)
			// At least once: the first copy was sent before the loss showed.
			assert.Equal(t, []byte("m"), sub.wait(t, 1, 20*time.Second)[0].Payload)
			assert.Contains(t, r.Logs, "reconnecting after "+c.urc+" (1 of 2)")
			sent := r.sent()
			pub := fmt.Sprintf(`AT+MPUBEX="%s",1,0,1`, topic)
			i := indexOf(sent, pub)
			require.GreaterOrEqual(t, i, 0)
			want := append(append([]string{pub}, c.recovery...), `AT+MCONFIG="atrun-air780","",""`)
			assert.Equal(t, want, sent[i:i+len(want)])
			assert.Equal(t, 2, countOf(sent, pub), "published again")
			assert.Equal(t, air780Release, sent[len(sent)-2:])
		})
	}
}

// A bearer the network deactivated before the run (+PDP DEACT, the
// manual's spelling: it stays down) makes MIPSTART fail with STATE: PDP
// DEACT; the flow brings it back as the manual says and publishes.
func TestAir780PublishReactivatesBearer(t *testing.T) {
	addr := broker(t)
	host, port, _ := strings.Cut(addr, ":")
	abs, err := filepath.Abs("air780/publish.at")
	require.NoError(t, err)
	// (The +PDP DEACT goes to publish.at's handler or to no step, as it
	// comes: the earlier session waits for MQTTSTATU to say offline.)
	script := filepath.Join(t.TempDir(), "deact.at")
	require.NoError(t, os.WriteFile(script, []byte(fmt.Sprintf(`# An earlier session whose bearer the network took down.
send "ATE0" expect "OK"
send "AT+MCONFIG=\"earlier\"" expect "OK"
send `+"`"+`AT+MIPSTART="%s",%s`+"`"+` expect "OK"
expect "CONNECT OK"
send "AT+MCONNECT=1,60" expect "OK"
expect "CONNACK OK"
send "AT+MPUB=\"air780/earlier\",1,0,\"x\"" expect "OK"
expect "PUBACK"
retry 50 every 20ms {
  send "AT+MQTTSTATU" expect {
    "+MQTTSTATU :0"         => ok
    /^\+MQTTSTATU :\d+$/ => retry
  }
}
include %q
`, host, port, abs)), 0o644))
	topic := "air780/reactivated"
	sub := subscribe(t, addr, topic, 1)
	r := runFlow(t, addr, flowRun{Vendor: "air780", Script: script,
		Sim:    sim.Options{RemoteCloseSends: 1, Quirks: map[string]string{air780.QuirkLoss: air780.LossPDPManual}},
		Params: map[string]string{"topic": topic, "message": "after recovery", "qos": "1", "apn": "cmnet"}})
	require.NoError(t, r.Err)
	assert.Equal(t, []byte("after recovery"), sub.wait(t, 1, 20*time.Second)[0].Payload)
	sent := r.sent()
	start := fmt.Sprintf(`AT+MIPSTART="%s",%s`, host, port)
	i := indexOf(sent[1:], `AT+MCONFIG="atrun-air780","",""`) + 1
	require.Greater(t, i, 0)
	want := []string{
		`AT+MCONFIG="atrun-air780","",""`,
		start, "AT+MIPCLOSE", // ALREADY CONNECT: the virtual module keeps the dead link
		start, // STATE: PDP DEACT, CONNECT FAIL
		"AT+MIPCLOSE", "AT+CIPSHUT", `AT+CGDCONT=5,"IP","cmnet"`, "AT+CGACT=1,5",
		`AT+MCONFIG="atrun-air780","",""`, start, "AT+MCONNECT=1,60",
	}
	assert.Equal(t, want, sent[i:i+len(want)])
	assert.Contains(t, r.Logs, "reconnecting after +PDP DEACT (1 of 2)")
	assert.Contains(t, r.Logs, "the bearer is down: activating PDP context 5 again")
}

func TestAir780Subscribe(t *testing.T) {
	addr := broker(t)
	text := []string{"on", "21.5", utf8Payload}
	binary := []string{"on", binaryPayload(), utf8Payload}
	cases := []struct {
		name, qos string
		cache     bool
		getTopic  string // the msgget-topic quirk
		payloads  []string
	}{
		{"push qos0", "0", false, "", binary},
		{"push qos1", "1", false, "", binary},
		{"push qos2", "2", false, "", binary},
		// MQTTMSGGET with the topic quoted (the guide) is read by length.
		{"cache quoted qos1", "1", true, "quoted", binary},
		// The manual's bare form carries text without line breaks.
		{"cache bare qos2", "2", true, "bare", text},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "air780/cmd/" + strings.ReplaceAll(c.name, " ", "-")
			r := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/subscribe.at",
				Sim: sim.Options{Quirks: quirk(air780.QuirkMsgGetTopic, c.getTopic)},
				Params: map[string]string{"topic": topic, "qos": c.qos, "count": "3", "wait": "20s",
					"cache": boolStr(c.cache)},
				OnLog: publishOnSubscribed(t, addr, topic, c.payloads)})
			require.NoError(t, r.Err)
			assert.Equal(t, c.payloads, r.emitted("message"))
			assert.Equal(t, []string{topic, topic, topic}, r.emitted("topic_received"))
			sent := r.sent()
			assert.Contains(t, sent, fmt.Sprintf(`AT+MSUB="%s",%s`, topic, c.qos))
			tail := append([]string{fmt.Sprintf(`AT+MUNSUB="%s"`, topic)}, air780Release...)
			if c.cache {
				assert.Contains(t, sent, "AT+MQTTMSGSET=1")
				assert.Contains(t, sent, "AT+MQTTMSGGET")
				tail = append(tail, "AT+MQTTMSGSET=0")
			} else {
				assert.NotContains(t, sent, "AT+MQTTMSGGET")
			}
			assert.Equal(t, tail, sent[len(sent)-len(tail):])
		})
	}
}

// A cached payload with line breaks, printed with a bare topic, is read
// by its byte count like the quoted form.
func TestAir780SubscribeCacheBareLineBreak(t *testing.T) {
	addr := broker(t)
	topic := "air780/cmd/bare-crlf"
	payload := "{\r\n  \"msg\": \"hello\"\r\n}" // the guide's example
	r := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/subscribe.at",
		Params: map[string]string{"topic": topic, "count": "1", "wait": "20s", "cache": "true"},
		OnLog:  publishOnSubscribed(t, addr, topic, []string{payload})})
	require.NoError(t, r.Err)
	assert.Equal(t, []string{payload}, r.emitted("message"))
	sent := r.sent()
	assert.Equal(t, append(air780Release, "AT+MQTTMSGSET=0"), sent[len(sent)-3:], "finally ran")
}

// The broker drops the session while the flow waits for messages; for
// each "loss" quirk the flow recovers as the guide or the manual says,
// subscribes again and receives what is published after that.
func TestAir780SubscribeRecovers(t *testing.T) {
	addr := broker(t)
	cases := []struct {
		loss, urc string
		recovery  []string // the commands between the loss and the next MCONFIG
	}{
		{air780.LossClosed, "CLOSED", []string{"AT+MIPCLOSE"}},
		{air780.LossPDPManual, "+PDP DEACT", []string{"AT+MIPCLOSE", "AT+CIPSHUT", `AT+CGDCONT=5,"IP",""`, "AT+CGACT=1,5"}},
		{air780.LossPDPGuide, "+CGEV: NW PDN DEACT 1", []string{"AT+MIPCLOSE"}},
	}
	for _, c := range cases {
		t.Run(c.loss, func(t *testing.T) {
			t.Parallel() // each waits for its sessions to end
			topic := "air780/recover/" + c.loss
			payloads := []string{"one", binaryPayload(), "three"}
			var subscribed atomic.Int32
			r := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/subscribe.at",
				// Every session ends 400 ms after it opened.
				Sim: sim.Options{RemoteCloseAfter: 400 * time.Millisecond, Quirks: quirk(air780.QuirkLoss, c.loss)},
				// Own client ids: the parallel sessions must not take each other over.
				Params: map[string]string{"topic": topic, "qos": "1", "count": "3", "wait": "20s", "client_id": "recover-" + c.loss},
				OnLog: func(line string) {
					// Publish once the second session has subscribed.
					if line == "subscribed to "+topic && subscribed.Add(1) == 2 {
						go func() {
							for _, p := range payloads {
								publish(t, addr, topic, []byte(p), 1, false)
							}
						}()
					}
				}})
			require.NoError(t, r.Err)
			assert.Equal(t, payloads, r.emitted("message"))
			assert.EqualValues(t, 2, subscribed.Load())
			assert.Contains(t, r.Logs, "reconnecting after "+c.urc+" (1 of 2)")
			sent := r.sent()
			sub := fmt.Sprintf(`AT+MSUB="%s",1`, topic)
			i := indexOf(sent, sub)
			require.GreaterOrEqual(t, i, 0)
			assert.Equal(t, append(append([]string{sub}, c.recovery...), `AT+MCONFIG="recover-`+c.loss+`","",""`), sent[i:i+len(c.recovery)+2])
			assert.Equal(t, 2, countOf(sent, sub), "subscribed again")
		})
	}
}

// Sessions that keep dropping exhaust the reconnects: a clear failure,
// and the link is closed.
func TestAir780SubscribeGivesUp(t *testing.T) {
	addr := broker(t)
	r := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/subscribe.at",
		Sim:    sim.Options{RemoteCloseAfter: 30 * time.Millisecond},
		Params: map[string]string{"topic": "air780/gives-up", "wait": "20s", "reconnects": "1"}})
	require.Error(t, r.Err)
	assert.Contains(t, r.Err.Error(), "the link was lost 2 times (last: CLOSED): received 0 of 1 messages")
	assert.Equal(t, "AT+MIPCLOSE", r.sent()[len(r.sent())-1])
}

func TestAir780Info(t *testing.T) {
	r := runFlow(t, "127.0.0.1:1", flowRun{Vendor: "air780", Script: "air780/info.at", Sim: sim.Options{
		IMEI: "866289037465624", ICCID: "89860117831003134201", IMSI: "460011234567890", Firmware: "AirM2M_780EP_V1008_LTE_AT", RSSI: 27,
	}})
	require.NoError(t, r.Err)
	assert.Equal(t, []string{"866289037465624"}, r.emitted("imei"))
	assert.Equal(t, []string{"89860117831003134201"}, r.emitted("iccid"))
	assert.Equal(t, []string{"460011234567890"}, r.emitted("imsi"))
	assert.Equal(t, []string{"AirM2M_780EP_V1008_LTE_AT"}, r.emitted("firmware"))
	assert.Equal(t, []string{"27"}, r.emitted("rssi"))
}

func TestAir780PublishUnderFaults(t *testing.T) {
	addr := broker(t)
	cases := []struct {
		name string
		opts sim.Options
		// wantErr is nil when the flow must succeed; otherwise it may
		// succeed or fail with one of these fragments, as timing decides.
		wantErr []string
	}{
		{"latency", sim.Options{Latency: 30 * time.Millisecond}, nil},
		{"small chunks", sim.Options{Chunk: 3, Seed: 7}, nil},
		{"injected URC", sim.Options{InjectURC: "+CGEV: ME PDN ACT 1", InjectEvery: 3}, nil},
		{"remote close after publish", sim.Options{RemoteCloseSends: 1}, nil},
		// Every link ends 5 ms after it opened: the flow recovers twice,
		// then gives up, unless a session lasts long enough.
		{"remote close after 5ms", sim.Options{RemoteCloseAfter: 5 * time.Millisecond, Latency: 10 * time.Millisecond},
			[]string{"the link was lost 3 times"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "air780/fault/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, addr, topic, 1)
			r := runFlow(t, addr, flowRun{Vendor: "air780", Script: "air780/publish.at", Sim: c.opts,
				Params: map[string]string{"topic": topic, "message": "m", "qos": "1"}})
			t.Logf("outcome: %v", r.Err)
			sent := r.sent()
			require.NotEmpty(t, sent)
			assert.Equal(t, "AT+MIPCLOSE", sent[len(sent)-1], "finally closed the link")
			if r.Err == nil {
				assert.Equal(t, []byte("m"), sub.wait(t, 1, 20*time.Second)[0].Payload)
				return
			}
			require.NotNil(t, c.wantErr, "the flow must succeed: %v", r.Err)
			assert.Equal(t, runtime.KindFail, runtime.KindOf(r.Err), "%v", r.Err)
			assert.True(t, containsAny(r.Err.Error(), c.wantErr), "error %q; want one of %q", r.Err, c.wantErr)
		})
	}
}

// TestAir780PublishTLS runs the guide's three TLS modes against mosquitto
// TLS listeners (one-way and mutual), and a CA that did not sign the
// broker's certificate.
func TestAir780PublishTLS(t *testing.T) {
	p := simtesting.NewPKI(t)
	plain, oneWay, mutual := tlsTestBroker(t, p)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(f, b, 0o600))
		return f
	}
	ca, cert, key := write("ca.pem", p.CA), write("client.pem", p.ClientCert), write("client.key", p.ClientKey)
	otherCA := write("other-ca.pem", simtesting.NewPKI(t).CA)
	fsWrite := func(name string, b []byte) []string {
		return []string{fmt.Sprintf(`AT+FSCREATE="%s"`, name), fmt.Sprintf(`AT+FSWRITE="%s",0,%d,15`, name, len(b))}
	}
	cases := []struct {
		name, addr string
		params     map[string]string
		setup      []string // the commands from the first FSCREATE (or SSLCFG) to SSLMIPSTART
		wantErr    string
	}{
		{"none", oneWay, map[string]string{"tls_mode": "none"}, []string{`AT+SSLCFG="seclevel",88,0`}, ""},
		{"server", oneWay, map[string]string{"tls_mode": "server", "ca_file": ca},
			append(fsWrite("ca.crt", p.CA), `AT+SSLCFG="cacert",88,"ca.crt"`, `AT+SSLCFG="seclevel",88,1`), ""},
		{"mutual", mutual, map[string]string{"tls_mode": "mutual", "ca_file": ca, "client_cert": cert, "client_key": key},
			append(append(append(append(fsWrite("ca.crt", p.CA), `AT+SSLCFG="cacert",88,"ca.crt"`), fsWrite("client.crt", p.ClientCert)...), fsWrite("client.key", p.ClientKey)...),
				`AT+SSLCFG="clientcert",88,"client.crt"`, `AT+SSLCFG="clientkey",88,"client.key"`, `AT+SSLCFG="seclevel",88,2`), ""},
		{"wrong CA", oneWay, map[string]string{"tls_mode": "server", "ca_file": otherCA}, nil, "cannot connect to 127.0.0.1:" + portOf(oneWay) + " (STATE: TCP CLOSED)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "air780/tls/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, plain, topic, 1)
			r := runFlow(t, c.addr, flowRun{Vendor: "air780", Script: "air780/publish-tls.at",
				Params: paramsWith(c.params, map[string]string{"topic": topic, "message": "secure " + c.name, "qos": "1"})})
			sent := r.sent()
			start := fmt.Sprintf(`AT+SSLMIPSTART="127.0.0.1",%s`, portOf(c.addr))
			assert.Contains(t, sent, start)
			assert.NotContains(t, r.Transcript, "PRIVATE KEY", "the client key stays out of the transcript")
			if c.wantErr != "" {
				require.Error(t, r.Err)
				assert.Contains(t, r.Err.Error(), c.wantErr)
				assert.Equal(t, start, sent[len(sent)-1], "no link to close")
				return
			}
			require.NoError(t, r.Err)
			assert.Equal(t, []byte("secure "+c.name), sub.wait(t, 1, 20*time.Second)[0].Payload)
			first := indexOf(sent, c.setup[0])
			require.GreaterOrEqual(t, first, 0, "sent %q", sent)
			assert.Equal(t, append(c.setup, `AT+MCONFIG="atrun-air780","",""`, start), sent[first:first+len(c.setup)+2])
			assert.Equal(t, air780Release, sent[len(sent)-2:])
		})
	}
}

// The mutual TLS flow under the fault knobs: slow answers, answers in
// small pieces, stray URCs, a broker that closes after the message; each
// must end with the message carried and the link closed.
func TestAir780PublishTLSUnderFaults(t *testing.T) {
	p := simtesting.NewPKI(t)
	plain, _, mutual := tlsTestBroker(t, p)
	dir := t.TempDir()
	params := map[string]string{"tls_mode": "mutual", "qos": "1"}
	for name, b := range map[string][]byte{"ca_file": p.CA, "client_cert": p.ClientCert, "client_key": p.ClientKey} {
		f := filepath.Join(dir, name+".pem")
		require.NoError(t, os.WriteFile(f, b, 0o600))
		params[name] = f
	}
	cases := []struct {
		name string
		opts sim.Options
	}{
		{"latency", sim.Options{Latency: 10 * time.Millisecond}},
		{"small chunks", sim.Options{Chunk: 3, Seed: 3}},
		{"injected URC", sim.Options{InjectURC: "+CGEV: ME PDN ACT 1", InjectEvery: 3}},
		{"remote close after publish", sim.Options{RemoteCloseSends: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := "air780/tls-fault/" + strings.ReplaceAll(c.name, " ", "-")
			sub := subscribe(t, plain, topic, 1)
			r := runFlow(t, mutual, flowRun{Vendor: "air780", Script: "air780/publish-tls.at", Sim: c.opts,
				Params: paramsWith(params, map[string]string{"topic": topic, "message": "m"})})
			require.NoError(t, r.Err)
			assert.Equal(t, []byte("m"), sub.wait(t, 1, 20*time.Second)[0].Payload)
			sent := r.sent()
			assert.Equal(t, "AT+MIPCLOSE", sent[len(sent)-1], "the link closed")
			assert.NotContains(t, r.Transcript, "PRIVATE KEY")
		})
	}
}

// tlsTestBroker runs one mosquitto with a plain listener (for the
// independent subscriber) and two TLS listeners: oneWay asks for no
// client certificate, mutual requires one signed by the CA.
func tlsTestBroker(t *testing.T, p simtesting.PKI) (plain, oneWay, mutual string) {
	t.Helper()
	files := p.MosquittoFiles(t)
	port1, port2 := freeTestPort(t), freeTestPort(t)
	var conf []string
	conf = append(conf, "listener "+port1+" 127.0.0.1")
	conf = append(conf, files...)
	conf = append(conf, "require_certificate false", "listener "+port2+" 127.0.0.1")
	conf = append(conf, files...)
	conf = append(conf, "require_certificate true")
	plain = testbroker.Start(t, testbroker.Config(conf...))
	return plain, "127.0.0.1:" + port1, "127.0.0.1:" + port2
}

func freeTestPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func portOf(addr string) string {
	_, port, _ := strings.Cut(addr, ":")
	return port
}

// quirk returns a one-quirk map, or nil for the profile's default.
func quirk(name, value string) map[string]string {
	if value == "" {
		return nil
	}
	return map[string]string{name: value}
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
