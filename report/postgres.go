//go:build !atrun_small

package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/atrun/atrun/runtime"
)

// Postgres is a Sink that inserts each record into PostgreSQL in one
// transaction: a row in atrun_records and one per step and emitted value.
// The schema is created or migrated on first use (see Schema). When the
// database cannot be reached, records go to a spool file and are sent,
// oldest first, as soon as it can: on the next Append, every RetryEvery
// in the background, at Close, and when a later process opens the same
// spool. A record's ID is its primary key, so one sent twice (the
// database committed but the acknowledgement was lost) is stored once.
//
// It is safe for concurrent use; records are written one at a time.
type Postgres struct {
	cfg      *pgx.ConnConfig
	opts     PostgresOptions
	spool    *Spool
	rejected *Spool
	where    string // user@host:port/database, for messages

	mu      sync.Mutex // guards everything below
	conn    *pgx.Conn
	down    bool      // the last connect or write failed
	lastTry time.Time // of the last failed connect
	closed  bool
	stats   PostgresStats

	stop chan struct{}
	wg   sync.WaitGroup
}

var _ Sink = (*Postgres)(nil)

// OpenPostgres parses dsn and returns the sink. It tries the database at
// once, to create the schema and send what an earlier run left in the
// spool, but an unreachable database is not an error: records are
// spooled until it is back. A malformed dsn or an unusable spool is.
func OpenPostgres(ctx context.Context, dsn string, opts PostgresOptions) (*Postgres, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("--report: %v", err) // pgx masks the password
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = 5 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Spool == "" {
		opts.Spool = SpoolPathFor(cfg)
	}
	cfg.ConnectTimeout = opts.Timeout
	p := &Postgres{
		cfg:      cfg,
		opts:     opts,
		spool:    NewSpool(opts.Spool),
		rejected: NewSpool(opts.Spool + ".rejected"),
		where:    fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database),
		stop:     make(chan struct{}),
	}
	if _, err := p.spool.Len(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.connectLocked(ctx, true) == nil {
		p.drainLocked(ctx)
	}
	p.mu.Unlock()
	p.wg.Add(1)
	go p.retry()
	return p, nil
}

// SpoolPathFor is the default spool of a database: a file in
// DefaultSpoolDir named after the user, host, port and database (never
// the password), so that each database has its own.
func SpoolPathFor(cfg *pgx.ConnConfig) string {
	id := fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	sum := sha256.Sum256([]byte(id))
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, cfg.Database)
	return filepath.Join(DefaultSpoolDir(), "spool-"+name+"-"+hex.EncodeToString(sum[:4])+".jsonl")
}

// SpoolPath is where records wait while the database is unreachable.
func (p *Postgres) SpoolPath() string { return p.spool.Path() }

// Stats returns the counts so far.
func (p *Postgres) Stats() PostgresStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

func (p *Postgres) log(format string, args ...any) {
	if p.opts.Log != nil {
		p.opts.Log(fmt.Sprintf(format, args...))
	}
}

// Append inserts r, or spools it when the database is unreachable. A nil
// error means the record is in the database or in the spool.
func (p *Postgres) Append(r Record) error {
	if err := r.valid(); err != nil {
		return fmt.Errorf("report %s: bad record: %v", p.where, err)
	}
	if r.ID == "" {
		r.ID = contentID(r)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("report %s: closed", p.where)
	}
	ctx := context.Background()
	if p.connectLocked(ctx, false) == nil {
		p.drainLocked(ctx) // older records first
	}
	if p.conn != nil {
		dup, err := p.insertLocked(ctx, r)
		switch {
		case err == nil:
			if dup {
				p.stats.Duplicates++
			} else {
				p.stats.Inserted++
			}
			return nil
		case isRejection(err):
			p.stats.Rejected++
			if serr := p.rejected.Append(r); serr != nil {
				return fmt.Errorf("report %s: record %s refused (%v), and not kept: %v", p.where, r.ID, err, serr)
			}
			return fmt.Errorf("report %s: record %s refused (%v); kept in %s", p.where, r.ID, err, p.rejected.Path())
		}
		p.wentDownLocked(err)
	}
	if err := p.spool.Append(r); err != nil {
		return fmt.Errorf("report %s unreachable, and the spool failed: %w", p.where, err)
	}
	p.stats.Spooled++
	return nil
}

// Close stops the background retries, makes one last attempt to send the
// spool, and closes the connection. Records left in the spool are safe:
// the next sink on the same spool sends them.
func (p *Postgres) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	p.wg.Wait()

	p.mu.Lock()
	defer p.mu.Unlock()
	ctx := context.Background()
	if n, _ := p.spool.Len(); n > 0 && p.connectLocked(ctx, true) == nil {
		p.drainLocked(ctx)
	}
	if n, err := p.spool.Len(); n > 0 || err != nil {
		p.log("report: %d record(s) wait in %s for %s; the next atrun with this --report sends them", n, p.spool.Path(), p.where)
	}
	if p.conn != nil {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		p.conn.Close(cctx)
		cancel()
		p.conn = nil
	}
	return nil
}

// retry sends the spool in the background while records wait there.
func (p *Postgres) retry() {
	defer p.wg.Done()
	t := time.NewTicker(p.opts.RetryEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		if n, _ := p.spool.Len(); n > 0 && !p.closed {
			ctx := context.Background()
			if p.connectLocked(ctx, false) == nil {
				p.drainLocked(ctx)
			}
		}
		p.mu.Unlock()
	}
}

var errWaiting = errors.New("database unreachable; waiting to retry")

// connectLocked makes sure there is a connection with the schema in
// place. While the database is down it tries at most every RetryEvery,
// unless now is set.
func (p *Postgres) connectLocked(ctx context.Context, now bool) error {
	if p.conn != nil && !p.conn.IsClosed() {
		return nil
	}
	p.conn = nil
	if p.down && !now && time.Since(p.lastTry) < p.opts.RetryEvery {
		return errWaiting
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, p.cfg)
	if err == nil {
		if err = Migrate(ctx, conn); err != nil {
			conn.Close(ctx)
		}
	}
	if err != nil {
		p.lastTry = time.Now()
		if !p.down {
			p.down = true
			p.log("report: %s unreachable (%v); records go to %s until it is back", p.where, err, p.spool.Path())
		}
		return err
	}
	p.conn = conn
	if p.down {
		p.down = false
		p.log("report: %s is back", p.where)
	}
	return nil
}

// wentDownLocked forgets a connection that failed.
func (p *Postgres) wentDownLocked(err error) {
	if p.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		p.conn.Close(ctx)
		cancel()
		p.conn = nil
	}
	p.lastTry = time.Now()
	if !p.down {
		p.down = true
		p.log("report: lost %s (%v); records go to %s until it is back", p.where, err, p.spool.Path())
	}
}

// drainLocked sends the spool, oldest first, stopping at the first
// record the database does not take for a reason other than the record
// itself.
func (p *Postgres) drainLocked(ctx context.Context) {
	_, err := p.spool.Drain(func(recs []Record) (int, error) {
		for i, r := range recs {
			if r.ID == "" {
				r.ID = contentID(r)
			}
			dup, err := p.insertLocked(ctx, r)
			switch {
			case err == nil && dup:
				p.stats.Duplicates++
			case err == nil:
				p.stats.Delivered++
			case isRejection(err):
				if serr := p.rejected.Append(r); serr != nil {
					return i, serr
				}
				p.stats.Rejected++
				p.log("report: %s refused spooled record %s (%v); kept in %s", p.where, r.ID, err, p.rejected.Path())
			default:
				p.wentDownLocked(err)
				return i, err
			}
		}
		return len(recs), nil
	})
	if err != nil && p.conn != nil {
		p.log("report: spool %s: %v", p.spool.Path(), err)
	}
}

// isRejection reports whether the database refused the record itself
// (bad data, a broken constraint), so that sending it again cannot help.
func isRejection(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23"))
}

// insertLocked writes r in one transaction; dup says it was already there.
func (p *Postgres) insertLocked(ctx context.Context, r Record) (dup bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	return insertRecord(ctx, p.conn, r)
}

func insertRecord(ctx context.Context, conn *pgx.Conn, r Record) (dup bool, err error) {
	whole, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	// PostgreSQL text and jsonb cannot hold NUL: it becomes U+2400 (␀).
	whole = []byte(strings.ReplaceAll(string(whole), `\u0000`, `\u2400`))
	params, _ := json.Marshal(r.Params)
	if r.Params == nil {
		params = []byte("{}")
	}
	var f Failure
	if r.Failure != nil {
		f = *r.Failure
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO atrun_records
			(id, script, script_sha256, port, run, usb_vid, usb_pid, usb_serial, usb_product,
			 start_time, end_time, duration_ms, status,
			 failure_pos, failure_step, failure_kind, failure_message, last_received,
			 params, warnings, record)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb, $20, $21::jsonb)
			ON CONFLICT (id) DO NOTHING`,
			r.ID, noNUL(r.Script), r.ScriptSHA256, noNUL(r.Port), r.Run,
			noNUL(r.USB.VID), noNUL(r.USB.PID), noNUL(r.USB.Serial), noNUL(r.USB.Product),
			nullTime(r.Start), nullTime(r.End), r.DurationMS, string(r.Status),
			nullText(f.Pos), nullText(f.Step), nullText(f.Kind), nullText(f.Message), textArray(f.Last),
			strings.ReplaceAll(string(params), `\u0000`, `\u2400`), textArray(r.Warnings), string(whole))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			dup = true
			return nil
		}
		if len(r.Steps) > 0 {
			idx, pos, step, ms := make([]int32, len(r.Steps)), make([]string, len(r.Steps)), make([]string, len(r.Steps)), make([]float64, len(r.Steps))
			for i, s := range r.Steps {
				idx[i], pos[i], step[i], ms[i] = int32(i+1), noNUL(s.Pos), noNUL(s.Step), s.MS
			}
			if _, err := tx.Exec(ctx, `INSERT INTO atrun_steps (record_id, idx, pos, step, ms)
				SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::float8[])`, r.ID, idx, pos, step, ms); err != nil {
				return err
			}
		}
		if len(r.Emitted) > 0 {
			idx, name, value, enc := make([]int32, len(r.Emitted)), make([]string, len(r.Emitted)), make([]string, len(r.Emitted)), make([]string, len(r.Emitted))
			for i, v := range r.Emitted {
				idx[i], name[i], value[i], enc[i] = int32(i+1), noNUL(v.Name), noNUL(v.Value), v.Encoding
			}
			if _, err := tx.Exec(ctx, `INSERT INTO atrun_emitted (record_id, idx, name, value, encoding)
				SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])`, r.ID, idx, name, value, enc); err != nil {
				return err
			}
		}
		return nil
	})
	return dup, err
}

// noNUL makes s text PostgreSQL takes: NUL, which text cannot hold,
// becomes ␀, and a byte that is not UTF-8 (from a modem, a USB descriptor
// or the command line) is written \xHH, where the database would refuse
// the whole record.
func noNUL(s string) string { return strings.ReplaceAll(runtime.EscapeInvalid(s), "\x00", "\u2400") }

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return noNUL(s)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func textArray(ss []string) any {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = noNUL(s)
	}
	return out
}
