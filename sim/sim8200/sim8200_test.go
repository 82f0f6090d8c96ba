package sim8200_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atrun/atrun/internal/simtesting"
	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/sim8200"
	"github.com/atrun/atrun/sim/simtest"
)

var orders = []string{sim8200.OrderOKFirst, sim8200.OrderURCFirst}

// result is the bytes of a command whose +CMQTTxxx result line comes with
// its OK, in the order the quirk selects.
func result(order, line string) string {
	if order == sim8200.OrderURCFirst {
		return "\r\n" + line + "\r\n\r\nOK\r\n"
	}
	return "\r\nOK\r\n\r\n" + line + "\r\n"
}

// failed is a result line with ERROR (urc-first), or OK then the line.
func failed(order, line string) string {
	if order == sim8200.OrderURCFirst {
		return "\r\n" + line + "\r\n\r\nERROR\r\n"
	}
	return result(order, line)
}

const ok = "\r\nOK\r\n"

// modem starts a SIM8200 with echo turned off.
func modem(t *testing.T, opts sim.Options) *simtest.Host {
	t.Helper()
	h := simtest.Start(t, "sim8200", opts)
	h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + ok}})
	return h
}

// connect runs START, ACCQ and CONNECT for client 0.
func connect(t *testing.T, h *simtest.Host, order, id string) {
	t.Helper()
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTSTART", Want: result(order, "+CMQTTSTART: 0")},
		{Send: fmt.Sprintf(`AT+CMQTTACCQ=0,%q`, id), Want: ok},
		{Send: `AT+CMQTTCONNECT=0,"tcp://127.0.0.1:1883",60,1`, Want: result(order, "+CMQTTCONNECT: 0,0")},
	})
}

// TestManualTranscript replays vendors.md 7.2 (b): subscribe in two steps,
// publish QoS 0 and 1, receive, unsubscribe, disconnect, release, stop.
func TestManualTranscript(t *testing.T) {
	for _, order := range orders {
		t.Run(order, func(t *testing.T) {
			b := testbroker.Start(t)
			peer := simtesting.Client(t, b, "peer")
			up := simtesting.SubscribeOn(t, peer, "up", 2)
			h := modem(t, sim.Options{Broker: b, Quirks: map[string]string{sim8200.QuirkOrder: order}})
			connect(t, h, order, "dev1")
			h.Run(t, []simtest.Step{
				{Send: "AT+CMQTTSUBTOPIC=0,3,1", Want: "\r\n>"},
				{Raw: []byte("cmd"), Want: ok},
				{Send: "AT+CMQTTSUB=0", Want: result(order, "+CMQTTSUB: 0,0")},
				{Send: "AT+CMQTTTOPIC=0,2", Want: "\r\n>"},
				{Raw: []byte("up"), Want: ok},
				{Send: "AT+CMQTTPAYLOAD=0,2", Want: "\r\n>"},
				{Raw: []byte("hi"), Want: ok},
				{Send: "AT+CMQTTPUB=0,0,60", Want: result(order, "+CMQTTPUB: 0,0")},
			})
			if m := simtesting.Next(t, up); m.Topic() != "up" || string(m.Payload()) != "hi" || m.Qos() != 0 {
				t.Fatalf("broker carried %s %q qos %d, want up \"hi\" qos 0", m.Topic(), m.Payload(), m.Qos())
			}
			h.Run(t, []simtest.Step{
				{Send: "AT+CMQTTTOPIC=0,2", Want: "\r\n>"},
				{Raw: []byte("up"), Want: ok},
				{Send: "AT+CMQTTPAYLOAD=0,2", Want: "\r\n>"},
				{Raw: []byte("hi"), Want: ok},
				{Send: "AT+CMQTTPUB=0,1,60", Want: result(order, "+CMQTTPUB: 0,0")},
			})
			if m := simtesting.Next(t, up); string(m.Payload()) != "hi" || m.Qos() != 1 {
				t.Fatalf("broker carried %q qos %d, want \"hi\" qos 1", m.Payload(), m.Qos())
			}
			peer.Publish("cmd", 0, false, "on").WaitTimeout(5 * time.Second)
			h.Expect(t, "\r\n+CMQTTRXSTART: 0,3,2\r\n"+
				"\r\n+CMQTTRXTOPIC: 0,3\r\ncmd\r\n"+
				"\r\n+CMQTTRXPAYLOAD: 0,2\r\non\r\n"+
				"\r\n+CMQTTRXEND: 0\r\n")
			h.Run(t, []simtest.Step{
				{Send: "AT+CMQTTUNSUBTOPIC=0,3", Want: "\r\n>"},
				{Raw: []byte("cmd"), Want: ok},
				{Send: "AT+CMQTTUNSUB=0,0", Want: result(order, "+CMQTTUNSUB: 0,0")},
				{Send: "AT+CMQTTDISC=0,120", Want: result(order, "+CMQTTDISC: 0,0")},
				{Send: "AT+CMQTTREL=0", Want: ok},
				{Send: "AT+CMQTTSTOP", Want: result(order, "+CMQTTSTOP: 0")},
			})
			// Unsubscribed: a message on cmd no longer reaches the modem.
			peer.Publish("cmd", 0, false, "off").WaitTimeout(5 * time.Second)
			h.Quiet(t, 100*time.Millisecond)
		})
	}
}

// TestSeedOneStepForms runs seed 003's one-step SUB and UNSUB
// (AT+CMQTTSUB=0,<len>,1,1 and AT+CMQTTUNSUB=0,<len>,1, topic after the
// prompt) and the echo on of a fresh modem.
func TestSeedOneStepForms(t *testing.T) {
	for _, order := range orders {
		t.Run(order, func(t *testing.T) {
			b := testbroker.Start(t)
			peer := simtesting.Client(t, b, "peer")
			topic := "/a1mQpKOF9hp/7600/user/7600"
			h := simtest.Start(t, "sim8200", sim.Options{Broker: b, Quirks: map[string]string{sim8200.QuirkOrder: order}})
			echo := func(cmd, want string) simtest.Step { return simtest.Step{Send: cmd, Want: cmd + "\r" + want} }
			h.Run(t, []simtest.Step{
				echo("at+cmqttstart", result(order, "+CMQTTSTART: 0")),
				echo(`at+cmqttaccq=0,"7600|securemode=3,signmethod=hmacsha1|"`, ok),
				echo(`at+cmqttconnect=0,"tcp://a1zjhbLfSbW.iot-as-mqtt.cn-shanghai.aliyuncs.com:1883",60,1,"7600&a1mQpKOF9hp","D48150E8D550607B15C667E100635EE96EA7D512"`,
					result(order, "+CMQTTCONNECT: 0,0")),
				echo("AT+CMQTTSUB=0,27,1,1", "\r\n>"),
				{Raw: []byte(topic), Want: result(order, "+CMQTTSUB: 0,0")},
			})
			publish := peer.Publish(topic, 1, false, "hello")
			publish.WaitTimeout(5 * time.Second)
			h.Expect(t, fmt.Sprintf("\r\n+CMQTTRXSTART: 0,27,5\r\n\r\n+CMQTTRXTOPIC: 0,27\r\n%s\r\n\r\n+CMQTTRXPAYLOAD: 0,5\r\nhello\r\n\r\n+CMQTTRXEND: 0\r\n", topic))
			h.Run(t, []simtest.Step{
				echo("AT+CMQTTUNSUB=0,27,1", "\r\n>"),
				{Raw: []byte(topic), Want: result(order, "+CMQTTUNSUB: 0,0")},
			})
		})
	}
}

// TestPublishCarried checks what the broker carried for each payload,
// QoS and retain flag, with an independent subscriber.
func TestPublishCarried(t *testing.T) {
	binary := []byte{0x00, 0x01, '\r', '\n', 'O', 'K', '\r', '\n', 0x1A, 0x1B, 0xFF, '"', ','}
	big := bytes.Repeat([]byte("0123456789abcdef"), 640) // 10240, the maximum
	marker := []byte("retained marker")
	tests := []struct {
		name    string
		topic   string
		payload []byte
		qos     byte
		retain  bool
	}{
		{"utf8 qos0", "plant/line1", []byte("héllo wörld ✓ 温度"), 0, false},
		{"binary qos1", "plant/bin", binary, 1, false},
		{"binary qos2", "plant/bin2", binary, 2, false},
		{"retained qos1", "plant/state", []byte("online"), 1, true},
		{"maximum payload", "plant/big", big, 1, false},
	}
	for _, order := range orders {
		t.Run(order, func(t *testing.T) {
			b := testbroker.Start(t)
			peer := simtesting.Client(t, b, "peer")
			h := modem(t, sim.Options{Broker: b, Quirks: map[string]string{sim8200.QuirkOrder: order}})
			connect(t, h, order, "pub-"+order)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					if tok := peer.Publish(tc.topic, 1, true, marker); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
						t.Fatalf("marker: %v", tok.Error())
					}
					ch := simtesting.SubscribeOn(t, peer, tc.topic, 2)
					if m := simtesting.Next(t, ch); !bytes.Equal(m.Payload(), marker) {
						t.Fatalf("got %q before publishing, want the marker", m.Payload())
					}
					h.Run(t, []simtest.Step{
						{Send: fmt.Sprintf("AT+CMQTTTOPIC=0,%d", len(tc.topic)), Want: "\r\n>"},
						{Raw: []byte(tc.topic), Want: ok},
						{Send: fmt.Sprintf("AT+CMQTTPAYLOAD=0,%d", len(tc.payload)), Want: "\r\n>"},
						{Raw: tc.payload, Want: ok},
						{Send: fmt.Sprintf("AT+CMQTTPUB=0,%d,60,%d", tc.qos, b2i(tc.retain)), Want: result(order, "+CMQTTPUB: 0,0")},
					})
					m := simtesting.Next(t, ch)
					if m.Topic() != tc.topic || !bytes.Equal(m.Payload(), tc.payload) || m.Qos() != tc.qos {
						t.Fatalf("carried %s %q qos %d, want %s %q qos %d", m.Topic(), m.Payload(), m.Qos(), tc.topic, tc.payload, tc.qos)
					}
					// A late subscriber gets the topic's retained message:
					// the modem's if it was retained, else the marker the
					// peer retained before.
					late := simtesting.Next(t, simtesting.SubscribeOn(t, simtesting.Client(t, b, "late"), tc.topic, 2))
					want := marker
					if tc.retain {
						want = tc.payload
					}
					if !late.Retained() || !bytes.Equal(late.Payload(), want) {
						t.Fatalf("late subscriber got %q retained=%t, want %q retained", late.Payload(), late.Retained(), want)
					}
				})
			}
		})
	}
}

// TestReceive checks the URC bytes for incoming messages: binary, UTF-8,
// and a payload split into 1500-byte blocks.
func TestReceive(t *testing.T) {
	long := bytes.Repeat([]byte{'x'}, 3100)
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"binary", []byte("a\r\nOK\r\n\x00\x1a"), "\r\n+CMQTTRXPAYLOAD: 0,9\r\na\r\nOK\r\n\x00\x1a\r\n"},
		{"utf8", []byte("温度=21℃"), "\r\n+CMQTTRXPAYLOAD: 0,12\r\n温度=21℃\r\n"},
		{"split", long, "\r\n+CMQTTRXPAYLOAD: 0,1500\r\n" + string(long[:1500]) + "\r\n" +
			"\r\n+CMQTTRXPAYLOAD: 0,1500\r\n" + string(long[:1500]) + "\r\n" +
			"\r\n+CMQTTRXPAYLOAD: 0,100\r\n" + string(long[:100]) + "\r\n"},
		{"empty", nil, ""},
	}
	b := testbroker.Start(t)
	peer := simtesting.Client(t, b, "peer")
	h := modem(t, sim.Options{Broker: b})
	order := sim8200.OrderOKFirst
	connect(t, h, order, "rx")
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTSUB=0,5,2", Want: "\r\n>"},
		{Raw: []byte("rx/in"), Want: result(order, "+CMQTTSUB: 0,0")},
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			peer.Publish("rx/in", 1, false, tc.payload).WaitTimeout(5 * time.Second)
			h.Expect(t, fmt.Sprintf("\r\n+CMQTTRXSTART: 0,5,%d\r\n\r\n+CMQTTRXTOPIC: 0,5\r\nrx/in\r\n", len(tc.payload))+
				tc.want+"\r\n+CMQTTRXEND: 0\r\n")
		})
	}
}

// TestRemoteClose: the far end drops the session; the modem reports
// +CMQTTCONNLOST and the read command shows client 0 disconnected.
func TestRemoteClose(t *testing.T) {
	b := testbroker.Start(t)
	h := modem(t, sim.Options{Broker: b, RemoteCloseAfter: 50 * time.Millisecond})
	connect(t, h, sim8200.OrderOKFirst, "rc")
	h.Expect(t, "\r\n+CMQTTCONNLOST: 0,1\r\n")
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTCONNECT?", Want: "\r\n+CMQTTCONNECT: 0\r\n\r\n+CMQTTCONNECT: 1\r\n" + ok},
		{Send: "AT+CMQTTDISC?", Want: "\r\n+CMQTTDISC: 0,1\r\n\r\n+CMQTTDISC: 1,1\r\n" + ok},
		{Send: "AT+CMQTTPUB=0,0,60", Want: "\r\n+CMQTTPUB: 0,11\r\n\r\nERROR\r\n"},
		// Reconnecting the same client works after a loss.
		{Send: `AT+CMQTTCONNECT=0,"tcp://127.0.0.1:1883",60,1`, Want: result(sim8200.OrderOKFirst, "+CMQTTCONNECT: 0,0")},
	})
}

// TestRemoteCloseAfterSends: the session drops after the first publish.
func TestRemoteCloseAfterSends(t *testing.T) {
	b := testbroker.Start(t)
	h := modem(t, sim.Options{Broker: b, RemoteCloseSends: 1})
	order := sim8200.OrderOKFirst
	connect(t, h, order, "rcs")
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTTOPIC=0,1", Want: "\r\n>"},
		{Raw: []byte("t"), Want: ok},
		{Send: "AT+CMQTTPUB=0,1,60", Want: result(order, "+CMQTTPUB: 0,0")},
	})
	h.Expect(t, "\r\n+CMQTTCONNLOST: 0,1\r\n")
}

// TestWrongState: commands out of order get the vendor's error forms.
func TestWrongState(t *testing.T) {
	b := testbroker.Start(t)
	tests := []struct {
		name  string
		setup []simtest.Step
		send  string
		want  string
	}{
		{"accq before start", nil, `AT+CMQTTACCQ=0,"x"`, "\r\nERROR\r\n"},
		{"start twice", []simtest.Step{{Send: "AT+CMQTTSTART", Want: result(sim8200.OrderOKFirst, "+CMQTTSTART: 0")}},
			"AT+CMQTTSTART", "\r\n+CMQTTSTART: 23\r\n\r\nERROR\r\n"},
		{"accq twice", started(`AT+CMQTTACCQ=0,"x"`), `AT+CMQTTACCQ=0,"y"`, "\r\n+CMQTTACCQ: 0,19\r\n\r\nERROR\r\n"},
		{"connect not acquired", started(), `AT+CMQTTCONNECT=1,"tcp://127.0.0.1:1883",60,1`, "\r\n+CMQTTCONNECT: 1,20\r\n\r\nERROR\r\n"},
		{"connect twice", connected(), `AT+CMQTTCONNECT=0,"tcp://127.0.0.1:1883",60,1`, "\r\n+CMQTTCONNECT: 0,19\r\n\r\nERROR\r\n"},
		{"connect without tcp://", started(`AT+CMQTTACCQ=0,"x"`), `AT+CMQTTCONNECT=0,"127.0.0.1:1883",60,1`, "\r\nERROR\r\n"},
		{"topic not acquired", started(), "AT+CMQTTTOPIC=0,3", "\r\n+CMQTTTOPIC: 0,20\r\n\r\nERROR\r\n"},
		{"pub not connected", started(`AT+CMQTTACCQ=0,"x"`), "AT+CMQTTPUB=0,0,60", "\r\n+CMQTTPUB: 0,11\r\n\r\nERROR\r\n"},
		{"pub without topic", connected(), "AT+CMQTTPUB=0,0,60", "\r\n+CMQTTPUB: 0,18\r\n\r\nERROR\r\n"},
		{"sub without topics", connected(), "AT+CMQTTSUB=0", "\r\n+CMQTTSUB: 0,18\r\n\r\nERROR\r\n"},
		{"unsub without topics", connected(), "AT+CMQTTUNSUB=0,0", "\r\n+CMQTTUNSUB: 0,18\r\n\r\nERROR\r\n"},
		{"disc not connected", started(`AT+CMQTTACCQ=0,"x"`), "AT+CMQTTDISC=0,60", "\r\n+CMQTTDISC: 0,11\r\n\r\nERROR\r\n"},
		{"rel connected", connected(), "AT+CMQTTREL=0", "\r\n+CMQTTREL: 0,19\r\n\r\nERROR\r\n"},
		{"rel never acquired", started(), "AT+CMQTTREL=1", ok},
		{"stop with a client", started(`AT+CMQTTACCQ=0,"x"`), "AT+CMQTTSTOP", "\r\n+CMQTTSTOP: 21\r\n\r\nERROR\r\n"},
		{"stop not started", nil, "AT+CMQTTSTOP", "\r\nERROR\r\n"},
		{"bad client index", started(), `AT+CMQTTACCQ=2,"x"`, "\r\nERROR\r\n"},
		{"topic too long", started(`AT+CMQTTACCQ=0,"x"`), "AT+CMQTTTOPIC=0,1025", "\r\nERROR\r\n"},
		{"payload too long", started(`AT+CMQTTACCQ=0,"x"`), "AT+CMQTTPAYLOAD=0,10241", "\r\nERROR\r\n"},
		{"keepalive out of range", started(`AT+CMQTTACCQ=0,"x"`), `AT+CMQTTCONNECT=0,"tcp://127.0.0.1:1883",64801,1`, "\r\nERROR\r\n"},
		{"bad qos", connected(), "AT+CMQTTPUB=0,3,60", "\r\nERROR\r\n"},
		{"ssl without certificate", started(`AT+CSSLCFG="authmode",0,1`, `AT+CMQTTACCQ=0,"x",1`),
			`AT+CMQTTCONNECT=0,"tcp://127.0.0.1:1883",60,1`, "\r\nOK\r\n\r\n+CMQTTCONNECT: 0,33\r\n"},
		{"unknown command", nil, "AT+CMQTTBOGUS", "\r\nERROR\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := modem(t, sim.Options{Broker: b})
			h.Run(t, tc.setup)
			h.Run(t, []simtest.Step{{Send: tc.send, Want: tc.want}})
			h.Quiet(t, 20*time.Millisecond)
		})
	}
}

// TestInvalidUTF8Topic: the topic is checked after it was typed.
func TestInvalidUTF8Topic(t *testing.T) {
	h := modem(t, sim.Options{})
	h.Run(t, started(`AT+CMQTTACCQ=0,"x"`))
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTTOPIC=0,2", Want: "\r\n>"},
		{Raw: []byte{0xC3, 0x28}, Want: "\r\n+CMQTTTOPIC: 0,2\r\n\r\nERROR\r\n"},
	})
}

// TestBusy: in ok-first order a second operation before the first
// result is refused with error 14 (seen after QoS 1 publishes).
func TestBusy(t *testing.T) {
	r := simtest.StartRelay(t, testbroker.Start(t))
	h := modem(t, sim.Options{Broker: r.Addr()})
	connect(t, h, sim8200.OrderOKFirst, "busy")
	r.Hold() // the broker's SUBACK waits: the second command comes first
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTSUB=0,1,1", Want: "\r\n>"},
		{Raw: []byte("a"), Want: ok},
		{Send: "AT+CMQTTTOPIC=0,1", Want: "\r\n+CMQTTTOPIC: 0,14\r\n\r\nERROR\r\n"},
	})
	r.Release()
	h.Expect(t, "\r\n+CMQTTSUB: 0,0\r\n")
}

// TestPromptQuirk and payload echo.
func TestPromptAndEchoQuirks(t *testing.T) {
	h := modem(t, sim.Options{Quirks: map[string]string{sim8200.QuirkPrompt: "> ", sim8200.QuirkPayloadEcho: "on"}})
	h.Run(t, started(`AT+CMQTTACCQ=0,"x"`))
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTPAYLOAD=0,4", Want: "\r\n> "},
		{Raw: []byte("OK\r\n"), Want: "OK\r\n" + ok},
	})
}

// TestReadAndTestForms covers the query forms flows use.
func TestReadAndTestForms(t *testing.T) {
	b := testbroker.Start(t)
	h := modem(t, sim.Options{Broker: b})
	h.Run(t, started(`AT+CMQTTACCQ=1,"dev-1",0`))
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTACCQ?", Want: "\r\n+CMQTTACCQ: 0,\"\",0\r\n\r\n+CMQTTACCQ: 1,\"dev-1\",0\r\n" + ok},
		{Send: "AT+CMQTTACCQ=?", Want: "\r\n+CMQTTACCQ: (0-1),(1-128),(0-1),(3-4)\r\n" + ok},
		{Send: `AT+CMQTTCONNECT=1,"tcp://127.0.0.1:1883",300,0,"u","p"`, Want: result(sim8200.OrderOKFirst, "+CMQTTCONNECT: 1,0")},
		{Send: "AT+CMQTTCONNECT?", Want: "\r\n+CMQTTCONNECT: 0\r\n\r\n+CMQTTCONNECT: 1,\"tcp://127.0.0.1:1883\",300,0,\"u\",\"p\"\r\n" + ok},
		{Send: "AT+CMQTTDISC?", Want: "\r\n+CMQTTDISC: 0,1\r\n\r\n+CMQTTDISC: 1,0\r\n" + ok},
		{Send: "AT+CGMR", Want: "\r\n+CGMR: SIM8200M22_V1.1\r\n" + ok},
	})
}

// TestBootLines: a restart prints the SIMCom boot lines.
func TestBootLines(t *testing.T) {
	h := modem(t, sim.Options{})
	h.Run(t, []simtest.Step{{Send: "AT+CFUN=1,1", Want: ok + "\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\nPB DONE\r\n"}})
}

// TestWill: the will message set before connect is published by the
// broker when the session is lost.
func TestWill(t *testing.T) {
	b := testbroker.Start(t)
	peer := simtesting.Client(t, b, "peer")
	ch := simtesting.SubscribeOn(t, peer, "dev/status", 1)
	h := modem(t, sim.Options{Broker: b, RemoteCloseAfter: 100 * time.Millisecond})
	h.Run(t, started(`AT+CMQTTACCQ=0,"willdev"`))
	h.Run(t, []simtest.Step{
		{Send: "AT+CMQTTWILLTOPIC=0,10", Want: "\r\n>"},
		{Raw: []byte("dev/status"), Want: ok},
		{Send: "AT+CMQTTWILLMSG=0,7,1", Want: "\r\n>"},
		{Raw: []byte("offline"), Want: ok},
		{Send: `AT+CMQTTCONNECT=0,"tcp://127.0.0.1:1883",60,1`, Want: result(sim8200.OrderOKFirst, "+CMQTTCONNECT: 0,0")},
	})
	h.Expect(t, "\r\n+CMQTTCONNLOST: 0,1\r\n")
	if m := simtesting.Next(t, ch); string(m.Payload()) != "offline" || m.Qos() != 1 {
		t.Fatalf("will %q qos %d, want \"offline\" qos 1", m.Payload(), m.Qos())
	}
}

// TestTLS replays vendors.md 7.2 (a) (certificate download, CSSLCFG,
// CMQTTSSLCFG, REL before ACCQ, server_type 1) against mosquitto over
// TLS, one-way and mutual, and the handshake failures.
func TestTLS(t *testing.T) {
	p := simtesting.NewPKI(t)
	oneWay, mutual := simtesting.TLSBrokers(t, p)
	other := simtesting.NewPKI(t) // a CA that did not sign the broker's certificate
	tests := []struct {
		name     string
		addr     string
		ca       []byte
		authmode int
		client   bool
		want     int
	}{
		{"server auth", oneWay, p.CA, 1, false, 0},
		{"no auth", oneWay, nil, 0, false, 0},
		{"mutual", mutual, p.CA, 2, true, 0},
		{"wrong CA", oneWay, other.CA, 1, false, 32},
		{"mutual without client certificate", mutual, p.CA, 1, false, 32},
	}
	for _, order := range orders {
		for _, tc := range tests {
			t.Run(order+"/"+tc.name, func(t *testing.T) {
				h := modem(t, sim.Options{Broker: tc.addr, Quirks: map[string]string{sim8200.QuirkOrder: order}})
				h.Run(t, []simtest.Step{{Send: "AT+CMQTTSTART", Want: result(order, "+CMQTTSTART: 0")}})
				if tc.ca != nil {
					download(t, h, "ca_cert.pem", tc.ca)
					h.Run(t, []simtest.Step{{Send: `AT+CSSLCFG="cacert",0,"ca_cert.pem"`, Want: ok}})
				}
				if tc.client {
					download(t, h, "client.pem", p.ClientCert)
					download(t, h, "client_key.pem", p.ClientKey)
					h.Run(t, []simtest.Step{
						{Send: `AT+CSSLCFG="clientcert",0,"client.pem"`, Want: ok},
						{Send: `AT+CSSLCFG="clientkey",0,"client_key.pem"`, Want: ok},
					})
				}
				h.Run(t, []simtest.Step{
					{Send: `AT+CSSLCFG="sslversion",0,4`, Want: ok},
					{Send: fmt.Sprintf(`AT+CSSLCFG="authmode",0,%d`, tc.authmode), Want: ok},
					{Send: "AT+CMQTTSSLCFG=0,0", Want: ok},
					{Send: "AT+CMQTTREL=0", Want: ok},
					{Send: `AT+CMQTTACCQ=0,"Sim7600_fa7d2288",1`, Want: ok},
				})
				line := fmt.Sprintf("+CMQTTCONNECT: 0,%d", tc.want)
				want := result(order, line)
				if tc.want != 0 {
					want = failed(order, line)
				}
				h.Run(t, []simtest.Step{{Send: `AT+CMQTTCONNECT=0,"tcp://127.0.0.1:8883",60,1`, Want: want}})
				if tc.want != 0 {
					return
				}
				h.Run(t, []simtest.Step{
					{Send: "AT+CMQTTTOPIC=0,3", Want: "\r\n>"},
					{Raw: []byte("tls"), Want: ok},
					{Send: "AT+CMQTTPUB=0,1,60", Want: result(order, "+CMQTTPUB: 0,0")},
					{Send: "AT+CCERTLIST", Want: certList(tc.ca != nil, tc.client) + ok},
				})
			})
		}
	}
}

func download(t *testing.T, h *simtest.Host, name string, b []byte) {
	t.Helper()
	h.Run(t, []simtest.Step{
		{Send: fmt.Sprintf("AT+CCERTDOWN=%q,%d", name, len(b)), Want: "\r\n>"},
		{Raw: b, Want: ok},
	})
}

func certList(ca, client bool) string {
	var names []string
	if ca {
		names = append(names, "ca_cert.pem")
	}
	if client {
		names = append(names, "client.pem", "client_key.pem")
	}
	var s strings.Builder
	for _, n := range names {
		fmt.Fprintf(&s, "\r\n+CCERTLIST: %q\r\n", n)
	}
	return s.String()
}

// started is the setup of a started MQTT service plus extra commands
// that answer OK.
func started(extra ...string) []simtest.Step {
	steps := []simtest.Step{{Send: "AT+CMQTTSTART", Want: result(sim8200.OrderOKFirst, "+CMQTTSTART: 0")}}
	for _, e := range extra {
		steps = append(steps, simtest.Step{Send: e, Want: ok})
	}
	return steps
}

// connected is started plus an acquired, connected client 0.
func connected() []simtest.Step {
	return append(started(`AT+CMQTTACCQ=0,"x"`), simtest.Step{
		Send: `AT+CMQTTCONNECT=0,"tcp://127.0.0.1:1883",60,1`,
		Want: result(sim8200.OrderOKFirst, "+CMQTTCONNECT: 0,0"),
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkPublishQoS1 measures one CMQTTTOPIC/CMQTTPAYLOAD/CMQTTPUB
// round trip with its PUBACK from mosquitto.
func BenchmarkPublishQoS1(b *testing.B) {
	addr := testbroker.Start(b)
	h := simtest.Start(b, "sim8200", sim.Options{Broker: addr})
	h.Run(b, []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + ok}})
	h.Run(b, []simtest.Step{
		{Send: "AT+CMQTTSTART", Want: result(sim8200.OrderOKFirst, "+CMQTTSTART: 0")},
		{Send: `AT+CMQTTACCQ=0,"bench"`, Want: ok},
		{Send: `AT+CMQTTCONNECT=0,"tcp://127.0.0.1:1883",60,1`, Want: result(sim8200.OrderOKFirst, "+CMQTTCONNECT: 0,0")},
	})
	steps := []simtest.Step{
		{Send: "AT+CMQTTTOPIC=0,5", Want: "\r\n>"},
		{Raw: []byte("bench"), Want: ok},
		{Send: "AT+CMQTTPAYLOAD=0,5", Want: "\r\n>"},
		{Raw: []byte("hello"), Want: ok},
		{Send: "AT+CMQTTPUB=0,1,60", Want: result(sim8200.OrderOKFirst, "+CMQTTPUB: 0,0")},
	}
	for b.Loop() {
		h.Run(b, steps)
	}
}
