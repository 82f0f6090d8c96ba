//go:build !windows

package main

import "os"

// enableANSI: every Unix terminal takes ANSI escape sequences.
func enableANSI(*os.File) bool { return true }
