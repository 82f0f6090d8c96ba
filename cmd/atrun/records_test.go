//go:build !atrun_small

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/internal/pgtest"
	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/sim"
)

// atrun run --report FILE.jsonl --report postgres://... writes each record
// to both; atrun records export gives them back as CSV.
func TestRecordsToPostgresAndExport(t *testing.T) {
	if _, err := pgtest.BinDir(); err != nil {
		t.Skip(err)
	}
	c, err := pgtest.Start() // one test here: its own cluster, removed after
	require.NoError(t, err)
	t.Cleanup(c.Remove)
	dsn := c.NewDatabase(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ports []string
	for _, opts := range []sim.Options{{}, {InjectURC: "+CPIN: NOT INSERTED"}} {
		addr, err := sim.ListenTCP(ctx, "sim7000", opts, "127.0.0.1:0")
		require.NoError(t, err)
		ports = append(ports, "tcp://"+addr.String())
	}
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "shift.jsonl")
	args := []string{"run", filepath.Join("..", "..", "scripts", "sim7000", "info.at"), "--repeat", "3", "-q",
		"--report", jsonl, "--report", dsn, "--spool", filepath.Join(dir, "spool.jsonl"),
		"--port", ports[0], "--port", ports[1]}
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitFailed, code, stderr.String())
	assert.NotContains(t, stderr.String(), "report", "no report trouble")

	recs, err := report.ReadJSONL(jsonl)
	require.NoError(t, err)
	require.Len(t, recs, 6)

	stdout.Reset()
	stderr.Reset()
	code = run([]string{"records", "export", "--report", dsn, "--since", "1h"}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	rows, err := csv.NewReader(&stdout).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 7, "a header and the six runs")
	header := rows[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	require.Contains(t, col, "emit:imei")
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[col["id"]]] = r
	}
	for _, r := range recs {
		row, ok := byID[r.ID]
		if !assert.True(t, ok, "record %s of the JSONL report is not in the export", r.ID) {
			continue
		}
		assert.Equal(t, r.Port, row[col["port"]])
		assert.Equal(t, string(r.Status), row[col["status"]])
		if r.Status == report.Pass {
			assert.Equal(t, r.Emitted[0].Value, row[col["emit:imei"]])
		} else {
			assert.Equal(t, r.Failure.Pos, row[col["failure_pos"]])
			assert.Equal(t, "SIM not ready: NOT INSERTED", row[col["failure_message"]])
		}
	}

	code = run([]string{"records", "export", "--report", dsn, "--since", "tomorrow"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), `--since "tomorrow": want a date`)
}

// The router build leaves out pgx and the dashboard (with net/http), as
// it leaves out the virtual modems.
func TestSmallBuildLeavesOutPostgresAndDashboard(t *testing.T) {
	goCmd := goTool(t)
	out, err := exec.Command(goCmd, "list", "-deps", "-tags", "atrun_small", "github.com/atrun/atrun/cmd/atrun").Output()
	require.NoError(t, err)
	for _, d := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/jackc/", "github.com/atrun/atrun/dashboard", "net/http", "github.com/chromedp/"} {
			assert.False(t, strings.HasPrefix(d, banned), "the router build links %s", d)
		}
	}
}
