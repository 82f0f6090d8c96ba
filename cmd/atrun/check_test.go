package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestCheckGolden runs `atrun check` on every bad script of the two
// diagnostics corpora (lang's, and this package's expression-level one)
// and compares stderr and the exit code with the golden file beside it.
func TestCheckGolden(t *testing.T) {
	var files []string
	for _, dir := range []string{"../../lang/testdata/check", "testdata/check"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.at"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 25 {
		t.Fatalf("only %d bad scripts", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			dir, name := filepath.Split(f)
			var stdout, stderr bytes.Buffer
			wd, _ := os.Getwd()
			if err := os.Chdir(dir); err != nil {
				t.Fatal(err)
			}
			code := run([]string{"check", name}, nil, &stdout, &stderr)
			os.Chdir(wd)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			got := stderr.String()
			golden := filepath.Join("testdata/check", strings.TrimSuffix(name, ".at")+".check.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/atrun -run TestCheckGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("atrun check %s:\ngot:\n%s\nwant:\n%s", name, got, want)
			}
		})
	}
}
