//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sim

import (
	"errors"
	"os"
)

// HavePTY reports whether this build can serve a modem on a
// pseudo-terminal (Modem.OpenPTY, ServePTY).
const HavePTY = false

// errNoPTY: Windows has no pseudo-terminal a serial client can open as a
// port; serve on TCP (ListenTCP) instead.
var errNoPTY = errors.New("a virtual modem on a pseudo-terminal needs a Unix pseudo-terminal; serve it on TCP instead")

func openPTY() (master, slave *os.File, err error) {
	return nil, nil, errNoPTY
}
