package replay

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// BenchmarkPlayer replays a 1000-command session: per op, one command
// written and its answer read.
func BenchmarkPlayer(b *testing.B) {
	rec := &Recording{}
	var cmds [][]byte
	for i := range 1000 {
		cmd := []byte(fmt.Sprintf("AT+CMD=%d\r", i))
		cmds = append(cmds, cmd)
		at := time.Duration(i) * time.Millisecond
		rec.Chunks = append(rec.Chunks, Chunk{At: at, Dir: TX, Data: cmd}, Chunk{At: at, Dir: RX, Data: []byte("\r\n+CMD: 1\r\n\r\nOK\r\n")})
	}
	buf := make([]byte, 4096)
	p := NewPlayer(rec, PlayerOptions{})
	i := 0
	for b.Loop() {
		if i == len(cmds) {
			p = NewPlayer(rec, PlayerOptions{})
			i = 0
		}
		if _, err := p.Write(cmds[i]); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Read(buf); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

type loop struct{ r strings.Reader }

func (l *loop) Read(p []byte) (int, error) {
	l.r.Seek(0, io.SeekStart)
	return l.r.Read(p)
}
func (l *loop) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkRecorder is one command and its answer through a Recorder
// logging to io.Discard: the cost --record adds per step.
func BenchmarkRecorder(b *testing.B) {
	conn := &loop{}
	conn.r.Reset("\r\n+CSQ: 21,99\r\n\r\nOK\r\n")
	r, err := NewRecorder(conn, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	cmd := []byte("AT+CSQ\r")
	buf := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		r.Write(cmd)
		r.Read(buf)
	}
}
