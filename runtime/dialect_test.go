package runtime

import (
	"bufio"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// strictModem is a modem as strict as V.250 §5.6.1 allows: it reads
// command lines as they come and logs, in order, what arrived and what it
// wrote. A command line that arrives while the previous one still owes
// its final result code is logged as ignored and never answered.
type strictModem struct {
	eol    string                         // the line ending it requires
	answer func(cmd string) []timedAnswer // what to write, and when
	mu     sync.Mutex
	log    []string
	busy   bool
}

type timedAnswer struct {
	after   time.Duration
	text    string
	final   bool // writing it ends the command
	payload int  // a prompt: this many bytes of data follow before the rest
}

func (m *strictModem) note(s string) {
	m.mu.Lock()
	m.log = append(m.log, s)
	m.mu.Unlock()
}

func (m *strictModem) events() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.log...)
}

func (m *strictModem) serve(conn net.Conn) {
	defer conn.Close()
	var wmu sync.Mutex
	br := bufio.NewReader(conn)
	var line []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			return
		}
		line = append(line, b)
		if !strings.HasSuffix(string(line), m.eol) {
			continue
		}
		cmd := strings.TrimSuffix(string(line), m.eol)
		line = line[:0]
		m.mu.Lock()
		busy := m.busy
		m.busy = true
		m.mu.Unlock()
		if busy {
			m.note("ignored " + cmd)
			continue
		}
		m.note("got " + cmd)
		answers := m.answer(cmd)
		if len(answers) > 0 && answers[0].payload > 0 {
			m.note("wrote " + strings.TrimSpace(answers[0].text))
			conn.Write([]byte(answers[0].text))
			data := make([]byte, answers[0].payload)
			if _, err := io.ReadFull(br, data); err != nil {
				return
			}
			m.note("payload " + string(data))
			answers = answers[1:]
		}
		go func() {
			for _, a := range answers {
				time.Sleep(a.after)
				// Noted before the write: the host may answer at once.
				m.note("wrote " + strings.TrimSpace(a.text))
				if a.final {
					m.mu.Lock()
					m.busy = false
					m.mu.Unlock()
				}
				wmu.Lock()
				conn.Write([]byte(a.text))
				wmu.Unlock()
			}
		}()
	}
}

func runStrict(t *testing.T, src string, m *strictModem, opts Options) *Result {
	t.Helper()
	p := compile(t, src)
	host, dev := net.Pipe()
	go m.serve(dev)
	res := p.Run(context.Background(), host, opts)
	host.Close()
	return res
}

func answers(m map[string][]timedAnswer) func(string) []timedAnswer {
	return func(cmd string) []timedAnswer {
		if a, ok := m[cmd]; ok {
			return a
		}
		return []timedAnswer{{text: "\r\nERROR\r\n", final: true}}
	}
}

func TestOwedFinal(t *testing.T) {
	imeiThenLateOK := []timedAnswer{{text: "\r\n867530012345678\r\n"}, {after: 200 * time.Millisecond, text: "\r\nOK\r\n", final: true}}
	ok := []timedAnswer{{text: "\r\nOK\r\n", final: true}}
	for _, tc := range []struct {
		name    string
		script  string
		answers map[string][]timedAnswer
		want    []string // the modem's log
		err     string   // "" for success
	}{{
		name:    "a bare answer owes its OK: the next command waits for it",
		script:  "send \"AT+CGSN\" expect /^(?P<imei>\\d{15})$/\nsend \"AT+CCID\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{"AT+CGSN": imeiThenLateOK, "AT+CCID": ok},
		want:    []string{"got AT+CGSN", "wrote 867530012345678", "wrote OK", "got AT+CCID", "wrote OK"},
	}, {
		name:    "an information line owes its OK",
		script:  "send \"AT+CSQ\" expect /^\\+CSQ: (?P<rssi>\\d+),/\nsend \"AT\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{"AT+CSQ": {{text: "\r\n+CSQ: 20,99\r\n"}, {after: 200 * time.Millisecond, text: "\r\nOK\r\n", final: true}}, "AT": ok},
		want:    []string{"got AT+CSQ", "wrote +CSQ: 20,99", "wrote OK", "got AT", "wrote OK"},
	}, {
		name: "a declared final ends the command",
		script: "dialect t {\n  final \"SEND DONE\"\n}\nsend \"AT+TX\" expect prompt\nwrite \"abc\"\nexpect \"SEND DONE\"\n" +
			"send \"AT\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{"AT+TX": {{text: "\r\n> ", payload: 3}, {after: 50 * time.Millisecond, text: "\r\nSEND DONE\r\n", final: true}}, "AT": ok},
		want:    []string{"got AT+TX", "wrote >", "payload abc", "wrote SEND DONE", "got AT", "wrote OK"},
	}, {
		name:    "an undeclared final is waited for in vain, and the error says what to declare",
		script:  "send \"AT+TX\" expect \"SEND DONE\" timeout 1s\nsend \"AT\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{"AT+TX": {{text: "\r\nSEND DONE\r\n", final: true}}, "AT": ok},
		want:    []string{"got AT+TX", "wrote SEND DONE"},
		err:     `main.at:1:1: send "AT+TX" expect "SEND DONE" timeout 1s: no final result code (OK or ERROR) followed "SEND DONE" after 1s (if "SEND DONE" ends the command, declare it in the dialect: final "SEND DONE"; if AT+TX never ends with one: no_final "AT+TX") (last received: "SEND DONE")`,
	}, {
		name:    "the first step that took an answer owes the final",
		script:  "send \"AT+TX\" expect \"SEND DONE\" timeout 1s\nexpect \"+EXTRA\" timeout 2s\nsend \"AT\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{"AT+TX": {{text: "\r\nSEND DONE\r\n"}, {text: "\r\n+EXTRA\r\n", final: true}}, "AT": ok},
		want:    []string{"got AT+TX", "wrote SEND DONE", "wrote +EXTRA"},
		err:     `main.at:1:1: send "AT+TX" expect "SEND DONE" timeout 1s: no final result code (OK or ERROR) followed "SEND DONE" after 1s (if "SEND DONE" ends the command, declare it in the dialect: final "SEND DONE"; if AT+TX never ends with one: no_final "AT+TX") (last received: "+EXTRA")`,
	}, {
		name:    "an owed ERROR fails the step that owed it",
		script:  "send \"AT+CGSN\" expect /^(?P<imei>\\d{15})$/\nlog imei\nsend \"AT+CCID\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{"AT+CGSN": {{text: "\r\n867530012345678\r\n"}, {after: 200 * time.Millisecond, text: "\r\n+CME ERROR: 10\r\n", final: true}}},
		want:    []string{"got AT+CGSN", "wrote 867530012345678", "wrote +CME ERROR: 10"},
		err:     `main.at:1:1: send "AT+CGSN" expect /^(?P<imei>\d{15})$/: modem answered +CME ERROR: 10 (SIM not inserted)`,
	}, {
		name:    "a declared error final fails the step",
		script:  "dialect t {\n  error \"SEND FAILED\"\n}\nsend \"AT+TX\" expect \"SEND DONE\"\n",
		answers: map[string][]timedAnswer{"AT+TX": {{text: "\r\nSEND FAILED\r\n", final: true}}},
		want:    []string{"got AT+TX", "wrote SEND FAILED"},
		err:     `main.at:4:1: send "AT+TX" expect "SEND DONE": modem answered "SEND FAILED"`,
	}, {
		name:    "a command the dialect says has no final owes nothing",
		script:  "dialect t {\n  no_final \"at+myip\"\n}\nsend \"AT+MYIP\" expect /^(?P<ip>[\\d.]+)$/\nsend \"AT\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{"AT+MYIP": {{text: "\r\n10.0.0.7\r\n", final: true}}, "AT": ok},
		want:    []string{"got AT+MYIP", "wrote 10.0.0.7", "got AT", "wrote OK"},
	}, {
		name:    "a prompt owes nothing: the payload goes out at once",
		script:  "dialect t {\n  final \"SEND DONE\"\n  prompt \"@\"\n}\nsend \"AT+TX\" expect prompt\nwrite \"abc\"\nexpect \"SEND DONE\"\n",
		answers: map[string][]timedAnswer{"AT+TX": {{text: "\r\n@", payload: 3}, {after: 50 * time.Millisecond, text: "\r\nSEND DONE\r\n", final: true}}},
		want:    []string{"got AT+TX", "wrote @", "payload abc", "wrote SEND DONE"},
	}, {
		name:    "an explicit expect of the final settles it",
		script:  "send \"AT+CGSN\" expect /^(?P<imei>\\d{15})$/\nexpect \"OK\"\nsend \"AT+CCID\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{"AT+CGSN": imeiThenLateOK, "AT+CCID": ok},
		want:    []string{"got AT+CGSN", "wrote 867530012345678", "wrote OK", "got AT+CCID", "wrote OK"},
	}, {
		name: "a result after the OK owes nothing",
		script: "send `AT+OPEN=\"h\",1` expect \"OK\"\nexpect /^\\+OPEN: 0,(?P<r>\\d)$/ timeout 1s\n" +
			"send \"AT\" expect \"OK\"\n",
		answers: map[string][]timedAnswer{`AT+OPEN="h",1`: {{text: "\r\nOK\r\n", final: true}, {after: 50 * time.Millisecond, text: "\r\n+OPEN: 0,0\r\n"}}, "AT": ok},
		want:    []string{`got AT+OPEN="h",1`, "wrote OK", "wrote +OPEN: 0,0", "got AT", "wrote OK"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := &strictModem{eol: "\r", answer: answers(tc.answers)}
				res := runStrict(t, tc.script, m, Options{})
				if tc.err == "" {
					require.NoError(t, res.Err)
				} else {
					require.Error(t, res.Err)
					assert.Equal(t, tc.err, res.Err.Error())
				}
				synctest.Wait()
				assert.Equal(t, tc.want, m.events())
			})
		})
	}
}

func TestDialectLineEnding(t *testing.T) {
	ok := []timedAnswer{{text: "\r\nOK\r\n", final: true}}
	for _, tc := range []struct {
		script, flag, eol string
	}{
		{"send \"AT\" expect \"OK\"\n", "", "\r"},
		{"dialect esp {\n  line_ending \"\\r\\n\"\n}\nsend \"AT\" expect \"OK\"\n", "", "\r\n"},
		{"dialect esp {\n  line_ending \"\\r\\n\"\n}\nsend \"AT\" expect \"OK\"\n", "\n", "\n"}, // the flag wins
	} {
		synctest.Test(t, func(t *testing.T) {
			m := &strictModem{eol: tc.eol, answer: answers(map[string][]timedAnswer{"AT": ok})}
			res := runStrict(t, tc.script, m, Options{LineEnding: tc.flag})
			require.NoError(t, res.Err, "eol %q", tc.eol)
			assert.Equal(t, []string{"got AT", "wrote OK"}, m.events())
		})
	}
}

func TestDialectDataHeaders(t *testing.T) {
	// A made-up module: an inline header that does not start with "+",
	// and a header line whose data follows its line ending.
	f := &fake{answer: table(map[string]string{
		"AT#RD":  "\r\n#XRECV: 0,6,OK\r\n\r\n\r\nOK\r\n",
		"AT$GET": "\r\n$DATA 4\r\nab\r\n\r\nOK\r\n",
	})}
	out := runFake(t, `
dialect made_up {
  data /#XRECV: \d+,(?P<len>\d+),/ inline
  data /^\$DATA (?P<len>\d+)$/
}
send "AT#RD" expect /^#XRECV: 0,(?P<n>\d+),$/
read int(n) bytes into first
send "AT$GET" expect /^\$DATA (?P<m>\d+)$/
read int(m) bytes into second
emit first
emit second
`, f, nil)
	require.NoError(t, out.res.Err)
	assert.Equal(t, []string{"first=OK\r\n\r\n", "second=ab\r\n"}, out.logs())

	// Without the declaration the same bytes are lines.
	out = runFake(t, `
send "AT#RD" expect /^#XRECV: 0,(?P<n>\d+),(?P<rest>.*)$/
emit rest
`, &fake{answer: f.answer}, nil)
	require.NoError(t, out.res.Err)
	assert.Equal(t, []string{"rest=OK"}, out.logs())
}

// TestRuntimeHasNoVendorPatterns keeps vendor knowledge in scripts: the
// runtime's Go code (tests aside) may name the generic V.250 and 3GPP
// TS 27.007/27.005 result codes, never a vendor's command, result code or
// data header.
func TestRuntimeHasNoVendorPatterns(t *testing.T) {
	generic := map[string]bool{"+CME ERROR": true, "+CMS ERROR": true, "+CNMA": true}
	extended := regexp.MustCompile(`[+#%^&][A-Z][A-Z0-9]+(?: ERROR)?`)
	vendorWords := regexp.MustCompile(`\b(?:SEND OK|SEND FAIL|SHUT OK|CLOSE OK|CONNECT OK|DATA ACCEPT|ALREADY CONNECT|busy p)\b`)
	var found []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range extended.FindAllString(s, -1) {
				if !generic[m] && !strings.HasPrefix(s, "bad ") { // "+SECONDS.MICROS" in replay's format errors
					found = append(found, path+": "+strconv.Quote(s))
				}
			}
			if vendorWords.MatchString(s) {
				found = append(found, path+": "+strconv.Quote(s))
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	assert.Empty(t, found, "vendor patterns belong in a script's dialect")
}

// TestWriteDrawsALine: ESP-AT prints OK before its data prompt; the OK
// that answers the data comes after it. A write moves the cursor, so the
// first OK cannot answer the data's expect.
func TestWriteDrawsALine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &strictModem{eol: "\r", answer: answers(map[string][]timedAnswer{
			"AT+LONG=0,3": {{text: "\r\nOK\r\n\r\n>", payload: 3}, {after: 100 * time.Millisecond, text: "\r\nOK\r\n", final: true}},
			"AT":          {{text: "\r\nOK\r\n", final: true}},
		})}
		res := runStrict(t, "send \"AT+LONG=0,3\" expect prompt \">\"\nwrite \"abc\"\nexpect \"OK\"\nsend \"AT\" expect \"OK\"\n", m, Options{})
		require.NoError(t, res.Err)
		synctest.Wait()
		assert.Equal(t, []string{"got AT+LONG=0,3", "wrote OK\r\n\r\n>", "payload abc", "wrote OK", "got AT", "wrote OK"}, m.events())
	})
}
