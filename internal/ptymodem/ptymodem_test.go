//go:build linux

package ptymodem

import (
	"io"
	"os"
	"testing"
)

func TestAnswersAndLogs(t *testing.T) {
	m, err := Start(Config{Baud: 115200})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer m.Close()
	f, err := os.OpenFile(m.Path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, cmd := range []string{"AT\r", "AT+CSQ\r\n"} {
		if _, err := f.Write([]byte(cmd)); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(Reply))
		if _, err := io.ReadFull(f, got); err != nil || string(got) != Reply {
			t.Fatalf("after %q read %q, %v; want %q", cmd, got, err, Reply)
		}
	}
	steps, err := m.Take()
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Cmd != "AT" || steps[1].Cmd != "AT+CSQ" {
		t.Fatalf("steps %+v", steps)
	}
	// The LF after a CR belongs to the next command's bytes.
	if steps[0].Bytes != 3+len(Reply) || steps[1].Bytes != 7+len(Reply) {
		t.Errorf("bytes %d and %d, want %d and %d", steps[0].Bytes, steps[1].Bytes, 3+len(Reply), 7+len(Reply))
	}
	for _, s := range steps {
		if s.Answered.Sub(s.At) < m.cfg.Hold(s.Bytes-len(Reply)) {
			t.Errorf("%s answered after %s, before its time on the wire", s.Cmd, s.Answered.Sub(s.At))
		}
	}
	if again, _ := m.Take(); len(again) != 0 {
		t.Errorf("a second Take returned %d steps", len(again))
	}
}
