package replay

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeModem answers each CR-terminated command on conn after delay, and
// says RDY after boot. It returns when conn is closed.
func fakeModem(conn net.Conn, boot, delay time.Duration) {
	answers := map[string]string{
		"AT\r":       "AT\r\r\nOK\r\n",
		"AT+CSQ\r":   "\r\n+CSQ: 21,99\r\n\r\nOK\r\n",
		"AT+CREG?\r": "\r\n+CREG: 0,1\r\n\r\nOK\r\n",
	}
	go func() {
		defer conn.Close()
		time.Sleep(boot)
		if _, err := conn.Write([]byte("\r\nRDY\r\n")); err != nil {
			return
		}
		var line []byte
		buf := make([]byte, 64)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			for _, c := range buf[:n] {
				line = append(line, c)
				if c != '\r' {
					continue
				}
				time.Sleep(delay)
				ans, ok := answers[string(line)]
				if !ok {
					ans = "\r\nERROR\r\n"
				}
				if _, err := conn.Write([]byte(ans)); err != nil {
					return
				}
				line = line[:0]
			}
		}
	}()
}

// readUntil reads from r until the bytes read end with one of ends.
func readUntil(t *testing.T, r io.Reader, ends ...string) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 4096)
	for {
		for _, e := range ends {
			if bytes.HasSuffix(got, []byte(e)) {
				return string(got)
			}
		}
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("read after %q: %v", got, err)
		}
	}
}

// session is the host side: wait for RDY, then send each command (split
// into the given writes) and read its answer. It returns what each read
// phase received.
func session(t *testing.T, rw io.ReadWriter, writes [][]string) []string {
	t.Helper()
	out := []string{readUntil(t, rw, "RDY\r\n")}
	for _, parts := range writes {
		for _, p := range parts {
			n, err := rw.Write([]byte(p))
			require.NoError(t, err)
			require.Equal(t, len(p), n)
		}
		// One read phase per command in the write group.
		cmds := strings.Count(strings.Join(parts, ""), "\r")
		var got string
		for strings.Count(got, "OK\r\n")+strings.Count(got, "ERROR\r\n") < cmds {
			got += readUntil(t, rw, "OK\r\n", "ERROR\r\n")
		}
		out = append(out, got)
	}
	return out
}

var plainWrites = [][]string{{"AT\r"}, {"AT+CSQ\r"}, {"AT+CREG?\r"}}

const wantRecording = `# atrun recording v1
# script: scripts/test.at
# port: pipe
+0.100000 RX "\r\nRDY\r\n"
+0.100000 TX "AT\r"
+0.120000 RX "AT\r\r\nOK\r\n"
+0.120000 TX "AT+CSQ\r"
+0.140000 RX "\r\n+CSQ: 21,99\r\n\r\nOK\r\n"
+0.140000 TX "AT+CREG?\r"
+0.160000 RX "\r\n+CREG: 0,1\r\n\r\nOK\r\n"
`

// record runs the session against the fake modem through a Recorder.
func record(t *testing.T) (string, []string) {
	t.Helper()
	var rec bytes.Buffer
	var got []string
	synctest.Test(t, func(t *testing.T) {
		host, modem := net.Pipe()
		fakeModem(modem, 100*time.Millisecond, 20*time.Millisecond)
		r, err := NewRecorder(host, &rec, Meta{"script", "scripts/test.at"}, Meta{"port", "pipe"})
		require.NoError(t, err)
		got = session(t, r, plainWrites)
		require.NoError(t, r.Close())
		synctest.Wait()
	})
	return rec.String(), got
}

func TestRecordExact(t *testing.T) {
	text, got := record(t)
	assert.Equal(t, wantRecording, text)
	assert.Equal(t, []string{
		"\r\nRDY\r\n",
		"AT\r\r\nOK\r\n",
		"\r\n+CSQ: 21,99\r\n\r\nOK\r\n",
		"\r\n+CREG: 0,1\r\n\r\nOK\r\n",
	}, got)
}

func TestRoundTrip(t *testing.T) {
	text, live := record(t)
	rec, err := Load(strings.NewReader(text))
	require.NoError(t, err)
	assert.Equal(t, []Meta{{"script", "scripts/test.at"}, {"port", "pipe"}}, rec.Meta)
	assert.Equal(t, "pipe", rec.Get("port"))
	assert.Equal(t, "", rec.Get("nope"))
	require.Len(t, rec.Chunks, 7)
	assert.Equal(t, Chunk{Line: 9, At: 140 * time.Millisecond, Dir: TX, Data: []byte("AT+CREG?\r")}, rec.Chunks[5])

	var again bytes.Buffer
	_, err = rec.WriteTo(&again)
	require.NoError(t, err)
	assert.Equal(t, text, again.String())

	splitEvery := func(s string) []string { return strings.Split(s, "") }
	tests := []struct {
		name   string
		writes [][]string
		want   []string
	}{
		{"same writes", plainWrites, live},
		{"byte by byte", [][]string{splitEvery("AT\r"), splitEvery("AT+CSQ\r"), splitEvery("AT+CREG?\r")}, live},
		{"split across commands", [][]string{{"AT\r"}, {"AT+", "CSQ\r"}, {"AT+CREG", "?\r"}}, live},
		{"merged", [][]string{{"AT\rAT+CSQ\r"}, {"AT+CREG?\r"}}, []string{live[0], live[1] + live[2], live[3]}},
	}
	for _, tt := range tests {
		// In a bubble, a player that never answers is a deadlock panic,
		// not a ten-minute hang.
		synctest.Test(t, func(t *testing.T) {
			p := NewPlayer(rec, PlayerOptions{})
			got := session(t, p, tt.writes)
			assert.Equal(t, tt.want, got, tt.name)
			line, n := p.Unsent()
			assert.Equal(t, [2]int{0, 0}, [2]int{line, n})
			require.NoError(t, p.Close())
		})
	}
}

// The answer to a command is not readable until the whole command is sent.
func TestRXWaitsForTX(t *testing.T) {
	rec, err := Load(strings.NewReader(wantRecording))
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		p := NewPlayer(rec, PlayerOptions{})
		assert.Equal(t, "\r\nRDY\r\n", readUntil(t, p, "RDY\r\n"))
		_, err := p.Write([]byte("AT"))
		require.NoError(t, err)
		line, n := p.Unsent()
		assert.Equal(t, [2]int{5, 1 + 7 + 9}, [2]int{line, n})

		var got string
		done := make(chan struct{})
		go func() {
			got = readUntil(t, p, "OK\r\n")
			close(done)
		}()
		synctest.Wait()
		select {
		case <-done:
			t.Fatalf("answer readable before the command's CR: %q", got)
		default:
		}
		_, err = p.Write([]byte("\r"))
		require.NoError(t, err)
		<-done
		assert.Equal(t, "AT\r\r\nOK\r\n", got)
		line, n = p.Unsent()
		assert.Equal(t, [2]int{7, 7 + 9}, [2]int{line, n})
	})
}

func TestDivergence(t *testing.T) {
	// payload is an MQTT CONNECT-like binary blob with no CR or LF.
	payload := "\x10\x3c\x00\x04MQTT\x04\x02\x00<\x00\x0b" + strings.Repeat("0123456789", 6)
	text := `# atrun recording v1
+0.000000 TX "AT\r"
+0.010000 RX "\r\nOK\r\n"
+0.020000 TX "AT+CR"
+0.020000 TX "EG?\r"
+0.030000 RX "\r\n+CREG: 0,1\r\n"
+0.040000 TX "AT+CIPSEND\r"
+0.050000 RX "> "
+0.060000 TX ` + strconv.Quote(payload) + `
+0.070000 TX "\x1a"
`
	rec, err := Load(strings.NewReader(text))
	require.NoError(t, err)
	const upToSend = "AT\rAT+CREG?\rAT+CIPSEND\r" // 23 bytes
	tests := []struct {
		name   string
		writes []string
		wantN  int // bytes accepted by the last write
		want   string
		off    int64
		line   int
	}{
		{"whole command", []string{"AT\r", "AT+CSQ\r"}, 4,
			`replay diverged: sent "AT+CSQ\r", recording has "AT+CREG?\r" (recording line 4)`, 7, 4},
		{"split command", []string{"AT\r", "AT+C", "SQ\r"}, 0,
			`replay diverged: sent "AT+CSQ\r", recording has "AT+CREG?\r" (recording line 4)`, 7, 4},
		{"first byte", []string{"ATI\r"}, 2,
			`replay diverged: sent "ATI\r", recording has "AT\r" (recording line 2)`, 2, 2},
		{"second chunk of a command", []string{"AT\rAT+CR\r"}, 8,
			`replay diverged: sent "AT+CR\r", recording has "AT+CREG?\r" (recording line 5)`, 8, 5},
		{"unfinished command", []string{"AT\rAT+CX"}, 7,
			`replay diverged: sent "AT+CX", recording has "AT+CREG?\r" (recording line 4)`, 7, 4},
		{"binary payload", []string{upToSend, payload[:49], "X" + strings.Repeat("abcdefghij", 5)}, 0,
			`replay diverged: sent ..."\x02\x00<\x00\v01234567890123456789012345678901234Xabcdefghijabcdefghijabcdefghijabcdefghi"..., ` +
				`recording has ..."\x02\x00<\x00\v012345678901234567890123456789012345678901234567890123456789\x1a" (recording line 9)`, 72, 9},
		{"past the end", []string{upToSend, payload + "\x1a", "AT\r"}, 0,
			`replay: the recording ends here (sent "AT\r")`, 98, 0},
		{"partly past the end", []string{upToSend, payload + "\x1aAT+CIPCLOSE\r"}, len(payload) + 1,
			`replay: the recording ends here (sent "AT+CIPCLOSE\r")`, 98, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPlayer(rec, PlayerOptions{})
			defer p.Close()
			var n int
			var err error
			for i, w := range tt.writes {
				n, err = p.Write([]byte(w))
				if i < len(tt.writes)-1 {
					require.NoError(t, err, "write %d", i)
				}
			}
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.Equal(t, tt.wantN, n)
			var d *Divergence
			require.True(t, errors.As(err, &d))
			assert.Equal(t, tt.off, d.Offset)
			assert.Equal(t, tt.line, d.Line)
			assert.Equal(t, tt.line == 0, d.End)

			// Sticky: the modem's state is unknown after a divergence.
			n2, err2 := p.Write([]byte("AT\r"))
			assert.Equal(t, 0, n2)
			assert.Same(t, d, err2)
		})
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	rec, err := Load(strings.NewReader("# atrun recording v1\n+0.000000 TX \"AT\\r\"\n+0.001000 RX \"OK\\r\\n\"\n"))
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		p := NewPlayer(rec, PlayerOptions{Speed: 1})
		_, err := p.Write([]byte("AT\r"))
		require.NoError(t, err)
		assert.Equal(t, "OK\r\n", readUntil(t, p, "OK\r\n"))
		var rerr error
		done := make(chan struct{})
		go func() {
			_, rerr = p.Read(make([]byte, 8))
			close(done)
		}()
		time.Sleep(time.Hour) // a silent modem stays silent
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("read returned after the last RX chunk")
		default:
		}
		require.NoError(t, p.Close())
		<-done
		assert.Equal(t, io.EOF, rerr)
		_, err = p.Write([]byte("AT\r"))
		assert.ErrorIs(t, err, io.ErrClosedPipe)
	})
}

func TestSpeed(t *testing.T) {
	rec, err := Load(strings.NewReader(wantRecording))
	require.NoError(t, err)
	tests := []struct {
		speed float64
		want  []time.Duration // when each read phase completes
	}{
		{0, []time.Duration{0, 0, 0, 0}},
		{1, []time.Duration{100 * time.Millisecond, 120 * time.Millisecond, 140 * time.Millisecond, 160 * time.Millisecond}},
		{4, []time.Duration{25 * time.Millisecond, 30 * time.Millisecond, 35 * time.Millisecond, 40 * time.Millisecond}},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			p := NewPlayer(rec, PlayerOptions{Speed: tt.speed})
			var at []time.Duration
			at = append(at, phase(t, p, start, "", "RDY\r\n"))
			for _, cmd := range []string{"AT\r", "AT+CSQ\r", "AT+CREG?\r"} {
				at = append(at, phase(t, p, start, cmd, "OK\r\n"))
			}
			assert.Equal(t, tt.want, at, "speed %v", tt.speed)
		})
	}
}

// A slow host does not make the player wait twice: the gap counts from
// the later of the command and the previous answer.
func TestSpeedSlowHost(t *testing.T) {
	rec, err := Load(strings.NewReader(wantRecording))
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		p := NewPlayer(rec, PlayerOptions{Speed: 1})
		time.Sleep(time.Second)
		assert.Equal(t, time.Second, phase(t, p, start, "", "RDY\r\n"))
		time.Sleep(time.Second)
		assert.Equal(t, 2*time.Second+20*time.Millisecond, phase(t, p, start, "AT\r", "OK\r\n"))
	})
}

func phase(t *testing.T, p *Player, start time.Time, cmd, end string) time.Duration {
	t.Helper()
	if cmd != "" {
		_, err := p.Write([]byte(cmd))
		require.NoError(t, err)
	}
	readUntil(t, p, end)
	return time.Since(start)
}

// The recorder's reads and writes come from different goroutines, as they
// do under the interpreter: every byte each way must be logged once, in
// order, each line whole.
func TestRecorderConcurrent(t *testing.T) {
	host, modem := net.Pipe()
	go func() { // an echoing modem that also talks on its own
		defer modem.Close()
		buf := make([]byte, 7)
		for i := 0; ; i++ {
			n, err := modem.Read(buf)
			if err != nil {
				return
			}
			if _, err := modem.Write(append(buf[:n:n], byte('a'+i%26))); err != nil {
				return
			}
		}
	}()
	var out safeBuffer
	r, err := NewRecorder(host, &out)
	require.NoError(t, err)

	var sent, recv bytes.Buffer
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 5)
		for {
			n, err := r.Read(buf)
			recv.Write(buf[:n])
			if err != nil {
				return
			}
		}
	})
	for i := range 300 {
		msg := bytes.Repeat([]byte{byte(i)}, 1+i%13)
		_, err := r.Write(msg)
		require.NoError(t, err)
		sent.Write(msg)
	}
	require.NoError(t, r.Close())
	wg.Wait()

	rec, err := Load(strings.NewReader(out.String()))
	require.NoError(t, err)
	var tx, rx []byte
	for _, c := range rec.Chunks {
		if c.Dir == TX {
			tx = append(tx, c.Data...)
		} else {
			rx = append(rx, c.Data...)
		}
	}
	assert.Equal(t, sent.Bytes(), tx)
	assert.Equal(t, recv.Bytes(), rx)
	assert.Greater(t, len(rx), len(tx), "the modem's extra bytes are missing")
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

type nopConn struct{ io.Reader }

func (nopConn) Write(p []byte) (int, error) { return len(p), nil }

func TestRecorderErrors(t *testing.T) {
	_, err := NewRecorder(nopConn{}, &failWriter{})
	assert.EqualError(t, err, "write recording: disk full")

	_, err = NewRecorder(nopConn{}, io.Discard, Meta{"bad key", "x"})
	assert.EqualError(t, err, `bad recording header key "bad key": want a word without spaces or colons`)
	_, err = NewRecorder(nopConn{}, io.Discard, Meta{"script", "a\nb"})
	assert.EqualError(t, err, `bad recording header "script": the value has a line break`)

	// A failing recording does not break the session, but Close reports it.
	r, err := NewRecorder(nopConn{strings.NewReader("OK\r\n")}, &failWriter{after: 2})
	require.NoError(t, err)
	for range 3 {
		n, err := r.Write([]byte("AT\r"))
		require.NoError(t, err)
		assert.Equal(t, 3, n)
	}
	assert.EqualError(t, r.Err(), "write recording: disk full")
	assert.EqualError(t, r.Close(), "write recording: disk full")
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"empty", "", `line 1: empty file: want "# atrun recording v1"`},
		{"not a recording", "hello\n", `line 1: not an atrun recording: got "hello", want "# atrun recording v1"`},
		{"version", "# atrun recording v2\n", `line 1: unsupported recording version "v2": this atrun reads v1`},
		{"bad header", Magic + "\n# script\n", `line 2: bad header line "# script": want "# key: value"`},
		{"header key with space", Magic + "\n# my key: x\n", `line 2: bad header line "# my key: x": want "# key: value"`},
		{"no sign", Magic + "\n0.1 TX \"AT\"\n", `line 2: bad time "0.1": want +SECONDS.MICROS`},
		{"letters in time", Magic + "\n+0.1x TX \"AT\"\n", `line 2: bad time "+0.1x": want +SECONDS.MICROS`},
		{"too many decimals", Magic + "\n+0.1234567891 TX \"AT\"\n", `line 2: bad time "+0.1234567891": want +SECONDS.MICROS`},
		{"huge time", Magic + "\n+99999999999999 TX \"AT\"\n", `line 2: bad time "+99999999999999": want +SECONDS.MICROS`},
		{"only time", Magic + "\n+0.1\n", `line 2: bad chunk line "+0.1": want +SECONDS.MICROS TX|RX "bytes"`},
		{"direction", Magic + "\n\n+0.1 XX \"AT\"\n", `line 3: bad direction "XX": want TX or RX`},
		{"lower case direction", Magic + "\n+0.1 tx \"AT\"\n", `line 2: bad direction "tx": want TX or RX`},
		{"no bytes", Magic + "\n+0.1 TX\n", `line 2: bad bytes (none): want a double-quoted Go string`},
		{"unquoted", Magic + "\n+0.1 TX AT\n", `line 2: bad bytes "AT": want a double-quoted Go string`},
		{"raw string", Magic + "\n+0.1 TX `AT`\n", "line 2: bad bytes \"`AT`\": want a double-quoted Go string"},
		{"bad escape", Magic + "\n+0.1 TX \"A\\qT\"\n", `line 2: bad bytes "\"A\\qT\"": not a valid Go double-quoted string`},
		{"trailing text", Magic + "\n+0.1 TX \"AT\" x\n", `line 2: bad bytes "\"AT\" x": not a valid Go double-quoted string`},
		{"empty chunk", Magic + "\n+0.1 TX \"\"\n", `line 2: empty chunk`},
		{"backwards", Magic + "\n+0.2 TX \"AT\"\n# note\n+0.1 RX \"OK\"\n", `line 4: time goes backwards: +0.100000 after +0.200000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.text))
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var se *SyntaxError
			assert.True(t, errors.As(err, &se))
		})
	}
}

func TestLoadLenient(t *testing.T) {
	text := Magic + "\r\n# script: a.at\r\n\r\n+1 TX \"AT\\r\"\r\n# a comment: not metadata\n+1.5 RX \"\\xff\\x00é\"\n+2.000000001 TX \"x\"\n"
	rec, err := Load(strings.NewReader(text))
	require.NoError(t, err)
	assert.Equal(t, []Meta{{"script", "a.at"}}, rec.Meta)
	assert.Equal(t, []Chunk{
		{Line: 4, At: time.Second, Dir: TX, Data: []byte("AT\r")},
		{Line: 6, At: 1500 * time.Millisecond, Dir: RX, Data: []byte("\xff\x00é")},
		{Line: 7, At: 2*time.Second + 1, Dir: TX, Data: []byte("x")},
	}, rec.Chunks)
}

func TestEveryByteRoundTrips(t *testing.T) {
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	in := &Recording{Meta: []Meta{{"port", "/dev/ttyUSB2"}}, Chunks: []Chunk{
		{At: 0, Dir: TX, Data: all},
		{At: 1234567 * time.Microsecond, Dir: RX, Data: []byte("héllo \U0001F600\r\n")},
	}}
	var buf bytes.Buffer
	_, err := in.WriteTo(&buf)
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "\n+1.234567 RX \"héllo \U0001F600\\r\\n\"\n")
	out, err := Load(&buf)
	require.NoError(t, err)
	in.Chunks[0].Line, in.Chunks[1].Line = 3, 4
	assert.Equal(t, in, out)
}

func FuzzLoad(f *testing.F) {
	f.Add(wantRecording)
	f.Add(Magic + "\n+0.1 TX \"A\\x00T\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		rec, err := Load(strings.NewReader(text))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := rec.WriteTo(&buf); err != nil {
			return // metadata Load accepts but WriteTo refuses is fine
		}
		again, err := Load(&buf)
		require.NoError(t, err, "rewritten:\n%s", buf.String())
		require.Equal(t, len(rec.Chunks), len(again.Chunks))
		for i := range rec.Chunks {
			require.Equal(t, rec.Chunks[i].Data, again.Chunks[i].Data)
			require.Equal(t, rec.Chunks[i].Dir, again.Chunks[i].Dir)
			require.Equal(t, rec.Chunks[i].At.Microseconds(), again.Chunks[i].At.Microseconds())
		}
		p := NewPlayer(rec, PlayerOptions{})
		for _, c := range rec.Chunks {
			if c.Dir == TX {
				_, err := p.Write(c.Data)
				require.NoError(t, err)
			}
		}
		line, n := p.Unsent()
		require.Equal(t, 0, line+n)
	})
}

func TestParamHeaders(t *testing.T) {
	secret := func(n string) bool { return n == "password" || n == "psk" }
	meta := ParamMeta(map[string]string{"topic": "a b\"c", "qos": "1", "password": "hunter22", "psk": ""}, secret)
	var b strings.Builder
	rec := &Recording{Meta: append([]Meta{{Key: "script", Value: "x.at"}}, meta...)}
	if _, err := rec.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := "# atrun recording v1\n# script: x.at\n# param: password=***\n# param: psk=\"\"\n# param: qos=\"1\"\n# param: topic=\"a b\\\"c\"\n"
	if b.String() != want {
		t.Fatalf("header:\n%s\nwant:\n%s", b.String(), want)
	}
	if strings.Contains(b.String(), "hunter22") {
		t.Fatal("the secret is in the header")
	}
	back, err := Load(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	values, masked, err := back.Params()
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 3 || values["topic"] != "a b\"c" || values["qos"] != "1" || values["psk"] != "" {
		t.Errorf("values = %q", values)
	}
	if len(masked) != 1 || masked[0] != "password" {
		t.Errorf("masked = %q, want [password]", masked)
	}
	bad, err := Load(strings.NewReader("# atrun recording v1\n# param: topic=unquoted\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bad.Params(); err == nil || !strings.Contains(err.Error(), "not a Go-quoted string") {
		t.Errorf("unquoted value: err = %v", err)
	}
}
