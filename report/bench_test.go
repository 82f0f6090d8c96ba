package report

import (
	"path/filepath"
	"testing"
)

// BenchmarkJSONLAppend is one record (10 steps, about 1.5 KiB) appended and
// fsync'd: the cost a station pays per device.
func BenchmarkJSONLAppend(b *testing.B) {
	j, err := OpenJSONL(filepath.Join(b.TempDir(), "r.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	r := sample(1, 10)
	line, _ := encodeLine(r)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := j.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummarize is a 1000-run burn-in of a 50-step flow.
func BenchmarkSummarize(b *testing.B) {
	var recs []Record
	for i := range 1000 {
		recs = append(recs, sample(i+1, 50))
	}
	for b.Loop() {
		Summarize(recs)
	}
}
