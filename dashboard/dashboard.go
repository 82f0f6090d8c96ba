// Package dashboard serves a live, read-only web page of a station or a
// multi-port run: each port's current step and how long it has been
// running, a large PASS or FAIL per device, the shift's totals, the
// recent failures (file:line:col, step, message, last lines received)
// and a chart of every step's duration over the runs (burn-in).
//
// A Server is a station.Observer: set it as station.Config.Observer and
// serve its Handler. The page is plain HTML, CSS and JavaScript embedded
// in the binary (no build step); it gets its updates by Server-Sent
// Events from /events, each one the whole state as JSON (also at
// /state.json), at most ten a second.
//
// What the page shows comes only from run events and records, which the
// runtime and report.FromResult have already masked: secret param values
// never reach it. It accepts GET and HEAD only, and Addr binds it to
// localhost unless a host is named.
package dashboard

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/station"
)

//go:embed static
var static embed.FS

// Options describe what the page is about.
type Options struct {
	// Title heads the page; "" means "atrun station".
	Title string
	// Script is the flow's path, shown under the title.
	Script string
	// Ports are shown as waiting before their first run; ports that
	// appear later (a station) are added as they start. The page orders
	// them by name, numbers by value (ttyUSB2 before ttyUSB10).
	Ports []string
	// Repeat is the number of runs per port (burn-in); 0 means 1.
	Repeat int
	// Failures is how many recent failures the page lists; 0 means 20.
	Failures int
}

// Server keeps the state of every port and serves the page. Its
// Observer methods may be called concurrently.
type Server struct {
	opts    Options
	started time.Time

	mu       sync.Mutex // guards everything below
	order    []string
	ports    map[string]*portState
	totals   Totals
	failures []Failure // newest first
	steps    []*stepAcc
	stepIdx  map[[2]string]*stepAcc
	version  uint64
	changed  chan struct{} // closed and replaced at every change
	cached   []byte        // the state of version cachedV, as JSON
	cachedV  uint64
	closed   chan struct{}
}

var _ station.Observer = (*Server)(nil)

type portState struct {
	status    string // waiting, running, pass, fail
	run       int
	step, pos string
	stepStart time.Time
	runStart  time.Time
	last      string // verdict of the last finished run: pass or fail
	lastMS    float64
	detail    string
	passes    int
	fails     int
}

// stepAcc collects one step's durations; it keeps the last maxSamples
// for the median and 95th percentile, and every run for min and max.
type stepAcc struct {
	pos, step string
	count     int
	min, max  float64
	samples   []float64 // ring of the last maxSamples
	next      int
}

const maxSamples = 2000

// New returns a server with every given port waiting.
func New(opts Options) *Server {
	if opts.Title == "" {
		opts.Title = "atrun station"
	}
	if opts.Failures <= 0 {
		opts.Failures = 20
	}
	s := &Server{
		opts:    opts,
		started: time.Now(),
		ports:   map[string]*portState{},
		stepIdx: map[[2]string]*stepAcc{},
		changed: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	for _, p := range opts.Ports {
		s.port(p)
	}
	return s
}

func (s *Server) port(name string) *portState {
	p, ok := s.ports[name]
	if !ok {
		p = &portState{status: "waiting"}
		s.ports[name] = p
		i, _ := slices.BinarySearchFunc(s.order, name, naturalCompare)
		s.order = slices.Insert(s.order, i, name)
	}
	return p
}

// naturalCompare orders port names as a person does: ttyUSB2 before
// ttyUSB10, COM3 before COM12.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// bump marks a change: every event stream sends the new state.
func (s *Server) bump() {
	s.version++
	close(s.changed)
	s.changed = make(chan struct{})
}

// Start records that a run began on t.
func (s *Server) Start(t station.Target, run int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.port(t.Port)
	now := time.Now()
	p.status, p.run, p.runStart, p.stepStart, p.step, p.pos = "running", run, now, now, "", ""
	s.bump()
}

// Event follows a run's steps. Only the step text and position are
// shown (masked by the runtime); matched lines and values are not.
func (s *Server) Event(t station.Target, run int, ev runtime.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.port(t.Port)
	switch ev.Kind {
	case runtime.EvStart:
		p.step, p.pos, p.stepStart = ev.Step, posString(ev), ev.Time
	case runtime.EvRetry:
		p.step, p.pos, p.stepStart = "retry "+ev.Step, posString(ev), ev.Time
	case runtime.EvFinally:
		p.step, p.pos, p.stepStart = "finally", posString(ev), ev.Time
	default:
		return
	}
	if p.stepStart.IsZero() {
		p.stepStart = time.Now()
	}
	s.bump()
}

func posString(ev runtime.Event) string {
	if ev.Pos.Line == 0 {
		return ev.Pos.Filename
	}
	return ev.Pos.String()
}

// Done shows a finished run's record.
func (s *Server) Done(rec report.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.port(rec.Port)
	p.status, p.last, p.lastMS, p.step, p.pos = string(rec.Status), string(rec.Status), rec.DurationMS, "", ""
	p.run = max(rec.Run, p.run)
	s.totals.Runs++
	if rec.Status == report.Pass {
		p.passes++
		s.totals.Passed++
		var parts []string
		for _, v := range rec.Emitted {
			parts = append(parts, v.String())
		}
		p.detail = strings.Join(parts, " ")
	} else {
		p.fails++
		s.totals.Failed++
		f := Failure{Time: rec.End, Port: rec.Port, Run: rec.Run, Kind: "script", Message: "failed"}
		if rec.Failure != nil {
			f.Pos, f.Step, f.Kind, f.Message, f.Last = rec.Failure.Pos, rec.Failure.Step, rec.Failure.Kind, rec.Failure.Message, rec.Failure.Last
			p.detail = rec.Failure.String()
		}
		if f.Time.IsZero() {
			f.Time = time.Now()
		}
		s.failures = slices.Insert(s.failures, 0, f)
		if len(s.failures) > s.opts.Failures {
			s.failures = s.failures[:s.opts.Failures]
		}
	}
	for _, st := range rec.Steps {
		k := [2]string{st.Pos, st.Step}
		a := s.stepIdx[k]
		if a == nil {
			a = &stepAcc{pos: st.Pos, step: st.Step, min: st.MS, max: st.MS}
			s.stepIdx[k] = a
			s.steps = append(s.steps, a)
		}
		a.count++
		a.min, a.max = min(a.min, st.MS), max(a.max, st.MS)
		if len(a.samples) < maxSamples {
			a.samples = append(a.samples, st.MS)
		} else {
			a.samples[a.next] = st.MS
			a.next = (a.next + 1) % maxSamples
		}
	}
	s.bump()
}

// State is what the page shows, as /state.json and each event carry it.
type State struct {
	Title    string      `json:"title"`
	Script   string      `json:"script,omitempty"`
	Now      time.Time   `json:"now"` // the server's clock, for elapsed times
	Started  time.Time   `json:"started"`
	Repeat   int         `json:"repeat"`
	Ports    []Port      `json:"ports"`
	Totals   Totals      `json:"totals"`
	Failures []Failure   `json:"failures"`
	Steps    []StepStats `json:"steps"`
}

// Port is one port's row.
type Port struct {
	Port      string    `json:"port"`
	Status    string    `json:"status"` // waiting, running, pass, fail
	Run       int       `json:"run"`
	Step      string    `json:"step,omitempty"`
	Pos       string    `json:"pos,omitempty"`
	StepStart time.Time `json:"step_start,omitzero"`
	RunStart  time.Time `json:"run_start,omitzero"`
	Last      string    `json:"last,omitempty"` // the last finished run's verdict
	LastMS    float64   `json:"last_ms,omitempty"`
	Detail    string    `json:"detail,omitempty"` // emitted values, or the failure
	Passes    int       `json:"passes"`
	Fails     int       `json:"fails"`
}

// Totals count the shift's runs.
type Totals struct {
	Runs   int `json:"runs"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Failure is one failed run.
type Failure struct {
	Time    time.Time `json:"time"`
	Port    string    `json:"port"`
	Run     int       `json:"run"`
	Pos     string    `json:"pos,omitempty"`
	Step    string    `json:"step,omitempty"`
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
	Last    []string  `json:"last_received,omitempty"`
}

// StepStats are one step's durations in milliseconds.
type StepStats struct {
	Pos    string  `json:"pos"`
	Step   string  `json:"step"`
	Count  int     `json:"count"`
	Min    float64 `json:"min_ms"`
	Median float64 `json:"median_ms"`
	P95    float64 `json:"p95_ms"`
	Max    float64 `json:"max_ms"`
}

// State returns the current state.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stateLocked()
}

func (s *Server) stateLocked() State {
	st := State{Title: s.opts.Title, Script: s.opts.Script, Now: time.Now(), Started: s.started,
		Repeat: max(s.opts.Repeat, 1), Totals: s.totals, Ports: []Port{}, Failures: []Failure{}, Steps: []StepStats{}}
	for _, name := range s.order { // ordered by name: see port
		p := s.ports[name]
		st.Ports = append(st.Ports, Port{Port: name, Status: p.status, Run: p.run, Step: p.step, Pos: p.pos,
			StepStart: p.stepStart, RunStart: p.runStart, Last: p.last, LastMS: p.lastMS, Detail: p.detail,
			Passes: p.passes, Fails: p.fails})
	}
	st.Failures = append(st.Failures, s.failures...)
	for _, a := range s.steps {
		xs := slices.Clone(a.samples)
		slices.Sort(xs)
		st.Steps = append(st.Steps, StepStats{Pos: a.pos, Step: a.step, Count: a.count, Min: a.min, Max: a.max,
			Median: quantile(xs, 0.5), P95: quantile(xs, 0.95)})
	}
	return st
}

// quantile of sorted xs, interpolating between neighbours.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}

// stateJSON is the current state as JSON, and a channel closed at the
// next change.
func (s *Server) stateJSON() ([]byte, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil || s.cachedV != s.version {
		b, _ := json.Marshal(s.stateLocked())
		s.cached, s.cachedV = b, s.version
	}
	return s.cached, s.changed
}

// Close ends the event streams: pages keep what they last showed.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
}

// Handler serves the page, /state.json and /events.
func (s *Server) Handler() http.Handler {
	files, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("GET /state.json", func(w http.ResponseWriter, r *http.Request) {
		b, _ := s.stateJSON()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	})
	mux.HandleFunc("GET /events", s.events)
	return readOnly(mux)
}

// readOnly refuses every method but GET and HEAD and sets headers that
// keep the page from loading anything from elsewhere.
func readOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// coalesce is the shortest time between two events of one stream.
const coalesce = 100 * time.Millisecond

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(parts ...[]byte) bool {
		for _, p := range parts {
			if _, err := w.Write(p); err != nil {
				return false
			}
		}
		fl.Flush()
		return true
	}
	if !send([]byte("retry: 2000\n\n")) {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	var sent []byte // the state last sent; a new version is a new slice
	push := func(b []byte) bool {
		if sent != nil && &b[0] == &sent[0] {
			return true
		}
		sent = b
		return send([]byte("event: state\ndata: "), b, []byte("\n\n"))
	}
	last := func() { b, _ := s.stateJSON(); push(b) } // pages keep the last word
	for {
		b, changed := s.stateJSON()
		if !push(b) {
			return
		}
		select {
		case <-changed:
		case <-ping.C:
			if !send([]byte(": ping\n\n")) {
				return
			}
			continue
		case <-r.Context().Done():
			return
		case <-s.closed:
			last()
			return
		}
		select {
		case <-time.After(coalesce): // gather a burst of changes into one event
		case <-r.Context().Done():
			return
		case <-s.closed:
			last()
			return
		}
	}
}

// Addr is the address to listen on for a --http value: a port alone or
// ":8080" binds to 127.0.0.1 (the page is for this machine unless the
// user says otherwise); a named host, such as 0.0.0.0, is kept.
func Addr(s string) string {
	if !strings.Contains(s, ":") {
		return net.JoinHostPort("127.0.0.1", s)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return s // net.Listen will say what is wrong
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Serve listens on Addr(addr) and serves the page until stop is called;
// url is the page's address (with the port chosen when addr's was 0).
func (s *Server) Serve(addr string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", Addr(addr))
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/", func() {
		s.Close() // event streams send the last state and end
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}, nil
}
