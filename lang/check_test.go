package lang

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// diagnostics runs Load and Check on dir/name as "atrun check" would,
// with paths relative to dir, one "file.at:LINE:COL: message" a line.
func diagnostics(t *testing.T, dir, name string) string {
	t.Helper()
	read := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, p)) }
	var errs ErrorList
	f, err := Load(name, read)
	if err != nil {
		require.True(t, errors.As(err, &errs), "Load returned %T, not an ErrorList", err)
	} else {
		errs = Check(f)
	}
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestCheckGolden runs every bad script of testdata/check against the
// diagnostics in NAME.golden beside it; -update rewrites them.
func TestCheckGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/check/*.at")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 25)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			got := diagnostics(t, "testdata/check", name)
			require.NotEmpty(t, got, "a bad script must give diagnostics")
			golden := strings.TrimSuffix(path, ".at") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), got)
		})
	}
}

// TestCheckGood runs the good scripts under testdata/good: no
// diagnostics.
func TestCheckGood(t *testing.T) {
	var files []string
	require.NoError(t, filepath.WalkDir("testdata/good", func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".at") {
			files = append(files, strings.TrimPrefix(path, "testdata/good/"))
		}
		return err
	}))
	require.GreaterOrEqual(t, len(files), 5)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			assert.Empty(t, diagnostics(t, "testdata/good", name))
		})
	}
}

// TestGrammarGolden keeps grammar.ebnf equal to Grammar(), so that every
// grammar change shows in review; -update rewrites it.
func TestGrammarGolden(t *testing.T) {
	got := Grammar()
	require.Contains(t, got, `Send = "send" Str ("expect" ExpectBody)? Mods .`)
	if *update {
		require.NoError(t, os.WriteFile("grammar.ebnf", []byte(got), 0o644))
	}
	want, err := os.ReadFile("grammar.ebnf")
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "run go test ./lang -update and review the change")
}
