package sarar4_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/broker"
	_ "github.com/atrun/atrun/sim/sarar4"
	"github.com/atrun/atrun/sim/simtest"
)

const ok = "\r\nOK\r\n"

// MQTT packets of vendors.md section 0, as hex text.
const (
	hxConnect   = "101000044D5154540402003C000464657631"
	hxConnack   = "20020000"
	hxSubscribe = "820800010003636D6401"
	hxSuback    = "9003000101"
	hxPub0      = "3006000275706869"
	hxPub1      = "32080002757000026869"
	hxPuback    = "40020002"
	hxIncoming  = "30070003636D646F6E"
	hxDisc      = "E000"
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

func wantMsg(t *testing.T, b *broker.Broker, topic string, payload []byte, qos byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := b.Wait(ctx, func(m broker.Message) bool { return m.Topic == topic })
	if err != nil {
		t.Fatalf("broker never got %s: %v", topic, err)
	}
	if !bytes.Equal(m.Payload, payload) || m.QoS != qos {
		t.Fatalf("broker got %v, want payload %q qos %d", m, payload, qos)
	}
}

// echoServer echoes every connection; it returns its port.
func echoServer(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// attach is transcript 3.2 (a) of vendors.md (Zephyr's init).
func attach() []simtest.Step {
	return []simtest.Step{
		{Send: "AT", Want: "AT\r" + ok},
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: "AT+CFUN=0", Want: ok},
		{Send: "AT+CMEE=1", Want: ok},
		{Send: "AT+CREG=1", Want: ok},
		{Send: "AT+UDCONF=1,1", Want: ok},
		{Send: `AT+CGDCONT=1,"IP","m2m.com.attz"`, Want: ok},
		{Send: "AT+CFUN=1", Want: ok + "\r\n+CREG: 2\r\n\r\n+CREG: 1\r\n"},
		{Send: "AT+COPS=0,0", Want: ok},
		{Send: "AT+CESQ", Want: "\r\n+CESQ: 99,99,255,255,20,60\r\n" + ok},
	}
}

// TestManualTranscriptHexMQTT replays vendors.md 3.2 (a), (b) and (c)
// against a real broker (host redirected by Options.Broker).
func TestManualTranscriptHexMQTT(t *testing.T) {
	b := startBroker(t)
	h := simtest.Start(t, "sara-r4", sim.Options{Broker: b.Addr()})
	h.Run(t, attach())
	h.Run(t, []simtest.Step{
		{Send: "AT+USOCR=6", Want: "\r\n+USOCR: 0\r\n" + ok},
		{Send: `AT+USOCO=0,"test.mosquitto.org",1883,1`, Want: ok + "\r\n+UUSOCO: 0,0\r\n"},
		{Send: `AT+USOWR=0,18,"` + hxConnect + `"`, Want: "\r\n+USOWR: 0,18\r\n" + ok + "\r\n+UUSORD: 0,4\r\n"},
		{Send: "AT+USORD=0,4", Want: "\r\n+USORD: 0,4,\"" + hxConnack + "\"\r\n" + ok},
		{Send: `AT+USOWR=0,10,"` + hxSubscribe + `"`, Want: "\r\n+USOWR: 0,10\r\n" + ok + "\r\n+UUSORD: 0,5\r\n"},
		{Send: "AT+USORD=0,5", Want: "\r\n+USORD: 0,5,\"" + hxSuback + "\"\r\n" + ok},
		{Send: `AT+USOWR=0,8,"` + hxPub0 + `"`, Want: "\r\n+USOWR: 0,8\r\n" + ok},
	})
	wantMsg(t, b, "up", []byte("hi"), 0)
	h.Run(t, []simtest.Step{
		{Send: `AT+USOWR=0,10,"` + hxPub1 + `"`, Want: "\r\n+USOWR: 0,10\r\n" + ok + "\r\n+UUSORD: 0,4\r\n"},
		{Send: "AT+USORD=0,4", Want: "\r\n+USORD: 0,4,\"" + hxPuback + "\"\r\n" + ok},
	})
	if err := b.Publish("cmd", []byte("on"), 0, false); err != nil {
		t.Fatal(err)
	}
	h.Run(t, []simtest.Step{
		{Want: "\r\n+UUSORD: 0,9\r\n"},
		{Send: "AT+USORD=0,9", Want: "\r\n+USORD: 0,9,\"" + hxIncoming + "\"\r\n" + ok},
		{Send: "AT+USORD=0,7", Want: "\r\n+USORD: 0,\"\"\r\n" + ok}, // 3.2 (d): nothing to read
		// (c) cleanup; the broker closes on DISCONNECT, +UUSOCL follows.
		{Send: `AT+USOWR=0,2,"` + hxDisc + `"`, Want: "\r\n+USOWR: 0,2\r\n" + ok + "\r\n+UUSOCL: 0\r\n"},
		{Send: "AT+USOCL=0", Want: "\r\n+CME ERROR: 3\r\n"},
		{Send: "AT+USOCR=6", Want: "\r\n+USOCR: 0\r\n" + ok},
		{Send: "AT+USOCL=0", Want: ok},
	})
}

// TestBinaryWrite is the binary-mode variant of 3.2 (b): "@", exactly
// len raw bytes (any value), +USOWR.
func TestBinaryWrite(t *testing.T) {
	port := echoServer(t)
	payload := []byte{0x10, '\r', '\n', 0x1a, 0x1b, 0, '"', 0xff}
	tests := []struct {
		name   string
		quirks map[string]string
		hex    bool
		typed  []byte
		prompt string
	}{
		{"raw", nil, false, payload, "\r\n@"},
		{"raw in hex mode", nil, true, payload, "\r\n@"},
		{"bare prompt", map[string]string{"prompt": "@"}, false, payload, "@"},
		{"hex-affected firmware", map[string]string{"binary-hex": "hex"}, true, []byte(strings.ToUpper(hex.EncodeToString(payload))), "\r\n@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := simtest.Start(t, "sara-r4", sim.Options{Quirks: tt.quirks})
			h.Run(t, []simtest.Step{
				{Send: "ATE0", Want: "ATE0\r" + ok},
				{Send: fmt.Sprintf("AT+UDCONF=1,%d", map[bool]int{false: 0, true: 1}[tt.hex]), Want: ok},
				{Send: "AT+USOCR=6", Want: "\r\n+USOCR: 0\r\n" + ok},
				{Send: fmt.Sprintf(`AT+USOCO=0,"127.0.0.1",%d`, port), Want: ok},
				{Send: "AT+USOWR=0,8", Want: tt.prompt},
				{Raw: tt.typed, Want: "\r\n+USOWR: 0,8\r\n" + ok + "\r\n+UUSORD: 0,8\r\n"},
			})
			if tt.hex {
				h.Run(t, []simtest.Step{{Send: "AT+USORD=0,8", Want: "\r\n+USORD: 0,8,\"" + strings.ToUpper(hex.EncodeToString(payload)) + "\"\r\n" + ok}})
			} else {
				h.Run(t, []simtest.Step{{Send: "AT+USORD=0,8", Want: "\r\n+USORD: 0,8,\"" + string(payload) + "\"\r\n" + ok}})
			}
		})
	}
}

func TestPartialReadAndPeerClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closeNow := make(chan struct{})
	closed := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("hello world"))
		<-closeNow
		c.Close()
		close(closed)
	}()
	h := simtest.Start(t, "sara-r4", sim.Options{})
	port := ln.Addr().(*net.TCPAddr).Port
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: "AT+USOCR=6", Want: "\r\n+USOCR: 0\r\n" + ok},
		{Send: fmt.Sprintf(`AT+USOCO=0,"127.0.0.1",%d`, port), Want: ok + "\r\n+UUSORD: 0,11\r\n"},
		{Send: "AT+USOCTL=0,10", Want: "\r\n+USOCTL: 0,10,4\r\n" + ok},
	})
	close(closeNow)
	<-closed
	// +UUSOCL waits until the data is read (S6); poll the state until
	// the close is seen, as a driver would.
	for {
		h.Send(t, "AT+USOCTL=0,10")
		out, err := h.Until(ok, simtest.Timeout)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "+USOCTL: 0,10,7") {
			break
		}
	}
	h.Run(t, []simtest.Step{
		{Send: "AT+USORD=0,0", Want: "\r\n+USORD: 0,11\r\n" + ok},
		{Send: "AT+USORD=0,5", Want: "\r\n+USORD: 0,5,\"hello\"\r\n" + ok + "\r\n+UUSORD: 0,6\r\n"},
		{Send: "AT+USORD=0,100", Want: "\r\n+USORD: 0,6,\" world\"\r\n" + ok + "\r\n+UUSOCL: 0\r\n"},
		{Send: "AT+USORD=0,1", Want: "\r\n+CME ERROR: 3\r\n"},
	})
}

func TestConnectFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // refused from now on
	h := simtest.Start(t, "sara-r4", sim.Options{})
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: "AT+USOCR=6", Want: "\r\n+USOCR: 0\r\n" + ok},
		{Send: fmt.Sprintf(`AT+USOCO=0,"127.0.0.1",%d,1`, port), Want: ok + "\r\n+UUSOCO: 0,111\r\n"},
		{Send: "AT+USOER", Want: "\r\n+USOER: 111\r\n" + ok},
		{Send: "AT+CMEE=2", Want: ok},
		{Send: fmt.Sprintf(`AT+USOCO=0,"127.0.0.1",%d`, port), Want: "\r\n+CME ERROR: Operation not allowed\r\n"},
		{Send: `AT+USOWR=0,2,"hi"`, Want: "\r\n+CME ERROR: Operation not allowed\r\n"},
		{Send: "AT+USOCL=0", Want: ok},
		{Send: "AT+USOCL=0", Want: "\r\n+CME ERROR: Operation not allowed\r\n"},
	})
}

func TestLimitsAndSockets(t *testing.T) {
	port := echoServer(t)
	h := simtest.Start(t, "sara-r4", sim.Options{})
	steps := []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + ok}}
	for i := range 7 {
		steps = append(steps, simtest.Step{Send: "AT+USOCR=6", Want: fmt.Sprintf("\r\n+USOCR: %d\r\n", i) + ok})
	}
	steps = append(steps,
		simtest.Step{Send: "AT+USOCR=6", Want: "\r\n+CME ERROR: 3\r\n"},
		simtest.Step{Send: "AT+USOCR=5", Want: "\r\n+CME ERROR: 50\r\n"},
		simtest.Step{Send: "AT+USOCL=3", Want: ok},
		simtest.Step{Send: "AT+USOCR=17", Want: "\r\n+USOCR: 3\r\n" + ok},
		simtest.Step{Send: fmt.Sprintf(`AT+USOCO=1,"127.0.0.1",%d`, port), Want: ok},
		simtest.Step{Send: "AT+USOWR=1,1025", Want: "\r\n+CME ERROR: 50\r\n"},
		simtest.Step{Send: `AT+USOWR=1,3,"abcd"`, Want: "\r\n+CME ERROR: 50\r\n"},
		simtest.Step{Send: `AT+USOWR=1,12,"Hello world!"`, Want: "\r\n+USOWR: 1,12\r\n" + ok + "\r\n+UUSORD: 1,12\r\n"},
		simtest.Step{Send: "AT+UDCONF=1,1", Want: ok},
		simtest.Step{Send: "AT+UDCONF=1", Want: "\r\n+UDCONF: 1,1\r\n" + ok},
		simtest.Step{Send: "AT+USOWR=1,513,\"" + strings.Repeat("00", 513) + "\"", Want: "\r\n+CME ERROR: 50\r\n"},
		simtest.Step{Send: `AT+USOWR=1,1,"ZZ"`, Want: "\r\n+CME ERROR: 50\r\n"},
		simtest.Step{Send: "AT+USOWR=1,1024", Want: "\r\n@"},
		simtest.Step{Raw: bytes.Repeat([]byte{0xAB}, 1024), Want: "\r\n+USOWR: 1,1024\r\n" + ok},
	)
	h.Run(t, steps)
	// The echo comes back in one or more reads; drain the URCs.
	out, err := h.Until("+UUSORD: 1,1036\r\n", simtest.Timeout)
	if err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	h.Run(t, []simtest.Step{
		{Send: "AT+USORD=1,1024", Want: "\r\n+USORD: 1,1024,\"" + strings.ToUpper(hex.EncodeToString([]byte("Hello world!"))) + strings.Repeat("AB", 1012) + "\"\r\n" + ok + "\r\n+UUSORD: 1,12\r\n"},
	})
}

func TestRestartAndInfo(t *testing.T) {
	h := simtest.Start(t, "sara-r4", sim.Options{ICCID: "89011703278100000018", IMEI: "352753090000008"})
	h.Run(t, []simtest.Step{
		{Send: "ATE0", Want: "ATE0\r" + ok},
		{Send: "AT+CGMI", Want: "\r\nu-blox\r\n" + ok},
		{Send: "AT+CGMM", Want: "\r\nSARA-R410M-02B\r\n" + ok},
		{Send: "AT+CCID", Want: "\r\n+CCID: 89011703278100000018\r\n" + ok},
		{Send: "AT+CGSN", Want: "\r\n352753090000008\r\n" + ok},
		{Send: "AT+CMEE=2", Want: ok},
		{Send: "AT+USOCL=9", Want: "\r\n+CME ERROR: Incorrect parameters\r\n"},
		{Send: "AT+UDCONF=1,1", Want: ok},
		{Send: "AT+CFUN=15", Want: ok},
	})
	// No greeting: poll until it answers. HEX mode and echo are back to
	// their defaults.
	h.Ready(t, 50*time.Millisecond)
	h.Run(t, []simtest.Step{
		{Send: "AT+UDCONF=1", Want: "AT+UDCONF=1\r\r\n+UDCONF: 1,0\r\n" + ok},
	})
}

// TestRemoteClose: the remote-close knobs end a socket with +UUSOCL.
func TestRemoteClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, opts := range []sim.Options{{RemoteCloseSends: 2}, {RemoteCloseAfter: 20 * time.Millisecond}} {
		h := simtest.Start(t, "sara-r4", opts)
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r" + ok},
			{Send: "AT+USOCR=6", Want: "\r\n+USOCR: 0\r\n" + ok},
			{Send: fmt.Sprintf(`AT+USOCO=0,"127.0.0.1",%d`, port), Want: ok},
		})
		if opts.RemoteCloseSends > 0 {
			h.Run(t, []simtest.Step{
				{Send: `AT+USOWR=0,1,"a"`, Want: "\r\n+USOWR: 0,1\r\n" + ok},
				{Send: `AT+USOWR=0,1,"b"`, Want: "\r\n+USOWR: 0,1\r\n" + ok},
			})
		}
		h.Run(t, []simtest.Step{
			{Want: "\r\n+UUSOCL: 0\r\n"},
			{Send: `AT+USOWR=0,1,"c"`, Want: "\r\n+CME ERROR: 3\r\n"},
		})
	}
}
