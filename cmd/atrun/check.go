package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime"
)

// scriptFiles expands directories into the .at files under them.
func scriptFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".at") {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

func (e *env) check(args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprintln(fs.Output(), "usage: atrun check FILE|DIR...") }
	args, code := e.parseFlags(fs, "atrun check", args)
	if code >= 0 {
		return code
	}
	if len(args) == 0 {
		fs.Usage()
		return exitUsage
	}
	files, err := scriptFiles(args)
	if err != nil {
		fmt.Fprintln(e.stderr, "atrun check:", err)
		return exitUsage
	}
	code = exitOK
	for _, f := range files {
		if _, err := runtime.Load(f, nil); err != nil {
			e.printErrors(err)
			code = exitUsage
		}
	}
	return code
}

// printErrors renders script errors one per line, as file:line:col: msg.
func (e *env) printErrors(err error) {
	var list lang.ErrorList
	if errors.As(err, &list) {
		for _, le := range list {
			fmt.Fprintln(e.stderr, le.Error())
		}
		return
	}
	fmt.Fprintln(e.stderr, err)
}

func (e *env) fmt(args []string) int {
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	write := fs.Bool("w", false, "write the result to the file instead of printing it")
	list := fs.Bool("l", false, "list files whose formatting differs")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: atrun fmt [-w] [-l] FILE|DIR...")
		fs.PrintDefaults()
	}
	args, code := e.parseFlags(fs, "atrun fmt", args)
	if code >= 0 {
		return code
	}
	if len(args) == 0 {
		fs.Usage()
		return exitUsage
	}
	files, err := scriptFiles(args)
	if err != nil {
		fmt.Fprintln(e.stderr, "atrun fmt:", err)
		return exitUsage
	}
	code = exitOK
	for _, path := range files {
		src, err := lang.ReadScript(path)
		if err != nil {
			fmt.Fprintln(e.stderr, "atrun fmt:", err)
			code = exitUsage
			continue
		}
		f, err := lang.Parse(path, string(src))
		if err != nil {
			e.printErrors(err)
			code = exitUsage
			continue
		}
		out := lang.Format(f)
		same := bytes.Equal(out, src)
		if *list && !same {
			fmt.Fprintln(e.stdout, path)
		}
		switch {
		case *write && !same:
			if err := os.WriteFile(path, out, 0o644); err != nil {
				fmt.Fprintln(e.stderr, "atrun fmt:", err)
				code = exitUsage
			}
		case !*write && !*list:
			e.stdout.Write(out)
		}
	}
	return code
}

// sourceLine returns line n (1-based) of src.
func sourceLine(src string, n int) (string, bool) {
	for i := 1; ; i++ {
		line, rest, found := strings.Cut(src, "\n")
		if i == n {
			return strings.TrimRight(line, "\r"), true
		}
		if !found {
			return "", false
		}
		src = rest
	}
}

// caret renders the source line of pos with a caret under its column.
func caret(src string, pos lang.Pos) string {
	line, ok := sourceLine(src, pos.Line)
	if !ok || pos.Column < 1 {
		return ""
	}
	col := pos.Column - 1
	if n := utf8.RuneCountInString(line); col > n {
		col = n
	}
	var pad strings.Builder
	for i, r := range []rune(line) {
		if i >= col {
			break
		}
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	return fmt.Sprintf("    %s\n    %s^\n", line, pad.String())
}
