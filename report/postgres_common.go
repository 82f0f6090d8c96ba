package report

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNoPostgres is the error of OpenPostgres and ExportCSV in the router
// build (-tags atrun_small), which leaves PostgreSQL out.
var ErrNoPostgres = errors.New("--report postgres://... is not in this build")

// IsPostgres reports whether a --report target names a PostgreSQL
// database (postgres:// or postgresql://) rather than a file.
func IsPostgres(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// PostgresOptions tune a Postgres sink; the zero value is sensible.
type PostgresOptions struct {
	// Spool is the file where records wait while the database is
	// unreachable; "" means SpoolPathFor(dsn).
	Spool string
	// RetryEvery is how often an unreachable database is tried again;
	// 0 means 5s. Records arriving meanwhile go straight to the spool.
	RetryEvery time.Duration
	// Timeout bounds connecting and each record's transaction; 0 means
	// 10s.
	Timeout time.Duration
	// Log, if set, hears when the database goes away and comes back, and
	// what is left in the spool at Close: one line each, no password.
	Log func(msg string)
}

// PostgresStats count what a Postgres sink did with its records.
type PostgresStats struct {
	Inserted   int // inserted directly by Append
	Spooled    int // written to the spool because the database was unreachable
	Delivered  int // taken from the spool into the database (also other processes' or earlier runs')
	Duplicates int // already in the database (a retry after a lost acknowledgement): ignored
	Rejected   int // refused by the database as invalid; kept in the spool's .rejected file
}

// ParseSince reads a --since value: a date (2006-01-02, local time), an
// RFC 3339 time, or a duration back from now ("24h", "90m").
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, now.Location()); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", s, now.Location()); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date (2025-03-14), a time (2025-03-14T09:00:00+01:00) or a duration back from now (24h)", s)
}
