// Command peers compares atrun with its peers on one fake modem: a
// pseudo-terminal that answers every command with OK after a fixed
// latency (plus the bytes' time on the wire at -baud). Every tool runs
// the same flow; the modem logs when each command arrived and when its
// answer went out, so start, exit and per-step costs are measured from
// the modem's side, the same way for every tool. The floors (a C and a
// Go program that write a command and block reading until OK) show what
// the physical limit plus a process costs. Runs are interleaved and the
// table shows medians; compare rows as ratios, not across machines.
//
//	go run ./bench/peers            # or: make bench-peers
//	go run ./bench/peers -n 50 -latency 20ms -baud 115200 -runs 7
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/atrun/atrun/internal/ptymodem"
)

type tool struct {
	name string
	argv func(tty string) []string
	runs []result
	err  string
}

var verbose bool

type result struct {
	wall, start, exit, perStep time.Duration
}

func main() {
	n := flag.Int("n", 50, "commands in the flow")
	latency := flag.Duration("latency", 20*time.Millisecond, "the modem's latency per command")
	baud := flag.Int("baud", 115200, "pace the bytes at this rate (0: no pacing)")
	runs := flag.Int("runs", 5, "runs per tool (after one warm-up)")
	dir := flag.String("dir", "bench/peers", "this directory: floor/ and scripts/ (flow.exp, flow.py, floor.c)")
	var atruns multiFlag
	flag.Var(&atruns, "atrun", "an atrun `binary` to measure, repeatable (default: build ./cmd/atrun as make build does)")
	python := flag.String("python", "python3", "a Python with pexpect")
	expectBin := flag.String("expect", "expect", "Tcl Expect")
	flag.BoolVar(&verbose, "v", false, "print every run")
	flag.Parse()
	if err := run(*n, ptymodem.Config{Latency: *latency, Baud: *baud}, *runs, *dir, atruns, *python, *expectBin); err != nil {
		fmt.Fprintln(os.Stderr, "bench-peers:", err)
		os.Exit(1)
	}
}

// commands is the flow: the queries of a typical bring-up, cycled.
func commands(n int) []string {
	base := []string{"AT", "ATE0", "AT+CMEE=2", "AT+CGMI", "AT+CGMM", "AT+CGMR", "AT+CGSN", "AT+CIMI",
		"AT+CPIN?", "AT+CSQ", "AT+CREG?", "AT+CGREG?", "AT+CEREG?", "AT+COPS?", "AT+CGATT?", "AT+CGDCONT?"}
	out := make([]string, n)
	for i := range out {
		out[i] = base[i%len(base)]
	}
	return out
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func run(n int, cfg ptymodem.Config, runs int, dir string, atruns []string, python, expectBin string) error {
	tmp, err := os.MkdirTemp("", "bench-peers")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmds := commands(n)
	cmdFile := filepath.Join(tmp, "commands.txt")
	if err := os.WriteFile(cmdFile, []byte(strings.Join(cmds, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	var flow strings.Builder
	fmt.Fprintf(&flow, "# %d commands, each answered OK by the fake modem.\ntimeout 5s\n", n)
	for _, c := range cmds {
		fmt.Fprintf(&flow, "send %q expect \"OK\"\n", c)
	}
	flowFile := filepath.Join(tmp, "flow.at")
	if err := os.WriteFile(flowFile, []byte(flow.String()), 0o644); err != nil {
		return err
	}

	var tools []*tool
	var notes []string
	if cc, err := exec.LookPath("cc"); err == nil {
		bin := filepath.Join(tmp, "floor-c")
		if out, err := exec.Command(cc, "-O2", "-o", bin, filepath.Join(dir, "scripts", "floor.c")).CombinedOutput(); err != nil {
			return fmt.Errorf("cc floor.c: %v\n%s", err, out)
		}
		tools = append(tools, &tool{name: "floor (C, blocking read)", argv: func(tty string) []string { return []string{bin, tty, cmdFile} }})
	} else {
		notes = append(notes, "no C compiler: the C floor is left out")
	}
	goFloor := filepath.Join(tmp, "floor-go")
	if err := goBuild(goFloor, "./"+filepath.Join(dir, "floor")); err != nil {
		return err
	}
	tools = append(tools, &tool{name: "floor (Go, blocking read)", argv: func(tty string) []string { return []string{goFloor, tty, cmdFile} }})
	if len(atruns) == 0 {
		bin := filepath.Join(tmp, "atrun")
		if err := goBuild(bin, "./cmd/atrun"); err != nil {
			return err
		}
		atruns = []string{bin}
	}
	for _, bin := range atruns {
		name := "atrun"
		if len(atruns) > 1 {
			name = "atrun (" + bin + ")"
		}
		tools = append(tools, &tool{name: name, argv: func(tty string) []string {
			return []string{bin, "run", flowFile, "--port", tty, "-q"}
		}})
	}
	if path, err := exec.LookPath(expectBin); err == nil {
		v, _ := exec.Command(path, "-v").Output()
		tools = append(tools, &tool{name: "Tcl Expect", argv: func(tty string) []string {
			return []string{path, filepath.Join(dir, "scripts", "flow.exp"), tty, cmdFile}
		}})
		notes = append(notes, strings.TrimSpace(string(v)))
	} else {
		notes = append(notes, "Tcl Expect not installed: left out")
	}
	if v, err := exec.Command(python, "-c", "import sys, pexpect; print(sys.version.split()[0], pexpect.__version__, sys.executable)").Output(); err == nil {
		// The interpreter itself, not a wrapper script (pyenv's shim
		// alone costs a quarter of a second).
		f := strings.Fields(string(v))
		tools = append(tools, &tool{name: "pexpect", argv: func(tty string) []string {
			return []string{f[2], filepath.Join(dir, "scripts", "flow.py"), tty, cmdFile}
		}})
		notes = append(notes, fmt.Sprintf("pexpect %s on Python %s (%s)", f[1], f[0], f[2]))
	} else {
		notes = append(notes, fmt.Sprintf("pexpect not importable by %s: left out", python))
	}

	m, err := ptymodem.Start(cfg)
	if err != nil {
		return fmt.Errorf("fake modem: %v", err)
	}
	defer m.Close()

	// One warm-up run each (page cache, pyc files), then interleaved runs
	// so that a busy moment of the machine hits every tool alike.
	for i := 0; i <= runs; i++ {
		for _, t := range tools {
			if t.err != "" {
				continue
			}
			r, err := measure(m, t.argv(m.Path), cmds)
			if err != nil {
				t.err = err.Error()
				continue
			}
			if verbose {
				fmt.Fprintf(os.Stderr, "%s run %d: wall %s start %s exit %s per step %s\n", t.name, i, ms(r.wall), ms(r.start), ms(r.exit), ms(r.perStep))
			}
			if i > 0 {
				t.runs = append(t.runs, r)
			}
		}
	}

	var wire int
	for _, c := range cmds {
		wire += len(c) + 1 + len(ptymodem.Reply)
	}
	limit := time.Duration(n)*cfg.Latency + time.Duration(wire)*cfg.ByteTime()
	fmt.Printf("%d commands on a pty fake modem answering OK after %s", n, cfg.Latency)
	if cfg.Baud > 0 {
		fmt.Printf(", bytes paced at %d baud (%d bytes)", cfg.Baud, wire)
	}
	fmt.Printf("; median of %d runs each.\n\n", runs)
	fmt.Println("| tool | wall | multiple of the limit | start+exit | per step, own |")
	fmt.Println("|---|---:|---:|---:|---:|")
	fmt.Printf("| physical limit | %s | 1.00x | | |\n", ms(limit))
	for _, t := range tools {
		if t.err != "" {
			fmt.Printf("| %s | failed | | | |\n", t.name)
			continue
		}
		wall := median(t.runs, func(r result) time.Duration { return r.wall })
		fmt.Printf("| %s | %s | %.3fx | %s | %s |\n", t.name, ms(wall), float64(wall)/float64(limit),
			ms(median(t.runs, func(r result) time.Duration { return r.start + r.exit })),
			ms(median(t.runs, func(r result) time.Duration { return r.perStep })))
	}
	fmt.Println()
	fmt.Println("start+exit: from spawning the tool to its first command reaching the modem, plus from")
	fmt.Println("the last answer to the tool's exit. per step, own: the mean time from an answer leaving")
	fmt.Println("the modem to the next command arriving (the floors show what the pty itself costs).")
	for _, note := range notes {
		fmt.Println("-", note)
	}
	for _, t := range tools {
		if t.err != "" {
			fmt.Printf("- %s failed: %s\n", t.name, t.err)
		}
	}
	return nil
}

// goBuild builds as make build does: static, without cgo.
func goBuild(out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// measure runs one tool once against m and reads its costs off the
// modem's log.
func measure(m *ptymodem.Modem, argv []string, want []string) (result, error) {
	if err := m.Reset(); err != nil {
		return result{}, err
	}
	m.Take()
	var out bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	spawn := time.Now()
	err := cmd.Run()
	end := time.Now()
	steps, merr := m.Take()
	if err != nil {
		return result{}, fmt.Errorf("%v: %s", err, strings.TrimSpace(out.String()))
	}
	if merr != nil {
		return result{}, fmt.Errorf("fake modem: %v", merr)
	}
	got := make([]string, len(steps))
	for i, s := range steps {
		got[i] = s.Cmd
	}
	if !slices.Equal(got, want) {
		return result{}, fmt.Errorf("the modem got %d commands %q, want %d", len(got), got, len(want))
	}
	var own time.Duration
	for i := 1; i < len(steps); i++ {
		own += steps[i].At.Sub(steps[i-1].Answered)
	}
	return result{
		wall:    end.Sub(spawn),
		start:   steps[0].At.Sub(spawn),
		exit:    end.Sub(steps[len(steps)-1].Answered),
		perStep: own / time.Duration(max(len(steps)-1, 1)),
	}, nil
}

func median(rs []result, f func(result) time.Duration) time.Duration {
	v := make([]time.Duration, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
