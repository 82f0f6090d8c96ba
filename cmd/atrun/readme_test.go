package main

import (
	"os"
	"strings"
	"testing"

	"github.com/atrun/atrun/runtime"
)

// TestReadmeScripts checks every ```at block of the README, so that the
// documented language is the language.
func TestReadmeScripts(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "```at\n")[1:]
	if len(blocks) == 0 {
		t.Fatal("no ```at blocks in README.md")
	}
	for i, blk := range blocks {
		src, _, _ := strings.Cut(blk, "```")
		_, err := runtime.Load("README.md", func(string) ([]byte, error) { return []byte(src), nil })
		if err != nil {
			t.Errorf("README ```at block %d:\n%v", i+1, err)
		}
	}
}
