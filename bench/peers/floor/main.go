// Command floor is the Go floor of bench/peers: it writes each command
// and blocks reading until OK, with nothing else, so its time is what any
// Go program pays on the same fake modem. With no arguments it exits at
// once: the start+exit of a minimal Go program.
//
//	floor /dev/pts/7 commands.txt
package main

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
)

func main() {
	if len(os.Args) < 3 {
		return
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(tty, cmdFile string) error {
	list, err := os.ReadFile(cmdFile)
	if err != nil {
		return err
	}
	// A raw descriptor: the poller os.File would add is not the floor.
	fd, err := syscall.Open(tty, syscall.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	for _, cmd := range bytes.Split(bytes.TrimSpace(list), []byte("\n")) {
		if _, err := syscall.Write(fd, append(cmd, '\r')); err != nil {
			return err
		}
		got := 0
		for !bytes.Contains(buf[:got], []byte("OK\r\n")) {
			if got == len(buf) {
				return fmt.Errorf("%s: no OK in %q", cmd, buf)
			}
			n, err := syscall.Read(fd, buf[got:])
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%s: hang-up", cmd)
			}
			got += n
		}
	}
	return nil
}
