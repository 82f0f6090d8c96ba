package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/station"
)

func TestAddrBindsToLocalhostUnlessTold(t *testing.T) {
	for in, want := range map[string]string{
		":8080":          "127.0.0.1:8080",
		"8080":           "127.0.0.1:8080",
		"0.0.0.0:8080":   "0.0.0.0:8080",
		"localhost:9000": "localhost:9000",
		"[::1]:8080":     "[::1]:8080",
		"[::]:8080":      "[::]:8080",
		"10.1.2.3:80":    "10.1.2.3:80",
	} {
		assert.Equal(t, want, Addr(in), in)
	}
}

func TestPortsInNaturalOrder(t *testing.T) {
	s := New(Options{})
	for _, p := range []string{"/dev/ttyUSB10", "/dev/ttyUSB2", "COM12", "/dev/ttyACM0", "COM3", "/dev/ttyUSB02x", "/dev/ttyUSB2"} {
		s.Start(station.Target{Port: p}, 1)
	}
	var names []string
	for _, p := range s.State().Ports {
		names = append(names, p.Port)
	}
	assert.Equal(t, []string{"/dev/ttyACM0", "/dev/ttyUSB2", "/dev/ttyUSB02x", "/dev/ttyUSB10", "COM3", "COM12"}, names)
}

func pos(line int) lang.Pos { return lang.Pos{Filename: "flow.at", Line: line, Column: 1} }

// feed plays two ports through a run each: p1 passes, p2 fails.
func feed(s *Server) {
	p1, p2 := station.Target{Port: "p1"}, station.Target{Port: "p2"}
	s.Start(p1, 1)
	s.Start(p2, 1)
	s.Event(p1, 1, runtime.Event{Kind: runtime.EvStart, Pos: pos(3), Step: `send "AT" expect "OK"`, Time: time.Now()})
	s.Event(p2, 1, runtime.Event{Kind: runtime.EvStart, Pos: pos(4), Step: `send "AT+CGSN" expect /x/`, Time: time.Now()})
	s.Done(report.Record{Port: "p1", Run: 1, Status: report.Pass, DurationMS: 40,
		Emitted: []report.Value{{Name: "imei", Value: "866425034458131"}},
		Steps:   []report.Step{{Pos: "flow.at:3:1", Step: `send "AT" expect "OK"`, MS: 10}, {Pos: "flow.at:4:1", Step: "b", MS: 30}}})
	s.Done(report.Record{Port: "p2", Run: 1, Status: report.Fail, End: time.Now(),
		Failure: &report.Failure{Pos: "flow.at:4:1", Step: `send "AT+CGSN" expect /x/`, Kind: "timeout", Message: "timed out after 5s", Last: []string{"+CME ERROR: 10"}},
		Steps:   []report.Step{{Pos: "flow.at:3:1", Step: `send "AT" expect "OK"`, MS: 20}}})
}

func TestStateFollowsRuns(t *testing.T) {
	s := New(Options{Script: "flow.at", Ports: []string{"p0"}})
	st := s.State()
	require.Len(t, st.Ports, 1)
	assert.Equal(t, "waiting", st.Ports[0].Status)

	s.Start(station.Target{Port: "p1"}, 1)
	s.Event(station.Target{Port: "p1"}, 1, runtime.Event{Kind: runtime.EvStart, Pos: pos(3), Step: `send "AT" expect "OK"`, Time: time.Now()})
	st = s.State()
	require.Len(t, st.Ports, 2)
	assert.Equal(t, Port{Port: "p1", Status: "running", Run: 1, Step: `send "AT" expect "OK"`, Pos: "flow.at:3:1",
		StepStart: st.Ports[1].StepStart, RunStart: st.Ports[1].RunStart}, st.Ports[1])
	assert.False(t, st.Ports[1].StepStart.IsZero())

	feed(s)
	st = s.State()
	assert.Equal(t, Totals{Runs: 2, Passed: 1, Failed: 1}, st.Totals)
	assert.Equal(t, "pass", st.Ports[1].Status)
	assert.Equal(t, "imei=866425034458131", st.Ports[1].Detail)
	assert.Equal(t, "fail", st.Ports[2].Status)
	assert.Equal(t, `flow.at:4:1: send "AT+CGSN" expect /x/: timed out after 5s`, st.Ports[2].Detail)
	require.Len(t, st.Failures, 1)
	assert.Equal(t, "p2", st.Failures[0].Port)
	assert.Equal(t, []string{"+CME ERROR: 10"}, st.Failures[0].Last)
	require.Len(t, st.Steps, 2)
	assert.Equal(t, StepStats{Pos: "flow.at:3:1", Step: `send "AT" expect "OK"`, Count: 2, Min: 10, Median: 15, P95: 19.5, Max: 20}, st.Steps[0])
}

func TestRecentFailuresAreBounded(t *testing.T) {
	s := New(Options{Failures: 3})
	for i := range 5 {
		s.Done(report.Record{Port: "p", Run: i + 1, Status: report.Fail, Failure: &report.Failure{Kind: "fail", Message: "no"}})
	}
	st := s.State()
	require.Len(t, st.Failures, 3)
	assert.Equal(t, []int{5, 4, 3}, []int{st.Failures[0].Run, st.Failures[1].Run, st.Failures[2].Run}, "newest first")
}

func TestHandlerIsReadOnly(t *testing.T) {
	srv := httptest.NewServer(New(Options{}).Handler())
	defer srv.Close()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(m, srv.URL+"/state.json", strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, m)
	}
	for path, want := range map[string]string{"/": "<title>atrun station</title>", "/app.js": "EventSource", "/style.css": ".verdict"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, string(b), want, path)
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
	}
}

// readEvent reads one Server-Sent Event's data.
func readEvent(t *testing.T, br *bufio.Reader) State {
	t.Helper()
	var event, data string
	for {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "" && event == "state":
			var st State
			require.NoError(t, json.Unmarshal([]byte(data), &st))
			return st
		}
	}
}

func TestEventsStreamEveryChangeAndTheLastWord(t *testing.T) {
	s := New(Options{Ports: []string{"p1", "p2"}})
	url, stop, err := s.Serve("127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"events", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	br := bufio.NewReader(resp.Body)
	first := readEvent(t, br)
	assert.Equal(t, "waiting", first.Ports[0].Status)

	feed(s)
	// Updates come coalesced; the state that counts arrives in the end.
	var st State
	for st.Totals.Runs < 2 {
		st = readEvent(t, br)
	}
	assert.Equal(t, Totals{Runs: 2, Passed: 1, Failed: 1}, st.Totals)

	s.Done(report.Record{Port: "p1", Run: 2, Status: report.Pass})
	stop() // the stream sends the last state before it ends
	for st.Totals.Runs < 3 {
		st = readEvent(t, br)
	}
	assert.Equal(t, 3, st.Totals.Runs)
	_, err = br.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF, "the stream ends when the page stops")
}
