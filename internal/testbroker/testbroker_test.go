package testbroker

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/builtins/mqtt"
)

// exchange writes one packet and reads the broker's answer.
func exchange(t *testing.T, addr string, out []byte, want int) []byte {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Write(out)
	require.NoError(t, err)
	in := make([]byte, want)
	_, err = io.ReadFull(conn, in)
	require.NoError(t, err)
	return in
}

func TestStartAcceptsMQTT(t *testing.T) {
	addr := Start(t)
	host, _, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", host)
	// CONNECT dev1, clean session, keep alive 60 -> CONNACK accepted.
	connect := []byte{0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 4, 'd', 'e', 'v', '1'}
	require.Equal(t, []byte{0x20, 2, 0, 0}, exchange(t, addr, connect, 4))
}

// Config lines reach the broker: max_keepalive shows up in a v5 CONNACK.
func TestConfigOption(t *testing.T) {
	addr := Start(t, Config("max_keepalive 10"))
	connect, err := mqtt.Encode(&mqtt.Connect{ClientID: "k", Clean: true, KeepAlive: 60}, mqtt.V5)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Write(connect)
	require.NoError(t, err)
	var buf []byte
	for {
		pkts, _, err := mqtt.Decode(buf, mqtt.V5)
		if err == nil {
			ack := pkts[0].(*mqtt.Connack)
			require.Zero(t, ack.ReasonCode)
			require.NotNil(t, ack.Properties)
			require.Equal(t, new(uint16(10)), ack.Properties.ServerKeepAlive)
			return
		}
		require.ErrorIs(t, err, mqtt.ErrNeedMore)
		chunk := make([]byte, 256)
		n, err := conn.Read(chunk)
		require.NoError(t, err)
		buf = append(buf, chunk[:n]...)
	}
}

func TestBrokersAreSeparateAndStopped(t *testing.T) {
	var first string
	t.Run("inner", func(t *testing.T) {
		first = Start(t)
		second := Start(t)
		require.NotEqual(t, first, second)
	})
	// The inner test's cleanup has stopped its brokers.
	_, err := net.Dial("tcp", first)
	require.Error(t, err)
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	_, err := find([]string{filepath.Join(dir, "nope")})
	require.EqualError(t, err, "mosquitto not installed: run `make deps`")

	fake := filepath.Join(dir, "sbin-mosquitto")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755))
	got, err := find([]string{filepath.Join(dir, "nope"), fake})
	require.NoError(t, err)
	require.Equal(t, fake, got)

	// PATH wins over the fallbacks.
	inPath := filepath.Join(dir, "mosquitto")
	require.NoError(t, os.WriteFile(inPath, []byte("#!/bin/sh\n"), 0o755))
	got, err = find([]string{fake})
	require.NoError(t, err)
	require.Equal(t, inPath, got)
}

// A broker that cannot start (bad config) fails with its own log.
func TestStartFailureShowsLog(t *testing.T) {
	bin, err := Find()
	require.NoError(t, err)
	b := t.TempDir()
	_, br, err := try(bin, b, config{lines: []string{"no_such_option 1"}, timeout: 10 * time.Second})
	require.ErrorContains(t, err, "mosquitto exited")
	require.True(t, bytes.Contains([]byte(br.String()), []byte("no_such_option")), br.String())
}
