//go:build !linux

package ptymodem

import (
	"errors"
	"os"
)

var errLinux = errors.New("ptymodem: Linux only")

func makeRaw(*os.File) error        { return errLinux }
func clearExclusive(*os.File) error { return errLinux }
