package main

import (
	"os/exec"
	"strings"
	"testing"
)

// A cold make demo or make test compiles for a minute before its first
// output of its own: each step that compiles says so first.
func TestMakeSaysWhatItCompiles(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	for _, target := range []string{"demo", "test"} {
		out, err := exec.Command("make", "-n", "-C", "../..", target).Output()
		if err != nil {
			t.Fatalf("make -n %s: %v", target, err)
		}
		lines := strings.Split(string(out), "\n")
		checked := 0
		for i, l := range lines {
			if strings.HasPrefix(l, "echo ") || !strings.Contains(l, "go build") && !strings.Contains(l, "go vet") && !strings.Contains(l, "go test") {
				continue
			}
			checked++
			if i == 0 || !strings.HasPrefix(lines[i-1], "echo ") {
				t.Errorf("make %s: %q is not preceded by an echo of what it does", target, l)
			}
		}
		if checked == 0 {
			t.Errorf("make -n %s runs no go build, vet or test:\n%s", target, out)
		}
	}
}
