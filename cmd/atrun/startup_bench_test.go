//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atrun/atrun/internal/ptymodem"
)

// BenchmarkStartup execs the real binary, as a user does: start-up is
// exec, the runtime, every package's init, parsing and opening the port,
// none of which an in-process benchmark sees. The targets (issue 13):
// run16 start+exit under 10 ms, check200 under 10 ms. The Go floor (a
// program that only writes commands and reads OK) runs alongside, so that
// the ratio to it holds across machines:
//
//	go test ./cmd/atrun -run '^$' -bench Startup -benchtime 50x
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	bin, small, floor := filepath.Join(dir, "atrun"), filepath.Join(dir, "atrun-small"), filepath.Join(dir, "floor")
	parseOnly := filepath.Join(dir, "parseonly")
	for out, pkg := range map[string][]string{bin: {"."}, small: {"-tags", "atrun_small", "."}, floor: {"../../bench/peers/floor"}, parseOnly: {"../../bench/parseonly"}} {
		build := exec.Command("go", append([]string{"build", "-o", out}, pkg...)...)
		build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build
		if msg, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	// A short latency: the steps are not what is measured here.
	m, err := ptymodem.Start(ptymodem.Config{Latency: time.Millisecond})
	if err != nil {
		b.Skipf("no pseudo-terminal: %v", err)
	}
	b.Cleanup(func() { m.Close() })

	const steps = 16
	var flow, cmds strings.Builder
	for i := range steps {
		fmt.Fprintf(&flow, "send \"AT+STEP=%d\" expect \"OK\"\n", i)
		fmt.Fprintf(&cmds, "AT+STEP=%d\n", i)
	}
	flowFile, cmdFile := filepath.Join(dir, "flow.at"), filepath.Join(dir, "commands.txt")
	if err := os.WriteFile(flowFile, []byte(flow.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(cmdFile, []byte(cmds.String()), 0o644); err != nil {
		b.Fatal(err)
	}

	b.Run("run16", func(b *testing.B) {
		startExit(b, m, steps, bin, "run", flowFile, "--port", m.Path, "-q")
	})
	b.Run("run16-small", func(b *testing.B) {
		startExit(b, m, steps, small, "run", flowFile, "--port", m.Path, "-q")
	})
	b.Run("run16-floor", func(b *testing.B) {
		startExit(b, m, steps, floor, m.Path, cmdFile)
	})
	// A shipped module of about 200 lines, with no includes.
	b.Run("check200", func(b *testing.B) {
		for b.Loop() {
			if out, err := exec.Command(bin, "check", "../../scripts/ec20/qmt.at").CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
		}
	})
	// Start and exit with no script at all: the runtime and every
	// package's init, which no parser work can take back.
	for name, bin := range map[string]string{"version": bin, "version-small": small} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
	// participle in a fresh process: build the parser, parse 16 lines,
	// exit; against exit-floor, its cost with nothing else linked in.
	b.Run("parse16-only", func(b *testing.B) {
		for b.Loop() {
			if out, err := exec.Command(parseOnly, flowFile).CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
		}
	})
	b.Run("exit-floor", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command(floor).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// startExit runs argv against m per iteration and reports, beside the
// wall time, start+exit as the modem saw it: from exec to the first
// command, and from the last answer to the process's end.
func startExit(b *testing.B, m *ptymodem.Modem, steps int, argv ...string) {
	var total time.Duration
	for b.Loop() {
		if err := m.Reset(); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		spawn := time.Now()
		out, err := cmd.CombinedOutput()
		end := time.Now()
		got, merr := m.Take()
		if err != nil || merr != nil {
			b.Fatalf("%v %v\n%s", err, merr, out)
		}
		if len(got) != steps {
			b.Fatalf("the modem answered %d commands, want %d\n%s", len(got), steps, out)
		}
		total += got[0].At.Sub(spawn) + end.Sub(got[len(got)-1].Answered)
	}
	b.ReportMetric(float64(total)/float64(time.Millisecond)/float64(b.N), "start+exit-ms/op")
}
