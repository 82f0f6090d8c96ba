package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// JSONL appends records to a JSON Lines file; see the package doc for the
// crash-safety contract. It is safe for concurrent use.
type JSONL struct {
	mu       sync.Mutex // serializes appends within the process
	f        *os.File
	path     string
	repaired int64
}

// OpenJSONL opens path for appending, creating it if needed. If a crash
// left an incomplete last line, it is removed first (see Repaired).
func OpenJSONL(path string) (*JSONL, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	j := &JSONL{f: f, path: path}
	if err := j.repair(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return j, nil
}

// Repaired returns how many bytes of incomplete last lines were removed,
// when the file was opened and before each append; 0 when it was intact.
func (j *JSONL) Repaired() int64 { return j.repaired }

// repair ends the file on a whole line: an incomplete last line is
// removed, unless it is a whole record that only misses its newline.
func (j *JSONL) repair() error {
	if err := lockFile(j.f); err != nil {
		return err
	}
	defer unlockFile(j.f)
	return j.repairLocked()
}

// repairLocked is repair with the file lock held.
func (j *JSONL) repairLocked() error {
	fi, err := j.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := j.f.ReadAt(last, size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil // the common case: whole lines
	}
	start, tail, err := lastLine(j.f, size)
	if err != nil {
		return err
	}
	if len(tail) > 0 && tail[len(tail)-1] == '\n' {
		return nil
	}
	var r Record
	if json.Unmarshal(tail, &r) == nil && r.valid() == nil {
		_, err = j.f.Write([]byte("\n"))
	} else {
		err = j.f.Truncate(start)
		j.repaired += size - start
	}
	if err != nil {
		return err
	}
	return j.f.Sync()
}

// lastLine returns the offset and bytes of the file's last line: what
// follows the last newline before the final byte.
func lastLine(f *os.File, size int64) (int64, []byte, error) {
	const block = 64 << 10
	start := int64(0)
	// A final newline ends the last line; search before it.
	for end := size - 1; end > 0; {
		from := max(end-block, 0)
		buf := make([]byte, end-from)
		if _, err := f.ReadAt(buf, from); err != nil {
			return 0, nil, err
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			start = from + int64(i) + 1
			break
		}
		end = from
	}
	tail := make([]byte, size-start)
	_, err := f.ReadAt(tail, start)
	return start, tail, err
}

// Append writes r as one line with one write and syncs it to disk. A
// failed write is cut back off the file. A record without a script or
// status, or failed without a failure, is refused: ReadJSONL would
// reject it.
func (j *JSONL) Append(r Record) error {
	if err := r.valid(); err != nil {
		return fmt.Errorf("report %s: bad record: %v", j.path, err)
	}
	line, err := encodeLine(r)
	if err != nil {
		return fmt.Errorf("report %s: %w", j.path, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("report %s: closed", j.path)
	}
	if err := lockFile(j.f); err != nil {
		return fmt.Errorf("report %s: lock: %w", j.path, err)
	}
	defer unlockFile(j.f)
	// Another process may have died in the middle of its write since
	// this file was opened: end the file on a whole line first, so that
	// its torn line cannot swallow this record.
	if err := j.repairLocked(); err != nil {
		return fmt.Errorf("report %s: %w", j.path, err)
	}
	fi, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("report %s: %w", j.path, err)
	}
	if _, err := j.f.Write(line); err != nil {
		j.f.Truncate(fi.Size()) // best effort: never leave half a line behind
		return fmt.Errorf("report %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("report %s: sync: %w", j.path, err)
	}
	return nil
}

// encodeLine is r as JSON plus a newline; <, > and & stay as they are.
func encodeLine(r Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(r) // adds the newline
	return buf.Bytes(), err
}

// Close closes the file. Appends after Close fail.
func (j *JSONL) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// ReadJSONL reads every record of a JSON Lines report. A line that is not
// a whole record (torn by a crash, or edited) is an error naming the file
// and line. Blank lines are skipped.
func ReadJSONL(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readJSONL(path, f)
}

func readJSONL(path string, r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	recs := []Record{}
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(line) == 0 && err == io.EOF {
			return recs, nil
		}
		last := err == io.EOF
		line = bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec Record
		if jerr := json.Unmarshal(line, &rec); jerr != nil {
			if last {
				return nil, fmt.Errorf("%s:%d: torn record at the end of the file (a crash during a write?): %v", path, n, jerr)
			}
			return nil, fmt.Errorf("%s:%d: not a whole record: %v", path, n, jerr)
		}
		if verr := rec.valid(); verr != nil {
			return nil, fmt.Errorf("%s:%d: not a record: %v", path, n, verr)
		}
		recs = append(recs, rec)
		if last {
			return recs, nil
		}
	}
}

// valid checks the fields every record has.
func (r *Record) valid() error {
	switch {
	case r.Script == "":
		return fmt.Errorf("no script")
	case r.Status != Pass && r.Status != Fail:
		return fmt.Errorf("status %q: want %q or %q", r.Status, Pass, Fail)
	case r.Status == Fail && r.Failure == nil:
		return fmt.Errorf("status %q without a failure", r.Status)
	}
	return nil
}
