package scripts

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/builtins/mqtt"
	"github.com/atrun/atrun/runtime"
)

// The ACME-1 tests prove that a module the project does not ship is brought
// up by a script alone: scripts/testdata/acme/acme.at declares its dialect,
// publish.at publishes through a real mosquitto, and the fake modem of
// acme_modem_test.go is as strict as hardware.

const acmeScript = "testdata/acme/publish.at"

// acmeRun runs a script against a fresh fake ACME-1 within a minute. read,
// if set, loads the script's files (to run an edited copy).
func acmeRun(t *testing.T, addr string, read func(string) ([]byte, error), opts runtime.Options) (*runtime.Result, *acmeModem, string) {
	t.Helper()
	prog, err := runtime.Load(acmeScript, read)
	require.NoError(t, err)
	m, conn, err := newACMEModem(20 * time.Millisecond)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(); m.Close() })
	host, port, _ := strings.Cut(addr, ":")
	if opts.Params == nil {
		opts.Params = map[string]string{}
	}
	opts.Params["broker"], opts.Params["port"] = host, port
	var tr lockedBuffer
	opts.Transcript = &tr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := prog.Run(ctx, conn, opts)
	return res, m, tr.String()
}

func TestACMEPublish(t *testing.T) {
	addr := broker(t)
	topic := "acme/publish"
	sub := subscribe(t, addr, topic, 0)

	res, m, transcript := acmeRun(t, addr, nil, runtime.Options{Params: map[string]string{
		"topic": topic, "message": "hello from an ACME-1", "client_id": "acme-publish",
	}})
	require.NoError(t, res.Err, transcript)

	got := sub.wait(t, 1, 10*time.Second)
	assert.Equal(t, topic, got[0].Topic)
	assert.Equal(t, "hello from an ACME-1", string(got[0].Payload))
	time.Sleep(300 * time.Millisecond) // a duplicate would have arrived by now
	sub.mu.Lock()
	assert.Len(t, sub.msgs, 1, "exactly one message")
	sub.mu.Unlock()

	ip, _ := res.Value("ip")
	fw, _ := res.Value("firmware")
	assert.Equal(t, "10.11.12.13", ip)
	assert.Equal(t, "ACME-1 R01A02", fw)

	// Every command ended in CR LF and left only after the previous final:
	// the modem executed them all and ignored none.
	assert.Empty(t, m.Early(), "commands sent while a final result was owed")
	assert.Empty(t, m.BareCR(), "lines without CR LF")
	c, p, _ := strings.Cut(addr, ":")
	assert.Equal(t, []string{
		"AT", "ATE0", "AT+CGMR", "AT+ACMEIP",
		fmt.Sprintf(`AT+AOPEN="%s",%s`, c, p),
		fmt.Sprintf("AT+ASEND=%d", len(acmePacket(t, &mqtt.Connect{ClientID: "acme-publish", KeepAlive: 60, Clean: true}))),
		fmt.Sprintf("AT+ASEND=%d", len(acmePacket(t, &mqtt.Publish{Topic: topic, Payload: []byte("hello from an ACME-1")}))),
		"AT+ASEND=2", // DISCONNECT
		"AT+ACLOSE",
	}, m.Commands())
}

// acmeWithout loads the ACME files with one line of acme.at removed, to
// show what each dialect declaration is for.
func acmeWithout(line string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		b, err := os.ReadFile(path)
		if err != nil || filepath.Base(path) != "acme.at" {
			return b, err
		}
		if !bytes.Contains(b, []byte(line)) {
			return nil, fmt.Errorf("acme.at has no %q", line)
		}
		return bytes.Replace(b, []byte(line), nil, 1), nil
	}
}

// TestACMEDialectIsNeeded runs the flow with one declaration left out:
// each run fails where, and how, the README says.
func TestACMEDialectIsNeeded(t *testing.T) {
	addr := broker(t)
	t.Run("line_ending", func(t *testing.T) {
		t.Parallel()
		res, m, _ := acmeRun(t, addr, acmeWithout(`line_ending "\r\n"`), runtime.Options{
			Params: map[string]string{"topic": "acme/no-line-ending"}, TimeoutScale: 0.1})
		require.Error(t, res.Err)
		assert.Contains(t, res.Err.Error(), `send "AT" expect "OK"`)
		assert.Empty(t, m.Commands(), "a bare CR ends no ACME-1 command")
		assert.Contains(t, m.BareCR(), "AT")
	})
	t.Run("final", func(t *testing.T) {
		t.Parallel()
		res, m, _ := acmeRun(t, addr, acmeWithout(`final "SEND DONE"`), runtime.Options{
			Params: map[string]string{"topic": "acme/no-final"}, TimeoutScale: 0.1})
		require.Error(t, res.Err)
		assert.Contains(t, res.Err.Error(), `declare it in the dialect: final "SEND DONE"`)
		assert.Empty(t, m.Early())
	})
	t.Run("no_final", func(t *testing.T) {
		t.Parallel()
		res, m, _ := acmeRun(t, addr, acmeWithout(`no_final "AT+ACMEIP"`), runtime.Options{
			Params: map[string]string{"topic": "acme/no-no-final"}, TimeoutScale: 0.1})
		require.Error(t, res.Err)
		assert.Contains(t, res.Err.Error(), "AT+ACMEIP")
		for _, c := range m.Commands() {
			assert.NotContains(t, c, "AT+AOPEN", "nothing is sent while a final is owed")
		}
		assert.Empty(t, m.Early())
	})
}

// TestACMEModemSpeaksAT checks the fake modem on its own, byte by byte, so
// that the script tests stand on a modem known to be strict: bare CR
// ignored, a command typed while busy ignored, SEND DONE, counted #ADATA,
// and a PUBLISH that reaches the broker.
func TestACMEModemSpeaksAT(t *testing.T) {
	addr := broker(t)
	sub := subscribe(t, addr, "acme/raw", 0)
	m, conn, err := newACMEModem(20 * time.Millisecond)
	require.NoError(t, err)
	defer m.Close()
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
	r := bufio.NewReader(conn)

	// readUntil returns what arrived up to and including want.
	readUntil := func(want string) string {
		t.Helper()
		var got []byte
		for !bytes.HasSuffix(got, []byte(want)) {
			b, err := r.ReadByte()
			require.NoError(t, err, "waiting for %q after %q", want, got)
			got = append(got, b)
		}
		return string(got)
	}
	send := func(s string) {
		t.Helper()
		_, err := io.WriteString(conn, s)
		require.NoError(t, err)
	}

	send("AT\r")
	send("AT\r\n")
	assert.Equal(t, "AT\r\n\r\nOK\r\n", readUntil("OK\r\n"), "echo, then OK")
	assert.Equal(t, []string{"AT"}, m.BareCR())
	send("ATE0\r\n")
	readUntil("\r\nOK\r\n")

	// AT typed between AT+CGMR's answer and its OK is ignored.
	send("AT+CGMR\r\n")
	assert.Equal(t, "\r\nACME-1 R01A02\r\n", readUntil("R01A02\r\n"))
	send("AT\r\n")
	readUntil("\r\nOK\r\n")
	assert.Equal(t, []string{"AT"}, m.Early())

	send("AT+ACMEIP\r\n")
	assert.Equal(t, "\r\n10.11.12.13\r\n", readUntil("13\r\n"))

	host, port, _ := strings.Cut(addr, ":")
	send(fmt.Sprintf("AT+AOPEN=%q,%s\r\n", host, port))
	readUntil("\r\nOK\r\n")
	readUntil("\r\n+AOPEN: 0\r\n")

	// sendBytes returns what arrived up to SEND DONE: a reply may come
	// first, since the modem writes SEND DONE a little after the bytes.
	sendBytes := func(b []byte) string {
		t.Helper()
		send(fmt.Sprintf("AT+ASEND=%d\r\n", len(b)))
		readUntil("> ")
		send(string(b))
		return readUntil("SEND DONE\r\n")
	}
	got := sendBytes(acmePacket(t, &mqtt.Connect{ClientID: "acme-raw", KeepAlive: 60, Clean: true}))
	// The CONNACK is framed inline and counted: #ADATA: 0,4,<4 bytes>.
	var connack string
	for {
		_, frame, ok := strings.Cut(got, "#ADATA: 0,")
		count, data, ok2 := strings.Cut(frame, ",")
		if n, err := strconv.Atoi(count); ok && ok2 && err == nil && len(data) >= n {
			connack = data[:n]
			break
		}
		got += readUntil(",")
	}
	assert.Equal(t, "\x20\x02\x00\x00", connack)

	sendBytes(acmePacket(t, &mqtt.Publish{Topic: "acme/raw", Payload: []byte("raw\r\nOK\r\n")}))
	msgs := sub.wait(t, 1, 10*time.Second)
	assert.Equal(t, "raw\r\nOK\r\n", string(msgs[0].Payload))

	send("AT+ACLOSE\r\n")
	readUntil("\r\nOK\r\n")
	assert.Equal(t, []string{"AT"}, m.Early())
}

// acmePacket encodes an MQTT 3.1.1 packet.
func acmePacket(t *testing.T, p mqtt.Packet) []byte {
	t.Helper()
	b, err := mqtt.Encode(p, 4)
	require.NoError(t, err)
	return b
}
