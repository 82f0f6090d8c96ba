package lang

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseFormat checks parse -> format -> parse -> format: no panic, the
// output parses to the same AST (ignoring positions) and formatting it
// again changes nothing.
func FuzzParseFormat(f *testing.F) {
	for _, src := range seedScripts(f) {
		f.Add(src)
	}
	for _, tc := range formatCases {
		f.Add(tc.in)
	}
	for _, tc := range robustCases {
		f.Add(tc.src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkRoundTrip(t, src)
	})
}

// checkRoundTrip is the fuzz property, shared with the table tests.
func checkRoundTrip(t *testing.T, src string) {
	t.Helper()
	f1, err := Parse("in.at", src)
	if err != nil {
		if strings.Contains(err.Error(), "internal error") {
			t.Fatalf("parser crashed on %q: %v", src, err)
		}
		return
	}
	Check(f1)
	out1 := Format(f1)
	f2, err := Parse("in.at", string(out1))
	if err != nil {
		t.Fatalf("formatted output does not parse: %v\ninput: %q\noutput:\n%s", err, src, out1)
	}
	if d := astDiff(f1, f2); d != "" {
		t.Fatalf("formatting changed the meaning: %s\ninput: %q\noutput:\n%s", d, src, out1)
	}
	out2 := Format(f2)
	if !bytes.Equal(out1, out2) {
		t.Fatalf("format is not idempotent\ninput: %q\nfirst:\n%s\nsecond:\n%s", src, out1, out2)
	}
}

// seedScripts returns every .at file of the repository and of testdata.
func seedScripts(tb testing.TB) []string {
	tb.Helper()
	var srcs []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".at") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			srcs = append(srcs, string(b))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return srcs
}
