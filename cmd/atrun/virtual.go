//go:build !atrun_small

// The virtual modems and the embedded broker: atrun sim and run --sim. The
// router build (-tags atrun_small) leaves this file out; see virtual_small.go.

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/all" // every profile, for --sim and atrun sim
	"github.com/atrun/atrun/sim/broker"
)

// havePTY is sim.HavePTY; a variable so tests can play Windows.
var havePTY = sim.HavePTY

// haveSim: this build has the virtual modems.
const haveSim = true

// buildNote is printed by atrun version.
const buildNote = ""

// simHint is the --sim that fits prog, from the dialect it declares
// (scripts/bc26/dialect.at says dialect quectel): "--sim bc26", or
// "--sim PROFILE" with the choices when the script declares none.
func simHint(prog *runtime.Program) string {
	var found []string
	for _, f := range lang.Files(prog.File) {
		for _, st := range f.Stmts {
			d, ok := st.(*lang.Dialect)
			if !ok {
				continue
			}
			cands := sim.ForDialect(d.Name)
			// A family (bc26 and ec20 speak quectel): the vendor folder
			// the dialect is declared in names the modem.
			if dir := filepath.Base(filepath.Dir(f.Path)); slices.Contains(cands, dir) {
				cands = []string{dir}
			}
			for _, c := range cands {
				if !slices.Contains(found, c) {
					found = append(found, c)
				}
			}
		}
	}
	switch len(found) {
	case 0:
		return "--sim PROFILE (" + strings.Join(sim.Names(), ", ") + ")"
	case 1:
		return "--sim " + found[0]
	}
	return "--sim " + found[0] + " (or --sim " + strings.Join(found[1:], ", --sim ") + ")"
}

func addRunSimFlags(fs *flag.FlagSet, f *runFlags) {
	fs.StringVar(&f.simName, "sim", "", "run against an in-process virtual modem: "+strings.Join(sim.Names(), ", "))
	fs.StringVar(&f.brokerAddr, "broker", "", "with --sim: send every connection the modem opens to this host:port; 'embedded' starts a broker in-process and shows what it received")
	f.sim = addSimFlags(fs, "sim-", 0.05)
}

// startSim prepares run --sim: the modem, and the embedded broker if
// --broker embedded. A non-negative code means stop with that exit code.
func (e *env) startSim(f *runFlags) (*simSession, int) {
	opts := f.sim.options()
	opts.Broker = f.brokerAddr
	var brk *broker.Broker
	if len(f.sim.publishList) > 0 && f.brokerAddr != "embedded" {
		fmt.Fprintln(e.stderr, "atrun run: --sim-publish needs --broker embedded: only the embedded broker can publish to the flow")
		return nil, exitUsage
	}
	var pkiDir string
	var tlsParams map[string]string
	if f.brokerAddr == "embedded" {
		// TLS listeners with a throw-away CA, whose files a flow can use.
		pki, err := broker.NewPKI()
		if err == nil {
			pkiDir, err = os.MkdirTemp("", "atrun-pki-")
		}
		var files broker.PKIFiles
		if err == nil {
			files, err = pki.WriteFiles(pkiDir)
		}
		if err == nil {
			brk, err = broker.StartWith(broker.Options{Addr: "127.0.0.1:0", TLS: &pki})
		}
		if err != nil {
			if pkiDir != "" {
				os.RemoveAll(pkiDir)
			}
			fmt.Fprintln(e.stderr, "atrun: embedded broker:", err)
			return nil, exitTransport
		}
		opts.Broker = brk.Addr()
		opts.BrokerTLS, opts.BrokerMutualTLS = brk.TLSAddr(), brk.MutualTLSAddr()
		tlsParams = map[string]string{"ca_file": files.CA, "client_cert": files.ClientCert, "client_key": files.ClientKey}
		f.sim.queue(brk)
	}
	var connMu sync.Mutex
	var failed []string
	if opts.Broker != "" {
		opts.OnConnect = func(c sim.Connection) {
			if c.Err != nil {
				connMu.Lock()
				failed = append(failed, c.String())
				connMu.Unlock()
			}
		}
	}
	if _, err := sim.New(f.simName, opts); err != nil {
		if brk != nil {
			brk.Close()
		}
		fmt.Fprintln(e.stderr, "atrun:", err)
		return nil, exitUsage
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &simSession{
		port: "sim:" + f.simName,
		open: func(string) (io.ReadWriteCloser, error) { return sim.Pipe(ctx, f.simName, opts) },
		close: func() {
			cancel()
			if brk != nil {
				brk.Close()
			}
			if pkiDir != "" {
				os.RemoveAll(pkiDir)
			}
		},
		tlsParams: tlsParams,
		failedConnections: func() []string {
			connMu.Lock()
			defer connMu.Unlock()
			return append([]string(nil), failed...)
		},
	}
	if brk != nil {
		s.settle = func() {
			for _, m := range brk.Received() {
				if !m.Inline {
					return
				}
			}
			if msgs, _ := brk.Injected(); len(msgs) > 0 {
				return // a subscribe flow: nothing to wait for
			}
			// A QoS 0 publish may still be on its way when the modem says OK.
			wctx, cancel := context.WithTimeout(context.Background(), time.Second)
			brk.Wait(wctx, func(m broker.Message) bool { return !m.Inline })
			cancel()
		}
		s.observe = func(f func(map[string]any)) func() {
			return brk.Observe(func(m broker.Message) { f(brokerEvent(m)) })
		}
		s.tlsNote = fmt.Sprintf("embedded broker: TLS on %s, mutual TLS on %s; throw-away CA and client certificate in %s (ca_file, client_cert and client_key default to them)",
			brk.TLSAddr(), brk.MutualTLSAddr(), pkiDir)
	}
	if brk != nil {
		s.broker = brk.Addr()
		s.received = func(w io.Writer) {
			fromClients := func() []broker.Message {
				var out []broker.Message
				for _, m := range brk.Received() {
					if !m.Inline {
						out = append(out, m)
					}
				}
				return out
			}
			injected, published := brk.Injected()
			if len(fromClients()) == 0 && len(injected) == 0 {
				// A QoS 0 publish may still be on its way when the modem says OK.
				wctx, cancel := context.WithTimeout(context.Background(), time.Second)
				brk.Wait(wctx, func(m broker.Message) bool { return !m.Inline })
				cancel()
			}
			for i, m := range injected {
				if published[i] {
					fmt.Fprintf(w, "broker published to the flow's subscription: %s\n", m)
				} else {
					fmt.Fprintf(w, "broker did not publish %s: no subscription to that topic\n", m)
				}
			}
			msgs := fromClients()
			fmt.Fprintf(w, "broker received %d message(s)\n", len(msgs))
			for _, m := range msgs {
				fmt.Fprintf(w, "  %s\n", m)
			}
		}
	}
	return s, -1
}

// brokerEvent is a message the embedded broker carried, as a --json
// event: "broker_received" from a client (the modem), "broker_published"
// when the broker published it to the flow (--sim-publish). A payload
// that is not UTF-8 text is hex, with "encoding":"hex", as in records.
func brokerEvent(m broker.Message) map[string]any {
	kind := "broker_received"
	if m.Inline {
		kind = "broker_published"
	}
	payload, enc := report.Render(m.Payload)
	ev := map[string]any{"event": kind, "time": time.Now().Format(time.RFC3339Nano), "topic": m.Topic,
		"payload": payload, "qos": m.QoS, "retain": m.Retain}
	if enc != "" {
		ev["encoding"] = enc
	}
	if !m.Inline {
		ev["client_id"] = m.ClientID
	}
	return ev
}

func (e *env) sim(args []string) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	pty := fs.String("pty", "", "serve on a pseudo-terminal and make LINK a symlink to it")
	listen := fs.String("listen", "", "serve on a TCP address, e.g. tcp://127.0.0.1:7000")
	brokerAddr := fs.String("broker", "", "send every connection the modem opens to this broker (mqtt://host:port); default: an embedded broker")
	knobs := addSimFlags(fs, "", 1)
	quirks := fs.Bool("quirks", false, "list the profile's variants and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: atrun sim PROFILE [--pty LINK | --listen ADDR] [flags]\nprofiles: %s\n", strings.Join(sim.Names(), ", "))
		fs.PrintDefaults()
	}
	pos, code := e.parseFlags(fs, "atrun sim", args)
	if code >= 0 {
		return code
	}
	if len(pos) == 1 && *quirks {
		fmt.Fprint(e.stdout, quirkHelp(pos[0]))
		return exitOK
	}
	if len(pos) != 1 || (*pty == "") == (*listen == "") {
		fmt.Fprintf(e.stderr, "usage: atrun sim PROFILE (--pty LINK | --listen ADDR) [flags]\nprofiles: %s; 'atrun sim --help' lists the flags\n", strings.Join(sim.Names(), ", "))
		return exitUsage
	}
	name := pos[0]
	if *pty != "" && !havePTY {
		fmt.Fprintf(e.stderr, "atrun sim: --pty needs a Unix pseudo-terminal, which %s does not have; serve the modem on TCP instead:\n    atrun sim %s --listen tcp://127.0.0.1:7000\nand run against it with --port tcp://127.0.0.1:7000\n", goruntime.GOOS, name)
		return exitUsage
	}
	opts := knobs.options()
	opts.ColdBoot = true
	// A modem ignores input while it boots (3 s for some): say so, and
	// when it takes commands.
	var outMu sync.Mutex
	opts.OnBoot = func(ready bool, boot time.Duration) {
		outMu.Lock()
		defer outMu.Unlock()
		if ready {
			fmt.Fprintf(e.stdout, "%s: ready for commands\n", name)
		} else if boot > 0 {
			fmt.Fprintf(e.stdout, "%s: booting, input is ignored for %s\n", name, roundMs(boot))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *brokerAddr == "" {
		b, err := broker.Start("127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun sim: embedded broker:", err)
			return exitTransport
		}
		defer b.Close()
		opts.Broker = b.Addr()
		b.Observe(func(m broker.Message) {
			if m.Inline {
				fmt.Fprintf(e.stdout, "broker published to a subscription: %s\n", m)
				return
			}
			fmt.Fprintf(e.stdout, "broker: %s\n", m)
		})
		knobs.queue(b)
		fmt.Fprintf(e.stdout, "embedded broker on %s\n", b.Addr())
	} else {
		if len(knobs.publishList) > 0 {
			fmt.Fprintln(e.stderr, "atrun sim: --publish needs the embedded broker (no --broker): only it can publish to the flow")
			return exitUsage
		}
		opts.Broker = *brokerAddr
	}
	if _, ok := sim.Lookup(name); !ok {
		fmt.Fprintf(e.stderr, "atrun sim: unknown profile %q (have: %s)\n", name, strings.Join(sim.Names(), ", "))
		return exitUsage
	}
	if *pty != "" {
		m, err := sim.New(name, opts)
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun sim:", err)
			return exitUsage
		}
		p, err := m.OpenPTY(*pty)
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun sim:", err)
			return exitTransport
		}
		defer p.Close() // removes the link before the process exits
		fmt.Fprintf(e.stdout, "%s on %s (link %s)\n", name, p.Path(), *pty)
		if err := p.Serve(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintln(e.stderr, "atrun sim:", err)
			return exitTransport
		}
		return exitOK
	} else {
		addr, err := sim.ListenTCP(ctx, name, opts, strings.TrimPrefix(*listen, "tcp://"))
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun sim:", err)
			return exitTransport
		}
		fmt.Fprintf(e.stdout, "%s on tcp://%s\n", name, addr)
	}
	<-ctx.Done()
	return exitOK
}

// simFlags are the virtual modem's knobs, shared by `atrun sim` (no
// prefix) and `atrun run --sim` (prefix "sim-").
type simFlags struct {
	opts        sim.Options
	quirks      defines
	publishList []publishMsg // --publish topic=message, in order
}

// publishMsg is one --publish / --sim-publish.
type publishMsg struct{ topic, message string }

// publishFlag collects --publish TOPIC=MESSAGE in order (a topic may
// repeat, for a flow that waits for several messages).
type publishFlag struct{ list *[]publishMsg }

func (p publishFlag) String() string { return "" }
func (p publishFlag) Set(s string) error {
	t, m, ok := strings.Cut(s, "=")
	if !ok || t == "" || strings.ContainsAny(t, "+#") {
		return fmt.Errorf("want TOPIC=MESSAGE, a topic without wildcards, got %q", s)
	}
	*p.list = append(*p.list, publishMsg{t, m})
	return nil
}

// queue has b publish every --publish message to the first subscription
// that matches it.
func (f *simFlags) queue(b *broker.Broker) {
	for _, m := range f.publishList {
		b.PublishOnSubscribe(m.topic, []byte(m.message), 1)
	}
}

func addSimFlags(fs *flag.FlagSet, prefix string, scale float64) *simFlags {
	f := &simFlags{quirks: defines{}}
	o := &f.opts
	fs.Float64Var(&o.TimeScale, prefix+"time-scale", scale, "scale of the modem's modelled delays (0 instant, 1 realistic)")
	fs.DurationVar(&o.Latency, prefix+"latency", 0, "fault: delay before each response")
	fs.IntVar(&o.Baud, prefix+"baud", 0, "fault: throttle the modem's output to this baud rate")
	fs.IntVar(&o.Chunk, prefix+"chunk", 0, "fault: split output into random writes of 1..N bytes")
	fs.Float64Var(&o.DropRate, prefix+"drop", 0, "fault: drop this fraction of response lines (0-1)")
	fs.Float64Var(&o.GarbleRate, prefix+"garble", 0, "fault: corrupt this fraction of response lines (0-1)")
	fs.StringVar(&o.InjectURC, prefix+"inject", "", "fault: inject this unsolicited line between output lines")
	fs.IntVar(&o.InjectEvery, prefix+"inject-every", 0, "fault: inject before every N-th output line")
	fs.DurationVar(&o.RemoteCloseAfter, prefix+"remote-close", 0, "fault: the remote end closes sockets and MQTT sessions after this long")
	fs.IntVar(&o.RemoteCloseSends, prefix+"remote-close-sends", 0, "fault: the remote end closes after this many sends or publishes")
	fs.IntVar(&o.RebootAfter, prefix+"reboot-after", 0, "fault: the modem reboots after the N-th command")
	fs.Int64Var(&o.Seed, prefix+"seed", 0, "seed for every random fault")
	fs.Var(f.quirks, prefix+"quirk", "select a profile variant: name=value (repeatable; see atrun sim --quirks PROFILE)")
	fs.Var(publishFlag{&f.publishList}, prefix+"publish", "with the embedded broker: publish `TOPIC=MESSAGE` (QoS 1) once, as soon as a subscription to TOPIC is acknowledged (repeatable)")
	return f
}

func (f *simFlags) options() sim.Options {
	o := f.opts
	if len(f.quirks) > 0 {
		o.Quirks = map[string]string(f.quirks)
	}
	return o
}

// quirkHelp describes a profile's variants.
func quirkHelp(name string) string {
	p, ok := sim.Lookup(name)
	if !ok {
		return fmt.Sprintf("unknown profile %q (have: %s)", name, strings.Join(sim.Names(), ", "))
	}
	var b strings.Builder
	for _, set := range []map[string]sim.Quirk{p.Quirks, sim.EngineQuirks()} {
		for _, k := range slices.Sorted(maps.Keys(set)) {
			q := set[k]
			fmt.Fprintf(&b, "%s: %s\n    values: %s (default %s)\n", k, q.Doc, strings.Join(q.Values, ", "), q.Default())
		}
	}
	return b.String()
}
