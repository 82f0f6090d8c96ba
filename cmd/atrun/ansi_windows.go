package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// enableANSI turns on escape sequences in a Windows console (Windows 10
// 1511 and later); where that fails, the live table falls back to lines.
func enableANSI(f *os.File) bool {
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
