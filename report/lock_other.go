//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package report

import "os"

// Without flock, only the in-process mutex orders appends.
func lockFile(*os.File) error   { return nil }
func unlockFile(*os.File) error { return nil }
func syncDir(string) error      { return nil }
