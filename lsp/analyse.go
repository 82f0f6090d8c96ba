package lsp

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/atrun/atrun/lang"
	"github.com/atrun/atrun/runtime"
)

// document is an open script and what the server learnt from its text.
type document struct {
	uri, path string
	version   int
	text      *text
	toks      []lang.Token // as far as the text lexes
	// file is the text parsed, or, while it does not parse, the last text
	// that did: names, flows and symbols stay available while typing.
	file *lang.File
	// tree is file with its includes loaded (nil when one does not load).
	tree     *lang.File
	declared []decl   // tree's declarations, found on first use
	names    []string // tree's variables, found on first use
	diags    []diagnostic
}

// read is the Loader for checks: open documents as the editor has them,
// other files from disk.
func (s *server) read(path string) ([]byte, error) {
	clean := filepath.Clean(path)
	for _, d := range s.docs {
		if d.path == clean && d.text != nil {
			return []byte(d.text.src), nil
		}
	}
	return lang.ReadScript(path)
}

// analyse checks src as `atrun check` does (parse, includes, static
// checks, every expression compiled) and keeps the results.
func (d *document) analyse(src string, read lang.Loader, prev *document) {
	d.text = newText(src)
	d.toks, _ = lang.Lex(d.path, src)
	// lang.Load then runtime.Compile is runtime.Load, which `atrun check` runs.
	tree, err := lang.Load(d.path, read)
	if err == nil {
		d.file, d.tree = tree, tree
		_, err = runtime.Compile(tree)
	} else if f, perr := lang.Parse(d.path, src); perr == nil {
		d.file, d.tree = f, f // an include is missing or broken: this file's own names still count
	} else if fixed, ok := salvage(d.path, src); ok {
		// The line being typed does not parse yet: the rest still names
		// params, flows and variables, at their current positions.
		d.file, _ = lang.Parse(d.path, fixed)
		d.tree = d.file
		if tree, err := lang.Load(d.path, func(p string) ([]byte, error) {
			if filepath.Clean(p) == d.path {
				return []byte(fixed), nil
			}
			return read(p)
		}); err == nil {
			d.tree = tree
		}
	} else if prev != nil {
		d.file, d.tree = prev.file, prev.tree
	}
	d.diags = d.diagnostics(err)
}

// diagnostics turns check errors into LSP diagnostics, each with a range
// that covers the token or name the error points at. An error in an
// included file is shown on the include that brought it in.
func (d *document) diagnostics(err error) []diagnostic {
	if err == nil {
		return nil
	}
	var list lang.ErrorList
	if !errors.As(err, &list) {
		list = lang.ErrorList{{Msg: err.Error()}}
	}
	out := []diagnostic{}
	for _, e := range list {
		diag := diagnostic{Severity: severityError, Source: "atrun", Message: e.Msg}
		switch {
		case e.Pos.Line == 0:
			diag.Range = d.text.spanOf(0, 0)
		case filepath.Clean(e.Pos.Filename) == d.path:
			diag.Range = d.errorSpan(e.Pos)
		default:
			diag.Range = d.includeSpan(e.Pos.Filename)
			diag.Message = fmt.Sprintf("%s: %s", e.Pos, e.Msg)
		}
		out = append(out, diag)
	}
	return out
}

// errorSpan is the range an error at pos covers: the token that starts
// there, else the name around it (an expression's errors point into the
// expression, which is one token), else the rest of the line for an unterminated literal,
// else one character.
func (d *document) errorSpan(pos lang.Pos) span {
	t := d.text
	off := t.offsetOfPos(pos)
	for _, tk := range d.toks {
		if tk.Pos.Offset == off && tk.Kind != lang.TokEOL && tk.Kind != lang.TokExpr {
			return t.spanOf(off, tk.End.Offset)
		}
		if tk.Pos.Offset > off {
			break
		}
	}
	if w, start := t.wordAt(off); w != "" {
		return t.spanOf(start, start+len(w))
	}
	if end := off + len(wordRun(t.src[off:])); end > off { // 5x: a bad literal
		return t.spanOf(off, end)
	}
	if off < len(t.src) && strings.ContainsRune("\"`/", rune(t.src[off])) {
		line := t.positionOf(off).Line
		return t.spanOf(off, t.lines[line]+len(t.line(line)))
	}
	end := off
	if end < len(t.src) {
		_, n := decodeRune(t.src[end:])
		end += n
	}
	return t.spanOf(off, end)
}

// includeSpan is the path of the include statement of this file through
// which file is reached (the first include when none is found).
func (d *document) includeSpan(file string) span {
	var first *lang.Include
	var hit *lang.Include
	if d.tree != nil {
		lang.Walk(d.tree.Stmts, func(n any) {
			inc, ok := n.(*lang.Include)
			if !ok || hit != nil {
				return
			}
			if first == nil {
				first = inc
			}
			if inc.File != nil {
				for _, f := range lang.Files(inc.File) {
					if filepath.Clean(f.Path) == filepath.Clean(file) {
						hit = inc
					}
				}
			}
			if filepath.Clean(d.includePath(inc)) == filepath.Clean(file) {
				hit = inc
			}
		})
	}
	if hit == nil {
		hit = first
	}
	if hit == nil {
		return d.text.spanOf(0, 0)
	}
	return d.strSpan(hit.Path)
}

// includePath is the file an include names, as lang.Load resolves it.
func (d *document) includePath(inc *lang.Include) string {
	p := inc.Path.Value()
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(d.path), p)
	}
	return p
}

// strSpan is the range of a string literal as written.
func (d *document) strSpan(s *lang.Str) span {
	off := d.text.offsetOfPos(s.Pos)
	return d.text.spanOf(off, off+len(s.Token))
}

// wordRun is the run of letters, digits and underscores s starts with.
func wordRun(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && isIdentPart(rune(s[i])) {
		i++
	}
	return s[:i]
}

// salvage blanks the lines that do not parse, one at a time, until the
// rest does (line and column of every other line unchanged); false when
// that does not get there.
func salvage(path, src string) (string, bool) {
	lines := strings.SplitAfter(src, "\n")
	for range 20 {
		_, err := lang.Parse(path, strings.Join(lines, ""))
		if err == nil {
			return strings.Join(lines, ""), true
		}
		var list lang.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			return "", false
		}
		n := list[0].Pos.Line - 1
		if n < 0 || n >= len(lines) || strings.TrimSpace(lines[n]) == "" {
			return "", false
		}
		end := ""
		if strings.HasSuffix(lines[n], "\n") {
			end = "\n"
		}
		lines[n] = end
	}
	return "", false
}

// includes reports whether the script includes path, directly or not,
// or failed to because of it.
func (d *document) includes(path string) bool {
	if d.tree != nil {
		for _, f := range lang.Files(d.tree)[1:] {
			if filepath.Clean(f.Path) == path {
				return true
			}
		}
	}
	for _, diag := range d.diags {
		if strings.HasPrefix(diag.Message, path+":") {
			return true
		}
	}
	return false
}
