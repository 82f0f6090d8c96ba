//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sim

import (
	"os"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// HavePTY reports whether this build can serve a modem on a
// pseudo-terminal (Modem.OpenPTY, ServePTY).
const HavePTY = true

// openPTY opens a pseudo-terminal whose device side is raw (cfmakeraw: no
// echo, no line editing, no CR/LF translation, 8 bits), so what the modem
// writes is what the client reads.
func openPTY() (master, slave *os.File, err error) {
	master, slave, err = pty.Open()
	if err != nil {
		return nil, nil, err
	}
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
