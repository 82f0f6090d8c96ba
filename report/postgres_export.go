//go:build !atrun_small

package report

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ExportColumns are the fixed columns of ExportCSV; one column per
// emitted name ("emit:imei", ...) follows them, in name order.
var ExportColumns = []string{"id", "start", "end", "duration_ms", "script", "script_sha256", "port", "run",
	"usb_vid", "usb_pid", "usb_serial", "status", "failure_pos", "failure_step", "failure_kind", "failure_message"}

// ExportCSV writes the records started at or after since (all when since
// is zero) as CSV, oldest first, and returns how many. A name emitted
// more than once in a run has its values joined with "; ".
func ExportCSV(ctx context.Context, dsn string, since time.Time, w io.Writer) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	if err := Migrate(ctx, conn); err != nil {
		return 0, err
	}
	var from any
	if !since.IsZero() {
		from = since
	}
	const where = `($1::timestamptz IS NULL OR r.start_time >= $1::timestamptz)`
	rows, err := conn.Query(ctx, `SELECT DISTINCT e.name FROM atrun_emitted e
		JOIN atrun_records r ON r.id = e.record_id WHERE `+where+` ORDER BY e.name`, from)
	if err != nil {
		return 0, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	col := map[string]int{}
	header := append([]string(nil), ExportColumns...)
	for i, n := range names {
		col[n] = len(ExportColumns) + i
		header = append(header, "emit:"+n)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	rows, err = conn.Query(ctx, `SELECT r.id, r.start_time, r.end_time, r.duration_ms, r.script, r.script_sha256,
			r.port, r.run, r.usb_vid, r.usb_pid, r.usb_serial, r.status,
			coalesce(r.failure_pos, ''), coalesce(r.failure_step, ''), coalesce(r.failure_kind, ''), coalesce(r.failure_message, ''),
			coalesce((SELECT array_agg(e.name ORDER BY e.idx) FROM atrun_emitted e WHERE e.record_id = r.id), '{}'),
			coalesce((SELECT array_agg(CASE WHEN e.encoding = '' THEN e.value ELSE e.encoding || ':' || e.value END ORDER BY e.idx)
				FROM atrun_emitted e WHERE e.record_id = r.id), '{}')
		FROM atrun_records r WHERE `+where+` ORDER BY r.start_time NULLS FIRST, r.id`, from)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			id, script, sha, port, vid, pid, serial, status, fpos, fstep, fkind, fmsg string
			start, end                                                                *time.Time
			ms                                                                        float64
			run                                                                       int
			enames, evalues                                                           []string
		)
		if err := rows.Scan(&id, &start, &end, &ms, &script, &sha, &port, &run, &vid, &pid, &serial, &status,
			&fpos, &fstep, &fkind, &fmsg, &enames, &evalues); err != nil {
			return n, err
		}
		rec := make([]string, len(header))
		copy(rec, []string{id, timeText(start), timeText(end), strconv.FormatFloat(ms, 'f', -1, 64), script, sha, port,
			strconv.Itoa(run), vid, pid, serial, status, fpos, fstep, fkind, fmsg})
		for i, name := range enames {
			c := col[name]
			if rec[c] != "" {
				rec[c] += "; "
			}
			rec[c] += evalues[i]
		}
		for i, s := range rec {
			rec[i] = csvSafe(s)
		}
		if err := cw.Write(rec); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// csvSafe keeps a spreadsheet from running a cell as a formula: a value
// from a modem starting with = + - @ gets a leading apostrophe. Numbers
// (-73) are left alone.
func csvSafe(s string) string {
	if s == "" || !strings.ContainsRune("=+-@", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}
