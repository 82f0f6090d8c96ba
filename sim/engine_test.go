package sim_test

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/simtest"
)

// The test profile exercises every engine facility a vendor profile uses.
func init() {
	sim.Register(sim.Profile{
		Name:         "enginetest",
		Manufacturer: "ACME",
		Model:        "T1000",
		Revision:     "T1000R01",
		TAC:          "35123456",
		Boot:         []string{"RDY", "+CPIN: READY"},
		BootTime:     time.Second,
		CMEE:         1,
		NewState:     func(*sim.Session) any { return &testState{} },
		Commands: map[string]sim.Handler{
			"+ICCID": nil, // removed common command
			"+TURC": func(s *sim.Session, c *sim.Command) error {
				s.AfterURC(time.Second, "+TURC: 1")
				return nil
			},
			"+TDATA": func(s *sim.Session, c *sim.Command) error {
				n, err := c.IntIn(0, 0, 100)
				if err != nil {
					return sim.CMEIncorrectParams
				}
				return s.ReadData(sim.DataEntry{Prompt: "\r\n> ", Len: n, Echo: s.Echo()}, func(b []byte, err error) error {
					if err != nil {
						return sim.Final("CANCELLED")
					}
					s.Reply("+TDATA: " + hex.EncodeToString(b))
					return nil
				})
			},
			"+TIDLE": func(s *sim.Session, c *sim.Command) error {
				return s.ReadData(sim.DataEntry{Prompt: ">", Idle: 5 * time.Second}, func(b []byte, err error) error {
					s.Replyf("+TIDLE: %q,%v", b, err)
					return nil
				})
			},
			"+TPEND": func(s *sim.Session, c *sim.Command) error {
				s.After(time.Second, func() { s.Finish(sim.Final("DONE")) })
				return sim.Pending
			},
			"+TPANIC": func(s *sim.Session, c *sim.Command) error { panic("boom") },
			"+TCME":   func(s *sim.Session, c *sim.Command) error { return sim.CMENotAllowed },
			"+TCOUNT": func(s *sim.Session, c *sim.Command) error {
				st := sim.StateOf[*testState](s)
				st.n++
				s.Replyf("+TCOUNT: %d", st.n)
				return nil
			},
			"+TARGS": func(s *sim.Session, c *sim.Command) error {
				s.Replyf("+TARGS: %s %d %q", c.Kind, c.NArg(), strings.Join(c.Args(), "|"))
				return nil
			},
		},
	})
}

type testState struct{ n int }

func TestTranscripts(t *testing.T) {
	tests := []struct {
		name  string
		steps []simtest.Step
	}{
		{"echo then ATE0", []simtest.Step{
			{Send: "AT", Want: "AT\r\r\nOK\r\n"},
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT", Want: "\r\nOK\r\n"},
			{Send: "ATE1", Want: "\r\nOK\r\n"},
			{Send: "at", Want: "at\r\r\nOK\r\n"},
		}},
		{"unknown command", []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT+NOPE", Want: "\r\nERROR\r\n"},
			{Send: "AT+ICCID", Want: "\r\nERROR\r\n"},
			{Send: "AT+CSQ=<", Want: "\r\nERROR\r\n"},
		}},
		{"identity", []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT+CGMI", Want: "\r\nACME\r\n\r\nOK\r\n"},
			{Send: "AT+CGMM", Want: "\r\nT1000\r\n\r\nOK\r\n"},
			{Send: "AT+CGMR", Want: "\r\nT1000R01\r\n\r\nOK\r\n"},
			{Send: "ATI", Want: "\r\nACME\r\n\r\nT1000\r\n\r\nRevision: T1000R01\r\n\r\nOK\r\n"},
			{Send: "AT+CGSN", Want: "\r\n351234560000002\r\n\r\nOK\r\n"},
			{Send: "AT+CPIN?", Want: "\r\n+CPIN: READY\r\n\r\nOK\r\n"},
			{Send: "AT+CSQ", Want: "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"},
		}},
		{"chained commands", []simtest.Step{
			{Send: "ATE0;+CSQ", Want: "ATE0;+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"},
			{Send: "AT+TCOUNT;+TCOUNT", Want: "\r\n+TCOUNT: 1\r\n\r\n+TCOUNT: 2\r\n\r\nOK\r\n"},
			{Send: "AT+TCME;+TCOUNT", Want: "\r\n+CME ERROR: 3\r\n"},
			{Send: "AT+TCOUNT", Want: "\r\n+TCOUNT: 3\r\n\r\nOK\r\n"},
		}},
		{"cmee modes", []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT+TCME", Want: "\r\n+CME ERROR: 3\r\n"},
			{Send: "AT+CMEE=2", Want: "\r\nOK\r\n"},
			{Send: "AT+TCME", Want: "\r\n+CME ERROR: operation not allowed\r\n"},
			{Send: "AT+CMEE=0", Want: "\r\nOK\r\n"},
			{Send: "AT+TCME", Want: "\r\nERROR\r\n"},
			{Send: "AT+CMEE?", Want: "\r\n+CMEE: 0\r\n\r\nOK\r\n"},
			{Send: "AT+CMEE=7", Want: "\r\nERROR\r\n"},
		}},
		{"arguments", []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: `AT+TARGS="a,b", 7 ,"x;y"`, Want: "\r\n+TARGS: exec 3 \"a,b|7|x;y\"\r\n\r\nOK\r\n"},
			{Send: `AT+TARGS?`, Want: "\r\n+TARGS: read 0 \"\"\r\n\r\nOK\r\n"},
			{Send: `AT+TARGS=?`, Want: "\r\n+TARGS: test 0 \"\"\r\n\r\nOK\r\n"},
			{Send: `AT+TARGS`, Want: "\r\n+TARGS: action 0 \"\"\r\n\r\nOK\r\n"},
		}},
		{"data mode counted", []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT+TDATA=4", Want: "\r\n> "},
			{Raw: []byte{0x1a, '\r', '\n', 0x1b}, Want: "\r\n+TDATA: 1a0d0a1b\r\n\r\nOK\r\n"},
		}},
		{"data mode ctrl-z with echo", []simtest.Step{
			{Send: "AT+TDATA=0", Want: "AT+TDATA=0\r\r\n> "},
			{Raw: []byte("hi\r\nOK"), Want: "hi\r\nOK"},
			{Raw: []byte{0x1a}, Want: "\r\n+TDATA: 68690d0a4f4b\r\n\r\nOK\r\n"},
			{Send: "AT+TDATA=0", Want: "AT+TDATA=0\r\r\n> "},
			{Raw: []byte{'x', 0x1b}, Want: "x\r\nCANCELLED\r\n"},
		}},
		{"async result and urc", []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT+TPEND", Want: "\r\nDONE\r\n"},
			{Send: "AT+TURC", Want: "\r\nOK\r\n\r\n+TURC: 1\r\n"},
		}},
		{"restart resets state", []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT+CREG=1", Want: "\r\nOK\r\n"},
			{Send: "AT+CREG?", Want: "\r\n+CREG: 1,1\r\n\r\nOK\r\n"},
			{Send: "AT+TCOUNT", Want: "\r\n+TCOUNT: 1\r\n\r\nOK\r\n"},
			{Send: "AT+CFUN=1,1", Want: "\r\nOK\r\n\r\nRDY\r\n\r\n+CPIN: READY\r\n"},
			{Send: "AT+TCOUNT", Want: "AT+TCOUNT\r\r\n+TCOUNT: 1\r\n\r\nOK\r\n"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := simtest.Start(t, "enginetest", sim.Options{})
			h.Run(t, tt.steps)
		})
	}
}

func TestRegistry(t *testing.T) {
	if !slices.Contains(sim.Names(), "enginetest") {
		t.Fatalf("Names() = %v, want it to contain enginetest", sim.Names())
	}
	p, ok := sim.Lookup("EngineTest")
	if !ok || p.Model != "T1000" {
		t.Fatalf("Lookup(EngineTest) = %v, %v", p.Model, ok)
	}
	if _, err := sim.New("nosuch", sim.Options{}); err == nil || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Fatalf("New(nosuch) error = %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	tests := []struct {
		opts sim.Options
		want string
	}{
		{sim.Options{IMEI: "12345"}, `IMEI "12345" must have 15 digits`},
		{sim.Options{ICCID: "89860x12345678901234"}, `ICCID "89860x12345678901234" must be digits only`},
		{sim.Options{DropRate: 2}, "drop rate 2 is not between 0 and 1"},
		{sim.Options{Broker: "http://x"}, `scheme "http"`},
		{sim.Options{InjectURC: "a\r\nb"}, "contains a line break"},
		{sim.Options{TimeScale: -1}, "time scale -1 is negative"},
	}
	for _, tt := range tests {
		_, err := sim.New("enginetest", tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) error = %v, want %q", tt.opts, err, tt.want)
		}
	}
}

func TestIdentityDefaults(t *testing.T) {
	for _, seed := range []int64{0, 1, 424242} {
		m, err := sim.New("enginetest", sim.Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		o := m.Options()
		if len(o.IMEI) != 15 || !sim.ValidLuhn(o.IMEI) || !strings.HasPrefix(o.IMEI, "35123456") {
			t.Errorf("seed %d: IMEI %q is not a Luhn-valid 15-digit IMEI with the profile TAC", seed, o.IMEI)
		}
		if len(o.ICCID) != 20 || !sim.ValidLuhn(o.ICCID) || !strings.HasPrefix(o.ICCID, "89") {
			t.Errorf("seed %d: ICCID %q is not a Luhn-valid 20-digit ICCID", seed, o.ICCID)
		}
		if len(o.IMSI) != 15 {
			t.Errorf("seed %d: IMSI %q is not 15 digits", seed, o.IMSI)
		}
	}
}

func TestLuhn(t *testing.T) {
	tests := []struct {
		body string
		want byte
	}{
		{"49015420323751", '8'},      // IMEI example of 3GPP TS 23.003 annex B
		{"7992739871", '3'},          // the classic Luhn example
		{"8944500102198304826", '1'}, // checked with an independent Python Luhn
	}
	for _, tt := range tests {
		if got := sim.LuhnDigit(tt.body); got != tt.want {
			t.Errorf("LuhnDigit(%s) = %c, want %c", tt.body, got, tt.want)
		}
		if !sim.ValidLuhn(tt.body + string(tt.want)) {
			t.Errorf("ValidLuhn(%s%c) = false", tt.body, tt.want)
		}
		if sim.ValidLuhn(tt.body + string('0'+(tt.want-'0'+1)%10)) {
			t.Errorf("ValidLuhn accepted a wrong check digit for %s", tt.body)
		}
	}
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		want string // commands as Name/Kind/Raw, space separated
	}{
		{"AT", "/action/"},
		{"ATE0", "E/action/0"},
		{"ATE0V1", "E/action/0 V/action/1"},
		{"AT+CIFSR;E0", "+CIFSR/action/ E/action/0"},
		{`AT+CSTT="a;b","",""`, `+CSTT/exec/"a;b","",""`},
		{"AT+CREG?", "+CREG/read/"},
		{"AT+CIPSTART=?", "+CIPSTART/test/"},
		{"ATS0=2", "S0/exec/2"},
		{"ATD*99#", "D/action/*99#"},
		{"AT&W", "&W/action/"},
		{"at+csq", "+CSQ/action/"},
	}
	for _, tt := range tests {
		cmds, err := sim.ParseLine(tt.line, false)
		if err != nil {
			t.Errorf("ParseLine(%q): %v", tt.line, err)
			continue
		}
		var got []string
		for _, c := range cmds {
			got = append(got, c.Name+"/"+c.Kind.String()+"/"+c.Raw)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("ParseLine(%q) = %q, want %q", tt.line, strings.Join(got, " "), tt.want)
		}
	}
	for _, bad := range []string{"", "A", "XT", "AT+", "AT+CSQ<", "AT&"} {
		if _, err := sim.ParseLine(bad, false); err == nil {
			t.Errorf("ParseLine(%q) = nil error", bad)
		}
	}
}

// TestRealisticBoot runs real-time delays on the synctest clock: boot lines
// after BootTime, input lost while booting, +CREG URCs as registration
// completes, and asynchronous results after their delays.
func TestRealisticBoot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := simtest.Start(t, "enginetest", sim.Realistic())
		h.Send(t, "AT") // lost: the modem is still booting
		time.Sleep(999 * time.Millisecond)
		if got := h.Pending(); len(got) != 0 {
			t.Fatalf("output while booting: %q", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		h.Expect(t, "\r\nRDY\r\n\r\n+CPIN: READY\r\n")
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT+CREG=1", Want: "\r\nOK\r\n"},
			{Send: "AT+CREG?", Want: "\r\n+CREG: 1,2\r\n\r\nOK\r\n"},
			{Send: "AT+CSQ", Want: "\r\n+CSQ: 99,99\r\n\r\nOK\r\n"},
		})
		start := time.Now()
		h.Expect(t, "\r\n+CREG: 1\r\n")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("registration took %v after boot, want at most 2s", d)
		}
		start = time.Now()
		h.Run(t, []simtest.Step{{Send: "AT+TPEND", Want: "\r\nDONE\r\n"}})
		if d := time.Since(start); d != time.Second {
			t.Errorf("pending result after %v, want 1s", d)
		}
	})
}

// TestDataIdle: an idle data entry ends 5 s (real time) after the last byte.
func TestDataIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := simtest.Start(t, "enginetest", sim.Options{})
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\r\nOK\r\n"},
			{Send: "AT+TIDLE", Want: ">"},
		})
		h.Write(t, []byte("a"))
		time.Sleep(4 * time.Second)
		h.Write(t, []byte("b"))
		start := time.Now()
		want := "\r\n+TIDLE: \"ab\",data entry timed out\r\n\r\nOK\r\n"
		if got, err := h.Next(len(want), time.Minute); err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("idle end %v after the last byte, want 5s", d)
		}
	})
}

func TestHandlerPanicEndsSession(t *testing.T) {
	m, err := sim.New("enginetest", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	host, dev := net.Pipe()
	defer host.Close()
	errc := make(chan error, 1)
	go func() { errc <- m.Serve(context.Background(), dev) }()
	go io.Copy(io.Discard, host)
	host.Write([]byte("AT+TPANIC\r"))
	err = <-errc
	if err == nil || !strings.Contains(err.Error(), `sim "enginetest": internal error in profile: boom`) {
		t.Fatalf("Serve = %v, want the panic as an error", err)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"AT", "ATE0V1", `AT+CSTT="a;b","",""`, "AT+CIFSR;E0", "ATS0=2", "ATD*99#", `AT+X="\"",1`, "AT&W"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, line string, esc bool) {
		cmds, err := sim.ParseLine(line, esc)
		if err != nil {
			return
		}
		for _, c := range cmds {
			c.Args()
			for i := range c.NArg() + 1 {
				c.Int(i)
				c.Quoted(i)
			}
			_ = c.String()
		}
	})
}
