package quectel_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atrun/atrun/internal/simtesting"
	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/quectel"
	"github.com/atrun/atrun/sim/simtest"
)

const ok = "\r\nOK\r\n"

func urc(s string) string { return "\r\n" + s + "\r\n" }

// echoOff is ATE0 answered with echo still on for the command itself.
var echoOff = simtest.Step{Send: "ATE0", Want: "ATE0\r" + ok}

// vendors.md 4.2(b): BC26 MQTT session with inline publish [COMPOSED],
// result lines as the BC26 library expects them (S13).
func TestBC26ManualSession(t *testing.T) {
	b := testbroker.Start(t)
	up := simtesting.Subscribe(t, b, "up")
	h := simtesting.StartModem(t, "bc26", b, sim.Options{})
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTCFG="version",0,4`, Want: ok},
		{Send: `AT+QMTOPEN=0,"broker.example.com",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTOPEN?`, Want: urc(`+QMTOPEN: 0,"broker.example.com",1883`) + ok},
		{Send: `AT+QMTCONN=0,"Arduino_BC26_1234","user","key"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: `AT+QMTCONN?`, Want: urc("+QMTCONN: 0,3") + ok},
		{Send: `AT+QMTSUB=0,1,"cmd",1`, Want: ok + urc("+QMTSUB: 0,1,0,1")},
		{Send: `AT+QMTPUB=0,0,0,0,"up","hi"`, Want: ok + urc("+QMTPUB: 0,0,0")},
	})
	simtesting.WantMessage(t, up, simtesting.Message{Topic: "up", Payload: []byte("hi"), QoS: 0, Retain: false})
	h.Run(t, []simtest.Step{{Send: `AT+QMTPUB=0,7,1,0,"up","hi"`, Want: ok + urc("+QMTPUB: 0,7,0")}})
	simtesting.WantMessage(t, up, simtesting.Message{Topic: "up", Payload: []byte("hi"), QoS: 1, Retain: false})

	simtesting.Publish(t, b, "cmd", []byte("on"), 0, false)
	h.Expect(t, urc(`+QMTRECV: 0,0,"cmd","on"`))

	h.Run(t, []simtest.Step{
		{Send: "AT+QMTDISC=0", Want: ok + urc("+QMTDISC: 0,0")},
		{Send: "AT+QMTCLOSE=0", Want: ok + urc("+QMTCLOSE: 0,0")},
		{Send: "AT+QMTOPEN?", Want: ok},
	})
}

// vendors.md 4.2(b) data-mode publish (BC26 form 2): ">" then Ctrl-Z.
func TestBC26DataModePublish(t *testing.T) {
	b := testbroker.Start(t)
	topic := "$oc/devices/dev1/user/messages/up"
	ch := simtesting.Subscribe(t, b, topic)
	h := simtesting.StartModem(t, "bc26", b, sim.Options{})
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"dev1"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: `AT+QMTPUB=0,0,0,0,"` + topic + `"`, Want: "\r\n> "},
		{Raw: []byte("{\"t\":1}\x1a"), Want: ok + urc("+QMTPUB: 0,0,0")},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: topic, Payload: []byte(`{"t":1}`), QoS: 0, Retain: false})

	// Fixed length in data mode and in the command (BC660K AN forms),
	// binary bytes included; ESC cancels a Ctrl-Z entry.
	bin := []byte{0x00, 0x1a, '\r', '\n', 0xff, '"', ','}
	h.Run(t, []simtest.Step{
		{Send: fmt.Sprintf(`AT+QMTPUB=0,5,1,1,"%s",%d`, topic, len(bin)), Want: "\r\n> "},
		{Raw: bin, Want: ok + urc("+QMTPUB: 0,5,0")},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: topic, Payload: bin, QoS: 1, Retain: false})
	simtesting.Retained(t, b, topic, bin)
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: topic, Payload: nil, QoS: 0, Retain: false}) // simtesting.Retained() cleared it
	h.Run(t, []simtest.Step{
		{Send: `AT+QMTPUB=0,0,0,0,"` + topic + `",5,"hello"`, Want: ok + urc("+QMTPUB: 0,0,0")},
		{Send: `AT+QMTPUB=0,0,0,0,"` + topic + `"`, Want: "\r\n> "},
		{Raw: []byte("dropped\x1b"), Want: ok},
		{Send: "AT", Want: ok},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: topic, Payload: []byte("hello"), QoS: 0, Retain: false})
	select {
	case m := <-ch:
		t.Fatalf("ESC still published %q", m.Payload)
	case <-time.After(100 * time.Millisecond):
	}
}

// BC26 "dataformat" hex in both directions, "showrecvlen" and
// "echomode"; UTF-8 text passes byte for byte.
func TestBC26FormatsAndUTF8(t *testing.T) {
	b := testbroker.Start(t)
	ch := simtesting.Subscribe(t, b, "bin")
	h := simtesting.StartModem(t, "bc26", b, sim.Options{})
	utf := "héllo wörld ✓ 温度"
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTCFG="dataformat",0,1,1`, Want: ok},
		{Send: `AT+QMTCFG="dataformat",0`, Want: urc("+QMTCFG: 1,1") + ok},
		{Send: `AT+QMTCFG="showrecvlen",0,1`, Want: ok},
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"dev1"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: `AT+QMTSUB=0,1,"down",1`, Want: ok + urc("+QMTSUB: 0,1,0,1")},
		{Send: `AT+QMTPUB=0,0,0,0,"bin","00FF1A0d0A"`, Want: ok + urc("+QMTPUB: 0,0,0")},
		{Send: `AT+QMTPUB=0,0,0,0,"bin","0G"`, Want: "\r\nERROR\r\n"},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "bin", Payload: []byte{0, 0xff, 0x1a, '\r', '\n'}, QoS: 0, Retain: false})
	simtesting.Publish(t, b, "down", []byte{0xde, 0xad, 0x00}, 0, false)
	h.Expect(t, urc(`+QMTRECV: 0,0,"down",3,"DEAD00"`))

	h.Run(t, []simtest.Step{
		{Send: `AT+QMTCFG="dataformat",0,0,0`, Want: ok},
		{Send: `AT+QMTCFG="echomode",0,1`, Want: ok},
		{Send: `AT+QMTPUB=0,0,0,0,"bin"`, Want: "\r\n> "},
		{Raw: []byte(utf + "\x1a"), Want: utf + ok + urc("+QMTPUB: 0,0,0")},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "bin", Payload: []byte(utf), QoS: 0, Retain: false})
	simtesting.Publish(t, b, "down", []byte(utf), 1, false)
	h.Expect(t, urc(fmt.Sprintf(`+QMTRECV: 0,1,"down",%d,"%s"`, len(utf), utf)))
}

// vendors.md 4.2(a) [COMPOSED]: BROM banner ending "\n\r", +CPIN: READY,
// the readiness recipe of S13, +IP once attached.
func TestBC26Boot(t *testing.T) {
	h := simtest.Start(t, "bc26", sim.Options{ColdBoot: true})
	var banner strings.Builder
	for _, l := range []string{"F1: 0000 0000", "V0: 0000 0000 [0001]", "00: 0006 000C", "01: 0000 0000", "U0: 0000 0001 [0000]", "T0: 0000 00B4", "Leaving the BROM"} {
		banner.WriteString(l + "\n\r")
	}
	h.Expect(t, banner.String())
	h.Expect(t, urc("+CPIN: READY"))
	h.Expect(t, urc("+IP: 10.64.12.7"))
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QCGDEFCONT="IP","cmnbiot"`, Want: ok},
		{Send: `AT+QCGDEFCONT?`, Want: urc(`+QCGDEFCONT: "IP","cmnbiot"`) + ok},
		{Send: "AT+QBAND=1,8", Want: ok},
		{Send: "AT+QBAND?", Want: urc("+QBAND: 8") + ok},
		{Send: "AT+CEDRXS=0", Want: ok},
		{Send: "AT+QSCLK=0", Want: ok},
		{Send: "AT+CGATT?", Want: urc("+CGATT: 1") + ok},
		{Send: "AT+CGSN=1", Want: urc("+CGSN: "+imei(t, "bc26")) + ok},
		{Send: "ATI", Want: urc("Quectel_Ltd") + urc("Quectel_BC26") + urc("Revision: BC26NBR01A10") + ok},
	})
}

func imei(t *testing.T, name string) string {
	m, err := sim.New(name, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m.Options().IMEI
}
