package at

import (
	"strings"
	"testing"
	"time"
)

// FuzzFramer feeds arbitrary modem output, in arbitrary pieces, to the
// framer: it must never panic, and what it delivers must hold its
// invariants (no line endings inside lines, lines bounded, counted data of
// the announced length unless cut off at the end).
func FuzzFramer(f *testing.F) {
	for _, s := range []string{
		"\r\nOK\r\n", "+IPD,8:ab\r\ncd\r\n\r\nOK\r\n", "\r\n+USORD: 0,4,\"a\"\r\n\"\r\n",
		"\r\n+USORD: 0,4,\"61620D0A\"\r\n", "+CMQTTRXPAYLOAD: 0,3\r\nabc\r\n", "\r\n> ",
		"+MQTTSUBRECV:0,\"t\",2,hi\r\n", "+MSUB: \"t\",3 byte,abc\r\n", "\x00\xff\r\r\n\n",
	} {
		f.Add([]byte(s), uint8(3), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, piece uint8, arm bool) {
		c := &Conn{opts: Options{DataHeaders: withPrefixes(testHeaders), MaxLine: 256, MaxPending: 1 << 20, Now: time.Now}, wake: make(chan struct{})}
		if arm {
			c.armed = []string{">", "@"}
		}
		n := int(piece%16) + 1
		for i := 0; i < len(data); i += n {
			c.feed(data[i:min(i+n, len(data))], time.Time{})
		}
		c.flushPartial(time.Time{})
		for _, ev := range c.queue {
			if strings.ContainsAny(ev.Text, "\r\n") {
				t.Fatalf("line with a line ending: %q", ev.Text)
			}
			if len(ev.Text) > 256+32 {
				t.Fatalf("line of %d bytes past MaxLine", len(ev.Text))
			}
		}
	})
}
