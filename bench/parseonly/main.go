// Command parseonly parses one script with lang.Parse and exits: beside an
// empty program's start and exit, what participle costs a fresh process
// (building its parser from the grammar, then parsing), with nothing else
// of atrun linked in.
//
//	parseonly flow.at
package main

import (
	"fmt"
	"os"

	"github.com/atrun/atrun/lang"
)

func main() {
	src, err := os.ReadFile(os.Args[1])
	if err == nil {
		_, err = lang.Parse(os.Args[1], string(src))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
