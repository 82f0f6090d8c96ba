package sim_test

import (
	"bufio"
	"bytes"
	"context"
	"testing"

	"github.com/atrun/atrun/sim"
)

// BenchmarkRoundTrip measures one command and its response over the
// in-process pipe with echo off: the engine's own cost per step.
func BenchmarkRoundTrip(b *testing.B) {
	m, err := sim.New("enginetest", sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn := m.Pipe(ctx)
	defer conn.Close()
	r := bufio.NewReader(conn)
	readOK := func() {
		var got []byte
		for !bytes.HasSuffix(got, []byte("OK\r\n")) {
			line, err := r.ReadBytes('\n')
			if err != nil {
				b.Fatal(err)
			}
			got = append(got, line...)
		}
	}
	conn.Write([]byte("ATE0\r"))
	readOK()
	cmd := []byte("AT+CSQ\r")
	b.ReportAllocs()
	for b.Loop() {
		conn.Write(cmd)
		readOK()
	}
}
