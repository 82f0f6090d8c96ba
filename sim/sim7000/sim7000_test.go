package sim7000_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/broker"
	_ "github.com/atrun/atrun/sim/sim7000"
	"github.com/atrun/atrun/sim/simtest"
)

// MQTT 3.1.1 packets of vendors.md section 0.
func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	pktConnect   = unhex("101000044D5154540402003C000464657631")
	pktConnack   = unhex("20020000")
	pktSubscribe = unhex("820800010003636D6401")
	pktSuback    = unhex("9003000101")
	pktPub0      = unhex("3006000275706869")
	pktPub1      = unhex("32080002757000026869")
	pktPuback    = unhex("40020002")
	pktIncoming  = unhex("30070003636D646F6E")
	pktDisc      = unhex("E000")
)

func startBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// echoServer accepts TCP connections and echoes what it reads; the
// returned channel reports each connection's total bytes at its close.
func echoServer(t *testing.T) (port int, closed <-chan []byte) {
	return server(t, true)
}

// server is echoServer, or a silent sink when echo is false.
func server(t *testing.T, echo bool) (port int, closed <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan []byte, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var all bytes.Buffer
				w := io.Writer(&all)
				if echo {
					w = io.MultiWriter(c, &all)
				}
				io.Copy(w, c)
				ch <- all.Bytes()
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, ch
}

func wantMsg(t *testing.T, b *broker.Broker, topic string, payload []byte, qos byte, retain bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := b.Wait(ctx, func(m broker.Message) bool { return m.Topic == topic })
	if err != nil {
		t.Fatalf("broker never got %s: %v (got %v)", topic, err, b.Received())
	}
	if !bytes.Equal(m.Payload, payload) || m.QoS != qos || m.Retain != retain {
		t.Fatalf("broker got %v, want payload %q qos %d retain %t", m, payload, qos, retain)
	}
}

const ok = "\r\nOK\r\n"

// attachMux is transcript 2.2(a) of vendors.md: TinyGSM's bring-up.
func attachMux() []simtest.Step {
	return []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: "AT+CMEE=2", Want: ok},
		{Send: "AT+CPIN?", Want: "\r\n+CPIN: READY\r\n" + ok},
		{Send: "AT+CEREG?", Want: "\r\n+CEREG: 0,1\r\n" + ok},
		{Send: `AT+CGDCONT=1,"IP","hologram"`, Want: ok},
		{Send: "AT+CGATT=1", Want: ok},
		{Send: "AT+CIPMUX=1", Want: ok},
		{Send: "AT+CIPQSEND=1", Want: ok},
		{Send: "AT+CIPRXGET=1", Want: ok},
		{Send: `AT+CSTT="hologram","",""`, Want: ok},
		{Send: "AT+CIICR", Want: ok},
		{Send: "AT+CIFSR", Want: "\r\n10.236.253.108\r\n"},
		{Send: `AT+CIPSTART=0,"TCP","test.mosquitto.org",1883`, Want: ok + "\r\n0, CONNECT OK\r\n"},
	}
}

// TestManualTranscriptMQTTOverSocket replays vendors.md 2.2 (a), (b) and
// (c) against a real broker: the host name is redirected by Options.Broker.
func TestManualTranscriptMQTTOverSocket(t *testing.T) {
	b := startBroker(t)
	h := simtest.Start(t, "sim7000", sim.Options{Broker: b.Addr(), LocalIP: "10.236.253.108"})
	h.Run(t, attachMux())
	h.Run(t, []simtest.Step{
		{Send: "AT+CIPSEND=0,18", Want: "\r\n> "},
		{Raw: pktConnect, Want: "\r\nDATA ACCEPT:0,18\r\n\r\n+CIPRXGET: 1,0\r\n"},
		{Send: "AT+CIPRXGET=4,0", Want: "\r\n+CIPRXGET: 4,0,4\r\n" + ok},
		{Send: "AT+CIPRXGET=2,0,4", Want: "\r\n+CIPRXGET: 2,0,4,0\r\n" + string(pktConnack) + ok},
		{Send: "AT+CIPSEND=0,10", Want: "\r\n> "},
		{Raw: pktSubscribe, Want: "\r\nDATA ACCEPT:0,10\r\n\r\n+CIPRXGET: 1,0\r\n"},
		{Send: "AT+CIPRXGET=2,0,1460", Want: "\r\n+CIPRXGET: 2,0,5,0\r\n" + string(pktSuback) + ok},
		{Send: "AT+CIPSEND=0,8", Want: "\r\n> "},
		{Raw: pktPub0, Want: "\r\nDATA ACCEPT:0,8\r\n"},
	})
	wantMsg(t, b, "up", []byte("hi"), 0, false)
	h.Run(t, []simtest.Step{
		{Send: "AT+CIPSEND=0,10", Want: "\r\n> "},
		{Raw: pktPub1, Want: "\r\nDATA ACCEPT:0,10\r\n\r\n+CIPRXGET: 1,0\r\n"},
		{Send: "AT+CIPRXGET=2,0,1460", Want: "\r\n+CIPRXGET: 2,0,4,0\r\n" + string(pktPuback) + ok},
	})
	if err := b.Publish("cmd", []byte("on"), 0, false); err != nil {
		t.Fatal(err)
	}
	h.Run(t, []simtest.Step{
		{Want: "\r\n+CIPRXGET: 1,0\r\n"},
		{Send: "AT+CIPRXGET=2,0,1460", Want: "\r\n+CIPRXGET: 2,0,9,0\r\n" + string(pktIncoming) + ok},
		// (c) cleanup
		{Send: "AT+CIPSEND=0,2", Want: "\r\n> "},
		// A broker closes the connection on DISCONNECT (MQTT 3.1.1
		// 3.14.4), so the link reports CLOSED and CIPCLOSE is refused as
		// on a SIM800 (S21b), unlike the composed transcript 2.2(c).
		{Raw: pktDisc, Want: "\r\nDATA ACCEPT:0,2\r\n\r\n0, CLOSED\r\n"},
		{Send: "AT+CIPCLOSE=0", Want: "\r\n+CME ERROR: operation not allowed\r\n"},
		{Send: "AT+CIPSHUT", Want: "\r\nSHUT OK\r\n"},
		{Send: "AT+CGATT=0", Want: ok},
		{Send: "AT+CGATT?", Want: "\r\n+CGATT: 0\r\n" + ok},
	})
}

// TestSeedFlowHexCtrlZ is the seed's field flow (seeds/001): CIPSENDHEX=1,
// single link, CONNECT + PUBLISH typed as hex and ended by Ctrl-Z.
func TestSeedFlowHexCtrlZ(t *testing.T) {
	b := startBroker(t)
	h := simtest.Start(t, "sim7000", sim.Options{Broker: b.Addr()})
	h.Run(t, []simtest.Step{
		{Send: "AT+CIPCLOSE", Want: "AT+CIPCLOSE\r\r\n+CME ERROR: 3\r\n"},
		{Send: "AT+CIPSENDHEX=1", Want: "AT+CIPSENDHEX=1\r" + ok},
		{Send: `AT+CSTT="nbiot"`, Want: `AT+CSTT="nbiot"` + "\r" + ok},
		{Send: "AT+CIICR", Want: "AT+CIICR\r" + ok},
		{Send: "AT+CIFSR", Want: "AT+CIFSR\r\r\n10.64.12.7\r\n"},
		{Send: `AT+CIPSTART="TCP","203.0.113.9","1883"`, Want: `AT+CIPSTART="TCP","203.0.113.9","1883"` + "\r" + ok + "\r\nCONNECT OK\r\n"},
		{Send: "AT+CIPSEND", Want: "AT+CIPSEND\r\r\n> "},
	})
	payload := strings.ToUpper(hex.EncodeToString(append(append([]byte{}, pktConnect...), pktPub0...)))
	h.Write(t, []byte(payload))
	h.Expect(t, payload) // echo on: the typed hex comes back
	h.Write(t, []byte{0x1a})
	// CIPHEAD=0: the CONNACK is pushed raw, racing SEND OK.
	h.ExpectAnyOrder(t, "\r\nSEND OK\r\n", string(pktConnack))
	wantMsg(t, b, "up", []byte("hi"), 0, false)
	h.Run(t, []simtest.Step{
		{Send: "AT+CIPCLOSE", Want: "AT+CIPCLOSE\r\r\nCLOSE OK\r\n"},
	})
}

// TestReceivePushModes checks the three push forms with an echo server.
func TestReceivePushModes(t *testing.T) {
	port, _ := echoServer(t)
	tests := []struct {
		name  string
		setup []string
		start string
		conn  string
		send  string
		sent  string
		recv  string
	}{
		{"raw", nil, `AT+CIPSTART="TCP","127.0.0.1",%d`, "\r\nCONNECT OK\r\n", "AT+CIPSEND=5", "\r\nSEND OK\r\n", "a\r\nOK"},
		{"ciphead", []string{"AT+CIPHEAD=1"}, `AT+CIPSTART="TCP","127.0.0.1",%d`, "\r\nCONNECT OK\r\n", "AT+CIPSEND=5", "\r\nSEND OK\r\n", "\r\n+IPD,5:a\r\nOK"},
		{"mux", []string{"AT+CIPMUX=1"}, `AT+CIPSTART=3,"TCP","127.0.0.1",%d`, "\r\n3, CONNECT OK\r\n", "AT+CIPSEND=3,5", "\r\n3, SEND OK\r\n", "\r\n+RECEIVE,3,5:\r\na\r\nOK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := simtest.Start(t, "sim7000", sim.Options{})
			h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + ok}})
			for _, c := range tt.setup {
				h.Run(t, []simtest.Step{{Send: c, Want: ok}})
			}
			h.Run(t, []simtest.Step{
				{Send: `AT+CSTT="apn"`, Want: ok},
				{Send: "AT+CIICR", Want: ok},
				{Send: "AT+CIFSR", Want: "\r\n10.64.12.7\r\n"},
				{Send: fmt.Sprintf(tt.start, port), Want: ok + tt.conn},
				{Send: tt.send, Want: "\r\n> "},
				{Raw: []byte("a\r\nOK"), AnyOrder: []string{tt.sent, tt.recv}},
			})
		})
	}
}

func TestStateErrorsAndLimits(t *testing.T) {
	port, _ := echoServer(t)
	h := simtest.Start(t, "sim7000", sim.Options{})
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: `AT+CIPSTART="TCP","127.0.0.1",1883`, Want: "\r\n+CME ERROR: 3\r\n"},
		{Send: "AT+CIICR", Want: "\r\n+CME ERROR: 3\r\n"},
		{Send: "AT+CIFSR", Want: "\r\nERROR\r\n"},
		{Send: "AT+CIPSEND", Want: "\r\n+CME ERROR: 3\r\n"},
		{Send: "AT+CMEE=2", Want: ok},
		{Send: "AT+CIPCLOSE", Want: "\r\n+CME ERROR: operation not allowed\r\n"},
		{Send: `AT+CSTT="apn"`, Want: ok},
		{Send: `AT+CSTT="apn"`, Want: "\r\n+CME ERROR: operation not allowed\r\n"},
		{Send: "AT+CIPMUX=1", Want: "\r\n+CME ERROR: operation not allowed\r\n"},
		{Send: "AT+CIICR", Want: ok},
		{Send: "AT+CIPSTATUS", Want: ok + "\r\nSTATE: IP GPRSACT\r\n"},
		{Send: fmt.Sprintf(`AT+CIPSTART="TCP","127.0.0.1",%d`, port), Want: "\r\n+CME ERROR: operation not allowed\r\n"},
		{Send: "AT+CIFSR", Want: "\r\n10.64.12.7\r\n"},
		{Send: "AT+CIPSTATUS", Want: ok + "\r\nSTATE: IP STATUS\r\n"},
		{Send: fmt.Sprintf(`AT+CIPSTART="TCP","127.0.0.1",%d`, port), Want: ok + "\r\nCONNECT OK\r\n"},
		{Send: fmt.Sprintf(`AT+CIPSTART="TCP","127.0.0.1",%d`, port), Want: ok + "\r\nALREADY CONNECT\r\n"},
		{Send: "AT+CIPSTATUS", Want: ok + "\r\nSTATE: CONNECT OK\r\n"},
		{Send: "AT+CIPSEND?", Want: "\r\n+CIPSEND: 1460\r\n" + ok},
		{Send: "AT+CIPSEND=1461", Want: "\r\nERROR\r\n"},
		{Send: "AT+CIPSEND=0", Want: "\r\nERROR\r\n"},
		{Send: "AT+CIPSENDHEX=1", Want: ok},
		{Send: "AT+CIPSEND=2", Want: "\r\n> "},
		{Raw: []byte("zz!!"), Want: "\r\nERROR\r\n"},
		{Send: "AT+CIPSEND", Want: "\r\n> "},
		{Raw: []byte{'4', '1', 0x1b}, Want: ok},
		{Send: "AT+CIPSENDHEX=0", Want: ok},
		{Send: "AT+CIPSEND", Want: "\r\n> "},
		{Raw: append(bytes.Repeat([]byte("x"), 1461), 0x1a), Want: "\r\nERROR\r\n"},
		{Send: "AT+CIPSEND=1460", Want: "\r\n> "},
		{Raw: bytes.Repeat([]byte("y"), 1460), AnyOrder: []string{"\r\nSEND OK\r\n", strings.Repeat("y", 1460)}},
		{Send: "AT+CIPSHUT", Want: "\r\nSHUT OK\r\n"},
		{Send: "AT+CIPSTATUS", Want: ok + "\r\nSTATE: IP INITIAL\r\n"},
	})
}

func TestConnectFail(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	for _, mux := range []bool{false, true} {
		h := simtest.Start(t, "sim7000", sim.Options{})
		h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + ok}})
		start, fail := fmt.Sprintf(`AT+CIPSTART="TCP","127.0.0.1",%d`, port), "\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n"
		if mux {
			h.Run(t, []simtest.Step{{Send: "AT+CIPMUX=1", Want: ok}})
			start, fail = fmt.Sprintf(`AT+CIPSTART=0,"TCP","127.0.0.1",%d`, port), "\r\n0, CONNECT FAIL\r\n"
		}
		h.Run(t, []simtest.Step{
			{Send: `AT+CSTT="apn"`, Want: ok},
			{Send: "AT+CIICR", Want: ok},
			{Send: "AT+CIFSR", Want: "\r\n10.64.12.7\r\n"},
			{Send: start, Want: ok + fail},
		})
	}
}

// TestQuirks runs one exchange per quirk value.
func TestQuirks(t *testing.T) {
	port, _ := echoServer(t)
	tests := []struct {
		quirks   map[string]string
		conn     string
		prompt   string
		sendOK   string
		closeOK  string
		typed    string // echo of the typed payload (Ctrl-Z mode)
		echoMode bool
	}{
		{nil, "0, CONNECT OK", "\r\n> ", "0, SEND OK", "0, CLOSE OK", "", false},
		{map[string]string{"mux-sep": ",", "prompt": ">"}, "0,CONNECT OK", "\r\n>", "0,SEND OK", "0,CLOSE OK", "", false},
		{map[string]string{"payload-echo": "on"}, "0, CONNECT OK", "\r\n> ", "0, SEND OK", "0, CLOSE OK", "ab", true},
		{map[string]string{"payload-echo": "off"}, "0, CONNECT OK", "\r\n> ", "0, SEND OK", "0, CLOSE OK", "", true},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			h := simtest.Start(t, "sim7000", sim.Options{Quirks: tt.quirks})
			e := func(cmd string) string {
				if tt.echoMode {
					return cmd + "\r"
				}
				return ""
			}
			if !tt.echoMode {
				h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + ok}})
			}
			start := fmt.Sprintf(`AT+CIPSTART=0,"TCP","127.0.0.1",%d`, port)
			h.Run(t, []simtest.Step{
				{Send: "AT+CIPMUX=1", Want: e("AT+CIPMUX=1") + ok},
				{Send: `AT+CSTT="apn"`, Want: e(`AT+CSTT="apn"`) + ok},
				{Send: "AT+CIICR", Want: e("AT+CIICR") + ok},
				{Send: "AT+CIFSR", Want: e("AT+CIFSR") + "\r\n10.64.12.7\r\n"},
				{Send: start, Want: e(start) + ok + "\r\n" + tt.conn + "\r\n"},
				{Send: "AT+CIPSEND=0", Want: e("AT+CIPSEND=0") + tt.prompt},
				{Raw: []byte("ab"), Want: tt.typed},
				{Raw: []byte{0x1a}, AnyOrder: []string{"\r\n" + tt.sendOK + "\r\n", "\r\n+RECEIVE,0,2:\r\nab"}},
				{Send: "AT+CIPCLOSE=0", Want: e("AT+CIPCLOSE=0") + "\r\n" + tt.closeOK + "\r\n"},
			})
		})
	}
	if _, err := sim.New("sim7000", sim.Options{Quirks: map[string]string{"prompt": "$"}}); err == nil || !strings.Contains(err.Error(), `quirk "prompt": value "$"`) {
		t.Errorf("bad quirk value error = %v", err)
	}
}

func TestInfoCommands(t *testing.T) {
	h := simtest.Start(t, "sim7000", sim.Options{IMEI: "490154203237518", ICCID: "89860318640220133897", IMSI: "460031234567890"})
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: "ATI", Want: "\r\nSIM7000E R1351\r\n" + ok},
		{Send: "AT+CGMI", Want: "\r\nSIMCOM INCORPORATED\r\n" + ok},
		{Send: "AT+CGMM", Want: "\r\nSIMCOM_SIM7000E\r\n" + ok},
		{Send: "AT+CGMR", Want: "\r\nRevision:1351B04SIM7000E\r\n" + ok},
		{Send: "AT+CGSN", Want: "\r\n490154203237518\r\n" + ok},
		{Send: "AT+CCID", Want: "\r\n89860318640220133897\r\n" + ok},
		{Send: "AT+CIMI", Want: "\r\n460031234567890\r\n" + ok},
		{Send: "AT+CSQ", Want: "\r\n+CSQ: 20,99\r\n" + ok},
	})
}

// TestRestartBootLines: AT+CFUN=1,1 prints the SIMCom boot lines and
// forgets the TCP/IP state.
func TestRestartBootLines(t *testing.T) {
	h := simtest.Start(t, "sim7000", sim.Options{})
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: `AT+CSTT="apn"`, Want: ok},
		{Send: "AT+CFUN=1,1", Want: ok + "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n"},
		{Send: `AT+CSTT="apn"`, Want: `AT+CSTT="apn"` + "\r" + ok},
	})
}

// TestManualTranscriptNativeMQTT replays vendors.md 2.2 (d) against a real
// broker.
func TestManualTranscriptNativeMQTT(t *testing.T) {
	b := startBroker(t)
	h := simtest.Start(t, "sim7000", sim.Options{Broker: b.Addr(), LocalIP: "10.0.0.5"})
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: "AT+SMCONN", Want: "\r\nERROR\r\n"}, // no bearer yet
		{Send: `AT+CNACT=1,"hologram"`, Want: ok + "\r\n+APP PDP: ACTIVE\r\n"},
		{Send: "AT+CNACT?", Want: "\r\n+CNACT: 1,\"10.0.0.5\"\r\n" + ok},
		{Send: `AT+SMCONF="URL","broker.example.com",1883`, Want: ok},
		{Send: `AT+SMCONF="CLIENTID","dev1"`, Want: ok},
		{Send: `AT+SMCONF="KEEPTIME",60`, Want: ok},
		{Send: `AT+SMCONF="USERNAME","u"`, Want: ok},
		{Send: `AT+SMCONF="PASSWORD","p"`, Want: ok},
		{Send: `AT+SMCONF="COLOR","red"`, Want: "\r\nERROR\r\n"},
		{Send: "AT+SMCONN", Want: ok},
		{Send: "AT+SMSTATE?", Want: "\r\n+SMSTATE: 1\r\n" + ok},
		{Send: `AT+SMSUB="cmd",1`, Want: ok},
		{Send: `AT+SMSUB="cmd",1`, Want: "\r\nERROR\r\n"},
		{Send: `AT+SMPUB="up",2,0,0`, Want: "\r\n> "},
		{Raw: []byte("hi"), Want: ok},
	})
	wantMsg(t, b, "up", []byte("hi"), 0, false)
	if got := b.Received()[0].ClientID; got != "dev1" {
		t.Errorf("broker saw client id %q, want dev1", got)
	}
	h.Run(t, []simtest.Step{
		{Send: `AT+SMPUB="up/1",5,1,1`, Want: "\r\n> "},
		{Raw: []byte("a\r\n\x00b"), Want: ok},
	})
	wantMsg(t, b, "up/1", []byte("a\r\n\x00b"), 1, true)
	if err := b.Publish("cmd", []byte("on"), 0, false); err != nil {
		t.Fatal(err)
	}
	h.Run(t, []simtest.Step{
		{Want: "\r\n+SMSUB: \"cmd\",\"on\"\r\n"},
		{Send: `AT+SMUNSUB="cmd"`, Want: ok},
		{Send: "AT+SMDISC", Want: ok},
		{Send: "AT+SMSTATE?", Want: "\r\n+SMSTATE: 0\r\n" + ok},
		{Send: `AT+SMPUB="up",2,0,0`, Want: "\r\nERROR\r\n"},
	})
}

func TestSMSubTwoLineQuirk(t *testing.T) {
	b := startBroker(t)
	h := simtest.Start(t, "sim7000", sim.Options{Broker: b.Addr(), Quirks: map[string]string{"smsub": "two-line"}})
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: `AT+CNACT=1,"apn"`, Want: ok + "\r\n+APP PDP: ACTIVE\r\n"},
		{Send: `AT+SMCONF="URL","127.0.0.1:1883"`, Want: ok},
		{Send: `AT+SMCONF="CLIENTID","two"`, Want: ok},
		{Send: "AT+SMCONN", Want: ok},
		{Send: `AT+SMSUB="cmd",0`, Want: ok},
	})
	if err := b.Publish("cmd", []byte("x,\"y\""), 0, false); err != nil {
		t.Fatal(err)
	}
	h.Expect(t, "\r\n+SMSUB: \"cmd\",5\r\nx,\"y\"\r\n")
}

// TestRemoteClose: the remote-close knobs end sockets (CLOSED) and MQTT
// sessions (+SMSTATE: 0).
func TestRemoteClose(t *testing.T) {
	t.Run("socket after sends", func(t *testing.T) {
		port, closed := server(t, false)
		h := simtest.Start(t, "sim7000", sim.Options{RemoteCloseSends: 2})
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r" + ok},
			{Send: "AT+CIPRXGET=1", Want: ok},
			{Send: `AT+CSTT="apn"`, Want: ok},
			{Send: "AT+CIICR", Want: ok},
			{Send: "AT+CIFSR", Want: "\r\n10.64.12.7\r\n"},
			{Send: fmt.Sprintf(`AT+CIPSTART="TCP","127.0.0.1",%d`, port), Want: ok + "\r\nCONNECT OK\r\n"},
			{Send: "AT+CIPSEND=1", Want: "\r\n> "},
			{Raw: []byte("1"), Want: "\r\nSEND OK\r\n"},
			{Send: "AT+CIPSEND=1", Want: "\r\n> "},
			{Raw: []byte("2"), AnyOrder: []string{"\r\nSEND OK\r\n", "\r\nCLOSED\r\n"}},
			{Send: "AT+CIPSTATUS", Want: ok + "\r\nSTATE: TCP CLOSED\r\n"},
			{Send: "AT+CIPSEND=1", Want: "\r\n+CME ERROR: 3\r\n"},
		})
		select {
		case got := <-closed:
			if string(got) != "12" {
				t.Errorf("server received %q, want 12", got)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("server connection not closed")
		}
	})
	t.Run("mqtt after time", func(t *testing.T) {
		b := startBroker(t)
		h := simtest.Start(t, "sim7000", sim.Options{Broker: b.Addr(), RemoteCloseAfter: 50 * time.Millisecond})
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r" + ok},
			{Send: `AT+CNACT=1,"apn"`, Want: ok + "\r\n+APP PDP: ACTIVE\r\n"},
			{Send: `AT+SMCONF="URL","x",1883`, Want: ok},
			{Send: `AT+SMCONF="CLIENTID","c1"`, Want: ok},
			{Send: "AT+SMCONN", Want: ok},
			{Want: "\r\n+SMSTATE: 0\r\n"},
			{Send: "AT+SMSTATE?", Want: "\r\n+SMSTATE: 0\r\n" + ok},
		})
	})
	t.Run("mqtt after publishes", func(t *testing.T) {
		b := startBroker(t)
		h := simtest.Start(t, "sim7000", sim.Options{Broker: b.Addr(), RemoteCloseSends: 1})
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r" + ok},
			{Send: `AT+CNACT=1,"apn"`, Want: ok + "\r\n+APP PDP: ACTIVE\r\n"},
			{Send: `AT+SMCONF="URL","x",1883`, Want: ok},
			{Send: `AT+SMCONF="CLIENTID","c1"`, Want: ok},
			{Send: "AT+SMCONN", Want: ok},
			{Send: `AT+SMPUB="t",1,1,0`, Want: "\r\n> "},
			{Raw: []byte("z"), Want: ok + "\r\n+SMSTATE: 0\r\n"},
		})
		wantMsg(t, b, "t", []byte("z"), 1, false)
	})
}

// TestRealisticDelays: with TimeScale 1 the bring-up takes modem time
// (checked on the synctest clock), and TimeScale 0.5 halves it.
func TestRealisticDelays(t *testing.T) {
	for _, scale := range []float64{1, 0.5} {
		synctest.Test(t, func(t *testing.T) {
			h := simtest.Start(t, "sim7000", sim.Options{TimeScale: scale, Seed: 9})
			h.Run(t, []simtest.Step{
				{Send: "ATE0", Want: "ATE0\r" + ok},
				{Send: `AT+CSTT="apn"`, Want: ok},
			})
			timed := func(cmd, want string, lo, hi time.Duration) {
				start := time.Now()
				h.Run(t, []simtest.Step{{Send: cmd, Want: want}})
				d := time.Since(start)
				lo, hi = time.Duration(float64(lo)*scale), time.Duration(float64(hi)*scale)
				if d < lo || d > hi {
					t.Errorf("scale %v: %s took %v, want %v-%v", scale, cmd, d, lo, hi)
				}
			}
			timed("AT+CIICR", ok, time.Second, 3*time.Second)
			timed("AT+CIPSHUT", "\r\nSHUT OK\r\n", 300*time.Millisecond, time.Second)
		})
	}
}
