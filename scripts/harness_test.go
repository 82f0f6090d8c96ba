// End-to-end tests of the shipped flows: each runs in-process against its
// virtual modem, which opens real TCP sockets and MQTT sessions to a real
// mosquitto; an independent paho client checks what the broker carried.
package scripts

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/internal/testbroker"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/all"
)

// flowRun is one run of a shipped script against a virtual modem.
type flowRun struct {
	Vendor string
	Script string            // path relative to scripts/
	Params map[string]string // -D values; broker and port are filled in
	Sim    sim.Options       // fault knobs; Broker is left to the flow
	// OnLog is called for each log line (e.g. "subscribed to t").
	OnLog func(string)
}

type flowResult struct {
	*runtime.Result
	Transcript string
	Logs       []string
}

func (r flowResult) emitted(name string) []string {
	var out []string
	for _, e := range r.Emitted {
		if e.Name == name {
			out = append(out, fmt.Sprint(e.Value))
		}
	}
	return out
}

// sent lists the command lines the host sent, in order.
func (r flowResult) sent() []string {
	var out []string
	for _, line := range strings.Split(r.Transcript, "\n") {
		_, quoted, ok := strings.Cut(line, " TX ")
		if !ok {
			continue
		}
		b, err := strconv.Unquote(quoted)
		if err == nil && strings.HasPrefix(b, "AT") {
			out = append(out, strings.TrimRight(b, "\r\n"))
		}
	}
	return out
}

func runFlow(t *testing.T, brokerAddr string, fr flowRun) flowResult {
	t.Helper()
	prog, err := runtime.Load(fr.Script, nil)
	require.NoError(t, err)
	host, port, _ := strings.Cut(brokerAddr, ":")
	params := map[string]string{}
	for _, p := range prog.Params {
		switch p.Name {
		case "broker":
			params["broker"] = host
		case "port":
			params["port"] = port
		}
	}
	for k, v := range fr.Params {
		params[k] = v
	}
	m, err := sim.New(fr.Vendor, fr.Sim)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn := m.Pipe(ctx)
	defer conn.Close()
	var tr lockedBuffer
	var mu sync.Mutex
	var logs []string
	res := prog.Run(ctx, conn, runtime.Options{
		Params:     params,
		Transcript: &tr,
		OnEvent: func(e runtime.Event) {
			if e.Kind != runtime.EvLog {
				return
			}
			mu.Lock()
			logs = append(logs, e.Value)
			mu.Unlock()
			if fr.OnLog != nil {
				fr.OnLog(e.Value)
			}
		},
	})
	return flowResult{Result: res, Transcript: tr.String(), Logs: logs}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// received is one message as an independent subscriber saw it.
type received struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// subscriber is an independent paho client on the test broker.
type subscriber struct {
	cl   paho.Client
	mu   sync.Mutex
	msgs []received
	got  chan struct{}
}

func subscribe(t *testing.T, brokerAddr, topic string, qos byte) *subscriber {
	t.Helper()
	s := &subscriber{got: make(chan struct{}, 1000)}
	opts := paho.NewClientOptions().AddBroker("tcp://" + brokerAddr).SetClientID(fmt.Sprintf("check-%d", time.Now().UnixNano()))
	s.cl = paho.NewClient(opts)
	tok := s.cl.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	tok = s.cl.Subscribe(topic, qos, func(_ paho.Client, m paho.Message) {
		s.mu.Lock()
		s.msgs = append(s.msgs, received{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), QoS: m.Qos(), Retain: m.Retained()})
		s.mu.Unlock()
		s.got <- struct{}{}
	})
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	t.Cleanup(func() { s.cl.Disconnect(100) })
	return s
}

// wait returns the first n messages, failing the test after d.
func (s *subscriber) wait(t *testing.T, n int, d time.Duration) []received {
	t.Helper()
	deadline := time.After(d)
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]received(nil), s.msgs[:n]...)
			s.mu.Unlock()
			return out
		}
		s.mu.Unlock()
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("the subscriber got %d message(s), want %d", len(s.msgs), n)
		}
	}
}

// publisher publishes with an independent paho client.
func publish(t *testing.T, brokerAddr, topic string, payload []byte, qos byte, retain bool) {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker("tcp://" + brokerAddr).SetClientID(fmt.Sprintf("pub-%d", time.Now().UnixNano()))
	cl := paho.NewClient(opts)
	tok := cl.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	defer cl.Disconnect(100)
	tok = cl.Publish(topic, qos, retain, payload)
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
}

// binaryPayload holds every byte value, CR LF, Ctrl-Z and quotes included.
func binaryPayload() string {
	var b []byte
	for i := 0; i < 256; i++ {
		b = append(b, byte(i))
	}
	return string(b) + "\r\nOK\r\n\x1a\"end"
}

const utf8Payload = "Grüße, 温度 21.5 °C ✓"

func broker(t *testing.T) string {
	return testbroker.Start(t)
}
