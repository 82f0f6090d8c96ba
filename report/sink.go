package report

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Sink receives each record as soon as its run ends. A nil error means
// the record is safe: on disk (JSONL, or a spool that is sent later) or in
// the database. Implementations are safe for concurrent use.
type Sink interface {
	Append(Record) error
	Close() error
}

var (
	_ Sink = (*JSONL)(nil)
	_ Sink = Tee(nil)
)

// Tee is a Sink that appends every record to each of its sinks in turn,
// e.g. a local JSONL file and PostgreSQL.
type Tee []Sink

// Append appends r to every sink, even when one fails, and returns their
// errors joined.
func (t Tee) Append(r Record) error {
	var errs []error
	for _, s := range t {
		errs = append(errs, s.Append(r))
	}
	return errors.Join(errs...)
}

// Close closes every sink and returns their errors joined.
func (t Tee) Close() error {
	var errs []error
	for _, s := range t {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// NewID returns a new record ID: a random UUIDv7 (RFC 9562), whose first
// 48 bits are the Unix time in milliseconds, so IDs sort by time.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	ms := uint64(time.Now().UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[:6], ts[2:])
	b[6] = b[6]&0x0f | 0x70 // version 7
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return formatUUID(b)
}

// contentID is the ID of a record that has none (written by an older
// atrun): a UUIDv8 derived from what identifies the run, the same every
// time the record is sent.
func contentID(r Record) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d\x00%s\x00%s\x00%s",
		r.Script, r.ScriptSHA256, r.Port, r.Run, r.Start.UTC().Format(time.RFC3339Nano), r.End.UTC().Format(time.RFC3339Nano), r.Status))
	var b [16]byte
	copy(b[:], h[:16])
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
