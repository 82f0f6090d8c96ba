package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Summary is burn-in statistics over many records.
type Summary struct {
	Ports []PortStats // sorted by port
	All   Stats
}

// PortStats are the statistics of one port.
type PortStats struct {
	Port string
	Stats
}

// Stats count runs and time steps.
type Stats struct {
	Runs   int
	Passes int
	// Steps are keyed by position and statement, in order of first
	// appearance.
	Steps []StepStats
}

// PassRate is Passes/Runs, 0 when there were no runs.
func (s Stats) PassRate() float64 {
	if s.Runs == 0 {
		return 0
	}
	return float64(s.Passes) / float64(s.Runs)
}

// StepStats are the durations of one step over every run that reached it.
type StepStats struct {
	Pos, Step        string
	Count            int
	Min, Median, Max time.Duration
}

// Summarize computes per-port and overall statistics. The median of an
// even count is the mean of the two middle values.
func Summarize(recs []Record) Summary {
	var all acc
	ports := map[string]*acc{}
	for _, r := range recs {
		all.add(r)
		a := ports[r.Port]
		if a == nil {
			a = &acc{}
			ports[r.Port] = a
		}
		a.add(r)
	}
	s := Summary{All: all.stats()}
	for _, p := range sortedKeys(ports) {
		s.Ports = append(s.Ports, PortStats{Port: p, Stats: ports[p].stats()})
	}
	return s
}

type stepKey struct{ pos, step string }

type acc struct {
	runs, passes int
	order        []stepKey
	times        map[stepKey][]time.Duration
}

func (a *acc) add(r Record) {
	a.runs++
	if r.Status == Pass {
		a.passes++
	}
	if a.times == nil {
		a.times = map[stepKey][]time.Duration{}
	}
	for _, st := range r.Steps {
		k := stepKey{st.Pos, st.Step}
		if _, ok := a.times[k]; !ok {
			a.order = append(a.order, k)
		}
		a.times[k] = append(a.times[k], st.Duration())
	}
}

func (a *acc) stats() Stats {
	s := Stats{Runs: a.runs, Passes: a.passes}
	for _, k := range a.order {
		ds := slices.Clone(a.times[k])
		slices.Sort(ds)
		n := len(ds)
		med := ds[n/2]
		if n%2 == 0 {
			med = (ds[n/2-1] + ds[n/2]) / 2
		}
		s.Steps = append(s.Steps, StepStats{Pos: k.pos, Step: k.step, Count: n, Min: ds[0], Median: med, Max: ds[n-1]})
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// maxStepText bounds the step column of WriteText.
const maxStepText = 48

// WriteText writes the summary as two aligned tables: runs and pass rate
// per port and overall, then each step's duration over all ports.
func (s Summary) WriteText(w io.Writer) error {
	ports := table{right: []bool{false, true, true, true, true}}
	ports.add("port", "runs", "pass", "fail", "pass rate")
	for _, p := range s.Ports {
		ports.add(portName(p.Port), runRow(p.Stats)...)
	}
	if len(s.Ports) != 1 {
		ports.add("all", runRow(s.All)...)
	}
	if err := ports.write(w); err != nil {
		return err
	}
	if len(s.All.Steps) == 0 {
		return nil
	}
	steps := table{right: []bool{false, false, true, true, true, true}}
	steps.add("step", "pos", "n", "min", "median", "max")
	for _, st := range s.All.Steps {
		steps.add(clipRunes(st.Step, maxStepText), st.Pos, strconv.Itoa(st.Count),
			formatDuration(st.Min), formatDuration(st.Median), formatDuration(st.Max))
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return steps.write(w)
}

func portName(p string) string {
	if p == "" {
		return "(no port)"
	}
	return p
}

func runRow(s Stats) []string {
	return []string{strconv.Itoa(s.Runs), strconv.Itoa(s.Passes), strconv.Itoa(s.Runs - s.Passes),
		fmt.Sprintf("%.1f%%", 100*s.PassRate())}
}

// formatDuration is microseconds under a millisecond (fast steps on a
// virtual modem take tens of µs: 0.0ms would say nothing), milliseconds
// with one decimal under ten seconds, seconds with two above.
func formatDuration(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
	if d < 10*time.Second {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

// table aligns columns two spaces apart; right marks right-aligned columns.
type table struct {
	right []bool
	rows  [][]string
}

func (t *table) add(first string, rest ...string) {
	t.rows = append(t.rows, append([]string{first}, rest...))
}

func (t *table) write(w io.Writer) error {
	var width []int
	for _, row := range t.rows {
		for i, c := range row {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range t.rows {
		var line strings.Builder
		for i, c := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i < len(t.right) && t.right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
