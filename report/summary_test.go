package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func burnIn() []Record {
	rec := func(port string, run int, pass bool, steps ...float64) Record {
		r := Record{Script: "a.at", Port: port, Run: run, Status: Pass}
		if !pass {
			r.Status = Fail
			r.Failure = &Failure{Kind: "timeout", Message: "timed out"}
		}
		names := []Step{{Pos: "a.at:1:1", Step: `send "AT" expect "OK"`}, {Pos: "a.at:2:1", Step: `send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),(?P<ber>\d+)$/ timeout 10s`}}
		for i, ms := range steps {
			s := names[i%2]
			s.MS = ms
			r.Steps = append(r.Steps, s)
		}
		return r
	}
	return []Record{
		rec("/dev/ttyUSB1", 1, true, 20, 30),
		rec("/dev/ttyUSB0", 1, true, 21, 12000),
		rec("/dev/ttyUSB1", 2, false, 25), // failed before the second step
		rec("/dev/ttyUSB0", 2, true, 20.5, 31),
		rec("/dev/ttyUSB1", 3, true, 19, 29.25),
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(burnIn())
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	at := StepStats{Pos: "a.at:1:1", Step: `send "AT" expect "OK"`}
	csq := StepStats{Pos: "a.at:2:1", Step: `send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),(?P<ber>\d+)$/ timeout 10s`}
	with := func(s StepStats, n int, lo, med, hi float64) StepStats {
		s.Count, s.Min, s.Median, s.Max = n, ms(lo), ms(med), ms(hi)
		return s
	}
	assert.Equal(t, Summary{
		Ports: []PortStats{
			{Port: "/dev/ttyUSB0", Stats: Stats{Runs: 2, Passes: 2, Steps: []StepStats{with(at, 2, 20.5, 20.75, 21), with(csq, 2, 31, 6015.5, 12000)}}},
			{Port: "/dev/ttyUSB1", Stats: Stats{Runs: 3, Passes: 2, Steps: []StepStats{with(at, 3, 19, 20, 25), with(csq, 2, 29.25, 29.625, 30)}}},
		},
		All: Stats{Runs: 5, Passes: 4, Steps: []StepStats{with(at, 5, 19, 20.5, 25), with(csq, 4, 29.25, 30.5, 12000)}},
	}, s)
	assert.InDelta(t, 0.8, s.All.PassRate(), 1e-12)
	assert.InDelta(t, 2.0/3, s.Ports[1].PassRate(), 1e-12)
	assert.Equal(t, 0.0, Stats{}.PassRate())
}

func TestSummaryText(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Summarize(burnIn()).WriteText(&buf))
	assert.Equal(t, `port          runs  pass  fail  pass rate
/dev/ttyUSB0     2     2     0     100.0%
/dev/ttyUSB1     3     2     1      66.7%
all              5     4     1      80.0%

step                                              pos       n     min  median     max
send "AT" expect "OK"                             a.at:1:1  5  19.0ms  20.5ms  25.0ms
send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),(...  a.at:2:1  4  29.2ms  30.5ms  12.00s
`, buf.String())

	// One port: no "all" row; no steps: no step table.
	buf.Reset()
	require.NoError(t, Summarize([]Record{{Script: "a.at", Port: "", Status: Pass}}).WriteText(&buf))
	assert.Equal(t, `port       runs  pass  fail  pass rate
(no port)     1     1     0     100.0%
`, buf.String())
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		42 * time.Microsecond:   "42µs",
		1500 * time.Microsecond: "1.5ms",
		12 * time.Second:        "12.00s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
