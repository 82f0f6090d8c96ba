//go:build !atrun_small

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/atrun/atrun/runtime"
)

// On an OS without pseudo-terminals, atrun sim --pty says why and what to
// use instead, before it starts anything.
func TestSimPTYNeedsUnix(t *testing.T) {
	saved := havePTY
	havePTY = false
	t.Cleanup(func() { havePTY = saved })
	link := filepath.Join(t.TempDir(), "modem")
	var stdout, stderr bytes.Buffer
	code := run([]string{"sim", "sim7000", "--pty", link}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr.String(), "--pty needs a Unix pseudo-terminal")
	assert.Contains(t, stderr.String(), "atrun sim sim7000 --listen tcp://127.0.0.1:7000")
	assert.Contains(t, stderr.String(), "--port tcp://127.0.0.1:7000")
	assert.Empty(t, stdout.String(), "no embedded broker was started")
	_, err := os.Lstat(link)
	assert.True(t, os.IsNotExist(err), "no link was made")
}

// The no-port hint suggests the virtual modem that fits the script: every
// shipped flow of a vendor folder gets that folder's profile (bc26 and
// ec20 share the quectel dialect; the folder decides), and a cloud script
// the vendor whose dialect it includes.
func TestSimHintFitsTheScript(t *testing.T) {
	root := filepath.Join("..", "..", "scripts")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "common" || d.Name() == "testdata" || d.Name() == "cloud" {
			continue
		}
		// The flows (library files such as tcp.at are included by them).
		flows, _ := filepath.Glob(filepath.Join(root, d.Name(), "*.at"))
		for _, path := range flows {
			switch strings.TrimSuffix(filepath.Base(path), ".at") {
			case "info", "publish", "subscribe", "publish-tls":
			default:
				continue
			}
			prog, err := runtime.Load(path, nil)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			assert.Equal(t, "--sim "+d.Name(), simHint(prog), path)
			seen++
		}
	}
	if seen < 7*3 {
		t.Fatalf("only %d shipped flows found", seen)
	}
	for path, want := range map[string]string{"cloud/huawei-iotda.at": "--sim ec20", "cloud/aliyun.at": "--sim air780"} {
		prog, err := runtime.Load(filepath.Join(root, path), nil)
		if err != nil {
			t.Fatal(err)
		}
		assert.Equal(t, want, simHint(prog), path)
	}
}
