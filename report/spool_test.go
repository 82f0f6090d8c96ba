package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func idsOf(recs []Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func withID(r Record, id string) Record { r.ID = id; return r }

func TestSpoolDrainRemovesOnlyWhatWasSent(t *testing.T) {
	s := NewSpool(filepath.Join(t.TempDir(), "sub", "spool.jsonl"))
	n, err := s.Len()
	require.NoError(t, err)
	assert.Equal(t, 0, n, "a spool that was never written is empty")
	require.NoError(t, s.Append(withID(sample(1, 1), "a"), withID(sample(2, 0), "b")))
	require.NoError(t, s.Append(withID(sample(3, 2), "c")))

	var got []string
	sent, err := s.Drain(func(recs []Record) (int, error) {
		got = idsOf(recs)
		return 1, errors.New("database went away")
	})
	assert.EqualError(t, err, "database went away")
	assert.Equal(t, 1, sent)
	assert.Equal(t, []string{"a", "b", "c"}, got, "oldest first")

	require.NoError(t, s.Append(withID(sample(4, 0), "d")))
	sent, err = s.Drain(func(recs []Record) (int, error) {
		got = idsOf(recs)
		return len(recs), nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, sent)
	assert.Equal(t, []string{"b", "c", "d"}, got, "a is gone, the rest kept, d appended after the rewrite")
	n, err = s.Len()
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	_, err = os.Stat(s.Path() + ".tmp")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestSpoolRecordsRoundTrip(t *testing.T) {
	s := NewSpool(filepath.Join(t.TempDir(), "spool.jsonl"))
	want := withID(sample(5, 3), "x")
	require.NoError(t, s.Append(want))
	var got []Record
	_, err := s.Drain(func(recs []Record) (int, error) { got = recs; return len(recs), nil })
	require.NoError(t, err)
	require.Len(t, got, 1)
	a, _ := encodeLine(want)
	b, _ := encodeLine(got[0])
	assert.Equal(t, string(a), string(b))
}

// A write cut short by a crash leaves a torn last line: Drain leaves it
// out (its Append never succeeded), and the next Append cuts it off.
func TestSpoolTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.jsonl")
	s := NewSpool(path)
	require.NoError(t, s.Append(withID(sample(1, 0), "a")))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"id":"torn","script":"x`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	n, err := s.Len()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, s.Append(withID(sample(2, 0), "b")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "torn")
	assert.Equal(t, 2, strings.Count(string(b), "\n"))
}

// Appends from many goroutines and a concurrent drain lose nothing and
// deliver nothing twice.
func TestSpoolConcurrentAppendAndDrain(t *testing.T) {
	s := NewSpool(filepath.Join(t.TempDir(), "spool.jsonl"))
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				assert.NoError(t, s.Append(withID(sample(i, 1), string(rune('a'+w))+"-"+string(rune('A'+i)))))
			}
		}()
	}
	seen := map[string]int{}
	drain := func() {
		_, err := s.Drain(func(recs []Record) (int, error) {
			// Take half each time, to exercise the rewrite.
			n := (len(recs) + 1) / 2
			for _, r := range recs[:n] {
				seen[r.ID]++
			}
			return n, nil
		})
		assert.NoError(t, err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			drain()
		}
	}
	for n, _ := s.Len(); n > 0; n, _ = s.Len() {
		drain()
	}
	assert.Len(t, seen, writers*each)
	for id, n := range seen {
		assert.Equal(t, 1, n, "record %s delivered %d times", id, n)
	}
}

func TestNewIDIsAUUIDv7(t *testing.T) {
	a, b := NewID(), NewID()
	assert.NotEqual(t, a, b)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, a)
	r := sample(3, 1)
	assert.Equal(t, contentID(r), contentID(r), "the fallback ID is the same every time")
	r2 := r
	r2.Run++
	assert.NotEqual(t, contentID(r), contentID(r2))
}
