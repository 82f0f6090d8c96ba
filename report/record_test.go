package report

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/runtime/replay"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var scriptFiles = map[string]string{
	"flows/main.at": `param apn = "nbiot"
param password = "hunter22" secret
include "common/ready.at"
send "AT+CGSN" expect /^(?P<imei>\d{15})$/
emit imei
emit raw = unhex("00ff1a")
emit login = "user:" + password
send "AT+CPIN?" expect "+CPIN: READY"
`,
	"flows/common/ready.at": `include "at.at"
send "ATE0" expect "OK"
`,
	"flows/common/at.at": `send "AT" expect "OK"
`,
}

func loadScript(t *testing.T) *runtime.Program {
	t.Helper()
	p, err := runtime.Load("flows/main.at", func(path string) ([]byte, error) {
		src, ok := scriptFiles[path]
		if !ok {
			return nil, os.ErrNotExist
		}
		return []byte(src), nil
	})
	require.NoError(t, err)
	return p
}

// A session of the script above; the last answer is filled in per test.
const sessionHead = `# atrun recording v1
+0.000000 TX "AT\r"
+0.010000 RX "\r\nOK\r\n"
+0.010000 TX "ATE0\r"
+0.030000 RX "\r\nOK\r\n"
+0.030000 TX "AT+CGSN\r"
+0.040000 RX "\r\n866425034458131\r\n\r\nOK\r\n"
+0.040000 TX "AT+CPIN?\r"
`

// run plays the session against the script in a bubble, where time.Now
// starts at 2000-01-01 00:00:00 UTC and only timeouts move it.
func run(t *testing.T, answer string, params map[string]string) (Info, *runtime.Result) {
	t.Helper()
	p := loadScript(t)
	rec, err := replay.Load(strings.NewReader(sessionHead + answer))
	require.NoError(t, err)
	info := ScriptInfo(p)
	info.Params, err = ResolvedParams(p, params)
	require.NoError(t, err)
	info.Port = "/dev/ttyUSB2"
	info.USB = USB{VID: "1e0e", PID: "9001", Serial: "A1B2"}
	var res *runtime.Result
	synctest.Test(t, func(t *testing.T) {
		res = p.Run(context.Background(), replay.NewPlayer(rec, replay.PlayerOptions{}), runtime.Options{Params: params})
	})
	return info, res
}

func TestFromResultPass(t *testing.T) {
	info, res := run(t, `+0.050000 RX "\r\n+CPIN: READY\r\n\r\nOK\r\n"`, map[string]string{"password": "s3cr3t-pw"})
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"password"}, info.Secrets)
	assert.Equal(t, "flows/main.at", info.Script)
	require.Len(t, info.Sources, 3)
	assert.Equal(t, scriptFiles["flows/common/at.at"], string(info.Sources[2]))

	rec := FromResult(info, res)
	line, err := json.Marshal(rec)
	require.NoError(t, err)
	hash := Hash([]byte(scriptFiles["flows/main.at"]), []byte(scriptFiles["flows/common/ready.at"]), []byte(scriptFiles["flows/common/at.at"]))
	want := `{"script":"flows/main.at","script_sha256":"` + hash + `",` +
		`"params":{"apn":"nbiot","password":"***"},` +
		`"port":"/dev/ttyUSB2","usb":{"vid":"1e0e","pid":"9001","serial":"A1B2"},"run":1,` +
		`"start":"2000-01-01T00:00:00Z","end":"2000-01-01T00:00:00Z","duration_ms":0,"status":"pass",` +
		`"emitted":[{"name":"imei","value":"866425034458131"},{"name":"raw","value":"00ff1a","encoding":"hex"},{"name":"login","value":"user:***"}],` +
		`"steps":[` +
		`{"pos":"flows/common/at.at:1:1","step":"send \"AT\" expect \"OK\"","ms":0},` +
		`{"pos":"flows/common/ready.at:2:1","step":"send \"ATE0\" expect \"OK\"","ms":0},` +
		`{"pos":"flows/main.at:4:1","step":"send \"AT+CGSN\" expect /^(?P\u003cimei\u003e\\d{15})$/","ms":0},` +
		`{"pos":"flows/main.at:8:1","step":"send \"AT+CPIN?\" expect \"+CPIN: READY\"","ms":0}]}`
	assert.Equal(t, want, string(line))
}

func TestFromResultFailures(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		want   Failure
		ms     float64
	}{
		{"modem error", `+0.050000 RX "\r\n+CME ERROR: 10\r\n"`, Failure{
			Pos: "flows/main.at:8:1", Step: `send "AT+CPIN?" expect "+CPIN: READY"`, Kind: "modem",
			Message: "modem answered +CME ERROR: 10 (SIM not inserted)", Last: []string{"OK", "OK", "866425034458131", "OK", "+CME ERROR: 10"},
		}, 0},
		{"timeout", `+0.050000 RX "\r\n+CPIN: SIM PIN\r\n"`, Failure{
			Pos: "flows/main.at:8:1", Step: `send "AT+CPIN?" expect "+CPIN: READY"`, Kind: "timeout",
			Message: "timed out after 5s", Last: []string{"OK", "OK", "866425034458131", "OK", "+CPIN: SIM PIN"},
		}, 5000},
		// A database refuses text that is not UTF-8: the byte is escaped.
		{"garbled line", `+0.050000 RX "\r\n+CPIN: \xffREADY\r\n"`, Failure{
			Pos: "flows/main.at:8:1", Step: `send "AT+CPIN?" expect "+CPIN: READY"`, Kind: "timeout",
			Message: "timed out after 5s", Last: []string{"OK", "OK", "866425034458131", "OK", `+CPIN: \xffREADY`},
		}, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, res := run(t, tt.answer, nil)
			require.Error(t, res.Err)
			rec := FromResult(info, res)
			assert.Equal(t, Fail, rec.Status)
			require.NotNil(t, rec.Failure)
			assert.Equal(t, tt.want, *rec.Failure, res.Err.Error())
			assert.Equal(t, tt.ms, rec.DurationMS)
			// The emits before the failure are kept.
			assert.Equal(t, "imei=866425034458131", rec.Emitted[0].String())
		})
	}
}

type stringer struct{}

func (stringer) String() string { return "1m30s" }

func TestRender(t *testing.T) {
	tests := []struct {
		in       any
		text     string
		encoding string
	}{
		{nil, "", ""},
		{"866425034458131", "866425034458131", ""},
		{"héllo", "héllo", ""},
		{"\xff\x00", "ff00", "hex"},
		{[]byte("OK\r\n"), "OK\r\n", ""},
		{[]byte{0x10, 0x80}, "1080", "hex"},
		{42, "42", ""},
		{int64(-7), "-7", ""},
		{uint64(1 << 63), "9223372036854775808", ""},
		{1.5, "1.5", ""},
		{1e21, "1000000000000000000000", ""},
		{true, "true", ""},
		{stringer{}, "1m30s", ""},
		{[]any{1, "a"}, `[1,"a"]`, ""},
		{map[string]any{"b": 2, "a": 1}, `{"a":1,"b":2}`, ""},
	}
	for _, tt := range tests {
		text, enc := Render(tt.in)
		assert.Equal(t, tt.text, text, "%#v", tt.in)
		assert.Equal(t, tt.encoding, enc, "%#v", tt.in)
	}
	// Not JSON: fmt's rendering.
	text, enc := Render(func() {})
	assert.True(t, strings.HasPrefix(text, "0x"), text)
	assert.Equal(t, "", enc)
}

func TestFromResultBuilt(t *testing.T) {
	start := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	tests := []struct {
		name string
		info Info
		res  *runtime.Result
		want Record
	}{
		{"no result", Info{Script: "a.at", Run: 3}, nil, Record{
			Script: "a.at", ScriptSHA256: Hash(), Run: 3, Status: Fail, Emitted: []Value{}, Steps: []Step{},
			Failure: &Failure{Kind: "script", Message: "no result"},
		}},
		{"param error", Info{Script: "a.at"}, &runtime.Result{Start: start, End: start,
			Err: lang.ErrorList{&lang.Error{Msg: "-D nope: no such param in a.at"}}}, Record{
			Script: "a.at", ScriptSHA256: Hash(), Run: 1, Start: start, End: start, Status: Fail,
			Emitted: []Value{}, Steps: []Step{},
			Failure: &Failure{Kind: "script", Message: "-D nope: no such param in a.at"},
		}},
		{"cause without message, secrets masked", Info{
			Script:  "a.at",
			Sources: [][]byte{[]byte("abc")},
			Params:  map[string]string{"pw": "topsecret", "pin": "1", "key": "topk", "apn": "iot"},
			Secrets: []string{"pw", "pin", "key"},
		}, &runtime.Result{
			Start: start, End: start.Add(1234567 * time.Microsecond),
			Emitted: []runtime.Emitted{{Name: "echo", Value: "AT+LOGIN=topsecret,topk,1"}},
			Steps: []runtime.StepTiming{{Pos: lang.Pos{Filename: "a.at", Line: 3, Column: 5}, Step: "send", Elapsed: 20412345 * time.Nanosecond},
				{Step: "finally"}},
			Err: &runtime.Error{Pos: lang.Pos{Filename: "a.at", Line: 3, Column: 5}, Kind: runtime.KindTransport,
				Err: errors.New("write topsecret: broken pipe"), Last: []string{"+LOGIN: topk"}},
		}, Record{
			Script: "a.at", ScriptSHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			Params: map[string]string{"pw": "***", "pin": "***", "key": "***", "apn": "iot"},
			Run:    1, Start: start, End: start.Add(1234567 * time.Microsecond), DurationMS: 1234.567, Status: Fail,
			Emitted: []Value{{Name: "echo", Value: "AT+LOGIN=***,***,1"}},
			Steps:   []Step{{Pos: "a.at:3:5", Step: "send", MS: 20.412}, {Step: "finally"}},
			Failure: &Failure{Pos: "a.at:3:5", Kind: "transport", Message: "write ***: broken pipe", Last: []string{"+LOGIN: ***"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, FromResult(tt.info, tt.res))
		})
	}
}

func TestHash(t *testing.T) {
	// sha256("abc"), whichever way the bytes are split into files.
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	assert.Equal(t, abc, Hash([]byte("abc")))
	assert.Equal(t, abc, Hash([]byte("a"), []byte("bc")))
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Hash())
}

func TestSourcesOnce(t *testing.T) {
	files := map[string]string{
		"m.at":  "include \"x.at\"\nflow f() {\n  include \"y.at\"\n}\ninclude \"x.at\"\n",
		"x.at":  "include \"y.at\"\n",
		"y.at":  "send \"AT\" expect \"OK\"\n",
		"zz.at": "unused",
	}
	f, err := lang.Load("m.at", func(p string) ([]byte, error) { return []byte(files[p]), nil })
	require.NoError(t, err)
	var got []string
	for _, b := range Sources(f) {
		got = append(got, string(b))
	}
	assert.Equal(t, []string{files["m.at"], files["x.at"], files["y.at"]}, got)
}

func TestFailureString(t *testing.T) {
	assert.Equal(t, `a.at:3:1: expect "OK": timed out`, (&Failure{Pos: "a.at:3:1", Step: `expect "OK"`, Message: "timed out"}).String())
	assert.Equal(t, "no result", (&Failure{Message: "no result"}).String())
	assert.Equal(t, "raw=hex:00ff", Value{Name: "raw", Value: "00ff", Encoding: "hex"}.String())
}

// A script that sends what the recording does not have fails at the send,
// and the divergence survives into the record.
func TestFromResultReplayDivergence(t *testing.T) {
	p := loadScript(t)
	rec, err := replay.Load(strings.NewReader(strings.Replace(sessionHead, `TX "AT+CGSN\r"`, `TX "AT+GSN\r"`, 1)))
	require.NoError(t, err)
	var res *runtime.Result
	synctest.Test(t, func(t *testing.T) {
		res = p.Run(context.Background(), replay.NewPlayer(rec, replay.PlayerOptions{}), runtime.Options{})
	})
	var d *replay.Divergence
	require.ErrorAs(t, res.Err, &d)
	assert.Equal(t, 6, d.Line)
	r := FromResult(ScriptInfo(p), res)
	assert.Equal(t, &Failure{
		Pos: "flows/main.at:4:1", Step: `send "AT+CGSN" expect /^(?P<imei>\d{15})$/`, Kind: "transport",
		Message: `replay diverged: sent "AT+CGSN\r", recording has "AT+GSN\r" (recording line 6)`,
		Last:    []string{"OK", "OK"},
	}, r.Failure)
}
