package serialport

import (
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// Port names differ by OS: on Unix a port is a device file (/dev/ttyUSB2,
// /dev/cu.usbmodem1101); on Windows it is a name the system lists, COM3,
// which CreateFile also takes as \\.\COM3 (needed from COM10 up in some
// tools). go.bug.st/serial adds the \\.\ prefix itself, so atrun passes
// every name through as the user wrote it and only compares and globs
// names with these functions.

// ExampleName is a typical port name on this OS, for help and error texts.
func ExampleName() string { return exampleName(runtime.GOOS) }

func exampleName(goos string) string {
	switch goos {
	case "windows":
		return "COM3"
	case "darwin":
		return "/dev/cu.usbmodem1101"
	case "freebsd", "dragonfly":
		return "/dev/cuaU0"
	}
	return "/dev/ttyUSB2"
}

// ExampleGlob is a typical --ports pattern on this OS.
func ExampleGlob() string {
	if runtime.GOOS == "windows" {
		return "COM*"
	}
	return "/dev/ttyUSB*"
}

// Key is the form in which two spellings of one port compare equal: on
// Windows COM10, com10 and \\.\COM10 are one port; elsewhere a name is
// itself (device files are case-sensitive).
func Key(name string) string { return key(name, runtime.GOOS) }

func key(name, goos string) string {
	if goos != "windows" {
		return name
	}
	return strings.ToUpper(strings.TrimPrefix(name, `\\.\`))
}

// Find returns the listed port that name designates.
func Find(infos []Info, name string) (Info, bool) {
	k := Key(name)
	for _, in := range infos {
		if Key(in.Name) == k {
			return in, true
		}
	}
	return Info{}, false
}

// Glob returns the ports whose names match a shell pattern, in natural
// order (COM2 before COM10). On Unix it is a file glob, which also finds
// ptys and links (/dev/serial/by-id/*); on Windows, where ports are not
// files, the pattern (COM*, \\.\COM1?) is matched against the listed
// ports, ignoring case.
func Glob(pattern string) ([]string, error) {
	if runtime.GOOS != "windows" {
		names, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		sortNatural(names)
		return names, nil
	}
	infos, err := List()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return matchWindows(pattern, names)
}

// matchWindows filters names by pattern with Windows' rules: an optional
// \\.\ prefix, case ignored. It uses path.Match, which behaves the same on
// every OS (so it is tested everywhere), with a backslash made literal.
func matchWindows(pattern string, names []string) ([]string, error) {
	p := strings.ReplaceAll(key(pattern, "windows"), `\`, `\\`)
	if _, err := path.Match(p, ""); err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if ok, _ := path.Match(p, key(n, "windows")); ok {
			out = append(out, n)
		}
	}
	sortNatural(out)
	return out, nil
}
