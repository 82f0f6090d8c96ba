package air780_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/atrun/atrun/internal/simtesting"
	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/air780"
	"github.com/atrun/atrun/sim/simtest"
)

const ok = "\r\nOK\r\n"

// line is one framed response or URC line.
func line(s string) string { return "\r\n" + s + "\r\n" }

// modem starts an Air780 with echo turned off.
func modem(t *testing.T, opts sim.Options) *simtest.Host {
	t.Helper()
	h := simtest.Start(t, "air780", opts)
	h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + ok}})
	return h
}

func publish(t *testing.T, c paho.Client, topic string, qos byte, retain bool, payload []byte) {
	t.Helper()
	if tok := c.Publish(topic, qos, retain, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("paho publish %q: %v", topic, tok.Error())
	}
}

// connect runs the guide's connect sequence (MCONFIG, MIPSTART, MCONNECT).
func connect(t *testing.T, h *simtest.Host, id string) {
	t.Helper()
	h.Run(t, []simtest.Step{
		{Send: fmt.Sprintf(`AT+MCONFIG=%q,"user","password"`, id), Want: ok},
		{Send: `AT+MIPSTART="lbsmqtt.airm2m.com","1884"`, Want: ok + line("CONNECT OK")},
		{Send: "AT+MCONNECT=1,60", Want: ok + line("CONNACK OK")},
	})
}

// TestGuideTranscript replays vendors.md 8.2 (a) and (b) with echo on, as
// the guide's logs show: connect, subscribe, publish QoS 0/1/2, push and
// cached receive.
func TestGuideTranscript(t *testing.T) {
	b := testbroker.Start(t)
	peer := simtesting.Client(t, b, "peer")
	pub := simtesting.SubscribeOn(t, peer, "mqtt/pub_topic", 2)
	h := simtest.Start(t, "air780", sim.Options{Broker: b})
	echo := func(cmd, want string) simtest.Step { return simtest.Step{Send: cmd, Want: cmd + "\r" + want} }
	h.Run(t, []simtest.Step{
		echo("AT+CPIN?", line("+CPIN: READY")+ok),
		echo("AT+CGATT?", line("+CGATT: 1")+ok),
		echo(`AT+MCONFIG="866289037465624","user","password"`, ok),
		echo(`AT+MIPSTART="lbsmqtt.airm2m.com","1884"`, ok+line("CONNECT OK")),
		echo("AT+MCONNECT=1,60", ok+line("CONNACK OK")),
		echo(`AT+MSUB="mqtt/sub_topic",0`, ok+line("SUBACK")),
		echo(`AT+MPUB="mqtt/pub_topic",0,0,"publish 0 payload"`, ok),
	})
	for qos, want := range []string{"", line("PUBACK"), line("PUBREC") + line("PUBCOMP")} {
		if qos > 0 {
			h.Run(t, []simtest.Step{echo(fmt.Sprintf(`AT+MPUB="mqtt/pub_topic",%d,0,"publish %d payload"`, qos, qos), ok+want)})
		}
		m := simtesting.Next(t, pub)
		if m.Topic() != "mqtt/pub_topic" || string(m.Payload()) != fmt.Sprintf("publish %d payload", qos) || int(m.Qos()) != qos {
			t.Fatalf("broker carried %s %q qos %d", m.Topic(), m.Payload(), m.Qos())
		}
	}
	publish(t, peer, "mqtt/sub_topic", 0, false, []byte("123456"))
	h.Expect(t, line(`+MSUB: "mqtt/sub_topic",6 byte,123456`))
	h.Run(t, []simtest.Step{echo("AT+MQTTMSGSET=1", ok)})
	publish(t, peer, "mqtt/sub_topic", 0, false, []byte("123456"))
	h.Expect(t, line("+MSUB: 0"))
	h.Run(t, []simtest.Step{
		echo("AT+MQTTMSGGET?", "\r\n+MQTTMSGGET: 0,VALID\r\n+MQTTMSGGET: 1,INVALID\r\n+MQTTMSGGET: 2,INVALID\r\n+MQTTMSGGET: 3,INVALID\r\n"+ok),
		echo("AT+MQTTMSGGET", "\r\n+MSUB: mqtt/sub_topic,6 byte,123456\r\n"+ok),
		echo("AT+MQTTMSGGET?", "\r\n+MQTTMSGGET: 0,INVALID\r\n+MQTTMSGGET: 1,INVALID\r\n+MQTTMSGGET: 2,INVALID\r\n+MQTTMSGGET: 3,INVALID\r\n"+ok),
		echo("AT+MQTTSTATU", line("+MQTTSTATU :1")+ok),
		echo("AT+MUNSUB=\"mqtt/sub_topic\"", ok+line("UNSUBACK")),
		echo("AT+MDISCONNECT", ok),
		echo("AT+MIPCLOSE", ok),
		echo("AT+MQTTSTATU", line("+MQTTSTATU :0")+ok),
	})
}

// TestSeedCache runs seed 004's cache example with several messages: a
// multi-line payload, four slots, the oldest overwritten, and MSGGET
// printing oldest first with quoted topics (the guide's spelling).
func TestSeedCache(t *testing.T) {
	b := testbroker.Start(t)
	peer := simtesting.Client(t, b, "peer")
	h := modem(t, sim.Options{Broker: b, Quirks: map[string]string{air780.QuirkMsgGetTopic: "quoted"}})
	connect(t, h, "cache")
	h.Run(t, []simtest.Step{
		{Send: `AT+MSUB="mqtt/sub_topic",0`, Want: ok + line("SUBACK")},
		{Send: "AT+MQTTMSGSET=1", Want: ok},
		{Send: "AT+MQTTMSGSET?", Want: line("+MQTTMSGSET:1") + ok},
	})
	json := "{\n  \"msg\": \"hello\"\n}"
	payloads := []string{json, "two", "three", "four", "five"}
	for i, p := range payloads {
		publish(t, peer, "mqtt/sub_topic", 1, false, []byte(p))
		h.Expect(t, line(fmt.Sprintf("+MSUB: %d", i%4))) // the fifth overwrites slot 0, the oldest
	}
	var want strings.Builder
	want.WriteString("\r\n")
	for _, p := range payloads[1:] {
		fmt.Fprintf(&want, "+MSUB: \"mqtt/sub_topic\",%d byte,%s\r\n", len(p), p)
	}
	h.Run(t, []simtest.Step{
		{Send: "AT+MQTTMSGGET", Want: want.String() + ok},
		{Send: "AT+MQTTMSGGET", Want: ok},
		{Send: "AT+MQTTMSGSET=0", Want: ok},
	})
	publish(t, peer, "mqtt/sub_topic", 1, false, []byte(json))
	h.Expect(t, line(fmt.Sprintf(`+MSUB: "mqtt/sub_topic",%d byte,%s`, len(json), json)))
}

// TestPublishCarried checks topic, payload bytes, QoS and retain of
// MPUB (escapes, hex mode) and MPUBEX (binary, counted) at the broker.
func TestPublishCarried(t *testing.T) {
	binary := []byte{0x00, 0x01, '\r', '\n', 'O', 'K', '\r', '\n', 0x1A, 0x1B, 0xFF, '"', ','}
	tests := []struct {
		name    string
		setup   string // command before, answering OK
		cmd     string
		data    []byte // MPUBEX bytes after the prompt
		topic   string
		want    []byte
		qos     byte
		retain  bool
		results string
	}{
		{name: "escapes", cmd: `AT+MPUB="t/esc",1,0,"say \22hi\22\0D\0Aback\5Cslash \zz"`, topic: "t/esc",
			want: []byte("say \"hi\"\r\nback\\slash \\zz"), qos: 1, results: line("PUBACK")},
		{name: "utf8 retained", cmd: `AT+MPUB="t/utf8",0,1,"温度 21℃, ok"`, topic: "t/utf8",
			want: []byte("温度 21℃, ok"), retain: true},
		{name: "hex mode", setup: "AT+MQTTMODE=1", cmd: `AT+MPUB="t/hex",2,0,"313233"`, topic: "t/hex",
			want: []byte("123"), qos: 2, results: line("PUBREC") + line("PUBCOMP")},
		{name: "mpubex binary", setup: "AT+MQTTMODE=0", cmd: fmt.Sprintf(`AT+MPUBEX="t/bin",1,1,%d`, len(binary)), data: binary,
			topic: "t/bin", want: binary, qos: 1, retain: true, results: line("PUBACK")},
		{name: "mpubex ctrl-z", cmd: `AT+MPUBEX="t/z",0,0`, data: []byte("line1\r\nline2\x1a"), topic: "t/z", want: []byte("line1\r\nline2")},
		{name: "mpubex maximum", cmd: `AT+MPUBEX="t/max",1,0,4100`, data: bytes.Repeat([]byte("x"), 4100), topic: "t/max",
			want: bytes.Repeat([]byte("x"), 4100), qos: 1, results: line("PUBACK")},
	}
	marker := []byte("retained marker")
	b := testbroker.Start(t)
	peer := simtesting.Client(t, b, "peer")
	h := modem(t, sim.Options{Broker: b})
	connect(t, h, "pub")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			publish(t, peer, tc.topic, 1, true, marker)
			ch := simtesting.SubscribeOn(t, peer, tc.topic, 2)
			if m := simtesting.Next(t, ch); !bytes.Equal(m.Payload(), marker) {
				t.Fatalf("got %q before publishing, want the marker", m.Payload())
			}
			if tc.setup != "" {
				h.Run(t, []simtest.Step{{Send: tc.setup, Want: ok}})
			}
			if tc.data != nil {
				h.Run(t, []simtest.Step{{Send: tc.cmd, Want: "\r\n>"}, {Raw: tc.data, Want: ok + tc.results}})
			} else {
				h.Run(t, []simtest.Step{{Send: tc.cmd, Want: ok + tc.results}})
			}
			m := simtesting.Next(t, ch)
			if m.Topic() != tc.topic || !bytes.Equal(m.Payload(), tc.want) || m.Qos() != tc.qos {
				t.Fatalf("carried %s %q qos %d, want %s %q qos %d", m.Topic(), m.Payload(), m.Qos(), tc.topic, tc.want, tc.qos)
			}
			late := simtesting.Next(t, simtesting.SubscribeOn(t, simtesting.Client(t, b, "late"), tc.topic, 2))
			want := marker
			if tc.retain {
				want = tc.want
			}
			if !late.Retained() || !bytes.Equal(late.Payload(), want) {
				t.Fatalf("late subscriber got %q, want %q retained", late.Payload(), want)
			}
		})
	}
}

// TestPassiveClose replays the guide's passive-close recovery: CLOSED,
// MIPCLOSE answers +CME ERROR: 767, then MCONFIG/MIPSTART/MCONNECT again.
func TestPassiveClose(t *testing.T) {
	b := testbroker.Start(t)
	h := modem(t, sim.Options{Broker: b, RemoteCloseSends: 1})
	for range 2 {
		connect(t, h, "866289037465624")
		h.Run(t, []simtest.Step{{Send: `AT+MPUB="t",1,0,"x"`, Want: ok + line("PUBACK") + line("CLOSED")}})
		h.Run(t, []simtest.Step{
			{Send: "AT+MQTTSTATU", Want: line("+MQTTSTATU :0") + ok},
			{Send: "AT+MIPCLOSE", Want: line("+CME ERROR: 767")},
			{Send: `AT+MPUB="t",0,0,"x"`, Want: "\r\nERROR\r\n"},
		})
	}
}

// TestRemoteCloseAfter: the remote-close knob by time.
func TestRemoteCloseAfter(t *testing.T) {
	b := testbroker.Start(t)
	h := modem(t, sim.Options{Broker: b, RemoteCloseAfter: 50 * time.Millisecond})
	connect(t, h, "rca")
	h.Expect(t, line("CLOSED"))
}

// TestPDPDeactivation: the two spellings and recoveries of a lost bearer.
func TestPDPDeactivation(t *testing.T) {
	b := testbroker.Start(t)
	t.Run("guide", func(t *testing.T) {
		// Seed 004: +CGEV: NW PDN DEACT 1, MIPCLOSE answers OK, and the
		// connect sequence works again without an activation command.
		h := modem(t, sim.Options{Broker: b, RemoteCloseSends: 1, Quirks: map[string]string{air780.QuirkLoss: air780.LossPDPGuide}})
		connect(t, h, "pdp-guide")
		h.Run(t, []simtest.Step{
			{Send: `AT+MPUB="t",1,0,"x"`, Want: ok + line("PUBACK") + line("+CGEV: NW PDN DEACT 1")},
			{Send: "AT+MIPCLOSE", Want: ok},
		})
		connect(t, h, "pdp-guide")
	})
	t.Run("manual", func(t *testing.T) {
		// Manual: +PDP DEACT; MIPSTART fails until CIPSHUT and a context
		// is activated again.
		h := modem(t, sim.Options{Broker: b, RemoteCloseSends: 1, Quirks: map[string]string{air780.QuirkLoss: air780.LossPDPManual}})
		connect(t, h, "pdp-manual")
		h.Run(t, []simtest.Step{
			{Send: `AT+MPUB="t",1,0,"x"`, Want: ok + line("PUBACK") + line("+PDP DEACT")},
			{Send: "AT+MQTTSTATU", Want: line("+MQTTSTATU :0") + ok},
			{Send: "AT+MIPCLOSE", Want: ok},
			{Send: `AT+MIPSTART="lbsmqtt.airm2m.com",1884`, Want: ok + line("STATE: PDP DEACT") + line("CONNECT FAIL")},
			{Send: "AT+CIPSTATUS", Want: ok + line("STATE: PDP DEACT")},
			{Send: "AT+CIPSHUT", Want: line("SHUT OK")},
			{Send: `AT+CGDCONT=5,"IP","cmnet"`, Want: ok},
			{Send: "AT+CGACT=1,5", Want: ok},
		})
		connect(t, h, "pdp-manual")
	})
	t.Run("cfun", func(t *testing.T) {
		h := modem(t, sim.Options{Broker: b, RemoteCloseSends: 1, Quirks: map[string]string{air780.QuirkLoss: air780.LossPDPManual}})
		connect(t, h, "pdp-cfun")
		h.Run(t, []simtest.Step{
			{Send: `AT+MPUB="t",1,0,"x"`, Want: ok + line("PUBACK") + line("+PDP DEACT")},
			{Send: "AT+MIPCLOSE", Want: ok},
			{Send: "AT+CFUN=0", Want: ok},
			{Send: "AT+CFUN=1", Want: ok},
		})
		// Registration takes 2 s of modelled time (0 here).
		h.Run(t, []simtest.Step{{Send: "AT", Want: ok}})
		connect(t, h, "pdp-cfun")
	})
}

// TestTLSModes runs the guide's three TLS modes (no verification, server
// verification with a CA uploaded by FSCREATE/FSWRITE, mutual TLS) against
// mosquitto, plus a wrong CA.
func TestTLSModes(t *testing.T) {
	p := simtesting.NewPKI(t)
	oneWay, mutual := simtesting.TLSBrokers(t, p)
	other := simtesting.NewPKI(t)
	upload := func(name string, b []byte) []simtest.Step {
		return []simtest.Step{
			{Send: fmt.Sprintf("AT+FSCREATE=%q", name), Want: ok},
			{Send: fmt.Sprintf("AT+FSWRITE=%q,0,%d,15", name, len(b)), Want: "\r\n>"},
			{Raw: b, Want: ok},
			{Send: fmt.Sprintf("AT+FSFLSIZE=%q", name), Want: line(fmt.Sprintf("+FSFLSIZE: %d", len(b))) + ok},
		}
	}
	tests := []struct {
		name  string
		addr  string
		setup []simtest.Step
		want  string
	}{
		{"no verification", oneWay, nil, "CONNECT OK"},
		{"server verification", oneWay, append(upload("ca.crt", p.CA),
			simtest.Step{Send: `AT+SSLCFG="cacert",88,"ca.crt"`, Want: ok},
			simtest.Step{Send: `AT+SSLCFG="seclevel",88,1`, Want: ok}), "CONNECT OK"},
		{"mutual", mutual, append(append(append(upload("ca.crt", p.CA), upload("client.crt", p.ClientCert)...), upload("client.key", p.ClientKey)...),
			simtest.Step{Send: `AT+SSLCFG="cacert",88,"ca.crt"`, Want: ok},
			simtest.Step{Send: `AT+SSLCFG="clientcert",88,"client.crt"`, Want: ok},
			simtest.Step{Send: `AT+SSLCFG="clientkey",88,"client.key"`, Want: ok},
			simtest.Step{Send: `AT+SSLCFG="seclevel",88,2`, Want: ok}), "CONNECT OK"},
		{"wrong CA", oneWay, append(upload("ca.crt", other.CA),
			simtest.Step{Send: `AT+SSLCFG="cacert",88,"ca.crt"`, Want: ok},
			simtest.Step{Send: `AT+SSLCFG="seclevel",88,1`, Want: ok}), "STATE: TCP CLOSED\r\n\r\nCONNECT FAIL"},
		{"CA file missing", oneWay, []simtest.Step{
			{Send: `AT+SSLCFG="cacert",88,"none.crt"`, Want: ok},
			{Send: `AT+SSLCFG="seclevel",88,1`, Want: ok}}, "STATE: TCP CLOSED\r\n\r\nCONNECT FAIL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := modem(t, sim.Options{Broker: tc.addr})
			h.Run(t, tc.setup)
			h.Run(t, []simtest.Step{
				{Send: `AT+MCONFIG="868488076506128","user","password"`, Want: ok},
				{Send: `AT+SSLMIPSTART="127.0.0.1",8883`, Want: ok + line(tc.want)},
			})
			if tc.want != "CONNECT OK" {
				return
			}
			ch := simtesting.SubscribeOn(t, tlsClient(t, tc.addr, p), "tls/t", 1)
			h.Run(t, []simtest.Step{
				{Send: "AT+MCONNECT=1,60", Want: ok + line("CONNACK OK")},
				{Send: `AT+MPUB="tls/t",1,0,"secure"`, Want: ok + line("PUBACK")},
				{Send: "AT+MDISCONNECT", Want: ok},
				{Send: "AT+MIPCLOSE", Want: ok},
			})
			if m := simtesting.Next(t, ch); string(m.Payload()) != "secure" {
				t.Fatalf("broker carried %q over TLS, want \"secure\"", m.Payload())
			}
		})
	}
}

// tlsClient is an independent MQTT client over TLS with the test PKI's
// client certificate.
func tlsClient(t *testing.T, addr string, p simtesting.PKI) paho.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CA)
	pair, err := tls.X509KeyPair(p.ClientCert, p.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	o := paho.NewClientOptions().AddBroker("ssl://" + addr).SetClientID("tls-peer").
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).
		SetTLSConfig(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}})
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("paho TLS connect to %s: %v", addr, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// TestAliyunTranscript replays vendors.md 8.2 (c): a client id with
// commas and bars inside quotes, SSLMIPSTART without verification.
func TestAliyunTranscript(t *testing.T) {
	p := simtesting.NewPKI(t)
	oneWay, _ := simtesting.TLSBrokers(t, p)
	h := simtest.Start(t, "air780", sim.Options{Broker: oneWay})
	echo := func(cmd, want string) simtest.Step { return simtest.Step{Send: cmd, Want: cmd + "\r" + want} }
	h.Run(t, []simtest.Step{
		echo(`AT+MCONFIG="868488076506128|securemode=3,signmethod=hmacmd5|","868488076506128&k1hipglLdjU","0f655b12adf519b9a7a2b0a990f398b6"`, ok),
		echo(`AT+SSLMIPSTART="k1hipglLdjU.iot-as-mqtt.cn-shanghai.aliyuncs.com",1883`, ok+line("CONNECT OK")),
		echo("AT+MCONNECT=1,120", ok+line("CONNACK OK")),
	})
}

// TestWrongState: commands out of order get the vendor's errors.
func TestWrongState(t *testing.T) {
	b := testbroker.Start(t)
	connected := []simtest.Step{
		{Send: `AT+MCONFIG="x"`, Want: ok},
		{Send: `AT+MIPSTART="127.0.0.1",1883`, Want: ok + line("CONNECT OK")},
		{Send: "AT+MCONNECT=1,60", Want: ok + line("CONNACK OK")},
	}
	linked := connected[:2]
	tests := []struct {
		name  string
		setup []simtest.Step
		send  string
		want  string
	}{
		{"mconnect before mipstart", []simtest.Step{{Send: `AT+MCONFIG="x"`, Want: ok}}, "AT+MCONNECT=1,60", "\r\nERROR\r\n"},
		{"mconnect without mconfig", []simtest.Step{{Send: `AT+MIPSTART="127.0.0.1",1883`, Want: ok + line("CONNECT OK")}}, "AT+MCONNECT=1,60", "\r\nERROR\r\n"},
		{"mpub before connack", linked, `AT+MPUB="t",0,0,"x"`, "\r\nERROR\r\n"},
		{"msub offline", nil, `AT+MSUB="t",0`, "\r\nERROR\r\n"},
		{"mpubex offline", nil, `AT+MPUBEX="t",0,0,3`, "\r\nERROR\r\n"},
		{"mipstart twice", linked, `AT+MIPSTART="127.0.0.1",1883`, ok + line("ALREADY CONNECT")},
		{"mipstart when connected", connected, `AT+MIPSTART="127.0.0.1",1883`, ok + line("ALREADY CONNECT")},
		{"mipclose without link", nil, "AT+MIPCLOSE", line("+CME ERROR: 767")},
		{"mdisconnect offline", nil, "AT+MDISCONNECT", "\r\nERROR\r\n"},
		{"mpub unquoted message", connected, `AT+MPUB="t",0,0,x`, "\r\nERROR\r\n"},
		{"mpub bad qos", connected, `AT+MPUB="t",3,0,"x"`, "\r\nERROR\r\n"},
		{"mpub bad hex", append(connected[:3:3], simtest.Step{Send: "AT+MQTTMODE=1", Want: ok}), `AT+MPUB="t",0,0,"31z"`, "\r\nERROR\r\n"},
		{"mpub too long", connected, `AT+MPUB="t",0,0,"` + strings.Repeat("x", 4101) + `"`, "\r\nERROR\r\n"},
		{"mpubex too long", connected, `AT+MPUBEX="t",0,0,4101`, "\r\nERROR\r\n"},
		{"mconfig two args", nil, `AT+MCONFIG="x","user"`, "\r\nERROR\r\n"},
		{"mconnect keepalive 0", linked, "AT+MCONNECT=1,0", "\r\nERROR\r\n"},
		{"mipstart refused", nil, `AT+MIPSTART="127.0.0.1",1883`, ok + line("STATE: TCP CLOSED") + line("CONNECT FAIL")},
		{"cstt twice", []simtest.Step{{Send: "AT+CSTT", Want: ok}}, `AT+CSTT="cmnet"`, "\r\nERROR\r\n"},
		{"ciicr before cstt", nil, "AT+CIICR", "\r\nERROR\r\n"},
		{"cifsr before ciicr", nil, "AT+CIFSR", "\r\nERROR\r\n"},
		{"fswrite without fscreate", nil, `AT+FSWRITE="ca.crt",0,10,15`, "\r\nERROR\r\n"},
		{"fswrite too large", []simtest.Step{{Send: `AT+FSCREATE="ca.crt"`, Want: ok}}, `AT+FSWRITE="ca.crt",0,10241,15`, "\r\nERROR\r\n"},
		{"fsdel missing", nil, `AT+FSDEL="none"`, "\r\nERROR\r\n"},
		{"sslcfg bad context", nil, `AT+SSLCFG="seclevel",7,1`, "\r\nERROR\r\n"},
		{"sslcfg bad level", nil, `AT+SSLCFG="seclevel",88,3`, "\r\nERROR\r\n"},
		{"unknown command", nil, "AT+MBOGUS", "\r\nERROR\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := sim.Options{Broker: b}
			if tc.name == "mipstart refused" {
				opts.Broker = freeAddr(t)
			}
			h := modem(t, opts)
			h.Run(t, tc.setup)
			h.Run(t, []simtest.Step{{Send: tc.send, Want: tc.want}})
			h.Quiet(t, 20*time.Millisecond)
		})
	}
}

// TestQoS1InFlight: a second MPUB before the first PUBACK is refused.
func TestQoS1InFlight(t *testing.T) {
	r := simtest.StartRelay(t, testbroker.Start(t))
	h := modem(t, sim.Options{Broker: r.Addr()})
	connect(t, h, "inflight")
	r.Hold() // the broker's PUBACK waits: the second MPUB comes first
	h.Run(t, []simtest.Step{
		{Send: `AT+MPUB="t",1,0,"a"`, Want: ok},
		{Send: `AT+MPUB="t",1,0,"b"`, Want: "\r\nERROR\r\n"},
	})
	r.Release()
	h.Expect(t, line("PUBACK"))
	h.Run(t, []simtest.Step{{Send: `AT+MPUB="t",1,0,"c"`, Want: ok + line("PUBACK")}})
}

// TestLegacyStack replays the manual's TCP/IP example for the bearer.
func TestLegacyStack(t *testing.T) {
	h := modem(t, sim.Options{LocalIP: "10.83.172.111"})
	h.Run(t, []simtest.Step{
		{Send: "AT+CREG?", Want: line("+CREG: 0,1") + ok},
		{Send: "AT+CGATT?", Want: line("+CGATT: 1") + ok},
		{Send: "AT+CIPSTATUS", Want: ok + line("STATE: IP INITIAL")},
		{Send: "AT+CSTT", Want: ok},
		{Send: "AT+CSTT?", Want: line(`+CSTT: "CMNET","",""`) + ok},
		{Send: "AT+CIICR", Want: ok},
		{Send: "AT+CIFSR", Want: line("10.83.172.111")},
		{Send: "AT+CIPSTATUS", Want: ok + line("STATE: IP STATUS")},
		{Send: "AT+CIPSHUT", Want: line("SHUT OK")},
		{Send: "AT+CIFSR", Want: "\r\nERROR\r\n"},
		{Send: `AT+CSTT="cmiot","u","p"`, Want: ok},
		{Send: "AT+CSTT?", Want: line(`+CSTT: "cmiot","u","p"`) + ok},
	})
}

// TestTimeouts: FSWRITE ends with TimeOut after <inputtime> and MPUBEX
// without a length publishes after 5 s of silence (time scaled down).
func TestTimeouts(t *testing.T) {
	b := testbroker.Start(t)
	peer := simtesting.Client(t, b, "peer")
	ch := simtesting.SubscribeOn(t, peer, "t/idle", 1)
	// 2 s of input time and the 5 s MPUBEX idle become 100 and 250 ms.
	h := modem(t, sim.Options{Broker: b, TimeScale: 0.05})
	h.Run(t, []simtest.Step{
		{Send: `AT+FSCREATE="ca.crt"`, Want: ok},
		{Send: `AT+FSWRITE="ca.crt",0,100,2`, Want: "\r\n>"},
		{Raw: []byte("partial"), Want: line("TimeOut")},
		{Send: `AT+FSFLSIZE="ca.crt"`, Want: line("+FSFLSIZE: 0") + ok},
		{Send: `AT+FSWRITE="ca.crt",0,4,15`, Want: "\r\n>"},
		{Raw: []byte("abcd"), Want: ok},
		{Send: `AT+FSWRITE="ca.crt",1,2,15`, Want: "\r\n>"},
		{Raw: []byte("ef"), Want: ok},
		{Send: `AT+FSFLSIZE="ca.crt"`, Want: line("+FSFLSIZE: 6") + ok},
		{Send: `AT+FSDEL="ca.crt"`, Want: ok},
		{Send: `AT+FSFLSIZE="ca.crt"`, Want: "\r\nERROR\r\n"},
	})
	connect(t, h, "idle")
	h.Run(t, []simtest.Step{
		{Send: `AT+MPUBEX="t/idle",1,0`, Want: "\r\n>"},
		{Raw: []byte("no ctrl-z"), Want: ok + line("PUBACK")},
	})
	if m := simtesting.Next(t, ch); string(m.Payload()) != "no ctrl-z" {
		t.Fatalf("broker carried %q, want \"no ctrl-z\"", m.Payload())
	}
}

// TestResetBoot: AT+RESET restarts with the guide's boot lines and the
// MQTT state is gone.
func TestResetBoot(t *testing.T) {
	h := modem(t, sim.Options{})
	h.Run(t, []simtest.Step{
		{Send: "AT+MQTTMSGSET=1", Want: ok},
		{Send: "AT+RESET", Want: ok + line("RDY") + line("^MODE: 17,17") + line("+E_UTRAN Service") + line("+CGEV: ME PDN ACT 1")},
		{Send: "AT+MQTTMSGSET?", Want: "AT+MQTTMSGSET?\r" + line("+MQTTMSGSET:0") + ok},
	})
}

// TestQueriesAndQuirks covers read/test forms and the prompt quirk.
func TestQueriesAndQuirks(t *testing.T) {
	h := modem(t, sim.Options{Quirks: map[string]string{air780.QuirkPrompt: "> "}})
	h.Run(t, []simtest.Step{
		{Send: "AT+MCONNECT=?", Want: line("+MCONNECT:(0-1),(1-65535)") + ok},
		{Send: "AT+MIPSTART=?", Want: line(`+MIPSTART:"(0,255).(0,255).(0,255).(0,255)",(1-65535)`) + line(`+MIPSTART:"DOMAIN NAME",(1-65535)`) + ok},
		{Send: "AT+MQTTMODE?", Want: line("+MQTTMODE: 0") + ok},
		{Send: "AT+MQTTMSGSET=?", Want: line("+MQTTMSGSET:(0,1)") + ok},
		{Send: `AT+SSLCFG="seclevel",88`, Want: line(`+SSLCFG: "seclevel",88,0`) + ok},
		{Send: `AT+SSLCFG="cacert",88,"ca.crt"`, Want: ok},
		{Send: `AT+SSLCFG="cacert",88`, Want: line(`+SSLCFG: "cacert",88,"ca.crt"`) + ok},
		{Send: `AT+SSLCFG="cacert",88,`, Want: ok},
		{Send: `AT+SSLCFG="cacert",88`, Want: line(`+SSLCFG: "cacert",88,""`) + ok},
		{Send: `AT+SSLCFG="ciphersuite",88,0X0035`, Want: ok},
		{Send: "AT+FSCREATE=cert.pem", Want: ok},
		{Send: "AT+FSWRITE=cert.pem,0,3,10", Want: "\r\n> "},
		{Raw: []byte("abc"), Want: ok},
		{Send: "AT+CMEE?", Want: line("+CMEE: 1") + ok},
	})
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// BenchmarkPublishQoS1 measures one AT+MPUB round trip with its PUBACK
// from mosquitto.
func BenchmarkPublishQoS1(b *testing.B) {
	addr := testbroker.Start(b)
	h := simtest.Start(b, "air780", sim.Options{Broker: addr})
	h.Run(b, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: `AT+MCONFIG="bench"`, Want: ok},
		{Send: `AT+MIPSTART="127.0.0.1",1883`, Want: ok + line("CONNECT OK")},
		{Send: "AT+MCONNECT=1,60", Want: ok + line("CONNACK OK")},
	})
	steps := []simtest.Step{{Send: `AT+MPUB="bench",1,0,"hello"`, Want: ok + line("PUBACK")}}
	for b.Loop() {
		h.Run(b, steps)
	}
}
