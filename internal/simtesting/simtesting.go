// Package simtesting holds the fixtures that the virtual modems' tests
// share: a private mosquitto per modem, a "strict" mochi broker that
// checks credentials and topics, throw-away certificates, and an
// independent paho client that checks what a modem put on the broker.
// Only tests import it.
//
//	b := testbroker.Start(t)
//	ch := simtesting.Subscribe(t, b, "up")
//	h := simtesting.StartModem(t, "ec20", b, sim.Options{})
//	... drive h ...
//	simtesting.WantMessage(t, ch, simtesting.Message{Topic: "up", Payload: []byte("hi"), QoS: 1})
//
// Every helper takes a testing.TB, fails the test on error and cleans up
// when the test ends.
package simtesting

import (
	"strings"
	"testing"

	"github.com/atrun/atrun/sim"
	"github.com/atrun/atrun/sim/simtest"
)

// StartModem runs the named profile over a pipe with every connection it
// opens sent to broker ("host:port"), whatever host the script names.
func StartModem(t testing.TB, name, broker string, opts sim.Options) *simtest.Host {
	t.Helper()
	opts.Broker = broker
	return simtest.Start(t, name, opts)
}

// ExpectAnyOrder reads as many bytes as parts hold together and fails
// unless each part can be taken out of them in turn, at its first
// occurrence. It suits framed lines that race each other (a result and a
// URC); Host.ExpectAnyOrder is the exact-permutation check.
func ExpectAnyOrder(t testing.TB, h *simtest.Host, parts ...string) {
	t.Helper()
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b, err := h.Next(n, simtest.Timeout)
	if err != nil {
		t.Fatalf("waiting for %q: %v; got %q", parts, err, b)
	}
	rest := string(b)
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Fatalf("got %q; want %q in any order", b, parts)
		}
		rest = rest[:i] + rest[i+len(p):]
	}
}
