package station

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/sim7000"
)

const flow = `
timeout 10s
send "AT" expect "OK"
send "AT+CGSN" expect /^(?P<imei>\d{15})$/
emit imei
`

func load(t testing.TB, src string) *runtime.Program {
	t.Helper()
	p, err := runtime.Load("flow.at", func(string) ([]byte, error) { return []byte(src), nil })
	require.NoError(t, err)
	return p
}

// simOpen opens a fresh in-memory virtual modem per port; ports named
// "dead*" cannot be opened.
func simOpen(ctx context.Context, opts sim.Options) func(string) (io.ReadWriteCloser, error) {
	return func(port string) (io.ReadWriteCloser, error) {
		if strings.HasPrefix(port, "dead") {
			return nil, os.ErrNotExist
		}
		o := opts
		o.IMEI = imeiFor(port)
		return sim.Pipe(ctx, "sim7000", o)
	}
}

// imeiFor gives each port its own valid IMEI.
func imeiFor(port string) string {
	n, _ := strconv.Atoi(strings.TrimLeft(port, "abcdefghijklmnopqrstuvwxyz"))
	body := "86905603" + leftPad(strconv.Itoa(n), 6)
	return body + string(sim.LuhnDigit(body))
}

func leftPad(s string, n int) string { return strings.Repeat("0", n-len(s)) + s }

func TestRunAllIsolatesPorts(t *testing.T) {
	ctx := context.Background()
	c := &Config{Program: load(t, flow), Open: simOpen(ctx, sim.Options{})}
	recs := c.RunAll(ctx, []Target{{Port: "p1"}, {Port: "dead2"}, {Port: "p3"}})
	require.Len(t, recs, 3)
	assert.Equal(t, report.Pass, recs[0].Status)
	assert.Equal(t, report.Fail, recs[1].Status)
	assert.Equal(t, "transport", recs[1].Failure.Kind)
	assert.Equal(t, report.Pass, recs[2].Status)
	assert.Equal(t, imeiFor("p3"), recs[2].Emitted[0].Value)
}

func TestRepeatAndReport(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/r.jsonl"
	j, err := report.OpenJSONL(path)
	require.NoError(t, err)
	c := &Config{Program: load(t, flow), Open: simOpen(ctx, sim.Options{}), Repeat: 3, Report: j}
	recs := c.RunAll(ctx, []Target{{Port: "p1"}, {Port: "p2"}})
	require.NoError(t, j.Close())
	require.Len(t, recs, 6)
	back, err := report.ReadJSONL(path)
	require.NoError(t, err)
	assert.Len(t, back, 6)
	assert.Equal(t, []int{1, 2, 3}, []int{recs[0].Run, recs[1].Run, recs[2].Run})
}

func TestWatchRunsEachNewDevice(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	present := []Target{{Port: "p1"}}
	list := func() ([]Target, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]Target(nil), present...), nil
	}
	done := make(chan []report.Record)
	c := &Config{Program: load(t, flow), Open: simOpen(ctx, sim.Options{})}
	go func() { done <- c.Watch(ctx, list, 10*time.Millisecond, nil) }()
	set := func(ts ...Target) {
		mu.Lock()
		present = ts
		mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	set(Target{Port: "p1"}, Target{Port: "p2"}) // p2 plugged in
	set(Target{Port: "p2"})                     // p1 unplugged
	set(Target{Port: "p1"}, Target{Port: "p2"}) // p1 plugged in again
	cancel()
	recs := <-done
	var ports []string
	for _, r := range recs {
		ports = append(ports, r.Port)
	}
	assert.ElementsMatch(t, []string{"p1", "p2", "p1"}, ports)
}

// BenchmarkSessions256 runs 256 sessions at once in one process against
// in-memory virtual modems that take 2 s to answer, and reports the peak
// resident memory and the CPU used while every session waits.
func BenchmarkSessions256(b *testing.B) {
	const n = 256
	prog := load(b, `
timeout 30s
send "AT" expect "OK"
`)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		c := &Config{Program: prog, Open: simOpen(ctx, sim.Options{Latency: 2 * time.Second})}
		targets := make([]Target, n)
		for k := range targets {
			targets[k] = Target{Port: "p" + strconv.Itoa(k)}
		}
		var cpuWait time.Duration
		go func() {
			// Measure a window in which every session is waiting.
			time.Sleep(500 * time.Millisecond)
			before := cpuTime()
			time.Sleep(time.Second)
			cpuWait = cpuTime() - before
		}()
		start := time.Now()
		recs := c.RunAll(ctx, targets)
		if time.Since(start) < 1500*time.Millisecond {
			b.Fatal("the sessions did not wait on the slow modem")
		}
		for _, r := range recs {
			if r.Status != report.Pass {
				b.Fatalf("%s: %v", r.Port, r.Failure)
			}
		}
		b.ReportMetric(float64(cpuWait)/float64(time.Second)*100, "%cpu-waiting")
	}
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
}

// peakRSS reads VmHWM, the process's peak resident set, in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
