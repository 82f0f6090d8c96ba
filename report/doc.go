// Package report turns runs into records and records into reports: a JSON
// Lines file that survives crashes, JUnit XML for CI, and burn-in
// statistics.
//
// # Record format (JSON Lines, one object per line; annotated here)
//
// This is a published format: fields are only ever added, never renamed or
// given another meaning. Readers must ignore fields they do not know.
//
//	{
//	  "id": "0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b",  // unique per run (a UUIDv7, time-ordered):
//	                                             // the same record sent twice is stored once;
//	                                             // absent in records from older versions
//	  "script": "scripts/sim7000/info.at",       // path as given to atrun
//	  "script_sha256": "9f86d0...",              // hex SHA-256 of the script's bytes followed by
//	                                             // each included file's bytes, in load order, each
//	                                             // file once (for a script without includes:
//	                                             // sha256sum of the file)
//	  "params": {"apn": "nbiot", "password": "***"},  // param values; secret params are always "***"
//	  "port": "/dev/ttyUSB2",
//	  "usb": {"vid": "1e0e", "pid": "9001", "serial": "A1B2", "product": "SimTech"},
//	                                             // omitted when unknown; empty members omitted
//	  "run": 1,                                  // 1-based run number on this port (--repeat)
//	  "start": "2025-03-14T09:26:53.123456789+01:00",  // RFC 3339
//	  "end": "2025-03-14T09:26:54.623456789+01:00",
//	  "duration_ms": 1500,                        // end - start, to the microsecond
//	  "status": "pass",                          // "pass" or "fail"
//	  "failure": {                               // only when status is "fail"
//	    "pos": "scripts/common/ready.at:7:1",    // file:line:col of the failing step; may be absent
//	    "step": "expect \"OK\"",                 // the statement as written; may be absent
//	    "kind": "timeout",                       // timeout, abort, modem, fail, script,
//	                                             // transport or canceled
//	    "message": "timed out after 5s",
//	    "last_received": ["+CPIN: SIM PIN"]      // last lines from the modem, oldest first; a byte that is not UTF-8 as \xHH
//	  },
//	  "emitted": [                               // emit statements, in order, repeats kept
//	    {"name": "imei", "value": "866425034458131"},
//	    {"name": "raw", "value": "00ff1a", "encoding": "hex"}  // not UTF-8: lowercase hex
//	  ],
//	  "steps": [                                 // every finished step, in order
//	    {"pos": "scripts/common/ready.at:3:1", "step": "send \"AT\" expect \"OK\"", "ms": 20.412}
//	  ]
//	}
//
// Values of secret params are replaced by "***" wherever they appear in
// emitted values, the failure message and the last received lines.
// "emitted" and "steps" are always present (possibly empty); "failure" and
// "usb" only when there is something to say.
//
// # Crash safety
//
// JSONL.Append writes each record as one line with a single write on a file
// opened with O_APPEND, then fsyncs it, holding an exclusive flock so that
// several processes may append to the same file. A record whose Append
// returned nil survives a crash or power cut. A write cut short by a
// crash or power cut can leave an incomplete last line; ReadJSONL reports
// it with its line number, and OpenJSONL removes it (under the lock) before
// appending, so later records never join a torn one.
//
// # Sinks: JSONL, PostgreSQL, both
//
// A Sink takes each record as its run ends: *JSONL, *Postgres, or a Tee of
// several. Postgres (OpenPostgres) inserts each record in one transaction
// into the tables of Schema, created or migrated on first use. While the
// database cannot be reached, records go to a Spool (JSON Lines, fsync'd,
// shared safely between processes) and are sent, oldest first, when it
// answers again, also by the next process that opens the same spool. A
// record's ID is its primary key, so a record sent twice is stored once.
// The router build (-tags atrun_small) leaves PostgreSQL out.
package report
