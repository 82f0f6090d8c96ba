//go:build !atrun_small

package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atrun/atrun/internal/pgtest"
	"github.com/atrun/atrun/report"
	"github.com/atrun/atrun/runtime"
	"github.com/atrun/atrun/sim"
	_ "github.com/atrun/atrun/sim/sim7000"
	"github.com/atrun/atrun/station"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func record(n int) report.Record {
	r := report.Record{
		ID:     report.NewID(),
		Script: "scripts/sim7000/info.at", ScriptSHA256: report.Hash([]byte("x")),
		Params: map[string]string{"apn": "nbiot", "password": "***"},
		Port:   "/dev/ttyUSB" + strconv.Itoa(n%4), Run: n,
		USB:   report.USB{VID: "1e0e", PID: "9001", Serial: "A" + strconv.Itoa(n)},
		Start: t0.Add(time.Duration(n) * time.Second), End: t0.Add(time.Duration(n)*time.Second + 1500*time.Millisecond),
		DurationMS: 1500, Status: report.Pass,
		Emitted: []report.Value{{Name: "imei", Value: "86642503445813" + strconv.Itoa(n%10)}, {Name: "raw", Value: "00ff", Encoding: "hex"}},
		Steps: []report.Step{{Pos: "scripts/common/ready.at:1:1", Step: `send "AT" expect "OK"`, MS: 20.412},
			{Pos: "scripts/sim7000/info.at:4:1", Step: `send "AT+CGSN" expect /^(?P<imei>\d{15})$/`, MS: 31.5}},
	}
	if n%3 == 0 {
		r.Status = report.Fail
		r.Failure = &report.Failure{Pos: "scripts/sim7000/info.at:6:1", Step: `send "AT+CCID" expect /^\d+$/`, Kind: "timeout",
			Message: "timed out after 5s", Last: []string{"+CPIN: SIM PIN", "line with a NUL \x00 in it"}}
	}
	return r
}

func connect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// dbRecords reads every stored record back from its whole-record column.
func dbRecords(t testing.TB, conn *pgx.Conn) map[string]report.Record {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT id, record FROM atrun_records")
	require.NoError(t, err)
	out := map[string]report.Record{}
	for rows.Next() {
		var id string
		var raw []byte
		require.NoError(t, rows.Scan(&id, &raw))
		var r report.Record
		require.NoError(t, json.Unmarshal(raw, &r))
		require.Equal(t, id, r.ID)
		out[id] = r
	}
	require.NoError(t, rows.Err())
	return out
}

func count(t testing.TB, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func jsonOf(t testing.TB, r report.Record) string {
	t.Helper()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	return string(b)
}

// stored is r's JSON as the database keeps it: NUL, which PostgreSQL
// text and jsonb cannot hold, becomes U+2400 (␀).
func stored(t testing.TB, r report.Record) string {
	return strings.ReplaceAll(jsonOf(t, r), `\u0000`, "\u2400")
}

const retryEvery = 50 * time.Millisecond

func open(t testing.TB, dsn, spool string) *report.Postgres {
	t.Helper()
	p, err := report.OpenPostgres(context.Background(), dsn, report.PostgresOptions{
		Spool: spool, RetryEvery: retryEvery,
		Log: func(msg string) { t.Log(msg) },
	})
	require.NoError(t, err)
	return p
}

func TestPostgresInsert(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	spool := filepath.Join(t.TempDir(), "spool.jsonl")
	p := open(t, dsn, spool)
	recs := []report.Record{record(1), record(3)}
	for _, r := range recs {
		require.NoError(t, p.Append(r))
	}
	require.NoError(t, p.Append(recs[0]), "a record sent again (a retry) is accepted")
	require.NoError(t, p.Close())
	assert.Equal(t, report.PostgresStats{Inserted: 2, Duplicates: 1}, p.Stats())

	conn := connect(t, dsn)
	assert.Equal(t, 1, count(t, conn, "SELECT max(version) FROM atrun_schema"))
	assert.Equal(t, 2, count(t, conn, "SELECT count(*) FROM atrun_records"), "the retry is stored once")
	assert.Equal(t, 4, count(t, conn, "SELECT count(*) FROM atrun_steps"))
	assert.Equal(t, 4, count(t, conn, "SELECT count(*) FROM atrun_emitted"))

	var status, port, serial, fpos, fkind string
	var last []string
	var start time.Time
	var ms float64
	var params map[string]string
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT status, port, usb_serial, failure_pos, failure_kind,
		last_received, start_time, duration_ms, params FROM atrun_records WHERE id = $1`, recs[1].ID).
		Scan(&status, &port, &serial, &fpos, &fkind, &last, &start, &ms, &params))
	assert.Equal(t, "fail", status)
	assert.Equal(t, "/dev/ttyUSB3", port)
	assert.Equal(t, "A3", serial)
	assert.Equal(t, "scripts/sim7000/info.at:6:1", fpos)
	assert.Equal(t, "timeout", fkind)
	assert.Equal(t, []string{"+CPIN: SIM PIN", "line with a NUL \u2400 in it"}, last, "NUL, which PostgreSQL text cannot hold, is shown as ␀")
	assert.True(t, recs[1].Start.Equal(start))
	assert.Equal(t, 1500.0, ms)
	assert.Equal(t, map[string]string{"apn": "nbiot", "password": "***"}, params)

	var steps []string
	rows, err := conn.Query(context.Background(), "SELECT idx || ' ' || pos || ' ' || ms FROM atrun_steps WHERE record_id = $1 ORDER BY idx", recs[0].ID)
	require.NoError(t, err)
	steps, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Equal(t, []string{"1 scripts/common/ready.at:1:1 20.412", "2 scripts/sim7000/info.at:4:1 31.5"}, steps)

	back := dbRecords(t, conn)
	assert.Equal(t, jsonOf(t, recs[0]), jsonOf(t, back[recs[0].ID]), "the whole record is kept as the JSONL line has it")
	assert.Equal(t, stored(t, recs[1]), jsonOf(t, back[recs[1].ID]))
	assert.Contains(t, stored(t, recs[1]), "NUL \u2400 in")

	// A second sink on the same database finds the schema in place.
	p2 := open(t, dsn, spool)
	require.NoError(t, p2.Append(record(4)))
	require.NoError(t, p2.Close())
	assert.Equal(t, 3, count(t, conn, "SELECT count(*) FROM atrun_records"))
	assert.Equal(t, 1, count(t, conn, "SELECT count(*) FROM atrun_schema"))
}

func TestPostgresTakesTextThatIsNotUTF8(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	p := open(t, dsn, filepath.Join(t.TempDir(), "spool.jsonl"))
	r := record(3) // a failure
	r.USB.Product = "Qualcomm\xff CDMA"
	r.Failure.Message = "modem answered +CME ERROR: \xfe"
	r.Failure.Last = []string{"REV\xff1"}
	r.Params = map[string]string{"apn": "a\xffb"}
	require.NoError(t, p.Append(r))
	require.NoError(t, p.Close())
	assert.Equal(t, report.PostgresStats{Inserted: 1}, p.Stats(), "not refused, not spooled")

	conn := connect(t, dsn)
	var product, msg string
	var last []string
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT usb_product, failure_message, last_received
		FROM atrun_records WHERE id = $1`, r.ID).Scan(&product, &msg, &last))
	assert.Equal(t, `Qualcomm\xff CDMA`, product)
	assert.Equal(t, `modem answered +CME ERROR: \xfe`, msg)
	assert.Equal(t, []string{`REV\xff1`}, last)
}

func TestPostgresRecordWithoutID(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	p := open(t, dsn, filepath.Join(t.TempDir(), "spool.jsonl"))
	r := record(2)
	r.ID = "" // written by an older atrun
	require.NoError(t, p.Append(r))
	require.NoError(t, p.Append(r))
	require.NoError(t, p.Close())
	assert.Equal(t, report.PostgresStats{Inserted: 1, Duplicates: 1}, p.Stats(), "an ID derived from the run itself still makes the retry harmless")
}

func TestPostgresNewerSchemaIsRefused(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	conn := connect(t, dsn)
	_, err := conn.Exec(context.Background(), "CREATE TABLE atrun_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO atrun_schema VALUES (99)")
	require.NoError(t, err)
	var logs []string
	spool := filepath.Join(t.TempDir(), "spool.jsonl")
	p, err := report.OpenPostgres(context.Background(), dsn, report.PostgresOptions{Spool: spool, Log: func(m string) { logs = append(logs, m) }})
	require.NoError(t, err)
	require.NoError(t, p.Append(record(1)), "the record is kept in the spool")
	require.NoError(t, p.Close())
	assert.Equal(t, 1, p.Stats().Spooled)
	assert.Contains(t, strings.Join(logs, "\n"), "schema is version 99, newer than this atrun knows (1)")
	n, err := report.NewSpool(spool).Len()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

const flow = `
timeout 10s
send "AT" expect "OK"
send "AT+CGSN" expect /^(?P<imei>\d{15})$/
emit imei
send "AT+CSQ" expect /^\+CSQ: (?P<rssi>\d+),\d+$/
`

var prog = func() *runtime.Program {
	p, err := runtime.Load("flow.at", func(string) ([]byte, error) { return []byte(flow), nil })
	if err != nil {
		panic(err)
	}
	return p
}()

// shift runs flow on ports (those named "dead*" cannot be opened: their
// runs fail) repeat times each, with every record going to sink.
func shift(t *testing.T, sink report.Sink, ports []string, repeat int) []report.Record {
	t.Helper()
	ctx := context.Background()
	var targets []station.Target
	for _, p := range ports {
		targets = append(targets, station.Target{Port: p})
	}
	c := &station.Config{
		Program: prog, Repeat: repeat, Report: sink,
		Open: func(port string) (io.ReadWriteCloser, error) {
			if strings.HasPrefix(port, "dead") {
				return nil, os.ErrNotExist
			}
			return sim.Pipe(ctx, "sim7000", sim.Options{})
		},
		OnDone: func(rec report.Record, _ *runtime.Result, err error) {
			assert.NoError(t, err, "the sink lost record %s", rec.ID)
		},
	}
	return c.RunAll(ctx, targets)
}

// outage stops the database before the record number stopAt reaches the
// sink and starts it again before the record startAt, so that what
// happens in between is certain.
type outage struct {
	report.Sink
	c               *pgtest.Cluster
	stopAt, startAt int
	retryEvery      time.Duration

	mu sync.Mutex
	n  int
}

func (o *outage) Append(r report.Record) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
	switch o.n {
	case o.stopAt:
		if err := o.c.StopServer(); err != nil {
			return err
		}
	case o.startAt:
		if err := o.c.StartServer(); err != nil {
			return err
		}
		time.Sleep(o.retryEvery) // the sink tries again from now on
	}
	return o.Sink.Append(r)
}

// compare checks that the database holds exactly the JSONL report's
// records, each whole.
func compare(t *testing.T, conn *pgx.Conn, jsonl string) []report.Record {
	t.Helper()
	want, err := report.ReadJSONL(jsonl)
	require.NoError(t, err)
	got := dbRecords(t, conn)
	ids := map[string]bool{}
	for _, r := range want {
		require.NotEmpty(t, r.ID)
		assert.False(t, ids[r.ID], "the JSONL report has %s twice", r.ID)
		ids[r.ID] = true
		if assert.Contains(t, got, r.ID, "record %s (%s run %d) is not in the database", r.ID, r.Port, r.Run) {
			assert.Equal(t, jsonOf(t, r), jsonOf(t, got[r.ID]))
		}
	}
	assert.Len(t, got, len(want), "the database has records the JSONL report has not")
	assert.Equal(t, len(want), count(t, conn, "SELECT count(*) FROM atrun_records"))
	var steps int
	for _, r := range want {
		steps += len(r.Steps)
	}
	assert.Equal(t, steps, count(t, conn, "SELECT count(*) FROM atrun_steps"))
	return want
}

// The database goes down mid-shift: runs go on, their records are
// spooled, and when it is back every record arrives once.
func TestPostgresOutageMidShift(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDatabase(t)
	dir := t.TempDir()
	jsonl, err := report.OpenJSONL(filepath.Join(dir, "shift.jsonl"))
	require.NoError(t, err)
	pg := open(t, dsn, filepath.Join(dir, "spool.jsonl"))
	const ports, repeat = 3, 6 // 18 records
	o := &outage{Sink: pg, c: c, stopAt: 5, startAt: 13, retryEvery: retryEvery}
	t.Cleanup(func() { c.StartServer() }) // whatever happens, the next test has a server
	recs := shift(t, report.Tee{jsonl, o}, []string{"p1", "p2", "dead3"}, repeat)
	require.Len(t, recs, ports*repeat)
	assert.Equal(t, 8, pg.Stats().Delivered, "the spool was sent as soon as the database was back, before the shift ended")
	require.NoError(t, jsonl.Close())
	require.NoError(t, pg.Close())

	st := pg.Stats()
	t.Logf("outage: %d records written, %d inserted directly, %d spooled, %d delivered from the spool, %d duplicates, %d rejected",
		len(recs), st.Inserted, st.Spooled, st.Delivered, st.Duplicates, st.Rejected)
	assert.Equal(t, report.PostgresStats{Inserted: 4 + 6, Spooled: 8, Delivered: 8}, st,
		"records 5 to 12 came while the database was down: spooled, then delivered once it was back; the others inserted directly; none twice")
	n, err := report.NewSpool(pg.SpoolPath()).Len()
	require.NoError(t, err)
	assert.Zero(t, n, "the spool is empty")

	want := compare(t, connect(t, dsn), filepath.Join(dir, "shift.jsonl"))
	pass := 0
	for _, r := range want {
		if r.Status == report.Pass {
			pass++
		}
	}
	assert.Equal(t, 2*repeat, pass, "the runs went on during the outage")
}

// Records spooled when the process ended are sent by the next one.
func TestPostgresSpoolSentOnNextStart(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDatabase(t)
	spool := filepath.Join(t.TempDir(), "spool.jsonl")
	require.NoError(t, c.StopServer())
	t.Cleanup(func() { c.StartServer() })
	var logs []string
	p, err := report.OpenPostgres(context.Background(), dsn, report.PostgresOptions{Spool: spool, Log: func(m string) { logs = append(logs, m) }})
	require.NoError(t, err, "an unreachable database is not an error at start")
	recs := []report.Record{record(1), record(2), record(3)}
	for _, r := range recs {
		require.NoError(t, p.Append(r))
	}
	require.NoError(t, p.Close())
	assert.Equal(t, report.PostgresStats{Spooled: 3}, p.Stats())
	assert.Contains(t, strings.Join(logs, "\n"), "3 record(s) wait in "+spool)

	require.NoError(t, c.StartServer())
	p2 := open(t, dsn, spool) // the next shift
	assert.Equal(t, report.PostgresStats{Delivered: 3}, p2.Stats(), "sent as the sink opens, before any new record")
	require.NoError(t, p2.Close())
	got := dbRecords(t, connect(t, dsn))
	require.Len(t, got, 3)
	for _, r := range recs {
		assert.Equal(t, stored(t, r), jsonOf(t, got[r.ID]))
	}
}

// Two stations write to one database at once, each with its JSONL
// report; the database ends up with both reports' records, once each.
func TestPostgresTwoStationsAtOnce(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 2 {
		j, err := report.OpenJSONL(filepath.Join(dir, fmt.Sprintf("station%d.jsonl", i)))
		require.NoError(t, err)
		pg := open(t, dsn, filepath.Join(dir, fmt.Sprintf("spool%d.jsonl", i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := shift(t, report.Tee{j, pg}, []string{"a", "b", "c"}, 4)
			assert.Len(t, recs, 12)
			assert.NoError(t, j.Close())
			assert.NoError(t, pg.Close())
			assert.Equal(t, report.PostgresStats{Inserted: 12}, pg.Stats())
		}()
	}
	wg.Wait()
	// Both JSONL reports, concatenated, are what the database holds.
	all := filepath.Join(dir, "all.jsonl")
	var b []byte
	for i := range 2 {
		part, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("station%d.jsonl", i)))
		require.NoError(t, err)
		b = append(b, part...)
	}
	require.NoError(t, os.WriteFile(all, b, 0o644))
	assert.Len(t, compare(t, connect(t, dsn), all), 24)
}

func TestPostgresExportCSV(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	p := open(t, dsn, filepath.Join(t.TempDir(), "spool.jsonl"))
	r1, r2, r3 := record(1), record(2), record(3)
	r2.Emitted = append(r2.Emitted, report.Value{Name: "imei", Value: "second"}, report.Value{Name: "iccid", Value: "=cmd|calc"})
	for _, r := range []report.Record{r3, r1, r2} {
		require.NoError(t, p.Append(r))
	}
	require.NoError(t, p.Close())

	var out bytes.Buffer
	n, err := report.ExportCSV(context.Background(), dsn, time.Time{}, &out)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	rows, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, append(append([]string{}, report.ExportColumns...), "emit:iccid", "emit:imei", "emit:raw"), rows[0])
	col := func(row []string, name string) string {
		for i, h := range rows[0] {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %q", name)
		return ""
	}
	assert.Equal(t, []string{r1.ID, r2.ID, r3.ID}, []string{rows[1][0], rows[2][0], rows[3][0]}, "oldest first")
	assert.Equal(t, "2025-03-14T09:26:54Z", col(rows[1], "start"))
	assert.Equal(t, "pass", col(rows[1], "status"))
	assert.Equal(t, "866425034458132; second", col(rows[2], "emit:imei"), "repeats joined")
	assert.Equal(t, "'=cmd|calc", col(rows[2], "emit:iccid"), "a formula is not run by a spreadsheet")
	assert.Equal(t, "hex:00ff", col(rows[1], "emit:raw"))
	assert.Equal(t, "fail", col(rows[3], "status"))
	assert.Equal(t, "scripts/sim7000/info.at:6:1", col(rows[3], "failure_pos"))
	assert.Equal(t, "timed out after 5s", col(rows[3], "failure_message"))

	out.Reset()
	n, err = report.ExportCSV(context.Background(), dsn, t0.Add(2*time.Second), &out)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "--since leaves out the run that started before")
}

func TestParseSince(t *testing.T) {
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"24h":                       now.Add(-24 * time.Hour),
		"2025-03-01":                time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		"2025-03-01T08:30":          time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC),
		"2025-03-01T08:30:00+01:00": time.Date(2025, 3, 1, 7, 30, 0, 0, time.UTC),
	} {
		got, err := report.ParseSince(in, now)
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got), "%s: got %v, want %v", in, got, want)
	}
	_, err := report.ParseSince("yesterday", now)
	assert.ErrorContains(t, err, `--since "yesterday": want a date`)
}

// The SQL queries the README documents run on the schema and say what
// they promise.
func TestPostgresReadmeQueries(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	blocks := strings.Split(string(b), "```sql\n")[1:]
	require.GreaterOrEqual(t, len(blocks), 2, "the README documents a summary query")

	dsn := pgtest.Shared(t).NewDatabase(t)
	p := open(t, dsn, filepath.Join(t.TempDir(), "spool.jsonl"))
	for n := 1; n <= 6; n++ { // 1, 2, 4, 5 pass; 3 and 6 fail
		r := record(n)
		r.Start = time.Now().Add(-time.Duration(n) * time.Minute)
		r.End = r.Start.Add(1500 * time.Millisecond)
		r.Emitted[0].Value = "866425034458131"
		require.NoError(t, p.Append(r))
	}
	require.NoError(t, p.Close())
	conn := connect(t, dsn)
	var results [][][]any
	for i, blk := range blocks {
		sql, _, _ := strings.Cut(blk, "```")
		rows, err := conn.Query(context.Background(), sql)
		require.NoError(t, err, "README sql block %d", i+1)
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
		require.NoError(t, err, "README sql block %d", i+1)
		results = append(results, all)
	}
	// The shift summary: one day, one flow, 6 runs, 4 passed.
	require.Len(t, results[0], 1)
	row := results[0][0]
	assert.Equal(t, "scripts/sim7000/info.at", row[1])
	assert.Equal(t, []any{int64(6), int64(4)}, []any{row[2], row[3]})
	rate, ok := row[4].(pgtype.Numeric)
	require.True(t, ok, "pass_rate is %T", row[4])
	f, err := rate.Float64Value()
	require.NoError(t, err)
	assert.Equal(t, 66.7, f.Float64)
	// The most frequent failures: the one failure, twice.
	require.Len(t, results[1], 1)
	assert.Equal(t, []any{"scripts/sim7000/info.at:6:1", "timed out after 5s", int64(2)}, results[1][0][:3])
	if len(results) > 2 {
		assert.Len(t, results[2], 6, "every run of the device")
	}
	if len(results) > 3 {
		assert.Len(t, results[3], 2, "one row per step")
	}
}

// A process that died after the database took its spooled records but
// before it emptied the spool sends them again on the next start: they
// are stored once.
func TestPostgresResendAfterCrashIsStoredOnce(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	spool := filepath.Join(t.TempDir(), "spool.jsonl")
	p := open(t, dsn, spool)
	a, b := record(1), record(2)
	require.NoError(t, p.Append(a))
	require.NoError(t, p.Close())
	// What the crash left: a, already in the database, still spooled; b not sent.
	require.NoError(t, report.NewSpool(spool).Append(a, b))

	p2 := open(t, dsn, spool)
	require.NoError(t, p2.Close())
	assert.Equal(t, report.PostgresStats{Delivered: 1, Duplicates: 1}, p2.Stats())
	got := dbRecords(t, connect(t, dsn))
	assert.Len(t, got, 2)
	assert.Contains(t, got, a.ID)
	assert.Contains(t, got, b.ID)
}
