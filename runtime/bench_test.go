package runtime

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"
)

// echoOK answers every command line with OK at once, and records when it
// finished writing each answer and when the next command's first byte came.
type echoOK struct {
	conn      net.Conn
	answered  time.Time
	latencies []time.Duration
}

func (m *echoOK) serve() {
	buf := make([]byte, 256)
	inLine := false
	for {
		n, err := m.conn.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		for _, b := range buf[:n] {
			if !inLine && !m.answered.IsZero() {
				m.latencies = append(m.latencies, now.Sub(m.answered))
			}
			inLine = true
			if b == '\r' {
				inLine = false
				if _, err := m.conn.Write([]byte("\r\nOK\r\n")); err != nil {
					return
				}
				// net.Pipe's Write returns once the host has read the bytes.
				m.answered = time.Now()
			}
		}
	}
}

func stepsScript(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "send \"AT+STEP=%d\" expect \"OK\"\n", i)
	}
	return b.String()
}

// BenchmarkStep measures the interpreter's own cost of one send+expect
// step over an in-memory transport whose modem answers at once.
func BenchmarkStep(b *testing.B) {
	const steps = 100
	p := compile(b, stepsScript(steps))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		host, dev := net.Pipe()
		m := &echoOK{conn: dev}
		go m.serve()
		res := p.Run(context.Background(), host, Options{})
		host.Close()
		if res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
}

// BenchmarkReaction measures the time from the last byte of a matched
// line to the first byte of the next command, reported as p50 and p99.
func BenchmarkReaction(b *testing.B) {
	const steps = 200
	p := compile(b, stepsScript(steps))
	var all []time.Duration
	for i := 0; i < b.N; i++ {
		host, dev := net.Pipe()
		m := &echoOK{conn: dev}
		done := make(chan struct{})
		go func() { m.serve(); close(done) }()
		res := p.Run(context.Background(), host, Options{})
		host.Close()
		<-done
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		all = append(all, m.latencies...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) == 0 {
		b.Fatal("no latencies recorded")
	}
	b.ReportMetric(float64(all[len(all)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds()), "p99-ns")
}
