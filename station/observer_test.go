package station

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
)

type watcher struct {
	mu     sync.Mutex
	starts map[string]int
	steps  map[string]int
	done   []report.Record
}

func (w *watcher) Start(t Target, run int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.starts[t.Port]++
}

func (w *watcher) Event(t Target, run int, ev runtime.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ev.Kind == runtime.EvStep {
		w.steps[t.Port]++
	}
}

func (w *watcher) Done(rec report.Record) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = append(w.done, rec)
}

type memSink struct {
	mu   sync.Mutex
	recs []report.Record
}

func (m *memSink) Append(r report.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

func (m *memSink) Close() error { return nil }

// The observer sees every run alongside the callbacks, and every record,
// with its own ID, reaches the sink before the observer.
func TestObserverAndSink(t *testing.T) {
	ctx := context.Background()
	w := &watcher{starts: map[string]int{}, steps: map[string]int{}}
	sink := &memSink{}
	events := 0
	var mu sync.Mutex
	c := &Config{Program: load(t, flow), Open: simOpen(ctx, sim.Options{}), Repeat: 2, Report: sink, Observer: w,
		OnEvent: func(Target, int, runtime.Event) { mu.Lock(); events++; mu.Unlock() }}
	recs := c.RunAll(ctx, []Target{{Port: "p1"}, {Port: "dead2"}})
	require.Len(t, recs, 4)
	assert.Equal(t, map[string]int{"p1": 2, "dead2": 2}, w.starts)
	assert.Equal(t, map[string]int{"p1": 4}, w.steps, "two steps a run, two runs; the dead port has none")
	assert.Positive(t, events, "the callback still sees the events")
	require.Len(t, w.done, 4)
	require.Len(t, sink.recs, 4)
	ids := map[string]bool{}
	for _, r := range recs {
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-7`, r.ID)
		ids[r.ID] = true
	}
	assert.Len(t, ids, 4, "one ID per run")
	for _, r := range sink.recs {
		assert.True(t, ids[r.ID], "the sink got the run's record %s", r.ID)
	}
}
