package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/all"
	"github.com/atrun/atrun/sim/simtest"
)

const okLine = "\r\nOK\r\n"

// TestStrictLikeHardware: by default a virtual modem is as strict as the
// module it stands for; each leniency is a quirk that must be asked for.
func TestStrictLikeHardware(t *testing.T) {
	const imei = "869056031234563"
	slow := func(q map[string]string) sim.Options {
		// The answer leaves 100 ms after the command: a host that sends
		// the next command at once sends it while the modem is busy.
		return sim.Options{IMEI: imei, Latency: 100 * time.Millisecond, Quirks: q}
	}
	t.Run("a command typed while busy is ignored", func(t *testing.T) {
		h := simtest.Start(t, "sim7000", slow(nil))
		h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + okLine}})
		h.Send(t, "AT+CGSN")
		h.Send(t, "AT+CCID") // before AT+CGSN's OK
		h.Expect(t, "\r\n"+imei+"\r\n"+okLine)
		h.Quiet(t, 400*time.Millisecond)
		h.Run(t, []simtest.Step{{Send: "AT", Want: okLine}}) // after the OK it listens again
	})
	t.Run("quirk busy-input=queue runs it after", func(t *testing.T) {
		h := simtest.Start(t, "sim7000", slow(map[string]string{sim.QuirkBusyInput: "queue"}))
		h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r" + okLine}})
		h.Send(t, "AT+CGSN")
		h.Send(t, "AT")
		h.Expect(t, "\r\n"+imei+"\r\n"+okLine+okLine)
	})
	t.Run("ESP-AT answers busy p... to a command typed while busy", func(t *testing.T) {
		h := simtest.Start(t, "esp8266", slow(nil))
		h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r\n" + okLine}})
		h.Send(t, "AT")
		h.Send(t, "AT") // before the first one's OK
		h.Expect(t, "\r\nbusy p...\r\n"+okLine)
		h.Quiet(t, 400*time.Millisecond)
	})
	t.Run("ESP-AT runs only CR LF lines", func(t *testing.T) {
		h := simtest.Start(t, "esp8266", sim.Options{})
		h.Run(t, []simtest.Step{{Send: "ATE0", Want: "ATE0\r\n" + okLine}})
		h.Write(t, []byte("AT\r"))
		h.Quiet(t, 300*time.Millisecond) // a bare CR does not end the line
		h.Write(t, []byte("AT\r\n"))     // the line is "AT\rAT": not a command
		h.Expect(t, "\r\nERROR\r\n")
		h.Write(t, []byte("AT\r"))
		h.Write(t, []byte("\n")) // CR LF split across writes
		h.Expect(t, okLine)
	})
	t.Run("quirk line-end=cr takes a bare CR", func(t *testing.T) {
		h := simtest.Start(t, "esp8266", sim.Options{Quirks: map[string]string{sim.QuirkLineEnd: "cr"}})
		h.Write(t, []byte("ATE0\r"))
		h.Expect(t, "ATE0\r"+okLine)
	})
	longID := func(q map[string]string) *simtest.Host {
		h := simtest.Start(t, "esp8266", sim.Options{Quirks: q})
		h.Run(t, []simtest.Step{
			{Send: "ATE0", Want: "ATE0\r\n" + okLine},
			{Send: `AT+MQTTUSERCFG=0,1,"x","","",0,0,""`, Want: okLine},
		})
		// The payload typed with the command, before the prompt.
		h.Write(t, []byte("AT+MQTTLONGCLIENTID=0,4\r\nabcd"))
		h.Expect(t, "\r\nOK\r\n\r\n>")
		return h
	}
	t.Run("data typed before the prompt is dropped", func(t *testing.T) {
		h := longID(nil)
		h.Quiet(t, 300*time.Millisecond) // still waiting for its 4 bytes
		h.Write(t, []byte("wxyz"))
		h.Expect(t, okLine)
	})
	t.Run("quirk early-data=keep takes it", func(t *testing.T) {
		h := longID(map[string]string{sim.QuirkEarlyData: "keep"})
		h.Expect(t, okLine)
	})
	t.Run("an unknown quirk names the engine's", func(t *testing.T) {
		_, err := sim.New("sim7000", sim.Options{Quirks: map[string]string{"busy": "queue"}})
		if err == nil || !strings.Contains(err.Error(), "busy-input") || !strings.Contains(err.Error(), "early-data") {
			t.Fatalf("err = %v", err)
		}
	})
}
