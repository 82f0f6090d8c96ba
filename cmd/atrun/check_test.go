package main

import (
	"bytes"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestCheckGolden runs `atrun check` on every bad script of the two
// diagnostics corpora (lang's, and this package's expression-level one)
// and compares stderr and the exit code with the golden file beside it.
func TestCheckGolden(t *testing.T) {
	var files []string
	for _, dir := range []string{"../../lang/testdata/check", "testdata/check"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.at"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 25 {
		t.Fatalf("only %d bad scripts", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			dir, name := filepath.Split(f)
			var stdout, stderr bytes.Buffer
			wd, _ := os.Getwd()
			if err := os.Chdir(dir); err != nil {
				t.Fatal(err)
			}
			code := run([]string{"check", name}, nil, &stdout, &stderr)
			os.Chdir(wd)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			got := stderr.String()
			golden := filepath.Join("testdata/check", strings.TrimSuffix(name, ".at")+".check.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/atrun -run TestCheckGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("atrun check %s:\ngot:\n%s\nwant:\n%s", name, got, want)
			}
		})
	}
}

// A misspelt option in a literal map is a check error: exit 2 from check
// and from run, and run sends nothing (it used to fail at run time, exit
// 1, after the modem had been written to).
func TestMisspeltMQTTOptionIsCaughtBeforeARun(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "opt.at")
	require.NoError(t, os.WriteFile(script, []byte("send \"AT\" expect \"OK\"\nwrite mqtt_publish(\"t\", \"p\", {qso: 1})\n"), 0o644))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	received := make(chan int, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			received <- 0
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _ := io.Copy(io.Discard, c)
		received <- int(n)
	}()

	var stderr strings.Builder
	assert.Equal(t, exitUsage, run([]string{"check", script}, nil, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), `opt.at:2:31: mqtt_publish: unknown option "qso" (did you mean "qos"?)`)

	stderr.Reset()
	assert.Equal(t, exitUsage, run([]string{"run", script, "--port", "tcp://" + ln.Addr().String()}, nil, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), `unknown option "qso"`)
	ln.Close()
	select {
	case n := <-received:
		assert.Zero(t, n, "bytes reached the modem")
	case <-time.After(5 * time.Second):
	}
}
