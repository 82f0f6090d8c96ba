//go:build !atrun_small

package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// A station of three virtual modems, one without a SIM, in a burn-in of
// three runs each, watched in a real browser: the page shows two PASS and
// one FAIL with the failure's place and last lines, the totals and the
// step chart.
func TestDashboardInBrowser(t *testing.T) {
	browser := headless(t)

	modems, cancelModems := context.WithCancel(context.Background())
	defer cancelModems()
	var ports []string
	for _, opts := range []sim.Options{
		{Latency: 8 * time.Millisecond, Seed: 1},
		{Latency: 12 * time.Millisecond, Seed: 2},
		{Latency: 5 * time.Millisecond, InjectURC: "+CPIN: NOT INSERTED", InjectEvery: 1}, // no SIM
	} {
		addr, err := sim.ListenTCP(modems, "sim7000", opts, "127.0.0.1:0")
		require.NoError(t, err)
		ports = append(ports, "tcp://"+addr.String())
	}

	var shot []byte
	var pageErr error
	testDashboard = func(url string) func() {
		// Before the first run: the page is up and shows every port waiting.
		ctx, cancel := context.WithTimeout(browser, 60*time.Second)
		defer cancel()
		pageErr = chromedp.Do(ctx,
			chromedp.Navigate(url),
			chromedp.Poll[chromedp.Void](`document.querySelectorAll(".port.waiting").length === 3 && document.getElementById("conn").textContent === "live"`),
		)
		return func() {
			// Every run is over; the page is still up.
			if pageErr != nil {
				return
			}
			ctx, cancel := context.WithTimeout(browser, 60*time.Second)
			defer cancel()
			if pageErr = chromedp.Do(ctx, chromedp.Poll[chromedp.Void](verdicts+`.pass === 2 && `+verdicts+`.fail === 1`,
				chromedp.WithPollingInterval(50*time.Millisecond))); pageErr == nil {
				shot, pageErr = chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
			}
		}
	}
	defer func() { testDashboard = nil }()

	t.Chdir(filepath.Join("..", "..")) // the page names the flow as a user would
	script := filepath.Join("scripts", "sim7000", "info.at")
	args := []string{"run", script, "--repeat", "3", "--http", "127.0.0.1:0", "--timeout-scale", "0.2", "-q"}
	for _, p := range ports {
		args = append(args, "--port", p)
	}
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	require.NoError(t, pageErr, "stderr:\n%s", stderr.String())
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr.String(), "atrun: dashboard on http://127.0.0.1:")

	// What the page says, read from the page as it was left.
	ctx, cancel := context.WithTimeout(browser, 30*time.Second)
	defer cancel()
	type counts struct{ Pass, Fail, Cards int }
	read := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		require.NoError(t, err, expr)
		return s
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[counts](verdicts))
	require.NoError(t, err)
	tested, passed, failed := read(`document.getElementById("t-runs").textContent`),
		read(`document.getElementById("t-passed").textContent`), read(`document.getElementById("t-failed").textContent`)
	failures := read(`document.getElementById("failures").innerText`)
	steps := read(`[...document.querySelectorAll(".port")].map((c) => c.querySelector(".name").textContent + " " + c.querySelector(".verdict").textContent + " " + c.querySelector(".meta").textContent).join("\n")`)
	chartBars := read(`String(document.querySelectorAll("#chart svg rect.bar").length)`)
	assert.Equal(t, counts{2, 1, 3}, v)
	assert.Equal(t, []string{"9", "6", "3"}, []string{tested, passed, failed}, "shift totals")
	assert.Contains(t, failures, "scripts/common/ready.at:8:30: ")
	assert.NotContains(t, failures, "../")
	assert.Contains(t, failures, "SIM not ready: NOT INSERTED")
	assert.Contains(t, failures, "+CPIN: NOT INSERTED", "the last lines received")
	assert.Contains(t, steps, ports[2]+" FAIL run 3/3 · 0 pass 3 fail")
	assert.Contains(t, steps, ports[0]+" PASS run 3/3 · 3 pass 0 fail")
	assert.Equal(t, "9", chartBars, "one bar per step of info.at (AT, ATE0, CMEE, CPIN, CGSN, CCID, CIMI, CGMR, CSQ, and none for emit)")

	require.True(t, bytes.HasPrefix(shot, []byte("\x89PNG\r\n\x1a\n")), "a PNG screenshot")
	path := filepath.Join(t.TempDir(), "dashboard.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	if *dashboardPNG != "" {
		require.NoError(t, os.WriteFile(*dashboardPNG, shot, 0o644))
	}
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
