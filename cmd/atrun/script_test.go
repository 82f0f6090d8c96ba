package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrun/atrun/report"

	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/broker"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"atrun": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		// atrun-exits CODE ARGS...: atrun ARGS, which must exit with CODE
		// (testscript's ! exec only tells zero from non-zero).
		"atrun-exits": func() {
			want := os.Args[1]
			if got := run(os.Args[2:], os.Stdin, os.Stdout, os.Stderr); strconv.Itoa(got) != want {
				fmt.Fprintf(os.Stderr, "atrun-exits: exit code %d, want %s\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
}

// TestScripts runs the CLI transcripts in testdata/script. The command
// `simpty PROFILE LINK` serves a virtual modem on a pseudo-terminal for
// the rest of the script, so that atrun reaches it through the real
// serial port code.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("ROOT", root)
			e.Setenv("ATRUN_PORT", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"simpty":      simpty,
			"unplug":      unplug,
			"checkreport": checkReport,
			"checkjunit":  checkJUnit,
			"reportparses": func(ts *testscript.TestScript, neg bool, args []string) {
				path := ts.MkAbs(args[0])
				j, err := report.OpenJSONL(path) // repairs a write cut by a kill
				ts.Check(err)
				ts.Check(j.Close())
				recs, err := report.ReadJSONL(path)
				ts.Check(err)
				if len(recs) == 0 {
					ts.Fatalf("no records in %s", args[0])
				}
				for i, r := range recs {
					if r.Status != report.Pass || len(r.Emitted) != 1 {
						ts.Fatalf("record %d is not whole: %+v", i+1, r)
					}
				}
			},
			"simtcp": func(ts *testscript.TestScript, neg bool, args []string) {
				// simtcp PROFILE: a virtual modem on a TCP port, in $SIMADDR.
				ctx, cancel := context.WithCancel(context.Background())
				ts.Defer(cancel)
				addr, err := sim.ListenTCP(ctx, args[0], sim.Options{}, "127.0.0.1:0")
				ts.Check(err)
				ts.Setenv("SIMADDR", addr.String())
			},
			"silenttcp": func(ts *testscript.TestScript, neg bool, args []string) {
				// silenttcp: a TCP port that accepts and never answers, in
				// $SILENTADDR: a modem that is off, behind ser2net.
				l, err := net.Listen("tcp", "127.0.0.1:0")
				ts.Check(err)
				ts.Defer(func() { l.Close() })
				go func() {
					for {
						c, err := l.Accept()
						if err != nil {
							return
						}
						ts.Defer(func() { c.Close() })
					}
				}()
				ts.Setenv("SILENTADDR", l.Addr().String())
			},
			"otherpki": func(ts *testscript.TestScript, neg bool, args []string) {
				// otherpki DIR: a CA and client certificate unrelated to
				// any broker's, as ca.pem, client.pem, client.key in DIR.
				p, err := broker.NewPKI()
				ts.Check(err)
				dir := ts.MkAbs(args[0])
				ts.Check(os.MkdirAll(dir, 0o755))
				_, err = p.WriteFiles(dir)
				ts.Check(err)
			},
			"waitfor": func(ts *testscript.TestScript, neg bool, args []string) {
				// waitfor FILE: until a background command has created it.
				deadline := time.Now().Add(10 * time.Second)
				for time.Now().Before(deadline) {
					if _, err := os.Lstat(ts.MkAbs(args[0])); err == nil {
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
				ts.Fatalf("waitfor %s: timed out", args[0])
			},
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: sleep DURATION")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
		},
	})
}

// ptys are the virtual modems simpty started, by link, so unplug can
// pull one out.
var ptys sync.Map

// simpty PROFILE LINK [reboot-after=N] [time-scale=X] [latency=D]: serve a virtual modem
// on a pseudo-terminal until the script ends or unplug.
func simpty(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: simpty PROFILE LINK [reboot-after=N] [latency=D]")
	}
	var opts sim.Options
	for _, kv := range args[2:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "reboot-after":
			n, err := strconv.Atoi(v)
			ts.Check(err)
			opts.RebootAfter = n
		case "time-scale":
			f, err := strconv.ParseFloat(v, 64)
			ts.Check(err)
			opts.TimeScale = f
		case "latency":
			d, err := time.ParseDuration(v)
			ts.Check(err)
			opts.Latency = d
		default:
			ts.Fatalf("simpty: unknown option %q", kv)
		}
	}
	m, err := sim.New(args[0], opts)
	ts.Check(err)
	link := ts.MkAbs(args[1])
	p, err := m.OpenPTY(link)
	ts.Check(err)
	ctx, cancel := context.WithCancel(context.Background())
	go p.Serve(ctx)
	ptys.Store(link, p)
	ts.Defer(func() {
		cancel()
		p.Close()
	})
}

// unplug LINK: the device goes away, as when its USB cable is pulled.
func unplug(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: unplug LINK")
	}
	p, ok := ptys.LoadAndDelete(ts.MkAbs(args[0]))
	if !ok {
		ts.Fatalf("unplug: no virtual modem on %s", args[0])
	}
	ts.Check(p.(*sim.PTY).Close())
}

// checkreport FILE RECORDS PASSED: the JSONL report parses line by line
// and holds that many records, that many passing.
func checkReport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: checkreport FILE RECORDS PASSED")
	}
	recs, err := report.ReadJSONL(ts.MkAbs(args[0]))
	ts.Check(err)
	pass := 0
	for _, r := range recs {
		if r.Status == report.Pass {
			pass++
		}
	}
	if strconv.Itoa(len(recs)) != args[1] || strconv.Itoa(pass) != args[2] {
		ts.Fatalf("report has %d records, %d passed; want %s, %s", len(recs), pass, args[1], args[2])
	}
}

// checkjunit FILE CASES FAILURES: the JUnit file is valid XML with that
// many test cases and failures.
func checkJUnit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: checkjunit FILE CASES FAILURES")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	ts.Check(xml.Unmarshal(b, &doc))
	cases, failures := 0, 0
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases++
			if c.Failure != nil {
				failures++
			}
		}
	}
	if strconv.Itoa(cases) != args[1] || strconv.Itoa(failures) != args[2] {
		ts.Fatalf("junit has %d cases, %d failures; want %s, %s", cases, failures, args[1], args[2])
	}
}
