package at

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frame feeds input to a Conn in the given pieces and returns the events,
// rendered as "L:text", "P:prompt", "D:header|data", "E:echo".
func frame(t *testing.T, pieces []string, setup func(c *Conn)) []string {
	t.Helper()
	host, dev := net.Pipe()
	c := NewConn(host, Options{DataHeaders: testHeaders})
	defer c.Close()
	go func() {
		buf := make([]byte, 1024)
		for {
			if _, err := dev.Read(buf); err != nil {
				return
			}
		}
	}()
	if setup != nil {
		setup(c)
	}
	for _, p := range pieces {
		_, err := dev.Write([]byte(p))
		require.NoError(t, err)
	}
	dev.Close()
	var out []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		evs, err := c.Recv(ctx)
		for _, ev := range evs {
			switch {
			case ev.Echo:
				out = append(out, "E:"+ev.Text)
			case ev.Kind == Prompt:
				out = append(out, "P:"+ev.Text)
			case ev.HasData:
				out = append(out, "D:"+ev.Text+"|"+ev.Data)
			default:
				out = append(out, "L:"+ev.Text)
			}
		}
		if err != nil {
			return out
		}
	}
}

func bytewise(s string) []string { return strings.Split(s, "") }

func TestFraming(t *testing.T) {
	cases := []struct {
		name   string
		pieces []string
		setup  func(c *Conn)
		want   []string
	}{
		{"line endings", []string{"A\r\nB\rC\nD\r\n\r\n\n"}, nil, []string{"L:A", "L:B", "L:C", "L:D"}},
		{"byte at a time", bytewise("\r\n+CSQ: 18,99\r\n\r\nOK\r\n"), nil, []string{"L:+CSQ: 18,99", "L:OK"}},
		{"unarmed prompt stays text", []string{"\r\n> "}, nil, []string{"L:> "}},
		{"armed prompt split across reads", []string{"\r\n>", " "}, func(c *Conn) { c.ArmPrompt(">") }, []string{"P:>"}},
		{"echo of the command", []string{"AT+CSQ\r\r\n+CSQ: 1,2\r\n"}, func(c *Conn) { c.Send([]byte("AT+CSQ\r"), "AT+CSQ") }, []string{"E:AT+CSQ", "L:+CSQ: 1,2"}},
		{"+IPD data holding CR LF", []string{"\r\n+IPD,8:ab\r\ncd\r\n\r\nOK\r\n"}, nil, []string{"D:+IPD,8:|ab\r\ncd\r\n", "L:OK"}},
		{"+IPD split byte by byte", bytewise("+IPD,4:\r\n\r\nOK\r\n"), nil, []string{"D:+IPD,4:|\r\n\r\n", "L:OK"}},
		{"data after the header line", []string{"\r\n+CMQTTRXPAYLOAD: 0,4\r\nOK\r\n\r\n+CMQTTRXEND: 0\r\n"}, nil, []string{"D:+CMQTTRXPAYLOAD: 0,4|OK\r\n", "L:+CMQTTRXEND: 0"}},
		{"u-blox binary read", []string{"\r\n+USORD: 0,4,\"a\"\r\n\"\r\nOK\r\n"}, nil, []string{"D:+USORD: 0,4,\"|a\"\r\n", "L:OK"}},
		{"u-blox hex read is a line", []string{"\r\n+USORD: 0,4,\"61220D0A\"\r\nOK\r\n"}, nil, []string{"L:+USORD: 0,4,\"61220D0A\"", "L:OK"}},
		{"payload echo dropped", []string{"hi\r\nOK\r\n", "\r\nOK\r\n"}, func(c *Conn) { c.WriteData([]byte("hi\r\nOK\r\n")) }, []string{"L:OK"}},
		{"no payload echo", []string{"\r\nOK\r\n"}, func(c *Conn) { c.WriteData([]byte("OK\r\n")) }, []string{"L:OK"}},
		{"line without end", []string{"\r\nPARTIAL"}, nil, []string{"L:PARTIAL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, frame(t, c.pieces, c.setup))
		})
	}
}

func TestLongLineIsCut(t *testing.T) {
	long := strings.Repeat("x", 70000)
	got := frame(t, []string{long + "\r\nOK\r\n"}, nil)
	require.Len(t, got, 3)
	assert.Len(t, got[0], 2+64<<10)
	assert.Equal(t, "L:OK", got[2])
}

func TestDeclaredHeaders(t *testing.T) {
	// A module the project does not ship: its headers start with "#" and
	// "$", and one ends at ";".
	headers := []DataHeader{
		{Re: regexp.MustCompile(`^(?:#XRECV: \d+,(?P<len>\d+),)$`), LenGroup: 1, Inline: true},
		{Re: regexp.MustCompile(`^(?:\$RD (?P<len>\d+);)$`), LenGroup: 1, Inline: true},
	}
	for _, tc := range []struct {
		name   string
		pieces []string
		want   []string
	}{
		{"hash header", []string{"\r\n#XRECV: 0,4,a\r\nb\r\nOK\r\n"}, []string{"D:#XRECV: 0,4,|a\r\nb", "L:OK"}},
		{"byte at a time", bytewise("#XRECV: 0,3,\r\n\r\r\nOK\r\n"), []string{"D:#XRECV: 0,3,|\r\n\r", "L:OK"}},
		{"dollar header ending in ;", []string{"$RD 2;OK\r\nOK\r\n"}, []string{"D:$RD 2;|OK", "L:OK"}},
		{"a line that only looks like one", []string{"#XRECVX: 0,4,abcd\r\n"}, []string{"L:#XRECVX: 0,4,abcd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, dev := net.Pipe()
			c := NewConn(host, Options{DataHeaders: headers})
			defer c.Close()
			go func() {
				for _, p := range tc.pieces {
					dev.Write([]byte(p))
				}
				dev.Close()
			}()
			var got []string
			for {
				evs, err := c.Recv(context.Background())
				for _, ev := range evs {
					if ev.HasData {
						got = append(got, "D:"+ev.Text+"|"+ev.Data)
					} else {
						got = append(got, "L:"+ev.Text)
					}
				}
				if err != nil {
					break
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNoHeadersNoData(t *testing.T) {
	// Without declared headers nothing is counted data.
	host, dev := net.Pipe()
	c := NewConn(host, Options{})
	defer c.Close()
	go func() {
		dev.Write([]byte("+IPD,4:ab\r\ncd\r\n"))
		dev.Close()
	}()
	var got []string
	for {
		evs, err := c.Recv(context.Background())
		for _, ev := range evs {
			assert.False(t, ev.HasData)
			got = append(got, ev.Text)
		}
		if err != nil {
			break
		}
	}
	assert.Equal(t, []string{"+IPD,4:ab", "cd"}, got)
}

func TestLiteralPrefix(t *testing.T) {
	for re, want := range map[string]string{
		`^(?:^\+IPD,(?:\d+,)?(?P<len>\d+):)$`: "+IPD,",
		`^(?:#XRECV: \d+,(?P<len>\d+),)$`:     "#XRECV: ",
		`^(?:\+MSUB: ?"[^"]*",(\d+) byte,)$`:  "+MSUB:",
		`^(?:(?i)\+qird: (\d+))$`:             "",
		`^(?:(?:\+A|\+B)(\d+):)$`:             "+",
		`^(?:x*y(\d+))$`:                      "",
	} {
		assert.Equal(t, want, literalPrefix(regexp.MustCompile(re)), re)
	}
}
