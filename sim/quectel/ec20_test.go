package quectel_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/atrun/atrun/internal/simtesting"
	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/simtest"
)

// echoed is a command answered with echo on.
func echoed(cmd, want string) simtest.Step { return simtest.Step{Send: cmd, Want: cmd + "\r" + want} }

// vendors.md 5.2(a) [SEEN]: the EC800M log to Alibaba with aliauth,
// verbatim commands, echo on. The broker here grants QoS 2 where
// Alibaba granted 1 (+QMTSUB: 0,1,0,1 in the log).
func TestEC20AliyunLog(t *testing.T) {
	addr, _, strict := simtesting.StartStrictBroker(t, nil)
	post := "/sys/k0leyWHxYT1/Cat1/thing/event/property/post"
	ch := simtesting.Subscribe(t, addr, post)
	h := simtesting.StartModem(t, "ec20", addr, sim.Options{})
	h.Run(t, []simtest.Step{
		echoed(`AT+CGDCONT=1,"IP","CMNET"`, ok),
		echoed(`AT+CGACT=1,1`, ok),
		echoed(`AT+QMTCFG="recv/mode",0,0,1`, ok),
		echoed(`AT+QMTCFG="aliauth",0,"k0leyWHxYT1","Cat1","3af7bc8812cb475e042a0a5ae377c6a1"`, ok),
		echoed(`AT+QMTOPEN=0,"iot-06z00i8mcbcop1x.mqtt.iothub.aliyuncs.com",1883`, ok+urc("+QMTOPEN: 0,0")),
		echoed(`AT+QMTCONN=0,0`, ok+urc("+QMTCONN: 0,0,0")),
		echoed(`AT+QMTSUB=0,1,"/sys/k0leyWHxYT1/Cat1/thing/service/property/set",2`, ok+urc("+QMTSUB: 0,1,0,2")),
		echoed(`AT+QMTPUBEX=0,0,0,0,"`+post+`",30`, "\r\n> "),
	})
	payload := `{"params":{"temp":21.5},"v":1}`
	if len(payload) != 30 {
		t.Fatalf("payload has %d bytes", len(payload))
	}
	h.Run(t, []simtest.Step{{Raw: []byte(payload), Want: payload + ok + urc("+QMTPUBEX: 0,0,0")}})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: post, Payload: []byte(payload), QoS: 0, Retain: false})

	// What "aliauth" made the module send (vendors.md 9.2, hmacsha1).
	mac := hmac.New(sha1.New, []byte("3af7bc8812cb475e042a0a5ae377c6a1"))
	mac.Write([]byte("clientId0deviceNameCat1productKeyk0leyWHxYT1"))
	want := simtesting.Connect{ClientID: "0|securemode=3,signmethod=hmacsha1|", User: "Cat1&k0leyWHxYT1", Pass: hex.EncodeToString(mac.Sum(nil))}
	if got := strict.Last(); got != want {
		t.Fatalf("CONNECT carried %+v; want %+v", got, want)
	}
	h.Run(t, []simtest.Step{echoed(`AT+QMTPUBEX=?`, urc(`+QMTPUBEX: (0-5), <msgid>,(0-2),(0,1),"topic","length"`)+ok)})
}

// vendors.md 5.2(b) [COMPOSED]: QoS 1 publish in both data-mode forms,
// both receive layouts, unsubscribe and cleanup.
func TestEC20PublishReceiveCleanup(t *testing.T) {
	b := testbroker.Start(t)
	up := simtesting.Subscribe(t, b, "up")
	h := simtesting.StartModem(t, "ec20", b, sim.Options{})
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTOPEN=0,"broker.example.com",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"dev1","user","pass"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: `AT+QMTSUB=0,1,"cmd",1,"cmd2",0`, Want: ok + urc("+QMTSUB: 0,1,0,1,0")},
		{Send: `AT+QMTPUB=0,2,1,0,"up",2`, Want: "\r\n> "},
		{Raw: []byte("hi"), Want: ok + urc("+QMTPUB: 0,2,0")},
		{Send: `AT+QMTPUB=0,3,1,0,"up"`, Want: "\r\n> "},
		{Raw: []byte("hi\x1a"), Want: ok + urc("+QMTPUB: 0,3,0")},
	})
	simtesting.WantMessage(t, up, simtesting.Message{Topic: "up", Payload: []byte("hi"), QoS: 1, Retain: false})
	simtesting.WantMessage(t, up, simtesting.Message{Topic: "up", Payload: []byte("hi"), QoS: 1, Retain: false})

	simtesting.Publish(t, b, "cmd", []byte("on"), 0, false)
	h.Expect(t, urc(`+QMTRECV: 0,0,"cmd","on"`))
	h.Run(t, []simtest.Step{{Send: `AT+QMTCFG="recv/mode",0,0,1`, Want: ok}})
	simtesting.Publish(t, b, "cmd", []byte("on"), 0, false)
	h.Expect(t, urc(`+QMTRECV: 0,0,"cmd",2,"on"`))
	simtesting.Publish(t, b, "cmd", []byte("x\r\ny"), 1, false)
	h.Expect(t, urc("+QMTRECV: 0,1,\"cmd\",4,\"x\r\ny\""))

	h.Run(t, []simtest.Step{
		{Send: `AT+QMTUNS=0,4,"cmd"`, Want: ok + urc("+QMTUNS: 0,4,0")},
		{Send: `AT+QMTDISC=0`, Want: ok + urc("+QMTDISC: 0,0")},
		{Send: `AT+QMTCLOSE=0`, Want: ok + urc("+QMTCLOSE: 0,0")},
	})
}

// Binary and UTF-8 payloads through the fixed-length form, retain and
// QoS 2 as the broker carried them.
func TestEC20PayloadsQoSRetain(t *testing.T) {
	b := testbroker.Start(t)
	ch := simtesting.Subscribe(t, b, "data/#")
	h := simtesting.StartModem(t, "ec20", b, sim.Options{})
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	utf := []byte("Grüße, 世界 ✓")
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"dev1"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: fmt.Sprintf(`AT+QMTPUB=0,9,2,1,"data/bin",%d`, len(bin)), Want: "\r\n> "},
		{Raw: bin, Want: ok + urc("+QMTPUB: 0,9,0")},
		{Send: fmt.Sprintf(`AT+QMTPUBEX=0,10,1,0,"data/utf",%d`, len(utf)), Want: "\r\n> "},
		{Raw: utf, Want: ok + urc("+QMTPUBEX: 0,10,0")},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "data/bin", Payload: bin, QoS: 2, Retain: false})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "data/utf", Payload: utf, QoS: 1, Retain: false})
	simtesting.Retained(t, b, "data/bin", bin)
}

// Ring buffer receive (recv/mode 1): +QMTRECV: <id>,<recv_id>, then
// AT+QMTRECV reads it (BG95 AN).
func TestEC20BufferedReceive(t *testing.T) {
	b := testbroker.Start(t)
	h := simtesting.StartModem(t, "ec20", b, sim.Options{})
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTCFG="recv/mode",0,1,1`, Want: ok},
		{Send: `AT+QMTCFG="recv/mode",0`, Want: urc(`+QMTCFG: "recv/mode",1,1`) + ok},
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"dev1"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: `AT+QMTSUB=0,1,"cmd",0`, Want: ok + urc("+QMTSUB: 0,1,0,0")},
	})
	simtesting.Publish(t, b, "cmd", []byte("on"), 0, false)
	h.Expect(t, urc("+QMTRECV: 0,0"))
	simtesting.Publish(t, b, "cmd", []byte("off"), 0, false)
	h.Expect(t, urc("+QMTRECV: 0,1"))
	h.Run(t, []simtest.Step{
		{Send: "AT+QMTRECV?", Want: urc("+QMTRECV: 0,1,1,0,0,0") + ok},
		{Send: "AT+QMTRECV=0,1", Want: urc(`+QMTRECV: 0,0,"cmd",3,"off"`) + ok},
		{Send: "AT+QMTRECV=0", Want: urc(`+QMTRECV: 0,0,"cmd",2,"on"`) + ok},
		{Send: "AT+QMTRECV?", Want: urc("+QMTRECV: 0,0,0,0,0,0") + ok},
	})
}

// Commands in the wrong state, refusals and failed opens (vendors.md 5.2(c)).
func TestEC20Failures(t *testing.T) {
	addr, _, _ := simtesting.StartStrictBroker(t, nil)
	h := simtesting.StartModem(t, "ec20", addr, sim.Options{Quirks: map[string]string{"qmtpubex": "off"}})
	const errLine = "\r\nERROR\r\n"
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTCONN=0,"dev1"`, Want: errLine},
		{Send: `AT+QMTPUB=0,0,0,0,"up"`, Want: errLine},
		{Send: `AT+QMTCLOSE=0`, Want: errLine},
		{Send: `AT+QMTDISC=0`, Want: errLine},
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,2")},
		{Send: `AT+QMTSUB=0,1,"cmd",0`, Want: errLine},
		{Send: `AT+QMTCONN=0,"dev1","bad","x"`, Want: ok + urc("+QMTCONN: 0,0,5")}, // mochi, like mosquitto, answers 5
		{Send: `AT+QMTPUB=0,0,0,0,"up"`, Want: errLine},
		{Send: `AT+QMTCLOSE=0`, Want: ok + urc("+QMTCLOSE: 0,0")},
		{Send: `AT+QMTOPEN=1,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 1,0")},
		{Send: `AT+QMTCONN=1,"dev2","good","x"`, Want: ok + urc("+QMTCONN: 1,0,0")},
		{Send: `AT+QMTSUB=1,1,"denied/x",1`, Want: ok + urc("+QMTSUB: 1,1,0,128")},
		{Send: `AT+QMTSUB=1,0,"cmd",1`, Want: errLine},       // msgID 1-65535
		{Send: `AT+QMTPUB=1,5,0,0,"up"`, Want: errLine},      // QoS 0 needs msgID 0
		{Send: `AT+QMTPUB=1,0,1,0,"up"`, Want: errLine},      // QoS 1 needs one
		{Send: `AT+QMTPUB=1,0,0,0,"up","hi"`, Want: errLine}, // no inline form on EC20
		{Send: `AT+QMTPUBEX=1,0,0,0,"up",2`, Want: errLine},  // quirk: firmware without it
		{Send: `AT+QMTCFG="dataformat",1,0,0`, Want: errLine},
		{Send: `AT+QMTCONN?`, Want: urc("+QMTCONN: 1,3") + ok},
		{Send: "AT+CFUN=0", Want: ok},
		{Send: `AT+QMTOPEN=2,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 2,3")},
	})

	// A port nobody listens on, without the broker override.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	h2 := simtest.Start(t, "ec20", sim.Options{})
	h2.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTOPEN=0,"127.0.0.1",` + strconv.Itoa(port), Want: ok + urc("+QMTOPEN: 0,5")},
		{Send: `AT+QMTOPEN=0,"no-such-host.invalid",1883`, Want: ok + urc("+QMTOPEN: 0,4")},
	})
}

// The remote-close knob: an idle opened link and a connected session
// both end with +QMTSTAT: <id>,1; so does a close after the first publish.
func TestEC20RemoteClose(t *testing.T) {
	b := testbroker.Start(t)
	h := simtesting.StartModem(t, "ec20", b, sim.Options{RemoteCloseAfter: 300 * time.Millisecond})
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
	})
	h.Expect(t, urc("+QMTSTAT: 0,1"))
	h.Run(t, []simtest.Step{
		{Send: `AT+QMTCONN=0,"dev1"`, Want: "\r\nERROR\r\n"},
		{Send: `AT+QMTCLOSE=0`, Want: ok + urc("+QMTCLOSE: 0,0")},
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"dev1"`, Want: ok + urc("+QMTCONN: 0,0,0")},
	})
	h.Expect(t, urc("+QMTSTAT: 0,1"))
	h.Run(t, []simtest.Step{{Send: `AT+QMTCONN?`, Want: ok}})

	h2 := simtesting.StartModem(t, "ec20", b, sim.Options{RemoteCloseSends: 1})
	h2.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"dev2"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: `AT+QMTPUB=0,1,1,0,"up",2`, Want: "\r\n> "},
		{Raw: []byte("hi"), Want: ok},
	})
	h2.ExpectAnyOrder(t, urc("+QMTPUB: 0,1,0"), urc("+QMTSTAT: 0,1"))
}

// TLS over QMTCFG "ssl": seclevel 0 skips verification; seclevel 1
// trusts a CA uploaded with AT+QFUPL; without it the handshake fails and
// QMTOPEN reports -1 (as on EC25 with AWS, S16c).
func TestEC20TLS(t *testing.T) {
	cert, caPEM := simtesting.SelfSigned(t)
	plain, secure, _ := simtesting.StartStrictBroker(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	ch := simtesting.Subscribe(t, plain, "tls/up")
	h := simtesting.StartModem(t, "ec20", secure, sim.Options{})
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTCFG="ssl",0,1,2`, Want: ok},
		{Send: `AT+QMTCFG="ssl",0`, Want: urc(`+QMTCFG: "ssl",1,2`) + ok},
		{Send: `AT+QSSLCFG="seclevel",2,1`, Want: ok},
		{Send: `AT+QMTOPEN=0,"localhost",8883`, Want: ok + urc("+QMTOPEN: 0,-1")},
		{Send: fmt.Sprintf(`AT+QFUPL="ca.pem",%d`, len(caPEM)), Want: "\r\nCONNECT\r\n"},
		{Raw: caPEM, Want: urc(fmt.Sprintf("+QFUPL: %d,%x", len(caPEM), xor16(caPEM))) + ok},
		{Send: fmt.Sprintf(`AT+QFUPL="ca.pem",%d`, len(caPEM)), Want: "\r\n+CME ERROR: 407\r\n"},
		{Send: `AT+QSSLCFG="cacert",2,"ca.pem"`, Want: ok},
		{Send: `AT+QSSLCFG="cacert",2`, Want: urc(`+QSSLCFG: "cacert",2,"ca.pem"`) + ok},
		{Send: `AT+QMTOPEN=0,"localhost",8883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"tls1"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: `AT+QMTPUB=0,0,0,0,"tls/up",3`, Want: "\r\n> "},
		{Raw: []byte("sec"), Want: ok + urc("+QMTPUB: 0,0,0")},
		{Send: `AT+QMTDISC=0`, Want: ok + urc("+QMTDISC: 0,0")},
		{Send: `AT+QSSLCFG="seclevel",2,0`, Want: ok},
		{Send: `AT+QSSLCFG="cacert",2,"none.pem"`, Want: ok},
		{Send: `AT+QMTOPEN=0,"localhost",8883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"tls2"`, Want: ok + urc("+QMTCONN: 0,0,0")},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "tls/up", Payload: []byte("sec"), QoS: 0, Retain: false})
}

func xor16(b []byte) uint16 {
	var x uint16
	for i := 0; i < len(b); i += 2 {
		w := uint16(b[i]) << 8
		if i+1 < len(b) {
			w |= uint16(b[i+1])
		}
		x ^= w
	}
	return x
}

// Boot lines after a power-on (S16) and the prompt quirk.
func TestEC20BootAndPromptQuirk(t *testing.T) {
	h := simtest.Start(t, "ec20", sim.Options{ColdBoot: true, Quirks: map[string]string{"prompt": ">"}})
	h.Expect(t, urc("RDY")+urc("+CPIN: READY")+urc("+QUSIM: 1")+urc("+QIND: SMS DONE")+urc("+QIND: PB DONE"))
	b := testbroker.Start(t)
	h2 := simtesting.StartModem(t, "ec20", b, sim.Options{Quirks: map[string]string{"prompt": ">"}})
	h2.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"dev1"`, Want: ok + urc("+QMTCONN: 0,0,0")},
		{Send: `AT+QMTPUB=0,0,0,0,"up"`, Want: "\r\n>"},
		{Raw: []byte("x\x1a"), Want: ok + urc("+QMTPUB: 0,0,0")},
		{Send: `AT+QICSGP=1,1,"cmnet","",""`, Want: ok},
		{Send: `AT+QICSGP=1`, Want: urc(`+QICSGP: 1,"cmnet","","",0`) + ok},
		{Send: `AT+QIACT=1`, Want: ok},
		{Send: `AT+QIACT?`, Want: urc(`+QIACT: 1,1,1,"10.64.12.7"`) + ok},
		{Send: `AT+QCCID`, Want: urc("+QCCID: "+iccid(t, "ec20")) + ok},
	})
	if _, err := sim.New("ec20", sim.Options{Quirks: map[string]string{"prompt": "$"}}); err == nil {
		t.Fatal("bad quirk value accepted")
	}
}

func iccid(t *testing.T, name string) string {
	m, err := sim.New(name, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m.Options().ICCID
}

// BenchmarkQMTPUB measures one QoS 0 publish through the virtual EC20
// to mosquitto: command, prompt, payload, OK and +QMTPUB.
func BenchmarkQMTPUB(b *testing.B) {
	h := simtesting.StartModem(b, "ec20", testbroker.Start(b), sim.Options{})
	h.Run(b, []simtest.Step{
		echoOff,
		{Send: `AT+QMTOPEN=0,"127.0.0.1",1883`, Want: ok + urc("+QMTOPEN: 0,0")},
		{Send: `AT+QMTCONN=0,"bench"`, Want: ok + urc("+QMTCONN: 0,0,0")},
	})
	steps := []simtest.Step{
		{Send: `AT+QMTPUB=0,0,0,0,"bench",5`, Want: "\r\n> "},
		{Raw: []byte("hello"), Want: ok + urc("+QMTPUB: 0,0,0")},
	}
	for b.Loop() {
		h.Run(b, steps)
	}
}
