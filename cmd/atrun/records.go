package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/atrun/atrun/report"
)

// openReports opens every --report: JSONL files and PostgreSQL databases
// (with --spool). Nil when there is none; a non-negative code means stop.
func (e *env) openReports(ctx context.Context, f *runFlags) (report.Sink, int) {
	var sinks report.Tee
	fail := func(err error) (report.Sink, int) {
		sinks.Close()
		fmt.Fprintln(e.stderr, "atrun:", err)
		return nil, exitUsage
	}
	pg := 0
	for _, target := range f.reports {
		if !report.IsPostgres(target) {
			j, err := report.OpenJSONL(target)
			if err != nil {
				return fail(err)
			}
			sinks = append(sinks, j)
			continue
		}
		if pg++; pg > 1 && f.spool != "" {
			return fail(fmt.Errorf("--spool names one spool, but there are %d postgres reports: leave --spool out, each database then has its own", pg))
		}
		p, err := report.OpenPostgres(ctx, target, report.PostgresOptions{
			Spool: f.spool,
			Log:   func(msg string) { fmt.Fprintln(e.stderr, "atrun:", msg) },
		})
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, p)
	}
	switch len(sinks) {
	case 0:
		return nil, -1
	case 1:
		return sinks[0], -1
	}
	return sinks, -1
}

// records works on the device records in a database.
func (e *env) records(args []string) int {
	const use = "usage: atrun records export --report postgres://USER@HOST/DB [--since 2025-03-14 | --since 24h]"
	if len(args) == 0 || args[0] != "export" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(e.stdout, use)
			return exitOK
		}
		fmt.Fprintln(e.stderr, use)
		return exitUsage
	}
	fs := flag.NewFlagSet("records export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dsn := fs.String("report", "", "the database: postgres://USER@HOST/DB")
	since := fs.String("since", "", "only runs started from this date, time (RFC 3339) or duration back from now (24h)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, use)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 || !report.IsPostgres(*dsn) {
		fs.Usage()
		return exitUsage
	}
	from, err := report.ParseSince(*since, time.Now())
	if err != nil {
		fmt.Fprintln(e.stderr, "atrun:", err)
		return exitUsage
	}
	ctx, _, stop := interrupts()
	defer stop()
	if _, err := report.ExportCSV(ctx, *dsn, from, e.stdout); err != nil {
		fmt.Fprintln(e.stderr, "atrun records export:", err)
		if errors.Is(err, report.ErrNoPostgres) {
			return exitUsage
		}
		return exitTransport
	}
	return exitOK
}
