package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atrun/atrun/builtins"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secret has a quote, a backslash and a comma, so that every escaping
// style writes it differently.
const secret = `S3cr"et\,pw`

// secretShapes are the forms a leak could take in output.
func secretShapes(t *testing.T) map[string]string {
	shapes := map[string]string{
		"raw":       secret,
		"HEX":       strings.ToUpper(hex.EncodeToString([]byte(secret))),
		"hex":       hex.EncodeToString([]byte(secret)),
		"spacedhex": fmt.Sprintf("% X", []byte(secret)),
		"base64":    base64.StdEncoding.EncodeToString([]byte(secret)),
	}
	q := strconv.Quote(secret)
	shapes["%q"] = q[1 : len(q)-1]
	j, _ := json.Marshal(secret)
	shapes["json"] = string(j[1 : len(j)-1])
	for _, style := range []string{"quote", "luat", "esp"} {
		f, err := builtins.ATEscape(secret, style)
		require.NoError(t, err)
		shapes["at_escape "+style] = f
	}
	return shapes
}

// leakyModem answers commands over TCP with lines that carry the secret.
func leakyModem(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\r')
					if err != nil {
						return
					}
					cmd := strings.TrimSpace(line)
					switch {
					case strings.HasPrefix(cmd, "AT+LOGIN="):
						fmt.Fprintf(c, "\r\n+CME ERROR: %s\r\n", secret)
					case cmd == "AT+ECHO":
						fmt.Fprintf(c, "\r\n+ECHOBACK: %s\r\n", secret)
					case cmd == "AT+TOKEN?":
						// The secret in three pieces, as a slow line would bring it.
						for _, piece := range []string{"\r\n+TOKEN: " + secret[:3], secret[3:7], secret[7:] + "\r\n\r\nOK\r\n"} {
							c.Write([]byte(piece))
							time.Sleep(20 * time.Millisecond)
						}
					case strings.HasPrefix(cmd, "AT+HEX="):
						fmt.Fprintf(c, "\r\n+HEX: %X\r\n\r\nERROR\r\n", secret)
					default:
						c.Write([]byte("\r\nOK\r\n"))
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestSecretsNeverLeave plants a secret param in scripts that print, fail
// with, emit, escape, send and receive it, and scans every sink: stdout
// and stderr (step log, errors, --json events and summary), --report,
// --junit, --transcript and --dry-run.
func TestSecretsNeverLeave(t *testing.T) {
	addr := leakyModem(t)
	scripts := map[string]string{
		"fail":        `fail "login failed: ${password}"`,
		"emit":        "emit pw = password\nemit m = {pw: password, list: [password]}",
		"log forms":   "log hex(password)\nlog upper(hex(password))\nlog base64(password)\nlog at_escape(password)\nlog at_escape(password, \"luat\")\nlog at_escape(password, \"esp\")\nlog password",
		"int error":   "let n = int(password)",
		"file error":  "let f = file(password)",
		"abort line":  "abort /^\\+ECHOBACK:/\nsend \"AT+ECHO\" expect \"OK\"",
		"cme error":   "send `AT+LOGIN=\"${at_escape(password)}\"` expect \"OK\"",
		"hex error":   "send \"AT+HEX=${hex(password)}\" expect /^\\+HEX: (?P<h>.*)$/\nsend \"AT\" expect \"OK\"",
		"pieces":      "send \"AT+TOKEN?\" expect /^\\+TOKEN: (?P<tok>.*)$/\nlog tok\nemit tok",
		"step log":    "send \"AT+PW=${password}\" expect \"OK\"\nsend \"AT+PW2=${password}\" expect \"NEVER\" timeout 100ms",
		"write bytes": "write password + \"\\x1a\"\nwrite unhex(\"FF\") + password\nsend \"AT\" expect \"OK\"",
		"retry":       "send \"AT+LOGIN=${password}\" expect \"OK\" retry 1 every 10ms",
	}
	shapes := secretShapes(t)
	for name, body := range scripts {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			script := filepath.Join(dir, "s.at")
			require.NoError(t, os.WriteFile(script, []byte("param password secret\ntimeout 2s\n"+body+"\n"), 0o644))
			sinks := map[string]string{}
			for _, mode := range []string{"run", "json", "dry-run"} {
				args := []string{"run", script, "-D", "password=" + secret}
				switch mode {
				case "run", "json":
					args = append(args, "--port", "tcp://"+addr,
						"--report", filepath.Join(dir, mode+".jsonl"), "--junit", filepath.Join(dir, mode+".xml"),
						"--transcript", filepath.Join(dir, mode+".transcript"))
					if mode == "json" {
						args = append(args, "--json")
					}
				case "dry-run":
					args = append(args, "--dry-run")
				}
				var stdout, stderr bytes.Buffer
				run(args, strings.NewReader(""), &stdout, &stderr)
				sinks[mode+" stdout"] = stdout.String()
				sinks[mode+" stderr"] = stderr.String()
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.*"))
			for _, f := range files {
				if filepath.Base(f) == "s.at" {
					continue
				}
				b, err := os.ReadFile(f)
				require.NoError(t, err)
				sinks[filepath.Base(f)] = string(b)
			}
			require.Contains(t, sinks, "run.transcript")
			for sink, out := range sinks {
				for shape, form := range shapes {
					assert.NotContains(t, out, form, "the secret leaked as %s on %s:\n%s", shape, sink, out)
				}
			}
		})
	}
}

func TestShortSecretsAreRefused(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s.at")
	require.NoError(t, os.WriteFile(script, []byte("param pin secret\nsend \"AT+CPIN=${pin}\" expect \"OK\"\n"), 0o644))
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", script, "-D", "pin=123", "--port", "tcp://127.0.0.1:1"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), `secret param "pin" has 3 bytes: a secret needs at least 4`)
	assert.NotContains(t, stderr.String(), "123")
}

func TestVarFileErrorsDoNotEchoTheLine(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s.at")
	vars := filepath.Join(dir, "vars")
	require.NoError(t, os.WriteFile(script, []byte("param password secret\nsend \"AT\" expect \"OK\"\n"), 0o644))
	require.NoError(t, os.WriteFile(vars, []byte("# credentials\n"+secret+"\n"), 0o644))
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", script, "--var-file", vars, "--port", "tcp://127.0.0.1:1"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), "vars:2: want name=value")
	for shape, form := range secretShapes(t) {
		assert.NotContains(t, stderr.String()+stdout.String(), form, shape)
	}
}
