package sim7000_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/atrun/atrun/sim"
)

// BenchmarkCIPSEND pushes 1460-byte CIPSEND writes (quick-send mode) to a
// real TCP sink: the cost of one raw-TCP write step, network included.
func BenchmarkCIPSEND(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
		}
	}()
	m, err := sim.New("sim7000", sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn := m.Pipe(ctx)
	defer conn.Close()
	r := bufio.NewReader(conn)
	until := func(marker string) {
		var got []byte
		for !bytes.HasSuffix(got, []byte(marker)) {
			c, err := r.ReadByte()
			if err != nil {
				b.Fatal(err)
			}
			got = append(got, c)
		}
	}
	for _, cmd := range []string{"ATE0", "AT+CIPQSEND=1", `AT+CSTT="apn"`, "AT+CIICR"} {
		fmt.Fprintf(conn, "%s\r", cmd)
		until("OK\r\n")
	}
	fmt.Fprintf(conn, "AT+CIFSR\r")
	until("10.64.12.7\r\n")
	fmt.Fprintf(conn, "AT+CIPSTART=\"TCP\",\"127.0.0.1\",%d\r", ln.Addr().(*net.TCPAddr).Port)
	until("CONNECT OK\r\n")
	payload := bytes.Repeat([]byte{0x55}, 1460)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		conn.Write([]byte("AT+CIPSEND=1460\r"))
		until("> ")
		conn.Write(payload)
		until("DATA ACCEPT:1460\r\n")
	}
}
