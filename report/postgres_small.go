//go:build atrun_small

// The router build leaves PostgreSQL out: pgx and the TLS it needs would
// double the binary. A --report postgres://... says so.

package report

import (
	"context"
	"fmt"
	"io"
	"time"
)

var errNoPostgres = fmt.Errorf("%w: this is the router build of atrun (-tags atrun_small), which leaves out PostgreSQL; write a JSONL report (--report FILE.jsonl) and load it from a PC, or use a full build", ErrNoPostgres)

// Postgres is not in this build.
type Postgres struct{}

// OpenPostgres says PostgreSQL is not in this build.
func OpenPostgres(context.Context, string, PostgresOptions) (*Postgres, error) {
	return nil, errNoPostgres
}

func (*Postgres) Append(Record) error  { return errNoPostgres }
func (*Postgres) Close() error         { return nil }
func (*Postgres) Stats() PostgresStats { return PostgresStats{} }
func (*Postgres) SpoolPath() string    { return "" }

// ExportCSV says PostgreSQL is not in this build.
func ExportCSV(context.Context, string, time.Time, io.Writer) (int, error) {
	return 0, errNoPostgres
}
