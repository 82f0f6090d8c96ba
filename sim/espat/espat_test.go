package espat_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atrun/atrun/internal/simtesting"
	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/espat"
	"github.com/atrun/atrun/sim/simtest"
)

const (
	ok      = "\r\nOK\r\n"
	errLine = "\r\nERROR\r\n"
	prompt  = "\r\nOK\r\n\r\n>"
)

func urc(s string) string { return "\r\n" + s + "\r\n" }

var (
	echoOff = simtest.Step{Send: "ATE0", Want: "ATE0\r\n" + ok}
	join    = simtest.Step{Send: `AT+CWJAP="anchovy","1234567890"`, Want: urc("WIFI CONNECTED") + urc("WIFI GOT IP") + ok}
)

// vendors.md 6.2(a) and (b) [SEEN, S18 examples and esp-at #554]: join,
// configure, connect, subscribe, publish in string and raw form, receive,
// clean. One module plays both boards of the example, so it receives
// its own messages: their +MQTTSUBRECV may come before or after the OK.
func TestManualExample(t *testing.T) {
	b := testbroker.Start(t)
	ch := simtesting.Subscribe(t, b, "topic")
	h := simtesting.StartModem(t, "esp8266", b, sim.Options{})
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: "AT+CWMODE=1", Want: ok},
		join,
		{Send: `AT+MQTTUSERCFG=0,1,"publisher","espressif","123456789",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"192.168.3.102",8883,1`, Want: urc(`+MQTTCONNECTED:0,1,"192.168.3.102","8883","",1`) + ok},
		{Send: `AT+MQTTCONN?`, Want: urc(`+MQTTCONN:0,4,1,"192.168.3.102","8883","",1`) + ok},
		{Send: `AT+MQTTSUB=0,"topic",1`, Want: ok},
		{Send: `AT+MQTTSUB?`, Want: urc(`+MQTTSUB:0,6,"topic",1`) + ok},
		{Send: `AT+MQTTPUB=0,"topic","test",0,0`},
	})
	h.ExpectAnyOrder(t, ok, urc(`+MQTTSUBRECV:0,"topic",4,test`))
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "topic", Payload: []byte("test"), QoS: 0, Retain: false})
	h.Run(t, []simtest.Step{{Send: `AT+MQTTPUB=0,"topic","test",1,0`}})
	h.ExpectAnyOrder(t, ok, urc(`+MQTTSUBRECV:0,"topic",4,test`))
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "topic", Payload: []byte("test"), QoS: 1, Retain: false})

	// The 427-byte JSON of the "large amounts of data" example.
	big := `{"headers": {"Accept": "application/json","Accept-Encoding": "gzip, deflate","Accept-Language": "en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7","Content-Length": "0","Host": "httpbin.org","Origin": "http://httpbin.org","Referer": "http://httpbin.org/","User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.114 Safari/537.36","X-Amzn-Trace-Id": "Root=1-6150581e-1ad4bd5254b4bf5218070413"}}`
	if len(big) != 427 {
		t.Fatalf("example payload has %d bytes", len(big))
	}
	h.Run(t, []simtest.Step{{Send: `AT+MQTTPUBRAW=0,"topic",427,0,0`, Want: prompt}, {Raw: []byte(big)}})
	h.ExpectAnyOrder(t, urc("+MQTTPUB:OK"), urc(`+MQTTSUBRECV:0,"topic",427,`+big))
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "topic", Payload: []byte(big), QoS: 0, Retain: false})

	simtesting.Publish(t, b, "topic", []byte("from the other board"), 1, false)
	h.Expect(t, urc(`+MQTTSUBRECV:0,"topic",20,from the other board`))
	h.Run(t, []simtest.Step{
		{Send: `AT+MQTTUNSUB=0,"topic"`, Want: ok},
		{Send: `AT+MQTTUNSUB=0,"topic"`, Want: urc("NO UNSUBSCRIBE") + ok},
		{Send: `AT+MQTTCONN?`, Want: urc(`+MQTTCONN:0,5,1,"192.168.3.102","8883","",1`) + ok},
		{Send: "AT+MQTTCLEAN=0", Want: ok},
		{Send: `AT+MQTTCONN?`, Want: urc(`+MQTTCONN:0,0,0,"","","",0`) + ok},
	})
}

// Payload bytes as the broker carried them: binary through MQTTPUBRAW,
// UTF-8 with \" and \, escapes through MQTTPUB; QoS 2 and retain; a
// binary message received back.
func TestPayloads(t *testing.T) {
	b := testbroker.Start(t)
	raw, utf := simtesting.Subscribe(t, b, "raw"), simtesting.Subscribe(t, b, "utf")
	h := simtesting.StartModem(t, "esp8266", b, sim.Options{})
	bin := []byte{0x00, 0x01, 0x1a, 0x1b, '\r', '\n', 'O', 'K', '\r', '\n', 0xff, '"', ','}
	h.Run(t, []simtest.Step{
		echoOff, join,
		{Send: `AT+MQTTUSERCFG=0,1,"dev1","",""` + `,0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc(`+MQTTCONNECTED:0,1,"127.0.0.1","1883","",0`) + ok},
		{Send: fmt.Sprintf(`AT+MQTTPUBRAW=0,"raw",%d,2,1`, len(bin)), Want: prompt},
		{Raw: bin, Want: urc("+MQTTPUB:OK")},
		{Send: `AT+MQTTPUB=0,"utf","{\"t\":\"Grüße\"\,\"v\":1}",1,0`, Want: ok},
		{Send: `AT+MQTTSUB=0,"down",1`, Want: ok},
		{Send: `AT+MQTTSUB=0,"down",1`, Want: urc("ALREADY SUBSCRIBE") + ok},
	})
	simtesting.WantMessage(t, raw, simtesting.Message{Topic: "raw", Payload: bin, QoS: 2, Retain: false})
	simtesting.WantMessage(t, utf, simtesting.Message{Topic: "utf", Payload: []byte(`{"t":"Grüße","v":1}`), QoS: 1, Retain: false})
	simtesting.Retained(t, b, "raw", bin)
	simtesting.Publish(t, b, "down", bin, 0, false)
	h.Expect(t, urc(fmt.Sprintf(`+MQTTSUBRECV:0,"down",%d,%s`, len(bin), bin)))
}

// Wi-Fi commands and their answers when joined and not.
func TestWiFi(t *testing.T) {
	h := simtest.Start(t, "esp8266", sim.Options{Seed: 0x010203})
	h.Run(t, []simtest.Step{
		{Send: "AT", Want: "AT\r\n" + ok},
		echoOff,
		{Send: "AT+CWMODE?", Want: urc("+CWMODE:1") + ok},
		{Send: "AT+CWJAP?", Want: urc("No AP") + ok},
		{Send: "AT+CIPSTA?", Want: urc(`+CIPSTA:ip:"0.0.0.0"`) + urc(`+CIPSTA:gateway:"0.0.0.0"`) + urc(`+CIPSTA:netmask:"0.0.0.0"`) + ok},
		{Send: `AT+CWJAP="lab","short"`, Want: urc("+CWJAP:2") + errLine},
		join,
		{Send: "AT+CWJAP?", Want: urc(`+CWJAP:"anchovy","ca:d7:19:01:02:47",6,-73,0,1,3,0,1`) + ok},
		{Send: "AT+CIPSTA?", Want: urc(`+CIPSTA:ip:"10.64.12.7"`) + urc(`+CIPSTA:gateway:"10.64.12.1"`) + urc(`+CIPSTA:netmask:"255.255.255.0"`) + ok},
		{Send: "AT+CIFSR", Want: urc(`+CIFSR:STAIP,"10.64.12.7"`) + urc(`+CIFSR:STAMAC,"a4:cf:12:01:02:5f"`) + ok},
		{Send: `AT+CWJAP="b\,c\"d","12345678"`, Want: urc("WIFI DISCONNECT") + urc("WIFI CONNECTED") + urc("WIFI GOT IP") + ok},
		{Send: "AT+CWJAP?", Want: urc(`+CWJAP:"b,c"d","ca:d7:19:01:02:47",6,-73,0,1,3,0,1`) + ok},
		{Send: "AT+CWQAP", Want: urc("WIFI DISCONNECT") + ok},
		{Send: "AT+CWQAP", Want: ok},
		{Send: "AT+CWJAP", Want: urc("WIFI CONNECTED") + urc("WIFI GOT IP") + ok},
		{Send: "AT+CWMODE=2", Want: urc("WIFI DISCONNECT") + ok},
		{Send: `AT+CWJAP="anchovy","1234567890"`, Want: errLine},
		{Send: "AT+CSQ", Want: errLine},
		{Send: "AT+CGMI", Want: errLine},
		{Send: "AT+GMR", Want: urc("AT version:2.2.0.0(b097cdf - ESP8266 - Jun 17 2021 12:57:45)") +
			urc("SDK version:v3.4-22-g967752e2") + urc("compile time(6800286):Aug  4 2021 17:20:05") +
			urc("Bin version:2.2.0(ESP8266_1MB)") + ok},
	})
	h.Run(t, []simtest.Step{{Send: "AT+CWMODE=1", Want: ok}, join, {Send: "AT+CIPSNTPCFG=1,8", Want: ok}, {Send: "AT+CIPSNTPTIME?"}})
	line, err := h.Until(ok, simtest.Timeout)
	if err != nil || !regexp.MustCompile(`^\r\n\+CIPSNTPTIME:[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}\r\n\r\nOK\r\n$`).Match(line) {
		t.Fatalf("CIPSNTPTIME answered %q (%v)", line, err)
	}
}

// Boot with a saved AP (esp-at #554 log [SEEN]: ready, WIFI CONNECTED,
// WIFI GOT IP) and AT+RST.
func TestBootAndRestart(t *testing.T) {
	h := simtest.Start(t, "esp8266", sim.Options{ColdBoot: true, Quirks: map[string]string{"autoconnect": "on"}})
	h.Expect(t, urc("ready")+urc("WIFI CONNECTED")+urc("WIFI GOT IP"))
	h.Run(t, []simtest.Step{
		{Send: "AT+CWJAP?", Want: "AT+CWJAP?\r\n" + urc(`+CWJAP:"atrun","ca:d7:19:00:00:44",6,-73,0,1,3,0,1`) + ok},
		{Send: "ATE0", Want: "ATE0\r\n" + ok},
		{Send: "AT+RST", Want: ok + urc("ready") + urc("WIFI CONNECTED") + urc("WIFI GOT IP")},
		{Send: "AT", Want: "AT\r\n" + ok}, // echo is back on after the restart
	})
}

// Wrong states and bad parameters, with AT+SYSLOG=1 error codes
// (0x010a6006 as in esp-at #867); vendors.md 6.2(c).
func TestErrors(t *testing.T) {
	addr, _, strict := simtesting.StartStrictBroker(t, nil)
	h := simtesting.StartModem(t, "esp8266", addr, sim.Options{})
	code := func(c string) string { return urc("ERR CODE:"+c) + errLine }
	h.Run(t, []simtest.Step{
		echoOff,
		{Send: `AT+MQTTPUB=0,"t","x",0,0`, Want: errLine},
		{Send: "AT+SYSLOG=1", Want: ok},
		{Send: "AT+SYSLOG?", Want: urc("+SYSLOG:1") + ok},
		{Send: `AT+MQTTPUB=0,"t","x",0,0`, Want: code("0x010a6006")},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: code("0x010a6001")},
		{Send: `AT+MQTTUSERCFG=0,5,"ESP32","espressif","1234567890",0,0,""`, Want: code("0x010a6013")}, // no TLS on ESP8266
		{Send: `AT+MQTTUSERCFG=1,1,"c","u","p",0,0,""`, Want: code("0x010a6011")},
		{Send: `AT+MQTTUSERCFG=0,1,"","u","p",0,0,""`, Want: code("0x010a6015")},
		{Send: `AT+MQTTUSERCFG=0,1,"c","u","p",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONNCFG=0,7201,0,"","",0,0`, Want: code("0x010a602d")},
		{Send: `AT+MQTTSUB=0,"t",1`, Want: code("0x010a6051")},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc("+MQTTDISCONNECTED:0") + code("0x010a600b")}, // no Wi-Fi yet
		join,
		{Send: `AT+MQTTUSERCFG=0,1,"c","bad","p",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc("+MQTTDISCONNECTED:0") + code("0x010a600b")},
		{Send: `AT+MQTTCONN?`, Want: urc(`+MQTTCONN:0,2,1,"127.0.0.1","1883","",0`) + ok},
		{Send: `AT+MQTTUSERCFG=0,1,"c","good","p",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc(`+MQTTCONNECTED:0,1,"127.0.0.1","1883","",0`) + ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: code("0x010a6004")},
		{Send: `AT+MQTTSUB=0,"denied/x",1`, Want: code("0x010a600d")},
		{Send: `AT+MQTTPUB=0,"","x",0,0`, Want: code("0x010a6042")},
		{Send: `AT+MQTTPUB=0,"t","x",3,0`, Want: code("0x010a6048")},
		{Send: `AT+MQTTPUBRAW=0,"t",600,0,0`, Want: code("0x010a604c")}, // over the 512-byte buffer
		{Send: `AT+MQTTPUB=0,"t","` + strings.Repeat("x", 240) + `",0,0`, Want: code("0x01070000")},
		{Send: "AT+MQTTCLEAN=0", Want: ok},
		{Send: "AT+MQTTCLEAN=0", Want: code("0x010a6003")},
	})
	if got := strict.Last(); got != (simtesting.Connect{ClientID: "c", User: "good", Pass: "p"}) {
		t.Fatalf("last CONNECT %+v", got)
	}
}

// The remote-close knobs: +MQTTDISCONNECTED:0; with <reconnect> 0 the
// link stays down until AT+MQTTCLEAN, with 1 it comes back by itself.
func TestRemoteClose(t *testing.T) {
	b := testbroker.Start(t)
	h := simtesting.StartModem(t, "esp8266", b, sim.Options{RemoteCloseAfter: 200 * time.Millisecond})
	h.Run(t, []simtest.Step{
		echoOff, join,
		{Send: "AT+SYSLOG=1", Want: ok},
		{Send: `AT+MQTTUSERCFG=0,1,"dev1","","",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc(`+MQTTCONNECTED:0,1,"127.0.0.1","1883","",0`) + ok},
	})
	h.Expect(t, urc("+MQTTDISCONNECTED:0"))
	h.Run(t, []simtest.Step{
		{Send: `AT+MQTTCONN?`, Want: urc(`+MQTTCONN:0,3,1,"127.0.0.1","1883","",0`) + ok},
		{Send: `AT+MQTTPUB=0,"t","x",0,0`, Want: urc("ERR CODE:0x010a6051") + errLine},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc("ERR CODE:0x010a6002") + errLine},
		{Send: "AT+MQTTCLEAN=0", Want: ok},
	})

	// Closed after the first publish; <reconnect> 1 brings the session
	// back and subscribes its topics again.
	h2 := simtesting.StartModem(t, "esp8266", b, sim.Options{RemoteCloseSends: 1})
	h2.Run(t, []simtest.Step{
		echoOff, join,
		{Send: `AT+MQTTUSERCFG=0,1,"dev2","","",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,1`, Want: urc(`+MQTTCONNECTED:0,1,"127.0.0.1","1883","",1`) + ok},
		{Send: `AT+MQTTSUB=0,"cmd",0`, Want: ok},
		{Send: `AT+MQTTPUB=0,"up","x",1,0`},
	})
	h2.ExpectAnyOrder(t, ok, urc("+MQTTDISCONNECTED:0"))
	h2.Expect(t, urc(`+MQTTCONNECTED:0,1,"127.0.0.1","1883","",1`))
	h2.Run(t, []simtest.Step{{Send: `AT+MQTTCONN?`, Want: urc(`+MQTTCONN:0,6,1,"127.0.0.1","1883","",1`) + ok}})
	simtesting.Publish(t, b, "cmd", []byte("again"), 0, false)
	h2.Expect(t, urc(`+MQTTSUBRECV:0,"cmd",5,again`))

	// Leaving the AP takes the session down too.
	h2.Run(t, []simtest.Step{
		{Send: "AT+MQTTCLEAN=0", Want: ok},
		{Send: `AT+MQTTUSERCFG=0,1,"dev2","","",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc(`+MQTTCONNECTED:0,1,"127.0.0.1","1883","",0`) + ok},
		{Send: "AT+CWQAP", Want: urc("WIFI DISCONNECT") + urc("+MQTTDISCONNECTED:0") + ok},
	})
}

// Long client id, user name and password (AT+MQTTLONG*: OK, ">" and
// exactly <length> bytes, then OK).
func TestLongCredentials(t *testing.T) {
	addr, _, strict := simtesting.StartStrictBroker(t, nil)
	h := simtesting.StartModem(t, "esp8266", addr, sim.Options{})
	id := strings.Repeat("i", 300)
	h.Run(t, []simtest.Step{
		echoOff, join,
		{Send: `AT+MQTTLONGCLIENTID=0,300`, Want: errLine}, // before MQTTUSERCFG
		{Send: `AT+MQTTUSERCFG=0,1,"short","","",0,0,""`, Want: ok},
		{Send: `AT+MQTTLONGCLIENTID=0,300`, Want: prompt},
		{Raw: []byte(id), Want: ok},
		{Send: `AT+MQTTLONGPASSWORD=0,6`, Want: prompt},
		{Raw: []byte("p,\"w\r\n"[:6]), Want: ok},
		{Send: `AT+MQTTUSERNAME=0,"user"`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc(`+MQTTCONNECTED:0,1,"127.0.0.1","1883","",0`) + ok},
	})
	if got := strict.Last(); got != (simtesting.Connect{ClientID: id, User: "user", Pass: "p,\"w\r\n"}) {
		t.Fatalf("CONNECT carried %+v", got)
	}
}

// ESP32 MQTT over TLS: scheme 2 without verification, scheme 3 against
// the roots of Options.TLS, and a failed handshake without them.
func TestESP32TLS(t *testing.T) {
	cert, caPEM := simtesting.SelfSigned(t)
	plain, secure, _ := simtesting.StartStrictBroker(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	ch := simtesting.Subscribe(t, plain, "tls")
	h := simtesting.StartModem(t, "esp32", secure, sim.Options{})
	h.Run(t, []simtest.Step{
		echoOff, join,
		{Send: `AT+MQTTUSERCFG=0,3,"esp32","","",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"localhost",8883,0`, Want: urc("+MQTTDISCONNECTED:0") + errLine},
		{Send: `AT+MQTTUSERCFG=0,2,"esp32","","",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"localhost",8883,0`, Want: urc(`+MQTTCONNECTED:0,2,"localhost","8883","",0`) + ok},
		{Send: `AT+MQTTPUB=0,"tls","secure",1,0`, Want: ok},
		{Send: "AT+MQTTCLEAN=0", Want: ok},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "tls", Payload: []byte("secure"), QoS: 1, Retain: false})

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	h2 := simtesting.StartModem(t, "esp32", secure, sim.Options{TLS: &tls.Config{RootCAs: roots}})
	h2.Run(t, []simtest.Step{
		echoOff, join,
		{Send: `AT+MQTTUSERCFG=0,3,"esp32b","","",0,0,""`, Want: ok},
		{Send: `AT+MQTTSNI=0,"localhost"`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",8883,0`, Want: urc(`+MQTTCONNECTED:0,3,"127.0.0.1","8883","",0`) + ok},
		{Send: `AT+MQTTPUBRAW=0,"tls",5,0,0`, Want: prompt},
		{Raw: []byte("bytes"), Want: urc("+MQTTPUB:OK")},
	})
	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "tls", Payload: []byte("bytes"), QoS: 0, Retain: false})
}

// BenchmarkMQTTPUB measures one QoS 0 AT+MQTTPUB through the virtual
// ESP8266 to mosquitto.
func BenchmarkMQTTPUB(b *testing.B) {
	h := simtesting.StartModem(b, "esp8266", testbroker.Start(b), sim.Options{})
	h.Run(b, []simtest.Step{
		echoOff, join,
		{Send: `AT+MQTTUSERCFG=0,1,"bench","","",0,0,""`, Want: ok},
		{Send: `AT+MQTTCONN=0,"127.0.0.1",1883,0`, Want: urc(`+MQTTCONNECTED:0,1,"127.0.0.1","1883","",0`) + ok},
	})
	step := []simtest.Step{{Send: `AT+MQTTPUB=0,"bench","hello",0,0`, Want: ok}}
	for b.Loop() {
		h.Run(b, step)
	}
}
