package report

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// sample is record n; steps makes it as large as wanted.
func sample(n, steps int) Record {
	r := Record{
		Script: "scripts/sim7000/info.at", ScriptSHA256: Hash([]byte("x")),
		Params: map[string]string{"apn": "nbiot"},
		Port:   "/dev/ttyUSB" + strconv.Itoa(n%8), Run: n,
		Start: t0.Add(time.Duration(n) * time.Second), End: t0.Add(time.Duration(n)*time.Second + 1500*time.Millisecond),
		DurationMS: 1500, Status: Pass,
		Emitted: []Value{{Name: "seq", Value: strconv.Itoa(n)}, {Name: "imei", Value: "866425034458131"}},
		Steps:   []Step{},
	}
	for i := range steps {
		r.Steps = append(r.Steps, Step{Pos: fmt.Sprintf("scripts/common/ready.at:%d:1", i+1), Step: `send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),/`, MS: float64(i) + 0.125})
	}
	if n%5 == 0 {
		r.Status = Fail
		r.Failure = &Failure{Pos: "a.at:1:1", Kind: "timeout", Message: "timed out after 5s", Last: []string{"+CPIN: SIM PIN"}}
	}
	return r
}

func TestJSONLExactLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	j, err := OpenJSONL(path)
	require.NoError(t, err)
	r := sample(5, 1)
	r.Emitted = append(r.Emitted, Value{Name: "html", Value: "<a&b>"})
	require.NoError(t, j.Append(r))
	require.NoError(t, j.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, `{"script":"scripts/sim7000/info.at","script_sha256":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",`+
		`"params":{"apn":"nbiot"},"port":"/dev/ttyUSB5","run":5,"start":"2025-03-14T09:26:58Z","end":"2025-03-14T09:26:59.5Z",`+
		`"duration_ms":1500,"status":"fail","failure":{"pos":"a.at:1:1","kind":"timeout","message":"timed out after 5s","last_received":["+CPIN: SIM PIN"]},`+
		`"emitted":[{"name":"seq","value":"5"},{"name":"imei","value":"866425034458131"},{"name":"html","value":"<a&b>"}],`+
		`"steps":[{"pos":"scripts/common/ready.at:1:1","step":"send \"AT+CSQ\" expect /^\\+CSQ: (?P<rssi>\\d+),/","ms":0.125}]}`+"\n", string(b))
	require.ErrorContains(t, j.Append(r), "closed")
}

func TestJSONLRoundTripConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	// Two handles on one file stand for two processes; flock orders them.
	a, err := OpenJSONL(path)
	require.NoError(t, err)
	b, err := OpenJSONL(path)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		j := a
		if g%2 == 1 {
			j = b
		}
		wg.Go(func() {
			for i := range 25 {
				assert.NoError(t, j.Append(sample(1+g*25+i, 40)))
			}
		})
	}
	wg.Wait()
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())

	recs, err := ReadJSONL(path)
	require.NoError(t, err)
	require.Len(t, recs, 200)
	seen := map[int]bool{}
	for _, r := range recs {
		assert.Equal(t, sample(r.Run, 40), r)
		seen[r.Run] = true
	}
	assert.Len(t, seen, 200)
}

func TestJSONLRepair(t *testing.T) {
	good := func(n int) string {
		line, err := encodeLine(sample(n, 2))
		require.NoError(t, err)
		return string(line)
	}
	whole := strings.TrimSuffix(good(3), "\n")
	tests := []struct {
		name     string
		content  string
		readErr  string // ReadJSONL before OpenJSONL; "" for none
		repaired int64
		after    int // records after OpenJSONL and one Append
	}{
		{"intact", good(1) + good(2), "", 0, 3},
		{"empty", "", "", 0, 1},
		{"torn last line", good(1) + good(2) + whole[:70], "r.jsonl:3: torn record at the end of the file (a crash during a write?): unexpected end of JSON input", 70, 3},
		{"torn only line", whole[:10], "r.jsonl:1: torn record at the end of the file (a crash during a write?): unexpected end of JSON input", 10, 1},
		{"whole record without newline", good(1) + whole, "", 0, 3},
		{"blank lines", "\n" + good(1) + "\n\n", "", 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.jsonl")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o644))
			_, err := ReadJSONL(path)
			if tt.readErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Equal(t, filepath.Join(filepath.Dir(path), tt.readErr), err.Error())
			}
			j, err := OpenJSONL(path)
			require.NoError(t, err)
			assert.Equal(t, tt.repaired, j.Repaired())
			require.NoError(t, j.Append(sample(9, 0)))
			require.NoError(t, j.Close())
			recs, err := ReadJSONL(path)
			require.NoError(t, err)
			require.Len(t, recs, tt.after)
			assert.Equal(t, sample(9, 0), recs[len(recs)-1])
		})
	}
}

// TestTornWriteOfAnotherProcess: a process opened the report, another
// died in the middle of its write; the first one's next append must not
// merge with the torn line.
func TestTornWriteOfAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	j, err := OpenJSONL(path)
	require.NoError(t, err)
	require.NoError(t, j.Append(sample(1, 1)))
	torn, err := encodeLine(sample(2, 3))
	require.NoError(t, err)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(torn[:len(torn)/2]) // the other process is killed here
	require.NoError(t, err)
	require.NoError(t, f.Close())

	require.NoError(t, j.Append(sample(3, 0)))
	require.NoError(t, j.Append(sample(4, 0)))
	require.NoError(t, j.Close())
	recs, err := ReadJSONL(path)
	require.NoError(t, err)
	assert.Equal(t, []Record{sample(1, 1), sample(3, 0), sample(4, 0)}, recs)
	assert.Equal(t, int64(len(torn)/2), j.Repaired())
}

func TestReadJSONLErrors(t *testing.T) {
	line := func(n int) string {
		b, err := encodeLine(sample(n, 0))
		require.NoError(t, err)
		return string(b)
	}
	tests := []struct{ name, content, want string }{
		{"corrupt middle line", line(1) + `{"script":"a.at","sta` + "\n" + line(2), `r.jsonl:2: not a whole record: unexpected end of JSON input`},
		{"not json", line(1) + "hello\n", `r.jsonl:2: not a whole record: invalid character 'h' looking for beginning of value`},
		{"bad status", `{"script":"a.at","status":"maybe"}` + "\n", `r.jsonl:1: not a record: status "maybe": want "pass" or "fail"`},
		{"no script", `{"status":"pass"}` + "\n", `r.jsonl:1: not a record: no script`},
		{"fail without failure", `{"script":"a.at","status":"fail"}` + "\n", `r.jsonl:1: not a record: status "fail" without a failure`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r.jsonl")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o644))
			_, err := ReadJSONL(path)
			require.Error(t, err)
			assert.Equal(t, filepath.Join(dir, tt.want), err.Error())
		})
	}
	_, err := ReadJSONL(filepath.Join(t.TempDir(), "missing.jsonl"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestAppendRefusesInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	j, err := OpenJSONL(path)
	require.NoError(t, err)
	defer j.Close()
	r := sample(1, 0)
	r.Status = ""
	assert.EqualError(t, j.Append(r), `report `+path+`: bad record: status "": want "pass" or "fail"`)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Empty(t, b)
}

const crashEnv = "ATRUN_REPORT_CRASH_HELPER"

// TestCrashHelper is the process TestAppendSurvivesSIGKILL kills: it
// appends records as fast as it can and acknowledges each one on stdout
// once Append has returned.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestAppendSurvivesSIGKILL")
	}
	j, err := OpenJSONL(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	w := bufio.NewWriter(os.Stdout)
	for n := 1; ; n++ {
		// Large records (about 8 KiB) span pages, so a kill can land mid-write.
		if err := j.Append(sample(n, 80)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Fprintf(w, "ack %d\n", n)
		w.Flush()
	}
}

func TestAppendSurvivesSIGKILL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())

	acked := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked, _ = strconv.Atoi(n)
		}
		if acked == 40 {
			// Mid-way: the helper is already inside its next Append.
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			break
		}
	}
	for sc.Scan() { // acks written before the kill
		if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked, _ = strconv.Atoi(n)
		}
	}
	err = cmd.Wait()
	require.GreaterOrEqual(t, acked, 40, "helper stopped early: %v\n%s", err, stderr.String())
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	ws := ee.Sys().(syscall.WaitStatus)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "helper was not killed: %v\n%s", err, stderr.String())

	recs, err := ReadJSONL(path)
	if err != nil {
		// Linux may cut a write spanning pages short when SIGKILL lands
		// mid-copy. Only the last line may be torn, and reopening must
		// remove it.
		b, rerr := os.ReadFile(path)
		require.NoError(t, rerr)
		lines := strings.Count(string(b), "\n") + 1
		assert.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("%s:%d: torn record at the end", path, lines)), err.Error())
		t.Logf("the kill tore the last line (%d); reopening repairs it", lines)
		j, oerr := OpenJSONL(path)
		require.NoError(t, oerr)
		assert.Positive(t, j.Repaired())
		require.NoError(t, j.Close())
		recs, err = ReadJSONL(path)
	}
	require.NoError(t, err)
	// Every acknowledged record is there, whole; at most the one in
	// flight at the kill is extra.
	require.GreaterOrEqual(t, len(recs), acked)
	require.LessOrEqual(t, len(recs), acked+1)
	for i, r := range recs {
		require.Equal(t, sample(i+1, 80), r, "record %d", i+1)
	}
}
