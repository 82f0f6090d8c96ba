package scripts

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime"
)

// TestShippedScripts: every shipped flow parses, checks and compiles, and
// is in canonical form (atrun fmt would not change it).
func TestShippedScripts(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".at") {
			return err
		}
		n++
		if _, err := runtime.Load(path, nil); err != nil {
			t.Errorf("%v", err)
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := lang.Parse(path, string(src))
		if err != nil {
			return err
		}
		if string(lang.Format(f)) != string(src) {
			t.Errorf("%s is not formatted: run atrun fmt -w %s", path, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("found only %d scripts", n)
	}
}
