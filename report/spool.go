package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Spool is a JSON Lines file where records wait while their destination
// is unreachable. Several processes may share one: every operation opens
// the file, takes its exclusive lock and checks that the path still names
// the locked file (Drain may have replaced it) before touching it.
//
// A record is in exactly one place at a time as far as a reader of the
// spool can tell: Drain removes records only after send accepted them,
// and a crash between the two leaves them spooled, to be sent again.
// Destinations must therefore ignore a record they already have (records
// carry an ID for this).
type Spool struct {
	path string
	mu   sync.Mutex // orders this process's operations
}

// NewSpool returns the spool at path; the file and its directory are
// created on the first Append.
func NewSpool(path string) *Spool { return &Spool{path: path} }

// Path is the spool file's path.
func (s *Spool) Path() string { return s.path }

// DefaultSpoolDir is where spools go when the user names none:
// $XDG_STATE_HOME/atrun, else ~/.local/state/atrun on Unix and
// %LocalAppData%\atrun on Windows; the current directory if there is no
// home.
func DefaultSpoolDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "atrun")
	}
	if runtime.GOOS == "windows" {
		if d, err := os.UserCacheDir(); err == nil { // %LocalAppData%
			return filepath.Join(d, "atrun")
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "atrun")
	}
	return "."
}

// open opens and locks the spool file, creating it if create is set. It
// returns nil, nil when the file does not exist and create is not set.
func (s *Spool) open(create bool) (*os.File, error) {
	for {
		flags := os.O_RDWR | os.O_APPEND
		if create {
			if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
				return nil, err
			}
			flags |= os.O_CREATE
		}
		f, err := os.OpenFile(s.path, flags, 0o600)
		if errors.Is(err, os.ErrNotExist) && !create {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if err := lockFile(f); err != nil {
			f.Close()
			return nil, err
		}
		// Drain in another process may have renamed a new file over the
		// path while this one waited for the lock on the old one.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(s.path)
		if err1 == nil && err2 == nil && os.SameFile(fi, pi) {
			return f, nil
		}
		unlockFile(f)
		f.Close()
		if err1 != nil {
			return nil, err1
		}
	}
}

// Append writes records to the spool with one write and syncs it.
func (s *Spool) Append(recs ...Record) error {
	var buf bytes.Buffer
	for _, r := range recs {
		line, err := encodeLine(r)
		if err != nil {
			return fmt.Errorf("spool %s: %w", s.path, err)
		}
		buf.Write(line)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.open(true)
	if err != nil {
		return fmt.Errorf("spool %s: %w", s.path, err)
	}
	defer f.Close()
	defer unlockFile(f)
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("spool %s: %w", s.path, err)
	}
	if err := endOnWholeLine(f, fi.Size()); err != nil {
		return fmt.Errorf("spool %s: %w", s.path, err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Truncate(fi.Size()) // best effort: never leave half a line behind
		return fmt.Errorf("spool %s: %w", s.path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("spool %s: sync: %w", s.path, err)
	}
	return nil
}

// endOnWholeLine cuts off a torn last line (a crash during a write:
// its Append never returned nil, so nobody counts on it).
func endOnWholeLine(f *os.File, size int64) error {
	if size == 0 {
		return nil
	}
	start, tail, err := lastLine(f, size)
	if err != nil || bytes.HasSuffix(tail, []byte("\n")) {
		return err
	}
	return f.Truncate(start)
}

// Len returns how many records wait in the spool.
func (s *Spool) Len() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.open(false)
	if f == nil || err != nil {
		return 0, err
	}
	defer f.Close()
	defer unlockFile(f)
	recs, err := readSpool(f)
	return len(recs), err
}

// Drain hands the spooled records, oldest first, to send, which returns
// how many of them, from the start, it has delivered (and an error if
// not all). Those are removed from the spool; the rest stay. The spool
// stays locked meanwhile, so no other process drains the same records
// at the same time; appends wait.
func (s *Spool) Drain(send func([]Record) (int, error)) (sent int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.open(false)
	if f == nil || err != nil {
		return 0, err
	}
	defer f.Close()
	defer unlockFile(f)
	recs, err := readSpool(f)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	n, sendErr := send(recs)
	n = min(max(n, 0), len(recs))
	if n == 0 {
		return 0, sendErr
	}
	if n == len(recs) {
		// Everything delivered: nothing can be lost by emptying the file.
		if err := f.Truncate(0); err != nil {
			return n, errors.Join(sendErr, fmt.Errorf("spool %s: %w", s.path, err))
		}
		return n, errors.Join(sendErr, f.Sync())
	}
	// Write the rest to a new file and rename it over the spool, so that
	// a crash leaves either the old spool or the new one, whole.
	var buf bytes.Buffer
	for _, r := range recs[n:] {
		line, _ := encodeLine(r)
		buf.Write(line)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return n, errors.Join(sendErr, fmt.Errorf("spool %s: %w", s.path, err))
	}
	if t, err := os.Open(tmp); err == nil {
		t.Sync()
		t.Close()
	}
	if err := os.Rename(tmp, s.path); err != nil {
		os.Remove(tmp)
		// The delivered records stay too: sent again later, they are
		// ignored by their ID.
		return n, errors.Join(sendErr, fmt.Errorf("spool %s: %w", s.path, err))
	}
	return n, errors.Join(sendErr, syncDir(filepath.Dir(s.path)))
}

// readSpool reads every whole record; a torn last line is left out.
func readSpool(f *os.File) ([]Record, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, fi.Size()))
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	var recs []Record
	for n, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			if n == len(lines)-1 {
				break // torn last line: its Append failed
			}
			return nil, fmt.Errorf("%s:%d: not a record: %v", f.Name(), n+1, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}
