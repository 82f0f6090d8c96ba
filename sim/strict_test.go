package sim_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/all"
	"github.com/atrun/atrun/sim/simtest"
)

// stricttest has the command shapes the busy rule must tell apart.
func init() {
	sim.Register(sim.Profile{
		Name: "stricttest",
		Commands: map[string]sim.Handler{
			// An information line at once, the final result later.
			"+TSLOW": func(s *sim.Session, c *sim.Command) error {
				s.Reply("+TSLOW: 1")
				s.After(200*time.Millisecond, func() { s.Finish(nil) })
				return sim.Pending
			},
			// A bare answer with no final result (SIMCom AT+CIFSR).
			"+TBARE": func(s *sim.Session, c *sim.Command) error {
				s.Reply("42")
				return sim.Done
			},
		},
	})
}

const (
	okLine = "\r\nOK\r\n"
	imei   = "869056031234563"
	csq    = "\r\n+CSQ: 20,99\r\n" + okLine
)

// TestStrictLikeHardware: by default a virtual modem is as strict as the
// module it stands for; each leniency is a quirk that must be asked for.
// Every case runs in a synctest bubble, so "before the OK went out" is
// exact, not a race.
func TestStrictLikeHardware(t *testing.T) {
	queue := map[string]string{sim.QuirkBusyInput: "queue"}
	keep := map[string]string{sim.QuirkEarlyData: "keep"}
	echoOff := simtest.Step{Send: "ATE0", Want: "ATE0\r" + okLine}
	espEchoOff := simtest.Step{Send: "ATE0", Want: "ATE0\r\n" + okLine}
	const join = `AT+CWJAP="anchovy","1234567890"`
	tests := []struct {
		name    string
		profile string
		opts    sim.Options
		run     func(t *testing.T, h *simtest.Host)
	}{
		// A command line typed before the previous final result went out.
		{"busy: a line typed during Latency is ignored", "sim7000", sim.Options{IMEI: imei, Latency: 100 * time.Millisecond},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff})
				h.Send(t, "AT+CGSN")
				h.Send(t, "AT+CCID") // before AT+CGSN's answer
				h.Expect(t, "\r\n"+imei+"\r\n"+okLine)
				h.Quiet(t, time.Second)
				h.Run(t, []simtest.Step{{Send: "AT", Want: okLine}}) // after the OK it listens again
			}},
		{"busy: a line typed while the OK is paced out is ignored", "enginetest", sim.Options{IMEI: imei, Baud: 9600},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT+CGSN", Want: "\r\n" + imei + "\r\n"}})
				h.Send(t, "AT+CSQ") // the OK is still on the wire
				h.Expect(t, okLine)
				h.Quiet(t, time.Second)
				h.Run(t, []simtest.Step{{Send: "AT", Want: okLine}})
			}},
		{"busy-input=queue: it runs after the OK", "enginetest", sim.Options{IMEI: imei, Baud: 9600, Quirks: queue},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT+CGSN", Want: "\r\n" + imei + "\r\n"}})
				h.Send(t, "AT+CSQ")
				h.Expect(t, okLine+csq)
			}},
		{"busy: a host may act on OK before its CR LF", "enginetest", sim.Options{Baud: 9600, Chunk: 1},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT"}})
				if got, err := h.Until("OK", simtest.Timeout); err != nil || string(got) != "\r\nOK" {
					t.Fatalf("got %q, %v", got, err)
				}
				h.Send(t, "AT+CSQ") // the CR LF is still on the wire
				h.Expect(t, "\r\n"+csq)
			}},
		{"busy: a line typed after the answer of a slow command is ignored", "stricttest", sim.Options{TimeScale: 1},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT+TSLOW", Want: "\r\n+TSLOW: 1\r\n"}})
				h.Send(t, "AT+CSQ")
				h.Expect(t, okLine)
				h.Quiet(t, time.Second)
			}},
		{"busy-input=queue: the slow command's next line runs after", "stricttest", sim.Options{TimeScale: 1, Quirks: queue},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT+TSLOW", Want: "\r\n+TSLOW: 1\r\n"}})
				h.Send(t, "AT+CSQ")
				h.Expect(t, okLine+csq)
			}},
		{"busy: of two lines in one write only the first runs; the second is not echoed", "enginetest", sim.Options{},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{{Raw: []byte("AT\rAT+CSQ\r"), Want: "AT\r" + okLine}})
				h.Quiet(t, time.Second)
			}},
		{"busy-input=queue: both run, both echoed", "enginetest", sim.Options{Quirks: queue},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{{Raw: []byte("AT\rAT+CSQ\r"), Want: "AT\r" + okLine + "AT+CSQ\r" + csq}})
			}},
		{"busy: URCs after the OK leave the modem free", "enginetest", sim.Options{TimeScale: 1},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{
					echoOff,
					{Send: "AT+TURC", Want: okLine},
					{Send: "AT", Want: okLine}, // +TURC: 1 is still a second away
					{Want: "\r\n+TURC: 1\r\n"},
				})
			}},
		{"busy: a bare answer ends its command", "stricttest", sim.Options{},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{
					echoOff,
					{Send: "AT+TBARE", Want: "\r\n42\r\n"},
					{Send: "AT", Want: okLine},
				})
			}},
		{"busy: ESP-AT answers busy p... during Latency", "esp8266", sim.Options{Latency: 100 * time.Millisecond},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{espEchoOff})
				h.Send(t, "AT")
				h.Send(t, "AT") // before the first one's OK
				h.Expect(t, "\r\nbusy p...\r\n"+okLine)
				h.Quiet(t, time.Second)
			}},
		{"busy: ESP-AT answers busy p... while it joins (esp-at #388)", "esp8266", sim.Options{TimeScale: 1},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{espEchoOff, {Send: join, Want: "\r\nWIFI CONNECTED\r\n"}})
				h.Send(t, "AT")
				h.Expect(t, "\r\nbusy p...\r\n")
				h.Expect(t, "\r\nWIFI GOT IP\r\n"+okLine)
				h.Quiet(t, time.Second)
				h.Run(t, []simtest.Step{{Send: "AT", Want: okLine}})
			}},
		{"busy-input=queue: ESP-AT runs it after the join", "esp8266", sim.Options{TimeScale: 1, Quirks: queue},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{espEchoOff, {Send: join, Want: "\r\nWIFI CONNECTED\r\n"}})
				h.Send(t, "AT")
				h.Expect(t, "\r\nWIFI GOT IP\r\n"+okLine+okLine)
			}},

		// Line endings.
		{"line-end: ESP-AT ignores a CR-only line, the next CR LF line is garbled", "esp8266", sim.Options{},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{espEchoOff})
				h.Write(t, []byte("AT\r"))
				h.Quiet(t, time.Second) // a bare CR does not end the line
				h.Run(t, []simtest.Step{
					{Raw: []byte("AT+GMR\r\n"), Want: "\r\nERROR\r\n"}, // "AT\rAT+GMR"
					{Raw: []byte("AT\r\n"), Want: okLine},
					{Raw: []byte("AT\r")}, {Raw: []byte("\n"), Want: okLine}, // CR LF split across writes
				})
			}},
		{"line-end: ESP-AT echoes the CR LF", "esp8266", sim.Options{},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{{Raw: []byte("AT\r\n"), Want: "AT\r\n" + okLine}})
			}},
		{"line-end=cr: ESP-AT takes a bare CR", "esp8266", sim.Options{Quirks: map[string]string{sim.QuirkLineEnd: "cr"}},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{{Raw: []byte("ATE0\r"), Want: "ATE0\r" + okLine}})
			}},
		{"line-end: other modems end at CR and ignore the LF after it", "sim7000", sim.Options{},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{
					{Raw: []byte("ATE0\r\n"), Want: "ATE0\r" + okLine},
					{Raw: []byte("AT\r\n"), Want: okLine},
					{Raw: []byte("AT\r"), Want: okLine},
				})
			}},

		// Data typed before the prompt.
		{"early-data: payload typed with the command is dropped", "enginetest", sim.Options{},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Raw: []byte("AT+TDATA=2\rab"), Want: "\r\n> "}})
				h.Quiet(t, time.Second) // still waiting for its 2 bytes
				h.Run(t, []simtest.Step{{Raw: []byte("cd"), Want: "\r\n+TDATA: 6364\r\n" + okLine}})
			}},
		{"early-data=keep: it is the payload", "enginetest", sim.Options{Quirks: keep},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Raw: []byte("AT+TDATA=2\rab"), Want: "\r\n> \r\n+TDATA: 6162\r\n" + okLine}})
			}},
		{"early-data: payload typed during Latency is dropped", "enginetest", sim.Options{Latency: 50 * time.Millisecond},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT+TDATA=2"}, {Raw: []byte("ab"), Want: "\r\n> "}})
				h.Quiet(t, time.Second)
				h.Run(t, []simtest.Step{{Raw: []byte("cd"), Want: "\r\n+TDATA: 6364\r\n" + okLine}})
			}},
		{"early-data=keep: payload typed during Latency is kept", "enginetest", sim.Options{Latency: 50 * time.Millisecond, Quirks: keep},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT+TDATA=2"}, {Raw: []byte("ab"), Want: "\r\n> \r\n+TDATA: 6162\r\n" + okLine}})
			}},
		{"early-data: payload typed while the prompt is paced out is dropped", "enginetest", sim.Options{Baud: 9600},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT+TDATA=2"}, {Raw: []byte("ab"), Want: "\r\n> "}})
				h.Quiet(t, time.Second)
				h.Run(t, []simtest.Step{{Raw: []byte("cd"), Want: "\r\n+TDATA: 6364\r\n" + okLine}})
			}},
		{"early-data: data typed at the > of a \"> \" prompt is taken", "enginetest", sim.Options{Baud: 9600, Chunk: 1},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{echoOff, {Send: "AT+TDATA=2"}})
				if got, err := h.Until(">", simtest.Timeout); err != nil || string(got) != "\r\n>" {
					t.Fatalf("got %q, %v", got, err)
				}
				h.Run(t, []simtest.Step{{Raw: []byte("ab"), Want: " \r\n+TDATA: 6162\r\n" + okLine}})
			}},
		{"early-data: ESP-AT drops what came before >", "esp8266", sim.Options{},
			func(t *testing.T, h *simtest.Host) {
				h.Run(t, []simtest.Step{
					espEchoOff,
					{Send: `AT+MQTTUSERCFG=0,1,"x","","",0,0,""`, Want: okLine},
					{Raw: []byte("AT+MQTTLONGCLIENTID=0,4\r\nabcd"), Want: "\r\nOK\r\n\r\n>"},
				})
				h.Quiet(t, time.Second)
				h.Run(t, []simtest.Step{{Raw: []byte("wxyz"), Want: okLine}})
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := simtest.Start(t, tc.profile, tc.opts)
				tc.run(t, h)
			})
		})
	}
}

// TestEngineQuirks: every profile takes the engine quirks, and Lenient
// selects each one's lenient value.
func TestEngineQuirks(t *testing.T) {
	for _, name := range sim.Names() {
		if _, err := sim.New(name, sim.Options{Quirks: sim.Lenient()}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for k, v := range sim.Lenient() {
		q := sim.EngineQuirks()[k]
		if q.Default() == v || !strings.Contains(strings.Join(q.Values, " "), v) {
			t.Errorf("quirk %s: lenient value %q is the default or unknown (%q)", k, v, q.Values)
		}
	}
	_, err := sim.New("sim7000", sim.Options{Quirks: map[string]string{"busy": "queue"}})
	if err == nil || !strings.Contains(err.Error(), "busy-input") || !strings.Contains(err.Error(), "early-data") {
		t.Fatalf("unknown quirk: err = %v, want the engine quirks named", err)
	}
}
