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
