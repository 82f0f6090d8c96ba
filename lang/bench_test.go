package lang

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchScript generates a realistic script of about n lines: params, a
// handler, flows and a long SIM7000-style command sequence.
func benchScript(n int) string {
	var b strings.Builder
	b.WriteString(`# Publish through a SIM7000's raw TCP socket.
param broker    = "127.0.0.1"
param port      = 1883
param apn       = "nbiot"
param client_id = "atrun-sim7000"
param topic                       # required
param message   = "hello"
param password  = "" secret

timeout 5s
abort "ERROR", /^\+CME ERROR: (?P<cme>\d+)$/

on /^\+CMQTTRXTOPIC: \d+,(?P<len>\d+)$/ {
  read len bytes into rx_topic
  log "topic " + str(rx_topic)
}

flow attach(apn_name) {
  send "AT+CGATT=1" expect "OK" timeout 75s retry 3 every 2s
  send ` + "`AT+CSTT=\"${apn_name}\"`" + ` expect "OK"
  send "AT+CIICR" expect {
    "OK"    => ok
    "ERROR" => retry
  } timeout 85s retry 2
}

`)
	lines := strings.Count(b.String(), "\n")
	for i := 0; lines < n-12; i++ {
		switch i % 6 {
		case 0:
			fmt.Fprintf(&b, "send \"AT+CSQ\"                          expect /^\\+CSQ: (?P<rssi%d>\\d+),\\d+$/ timeout 2s\n", i)
			lines++
		case 1:
			fmt.Fprintf(&b, "send `AT+CIPSTART=\"TCP\",\"${broker}\",${port}` expect \"OK\"  # step %d\n", i)
			lines++
		case 2:
			fmt.Fprintf(&b, "let packet%d = mqtt_connect(client_id, {keepalive: 60}) + mqtt_publish(topic, message, {qos: %d})\n", i, i%2)
			b.WriteString("send \"AT+CIPSEND\" expect prompt \">\"\nwrite hex(packet" + fmt.Sprint(i) + ")\nwrite 0x1A\n")
			lines += 4
		case 3:
			fmt.Fprintf(&b, "expect {\n  \"CONNECT OK\"      => ok\n  \"ALREADY CONNECT\" => ok\n  \"CONNECT FAIL\"    => fail \"TCP connect to ${broker}:${port} failed (%d)\"\n} timeout 75s\n", i)
			lines += 5
		case 4:
			fmt.Fprintf(&b, "if rssi0 < 10 {\n  log \"weak signal %d\"\n} else {\n  emit rssi0\n}\n", i)
			lines += 5
		case 5:
			b.WriteString("retry 3 every 1s {\n  send \"AT+CPIN?\" expect \"+CPIN: READY\"\n  call attach(apn)\n}\n\n")
			lines += 5
		}
	}
	b.WriteString(`
expect all { "OK" /^\+CMQTTSTART: 0$/ } timeout 5s
repeat 10 while len(rx) == 0 {
  sleep 100ms
}
emit ip

finally {
  send "AT+CIPCLOSE" expect any
  send "AT+CIPSHUT" expect "SHUT OK"
}
`)
	return b.String()
}

func TestBenchScriptIsValid(t *testing.T) {
	src := benchScript(200)
	n := strings.Count(src, "\n")
	require.InDelta(t, 200, n, 6, "generated %d lines", n)
	f, err := Load("bench.at", func(string) ([]byte, error) { return []byte(src), nil })
	require.NoError(t, err)
	require.Empty(t, Check(f))
	checkRoundTrip(t, src)
}

func BenchmarkParseCheck(b *testing.B) {
	src := []byte(benchScript(200))
	read := func(string) ([]byte, error) { return src, nil }
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Load("bench.at", read)
		if err != nil {
			b.Fatal(err)
		}
		if errs := Check(f); len(errs) > 0 {
			b.Fatal(errs)
		}
		Resolve(f, nil) // the script's names are not all bound: it measures, not judges
	}
}

func BenchmarkFormat(b *testing.B) {
	f, err := Parse("bench.at", benchScript(200))
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		Format(f)
	}
}

func BenchmarkPhases(b *testing.B) {
	src := benchScript(200)
	b.Run("lex", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			lx, _ := lexDef{}.LexString("b.at", src)
			for {
				t, err := lx.Next()
				if err != nil || t.EOF() {
					break
				}
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse("b.at", src); err != nil {
				b.Fatal(err)
			}
		}
	})
	f, err := Parse("b.at", src)
	require.NoError(b, err)
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Check(f)
		}
	})
}

func BenchmarkResolve(b *testing.B) {
	f, err := Parse("b.at", benchScript(200))
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		Resolve(f, nil)
	}
}
