//go:build !atrun_small

package report

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Schema is the PostgreSQL schema, one migration per version: Schema[0]
// brings an empty database to version 1, and so on. A migration is only
// ever appended, never edited, once released; atrun_schema records which
// have run.
//
//	atrun_records  one row per run: the record's fields as columns, and the
//	               whole record as JSON (record), as the JSONL line has it
//	atrun_steps    one row per finished step: (record_id, idx) from 1
//	atrun_emitted  one row per emit: (record_id, idx) from 1
var Schema = []string{
	// 1
	`CREATE TABLE atrun_records (
		id              text PRIMARY KEY,
		script          text NOT NULL,
		script_sha256   text NOT NULL,
		port            text NOT NULL,
		run             integer NOT NULL,
		usb_vid         text NOT NULL DEFAULT '',
		usb_pid         text NOT NULL DEFAULT '',
		usb_serial      text NOT NULL DEFAULT '',
		usb_product     text NOT NULL DEFAULT '',
		start_time      timestamptz,
		end_time        timestamptz,
		duration_ms     double precision NOT NULL,
		status          text NOT NULL CHECK (status IN ('pass', 'fail')),
		failure_pos     text,
		failure_step    text,
		failure_kind    text,
		failure_message text,
		last_received   text[],
		params          jsonb NOT NULL DEFAULT '{}',
		warnings        text[],
		record          jsonb NOT NULL,
		inserted_at     timestamptz NOT NULL DEFAULT now()
	);
	CREATE INDEX atrun_records_start ON atrun_records (start_time);
	CREATE TABLE atrun_steps (
		record_id text NOT NULL REFERENCES atrun_records (id) ON DELETE CASCADE,
		idx       integer NOT NULL,
		pos       text NOT NULL,
		step      text NOT NULL,
		ms        double precision NOT NULL,
		PRIMARY KEY (record_id, idx)
	);
	CREATE TABLE atrun_emitted (
		record_id text NOT NULL REFERENCES atrun_records (id) ON DELETE CASCADE,
		idx       integer NOT NULL,
		name      text NOT NULL,
		value     text NOT NULL,
		encoding  text NOT NULL DEFAULT '',
		PRIMARY KEY (record_id, idx)
	);
	CREATE INDEX atrun_emitted_name_value ON atrun_emitted (name, value);`,
}

// schemaLock is the advisory lock key under which a migration runs, so
// that two stations starting at once do not both create the tables.
const schemaLock = 0x61747275_6e000001 // "atrun" 1

// Migrate brings the database's schema to the latest version in one
// transaction. A database newer than this atrun is an error: its records
// might not fit.
func Migrate(ctx context.Context, conn *pgx.Conn) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS atrun_schema (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM atrun_schema").Scan(&v); err != nil {
			return err
		}
		if v > len(Schema) {
			return fmt.Errorf("the database's atrun schema is version %d, newer than this atrun knows (%d): upgrade atrun", v, len(Schema))
		}
		for ; v < len(Schema); v++ {
			if _, err := tx.Exec(ctx, Schema[v]); err != nil {
				return fmt.Errorf("schema version %d: %w", v+1, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO atrun_schema (version) VALUES ($1)", v+1); err != nil {
				return err
			}
		}
		return nil
	})
}
