package runtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime/at"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fake is a scripted modem on the far end of a net.Pipe. For each command
// line (up to CR) it writes what answer returns; a reply of "" says nothing.
type fake struct {
	echo    bool
	answer  func(cmd string) []string // chunks, written one Write each
	mu      sync.Mutex
	got     []string // every command line received
	raw     bytes.Buffer
	rawMode func(b byte) []string // after a prompt: consumes raw bytes until it returns chunks
}

func (f *fake) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	var line []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.raw.WriteByte(b)
		raw := f.rawMode
		f.mu.Unlock()
		if raw != nil {
			if out := raw(b); out != nil {
				f.mu.Lock()
				f.rawMode = nil
				f.mu.Unlock()
				write(conn, out)
			}
			continue
		}
		if b == '\n' {
			continue
		}
		if b != '\r' {
			line = append(line, b)
			continue
		}
		cmd := string(line)
		line = line[:0]
		f.mu.Lock()
		f.got = append(f.got, cmd)
		f.mu.Unlock()
		var out []string
		if f.echo {
			out = append(out, cmd+"\r")
		}
		out = append(out, f.answer(cmd)...)
		write(conn, out)
	}
}

func write(conn net.Conn, chunks []string) {
	for _, c := range chunks {
		if c == "" {
			continue
		}
		if c == "<pause>" {
			time.Sleep(time.Second)
			continue
		}
		if _, err := conn.Write([]byte(c)); err != nil {
			return
		}
	}
}

func (f *fake) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

// table answers from a map, "ERROR" for anything unknown.
func table(m map[string]string) func(string) []string {
	return func(cmd string) []string {
		if r, ok := m[cmd]; ok {
			return []string{r}
		}
		return []string{"\r\nERROR\r\n"}
	}
}

func compile(t testing.TB, src string, files ...string) *Program {
	t.Helper()
	fs := map[string]string{"main.at": src}
	for i := 0; i+1 < len(files); i += 2 {
		fs[files[i]] = files[i+1]
	}
	p, err := Load("main.at", func(path string) ([]byte, error) {
		if s, ok := fs[path]; ok {
			return []byte(s), nil
		}
		return nil, &lang.Error{Msg: "no such file"}
	})
	require.NoError(t, err)
	return p
}

type runOut struct {
	res    *Result
	events []Event
	fake   *fake
}

func (o runOut) logs() []string {
	var out []string
	for _, e := range o.events {
		switch e.Kind {
		case EvLog:
			out = append(out, e.Value)
		case EvEmit:
			out = append(out, e.Name+"="+e.Value)
		}
	}
	return out
}

func runFake(t *testing.T, src string, f *fake, params map[string]string) runOut {
	t.Helper()
	p := compile(t, src)
	host, dev := net.Pipe()
	go f.serve(dev)
	var mu sync.Mutex
	var evs []Event
	res := p.Run(context.Background(), host, Options{Params: params, OnEvent: func(e Event) {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
	}})
	host.Close()
	return runOut{res: res, events: evs, fake: f}
}

func TestSendExpectCapturesInfoLineWithoutLeakingOK(t *testing.T) {
	f := &fake{echo: true, answer: table(map[string]string{
		"AT+CSQ":  "\r\n+CSQ: 18,99\r\n\r\nOK\r\n",
		"AT+CGSN": "\r\n867530012345678\r\n\r\nOK\r\n",
		"AT":      "\r\nOK\r\n",
	})}
	out := runFake(t, `
send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),(?P<ber>\d+)$/
send "AT+CGSN" expect /^(?P<imei>\d{15})$/
send "AT" expect "OK"
emit rssi
emit imei
`, f, nil)
	require.NoError(t, out.res.Err)
	assert.Equal(t, []string{"rssi=18", "imei=867530012345678"}, out.logs())
	assert.Equal(t, []string{"AT+CSQ", "AT+CGSN", "AT"}, f.commands())
}

func TestStaleOKNeverAnswersTheNextCommand(t *testing.T) {
	// The modem answers the first command twice; the second command fails.
	// A stale OK must not satisfy the second expect.
	f := &fake{answer: table(map[string]string{
		"AT+ONE": "\r\nOK\r\n\r\nOK\r\n",
		"AT+TWO": "\r\nERROR\r\n",
	})}
	out := runFake(t, `
send "AT+ONE" expect "OK"
send "AT+TWO" expect "OK"
`, f, nil)
	require.Error(t, out.res.Err)
	assert.Equal(t, KindDevice, KindOf(out.res.Err))
	assert.Equal(t, `main.at:3:1: send "AT+TWO" expect "OK": modem answered "ERROR"`, out.res.Err.Error())
}

func TestInfoLineStepWaitsForFinalResult(t *testing.T) {
	// The ERROR after the info line belongs to AT+CSQ and must fail it,
	// not vanish or answer the next command.
	f := &fake{answer: table(map[string]string{
		"AT+CSQ": "\r\n+CSQ: 18,99\r\n\r\n+CME ERROR: 10\r\n",
		"AT":     "\r\nOK\r\n",
	})}
	out := runFake(t, `
send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),\d+$/
send "AT" expect "OK"
`, f, nil)
	require.Error(t, out.res.Err)
	assert.Equal(t, `main.at:2:1: send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),\d+$/: modem answered +CME ERROR: 10 (SIM not inserted)`, out.res.Err.Error())
	var cme at.CMEError
	require.ErrorAs(t, out.res.Err, &cme)
	assert.Equal(t, 10, cme.Code)
	assert.Equal(t, []string{"AT+CSQ"}, f.commands(), "nothing is sent after the failed step")
}

func TestSharedPrefixURCAndResponse(t *testing.T) {
	const script = `
on /^\+CREG: (?P<stat>\d)$/ {
  log "urc ${stat}"
}
send "AT+CREG?" expect %s
log "step ${n}"
`
	f := func() *fake {
		return &fake{answer: table(map[string]string{
			"AT+CREG?": "\r\n+CREG: 1\r\n\r\n+CREG: 0,5\r\n\r\nOK\r\n",
		})}
	}
	// A precise pattern: the URC goes to the handler, the answer to the step.
	out := runFake(t, strings.Replace(script, "%s", `/^\+CREG: (?P<n>\d),(?P<stat>\d)$/`, 1), f(), nil)
	require.NoError(t, out.res.Err)
	assert.Equal(t, []string{"urc 1", "step 0"}, out.logs())

	// A sloppy pattern: the first line after the send that matches goes to
	// the step; the handler sees nothing of it.
	out = runFake(t, strings.Replace(script, "%s", `/^\+CREG: (?P<n>\d)/`, 1), f(), nil)
	require.NoError(t, out.res.Err)
	assert.Equal(t, []string{"step 1"}, out.logs())
}

func TestURCInTheMiddleOfAResponse(t *testing.T) {
	f := &fake{echo: true, answer: table(map[string]string{
		"AT+CIPSTATUS": "\r\nOK\r\n\r\n+CIPRXGET: 1,0\r\n\r\nSTATE: CONNECT OK\r\n",
	})}
	out := runFake(t, `
on /^\+CIPRXGET: 1,(?P<link>\d)$/ {
  let ready = true
}
let ready = false
send "AT+CIPSTATUS" expect "OK"
expect /^STATE: (?P<state>.*)$/
log "${state} ${ready}"
`, f, nil)
	require.NoError(t, out.res.Err)
	assert.Equal(t, []string{"CONNECT OK true"}, out.logs())
}

func TestBinaryDataWithCRLFIsReadByLength(t *testing.T) {
	f := &fake{answer: table(map[string]string{
		"AT+CIPRXGET=2,8": "\r\n+IPD,8:ab\r\ncd\r\nOK\r\n",
	})}
	out := runFake(t, `
dialect simcom {
  data /^\+IPD,(?P<len>\d+):/ inline
}
send "AT+CIPRXGET=2,8" expect /^\+IPD,(?P<n>\d+):$/
read int(n) bytes into payload
emit payload
expect "OK"
`, f, nil)
	require.NoError(t, out.res.Err)
	v, _ := out.res.Value("payload")
	assert.Equal(t, "ab\r\ncd\r\n", v)
}

func TestEchoIsNeverMatched(t *testing.T) {
	for _, echo := range []bool{false, true} {
		// The command text equals the awaited pattern: only the modem's
		// real answer may match it.
		f := &fake{echo: echo, answer: table(map[string]string{"OK": "\r\nERROR\r\n"})}
		out := runFake(t, `send "OK" expect "OK" timeout 200ms`, f, nil)
		require.Error(t, out.res.Err, "echo=%v", echo)
		assert.Equal(t, KindDevice, KindOf(out.res.Err))
	}
}

func TestPromptSplitAcrossReadsAndOneByteAtATime(t *testing.T) {
	for _, split := range []bool{false, true} {
		f := &fake{echo: true}
		f.answer = func(cmd string) []string {
			var out []string
			switch cmd {
			case "AT+CIPSEND":
				f.rawMode = func(b byte) []string {
					if b == 0x1A {
						return []string{"\r\nSEND OK\r\n"}
					}
					return nil
				}
				out = []string{"\r\n>", " "}
			case "AT+CSQ":
				out = []string{"\r\n+CSQ: 21,99\r\n\r\nOK\r\n"}
			default:
				out = []string{"\r\nERROR\r\n"}
			}
			if split {
				var bytewise []string
				for _, c := range strings.Join(out, "") {
					bytewise = append(bytewise, string(c))
				}
				return bytewise
			}
			return out
		}
		out := runFake(t, `
dialect simcom {
  final "SEND OK"
}
send "AT+CIPSEND" expect prompt ">"
write "hello\r\nOK\r\n"
write 0x1A
expect "SEND OK"
send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),/
emit rssi
`, f, nil)
		require.NoError(t, out.res.Err, "split=%v", split)
		assert.Equal(t, []string{"rssi=21"}, out.logs())
	}
}

func TestTimeoutMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{answer: table(map[string]string{
			`AT+CIPSTART="TCP","1.2.3.4",1883`: "\r\nOK\r\n\r\nCLOSED\r\n",
		})}
		start := time.Now()
		out := runFake(t, "send `AT+CIPSTART=\"TCP\",\"1.2.3.4\",1883` expect \"OK\"\nexpect \"CONNECT OK\" timeout 75s\n", f, nil)
		require.Error(t, out.res.Err)
		assert.Equal(t, `main.at:2:1: expect "CONNECT OK" timeout 75s: timed out after 1m15s (last received: "CLOSED")`, out.res.Err.Error())
		assert.True(t, errors.Is(out.res.Err, ErrTimeout))
		assert.Equal(t, 75*time.Second, time.Since(start))
	})
}

func TestRetryFinallyAndAlternatives(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		f := &fake{}
		f.answer = func(cmd string) []string {
			switch cmd {
			case "AT":
				n++
				if n < 3 {
					return nil // silent: the step times out and is retried
				}
				return []string{"\r\nOK\r\n"}
			case "AT+CONN":
				return []string{"\r\nOK\r\n\r\nCONNECT FAIL\r\n"}
			case "AT+CLOSE":
				return []string{"\r\nCLOSE OK\r\n"}
			}
			return []string{"\r\nERROR\r\n"}
		}
		out := runFake(t, `
param host = "h"
send "AT" expect "OK" timeout 1s retry 5 every 2s
send "AT+CONN" expect "OK"
expect {
  "CONNECT OK"   => ok
  "CONNECT FAIL" => fail "TCP connect to ${host} failed"
}
log "not reached"
finally {
  send "AT+CLOSE" expect any
}
`, f, nil)
		require.Error(t, out.res.Err)
		assert.Equal(t, KindFail, KindOf(out.res.Err))
		assert.Equal(t, "main.at:7:21: expect {...}: TCP connect to h failed", out.res.Err.Error())
		assert.Equal(t, []string{"AT", "AT", "AT", "AT+CONN", "AT+CLOSE"}, f.commands())
		assert.Empty(t, out.logs())
	})
}

func TestCancelRunsFinally(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{answer: func(cmd string) []string {
			if cmd == "AT+CLOSE" {
				return []string{"\r\nOK\r\n"}
			}
			return nil
		}}
		p := compile(t, `
send "AT+WAIT" expect "OK" timeout 1h
finally {
  send "AT+CLOSE" expect "OK"
}
`)
		host, dev := net.Pipe()
		go f.serve(dev)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(3*time.Second, cancel)
		res := p.Run(ctx, host, Options{})
		host.Close()
		assert.Equal(t, KindCanceled, KindOf(res.Err))
		assert.Equal(t, []string{"AT+WAIT", "AT+CLOSE"}, f.commands())
	})
}

func TestStatements(t *testing.T) {
	f := &fake{answer: table(map[string]string{
		"AT+A=3": "\r\nOK\r\n",
		"AT+B":   "\r\n+B: 7\r\n\r\nOK\r\n",
	})}
	p := compile(t, `
include "lib.at"
param n = 1
let total = 0
repeat 5 while total < 3 {
  let total = total + n
}
if total == 3 {
  call set(total)
} else {
  fail "bad total ${total}"
}
send "AT+B" expect /^\+B: (?P<b>\d+)$/
let b2 = int(b) * 2
log "b2=${b2}"
emit b2
emit sum = b2 + total
sleep 1ms
`, "lib.at", `
flow set(v) {
  send "AT+A=${v}" expect "OK"
}
`)
	host, dev := net.Pipe()
	go f.serve(dev)
	var logs []string
	res := p.Run(context.Background(), host, Options{Params: map[string]string{"n": "1"}, OnEvent: func(e Event) {
		if e.Kind == EvLog {
			logs = append(logs, e.Value)
		}
	}})
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"b2=14"}, logs)
	assert.Equal(t, []Emitted{{"b2", 14}, {"sum", 17}}, res.Emitted)
}

func TestParams(t *testing.T) {
	p := compile(t, `
param port = 1883
param topic
param password = "" secret
param qos = 0
`)
	_, err := p.ResolveParams(map[string]string{"prot": "1", "port": "x", "password": "hunter2", "qos": "1"})
	require.Error(t, err)
	assert.Equal(t, strings.Join([]string{
		`-D prot: no such param in main.at (did you mean "port"?)`,
		`-D port=x: want a whole number`,
		`main.at:3:1: param "topic" is required: set it with -D topic=...`,
	}, "\n"), err.Error())
	vars, err := p.ResolveParams(map[string]string{"topic": "a/b", "qos": "1"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"port": 1883, "topic": "a/b", "password": "", "qos": 1}, vars)
}

func TestTranscriptRedactsSecrets(t *testing.T) {
	f := &fake{echo: true, answer: table(map[string]string{`AT+LOGIN="hunter2"`: "\r\nOK\r\n"})}
	p := compile(t, "param password secret\nsend `AT+LOGIN=\"${password}\"` expect \"OK\"\n")
	host, dev := net.Pipe()
	go f.serve(dev)
	var tr bytes.Buffer
	res := p.Run(context.Background(), host, Options{Params: map[string]string{"password": "hunter2"}, Transcript: &tr})
	require.NoError(t, res.Err)
	assert.NotContains(t, tr.String(), "hunter2")
	assert.Contains(t, tr.String(), `TX "AT+LOGIN=\"***\"\r"`)
	assert.Contains(t, tr.String(), `RX "\r\nOK\r\n"`)
}

func TestAbortPatternAndModemGarbage(t *testing.T) {
	garbage := string(bytes.Repeat([]byte{0xff, 0x00, 'x'}, 30000)) // 90 KB, no line end
	f := &fake{answer: table(map[string]string{
		"AT":  "\r\n" + garbage + "\r\nOK\r\n",
		"AT2": "\r\n+CPIN: NOT READY\r\n",
	})}
	out := runFake(t, `
abort /^\+CPIN: NOT READY$/
send "AT" expect "OK"
send "AT2" expect "OK" timeout 2s
`, f, nil)
	require.Error(t, out.res.Err)
	assert.Equal(t, KindAbort, KindOf(out.res.Err))
	assert.Equal(t, `main.at:2:7: abort: /^\+CPIN: NOT READY$/ matched "+CPIN: NOT READY" (last received: "+CPIN: NOT READY")`, out.res.Err.Error())
}

func TestTransportClosedMidRun(t *testing.T) {
	p := compile(t, `send "AT" expect "OK" timeout 5s`)
	host, dev := net.Pipe()
	go func() {
		buf := make([]byte, 16)
		_, _ = dev.Read(buf)
		dev.Close() // the USB cable is pulled
	}()
	res := p.Run(context.Background(), host, Options{})
	assert.Equal(t, KindTransport, KindOf(res.Err))
	assert.ErrorIs(t, res.Err, io.EOF)
}

func TestRetryActionUsesTheStepsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		f := &fake{answer: func(cmd string) []string {
			n++
			if n < 3 {
				return []string{"\r\n+CEREG: 0,2\r\n\r\nOK\r\n"}
			}
			return []string{"\r\n+CEREG: 0,1\r\n\r\nOK\r\n"}
		}}
		out := runFake(t, `
send "AT+CEREG?" expect {
  /^\+CEREG: \d,[15]$/ => ok
  /^\+CEREG: \d,\d$/   => retry
} retry 5 every 1s
`, f, nil)
		require.NoError(t, out.res.Err)
		assert.Equal(t, []string{"AT+CEREG?", "AT+CEREG?", "AT+CEREG?"}, f.commands())
	})
}

func TestFinallyIsNotAnsweredByAnInterruptedCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// AT+SLOW is interrupted by a URC handler's fail; its late ERROR
		// must not answer finally's first command.
		f := &fake{answer: func(cmd string) []string {
			switch cmd {
			case "AT+SLOW":
				return []string{"\r\n+QMTSTAT: 0,1\r\n", "<pause>", "\r\nERROR\r\n"}
			case "AT+CLEAN":
				return []string{"\r\nOK\r\n"}
			}
			return nil
		}}
		out := runFake(t, `
on /^\+QMTSTAT: / { fail "connection lost" }
send "AT+SLOW" expect "OK" timeout 10s
finally {
  send "AT+CLEAN" expect "OK"
}
`, f, nil)
		require.Error(t, out.res.Err)
		assert.Contains(t, out.res.Err.Error(), "connection lost")
		var cleaned bool
		for _, e := range out.events {
			if e.Kind == EvStep && e.Step == `send "AT+CLEAN" expect "OK"` {
				cleaned = true
			}
		}
		assert.True(t, cleaned, "finally's command got its own OK")
		assert.Equal(t, []string{"AT+SLOW", "AT+CLEAN"}, f.commands())
	})
}

func TestRetryBlockAndExpectAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		f := &fake{answer: func(cmd string) []string {
			switch cmd {
			case "AT+OPEN":
				n++
				if n < 2 {
					return []string{"\r\n+CME ERROR: 3\r\n"} // the block is retried
				}
				return []string{"\r\nOK\r\n"}
			case "AT+START":
				// SIMCom prints the result before or after OK.
				return []string{"\r\n+CMQTTSTART: 0\r\n\r\nOK\r\n"}
			}
			return []string{"\r\nERROR\r\n"}
		}}
		out := runFake(t, `
retry 3 every 5s {
  send "AT+OPEN" expect "OK"
}
send "AT+START"
expect all {
  "OK"
  /^\+CMQTTSTART: (?P<err>\d+)$/
}
log "start ${err}"
`, f, nil)
		require.NoError(t, out.res.Err)
		assert.Equal(t, []string{"AT+OPEN", "AT+OPEN", "AT+START"}, f.commands())
		assert.Equal(t, []string{"start 0"}, out.logs())
	})
}

func TestTranscriptRedactsEscapedSecrets(t *testing.T) {
	f := &fake{answer: func(string) []string { return []string{"\r\nOK\r\n"} }}
	p := compile(t, "param psk secret\nsend `AT+CWJAP=\"lab\",\"${at_escape(psk, \"esp\")}\"` expect \"OK\"\nsend `AT+X=\"${at_escape(psk)}\"` expect \"OK\"\n")
	host, dev := net.Pipe()
	go f.serve(dev)
	var tr bytes.Buffer
	res := p.Run(context.Background(), host, Options{Params: map[string]string{"psk": `a,b"c\d`}, Transcript: &tr})
	require.NoError(t, res.Err)
	assert.NotContains(t, tr.String(), `a\\,b`)
	assert.NotContains(t, tr.String(), `a,b\\22`)
	assert.Contains(t, tr.String(), `AT+CWJAP=\"lab\",\"***\"`)
}

// TestInterpolationIsOneRule: ${...} ends at the same "}" in a .at string
// and in a string literal inside an expression, quotes and all.
func TestInterpolationIsOneRule(t *testing.T) {
	f := &fake{answer: table(map[string]string{"x a}b y": "\r\nOK\r\n"})}
	out := runFake(t, `
log "x ${ 'a}b' } y"
let s = "x ${ 'a}b' } y"
send "x ${ 'a}b' } y" expect "OK"
emit s
`, f, nil)
	require.NoError(t, out.res.Err)
	assert.Equal(t, []string{"x a}b y", "s=x a}b y"}, out.logs())
	assert.Equal(t, []string{"x a}b y"}, f.commands())
}

// TestURCRacingTheAnswerReachesItsHandler: a URC that the waiting step
// could also have taken, arriving in the same read right after the line
// the step took, still goes to its handler.
func TestURCRacingTheAnswerReachesItsHandler(t *testing.T) {
	f := &fake{answer: func(cmd string) []string {
		if cmd == "AT+PUB" { // PUBACK and the URC in one read, while the expect waits
			return []string{"\r\nOK\r\n", "<pause>", "\r\nPUBACK\r\n\r\n+LOST\r\n"}
		}
		return []string{"\r\nOK\r\n"}
	}}
	out := runFake(t, `
on "+LOST" {
  log "lost"
}
send "AT+PUB" expect "OK"
expect {
  "PUBACK" => ok
  "+LOST"  => ok
}
send "AT" expect "OK"
`, f, nil)
	require.NoError(t, out.res.Err)
	assert.Equal(t, []string{"lost"}, out.logs())
}

// An error inside a flow names the calls that led there, so that a flow
// shared by many scripts points back at the script's own line.
func TestErrorInAFlowNamesItsCallers(t *testing.T) {
	p := compile(t, "include \"common.at\"\nsend \"AT\" expect \"OK\"\ncall attach(\"iot\")\n",
		"common.at", "flow attach(apn) {\n  call cgatt()\n}\nflow cgatt() {\n  send \"AT+CGATT=1\" expect \"OK\"\n}\n")
	host, dev := net.Pipe()
	f := &fake{answer: table(map[string]string{"AT": "\r\nOK\r\n", "AT+CGATT=1": "\r\nERROR\r\n"})}
	go f.serve(dev)
	res := p.Run(context.Background(), host, Options{})
	host.Close()
	require.Error(t, res.Err)
	assert.Equal(t, KindDevice, KindOf(res.Err))
	assert.Regexp(t, `^common\.at:5:3: send "AT\+CGATT=1" expect "OK": .* \(called at 2:3, from main\.at:3:1\)$`, res.Err.Error())
}
