package lsp

import (
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/atrun/atrun/lang"
)

// text is a document's content with its line starts, to convert between
// byte offsets, lang positions (1-based line, column in runes) and LSP
// positions (0-based line, column in UTF-16 code units).
type text struct {
	src   string
	lines []int // byte offset where each line starts
}

func newText(src string) *text {
	t := &text{src: src, lines: []int{0}}
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\n':
			t.lines = append(t.lines, i+1)
		case '\r': // a lone CR ends a line too, as the lexer counts it
			if i+1 < len(src) && src[i+1] == '\n' {
				continue
			}
			t.lines = append(t.lines, i+1)
		}
	}
	return t
}

// line returns line n (0-based) without its line end.
func (t *text) line(n int) string {
	if n < 0 || n >= len(t.lines) {
		return ""
	}
	end := len(t.src)
	if n+1 < len(t.lines) {
		end = t.lines[n+1]
	}
	return strings.TrimRight(t.src[t.lines[n]:end], "\r\n")
}

// offsetOf returns the byte offset of an LSP position, clamped to its line.
func (t *text) offsetOf(p position) int {
	if p.Line < 0 {
		return 0
	}
	if p.Line >= len(t.lines) {
		return len(t.src)
	}
	line := t.line(p.Line)
	units, i := 0, 0
	for i < len(line) && units < p.Character {
		r, n := utf8.DecodeRuneInString(line[i:])
		units += utf16.RuneLen(r)
		if units > p.Character { // inside a surrogate pair
			break
		}
		i += n
	}
	return t.lines[p.Line] + i
}

// positionOf returns the LSP position of a byte offset.
func (t *text) positionOf(off int) position {
	off = max(0, min(off, len(t.src)))
	n := 0
	for n+1 < len(t.lines) && t.lines[n+1] <= off {
		n++
	}
	units := 0
	for _, r := range t.src[t.lines[n]:off] {
		units += utf16.RuneLen(r)
	}
	return position{Line: n, Character: units}
}

// offsetOfPos returns the byte offset of a lang position, counted from its
// line and column (errors from expressions carry no reliable offset).
func (t *text) offsetOfPos(p lang.Pos) int {
	if p.Line < 1 {
		return 0
	}
	if p.Line > len(t.lines) {
		return len(t.src)
	}
	start := t.lines[p.Line-1]
	line := t.line(p.Line - 1)
	i := 0
	for col := 1; col < p.Column && i < len(line); col++ {
		_, n := utf8.DecodeRuneInString(line[i:])
		i += n
	}
	return start + i
}

func (t *text) positionOfPos(p lang.Pos) position { return t.positionOf(t.offsetOfPos(p)) }

// spanOf returns the LSP range of byte offsets [a, b).
func (t *text) spanOf(a, b int) span { return span{t.positionOf(a), t.positionOf(b)} }

// all is the range of the whole text.
func (t *text) all() span { return t.spanOf(0, len(t.src)) }

// wordAt returns the identifier around byte offset off, and where it
// starts; "" when there is none.
func (t *text) wordAt(off int) (string, int) {
	a, b := off, off
	for a > 0 {
		r, n := utf8.DecodeLastRuneInString(t.src[:a])
		if !isIdentPart(r) {
			break
		}
		a -= n
	}
	for b < len(t.src) {
		r, n := utf8.DecodeRuneInString(t.src[b:])
		if !isIdentPart(r) {
			break
		}
		b += n
	}
	w := t.src[a:b]
	if w == "" || !isIdentStart(rune(w[0])) {
		return "", a
	}
	return w, a
}

func isIdentStart(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func isIdentPart(r rune) bool { return isIdentStart(r) || r >= '0' && r <= '9' }

// uriToPath turns a file: URI into a path; other URIs are kept as they are,
// so an unsaved buffer still gets a name.
func uriToPath(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		return uri
	}
	p := u.Path
	if runtime.GOOS == "windows" {
		p = strings.TrimPrefix(p, "/") // file:///C:/x.at
	}
	return filepath.FromSlash(p)
}

// pathToURI is uriToPath's inverse.
func pathToURI(p string) string {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }
