//go:build !atrun_small

package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/sim"
)

var dashboardPNG = flag.String("dashboard-png", "", "also write the dashboard test's screenshot to this file (docs/dashboard.png for the README)")

// findChromium returns Debian's chromium (or another Chromium-based
// browser on the PATH), or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// headless starts a headless Chromium for the test. The flags keep it off
// the network (the machine may have none: without them it waits on
// lookups) and let it run as root in a fresh profile.
func headless(t *testing.T) context.Context {
	t.Helper()
	exe := findChromium()
	if exe == "" {
		t.Skip("chromium is not installed (make deps installs Debian's chromium): the dashboard's browser test needs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser now, so that its start-up is not counted against
	// the page's deadlines.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// verdicts is the page's PASS/FAIL count, as a person reads it.
const verdicts = `(() => {
	const v = [...document.querySelectorAll(".port .verdict")].map((e) => e.textContent);
	return {pass: v.filter((x) => x === "PASS").length, fail: v.filter((x) => x === "FAIL").length, cards: v.length};
})()`

// A station watched in a real browser: the page is open before any
// device is plugged in; three virtual SIM7000s on pseudo-terminals
// appear, one without a SIM, and go through a burn-in of three runs each.
// The page shows two PASS and one FAIL with the failure's place and last
// lines, the totals and the step chart; Ctrl-C ends the shift.
func TestDashboardInBrowser(t *testing.T) {
	if !sim.HavePTY {
		t.Skip("the station's devices are virtual modems on pseudo-terminals")
	}
	browser := headless(t)
	t.Chdir(filepath.Join("..", ".."))  // the page names the flow as a user would
	dir, err := os.MkdirTemp("", "tty") // short: the page shows it
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })

	pages := make(chan string, 1)
	testDashboard = func(url string) func() { pages <- url; return func() {} }
	defer func() { testDashboard = nil }()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"station", filepath.Join("scripts", "sim7000", "info.at"), "--ports", filepath.Join(dir, "ttyUSB*"),
			"--poll", "50ms", "--repeat", "3", "--http", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	}()
	var url string
	select {
	case url = <-pages:
	case code := <-done:
		t.Fatalf("atrun station ended (%d) before serving its page:\n%s", code, stderr.String())
	}
	// From here the station has its Ctrl-C handler: the test ends it so,
	// whatever happens (and only while the handler is there).
	ended := false
	defer func() {
		if !ended {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
			<-done
		}
	}()

	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.Poll[chromedp.Void](`document.getElementById("conn").textContent === "live"`, chromedp.WithPollingTimeout(80*time.Second)),
	))
	// Plug the devices in.
	modems, cancelModems := context.WithCancel(context.Background())
	defer cancelModems()
	for i, opts := range []sim.Options{
		{Latency: 8 * time.Millisecond, Seed: 1},
		{Latency: 12 * time.Millisecond, Seed: 2},
		{Latency: 5 * time.Millisecond, InjectURC: "+CPIN: NOT INSERTED", InjectEvery: 1}, // no SIM
	} {
		m, err := sim.New("sim7000", opts)
		require.NoError(t, err)
		p, err := m.OpenPTY(filepath.Join(dir, fmt.Sprintf("ttyUSB%d", i)))
		require.NoError(t, err)
		go p.Serve(modems)
		defer p.Close()
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
		verdicts+`.pass === 2 && `+verdicts+`.fail === 1 && document.getElementById("t-runs").textContent === "9"`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(80*time.Second))), "stderr:\n%s", stderr.String())
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	require.NoError(t, err)

	// What the page says, as a person reads it.
	type counts struct{ Pass, Fail, Cards int }
	read := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		require.NoError(t, err, expr)
		return s
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[counts](verdicts))
	require.NoError(t, err)
	assert.Equal(t, counts{2, 1, 3}, v)
	tested, passed, failed := read(`document.getElementById("t-runs").textContent`),
		read(`document.getElementById("t-passed").textContent`), read(`document.getElementById("t-failed").textContent`)
	assert.Equal(t, []string{"9", "6", "3"}, []string{tested, passed, failed}, "shift totals")
	failures := read(`document.getElementById("failures").innerText`)
	assert.Contains(t, failures, "scripts/common/ready.at:8:30: ")
	assert.NotContains(t, failures, "../")
	assert.Contains(t, failures, "SIM not ready: NOT INSERTED")
	assert.Contains(t, failures, "+CPIN: NOT INSERTED", "the last lines received")
	cards := read(`[...document.querySelectorAll(".port")].map((c) => c.querySelector(".name").textContent + " " + c.querySelector(".verdict").textContent + " " + c.querySelector(".meta").textContent).join("\n")`)
	assert.Contains(t, cards, filepath.Join(dir, "ttyUSB2")+" FAIL run 3/3 · 0 pass 3 fail")
	assert.Contains(t, cards, filepath.Join(dir, "ttyUSB0")+" PASS run 3/3 · 3 pass 0 fail")
	assert.Equal(t, "9", read(`String(document.querySelectorAll("#chart svg rect.bar").length)`),
		"one bar per step of info.at: AT, ATE0, CMEE, CPIN, CGSN, CCID, CIMI, CGMR, CSQ")

	require.True(t, bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")), "a PNG screenshot")
	path := filepath.Join(t.TempDir(), "dashboard.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	if *dashboardPNG != "" {
		require.NoError(t, os.WriteFile(*dashboardPNG, shot, 0o644))
	}

	// Ctrl-C ends the shift; the totals agree with the page.
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	select {
	case code := <-done:
		ended = true
		assert.Equal(t, exitFailed, code)
	case <-time.After(60 * time.Second):
		t.Fatal("atrun station did not end on Ctrl-C")
	}
	assert.Contains(t, stderr.String(), "atrun: dashboard on http://127.0.0.1:")
	assert.Contains(t, stdout.String(), "shift totals: 9 devices, 6 passed, 3 failed")
}

// streamDashboard sets the test hook so that the next run's page is read
// from its first event to its last; the returned function gives what the
// stream carried once the run is over.
func streamDashboard(t *testing.T) (carried func() string) {
	t.Helper()
	var buf bytes.Buffer
	done := make(chan struct{})
	testDashboard = func(url string) func() {
		resp, err := http.Get(url + "events")
		require.NoError(t, err)
		br := bufio.NewReader(resp.Body)
		first, err := br.ReadString('\n') // the stream is open before the first run
		require.NoError(t, err)
		buf.WriteString(first)
		go func() {
			defer close(done)
			defer resp.Body.Close()
			io.Copy(&buf, br) // until the page stops
		}()
		return func() {}
	}
	t.Cleanup(func() { testDashboard = nil })
	return func() string {
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("the event stream did not end with the run")
		}
		return buf.String()
	}
}

// The dashboard shows steps, failures, last lines and emitted values:
// never a secret, in any of its shapes.
func TestSecretsNeverReachTheDashboard(t *testing.T) {
	addr := leakyModem(t)
	scripts := map[string]string{
		"fail":       `fail "login failed: ${password}"`,
		"emit":       "emit pw = password\nemit m = {pw: password, list: [password]}",
		"log forms":  "log hex(password)\nlog base64(password)\nlog at_escape(password, \"luat\")\nlog password",
		"abort line": "abort /^\\+ECHOBACK:/\nsend \"AT+ECHO\" expect \"OK\"",
		"cme error":  "send `AT+LOGIN=\"${at_escape(password)}\"` expect \"OK\"",
		"hex error":  "send \"AT+HEX=${hex(password)}\" expect /^\\+HEX: (?P<h>.*)$/\nsend \"AT\" expect \"OK\"",
		"pieces":     "send \"AT+TOKEN?\" expect /^\\+TOKEN: (?P<tok>.*)$/\nlog tok\nemit tok",
		"step log":   "send \"AT+PW=${password}\" expect \"OK\"\nsend \"AT+PW2=${password}\" expect \"NEVER\" timeout 100ms",
		"retry":      "send \"AT+LOGIN=${password}\" expect \"OK\" retry 1 every 10ms",
	}
	shapes := secretShapes(t)
	for name, body := range scripts {
		t.Run(name, func(t *testing.T) {
			script := filepath.Join(t.TempDir(), "s.at")
			require.NoError(t, os.WriteFile(script, []byte("param password secret\ntimeout 2s\n"+body+"\n"), 0o644))
			carried := streamDashboard(t)
			var stdout, stderr bytes.Buffer
			run([]string{"run", script, "-D", "password=" + secret, "--port", "tcp://" + addr, "--repeat", "2",
				"--http", "127.0.0.1:0", "-q"}, strings.NewReader(""), &stdout, &stderr)
			out := carried()
			require.Contains(t, out, `"totals":{"runs":2,`, "the stream carried the runs' end:\n%s", out)
			for shape, form := range shapes {
				assert.NotContains(t, out, form, "the secret leaked as %s on the dashboard:\n%s", shape, out)
			}
		})
	}
}
